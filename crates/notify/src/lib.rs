//! Who we tell: alerts and escalations POSTed as JSON to webhooks, signed with HMAC-SHA256.
//!
//! [`Notifier::send`] never blocks: it puts the JSON body on a bounded queue (dropping the
//! oldest entry, counted in [`Stats::dropped`], when full) and a background tokio task
//! delivers it to every configured webhook, retrying failures with exponential backoff.
//! Each request carries `X-Kundenversteher-Signature: t=<unix seconds>,v1=<hex>` where
//! `v1 = HMAC-SHA256(secret, "<t>.<body>")`; receivers check it with [`verify`].

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

/// The signature header.
pub const SIGNATURE_HEADER: &str = "X-Kundenversteher-Signature";

type HmacSha256 = Hmac<Sha256>;

/// One webhook receiver.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Webhook {
    pub url: String,
    /// Shared secret for the signature.
    pub secret: String,
}

/// Delivery settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NotifyConfig {
    pub webhooks: Vec<Webhook>,
    /// Bodies waiting for delivery; when full the oldest is dropped.
    pub queue: usize,
    /// Deliveries in flight at once (each with its own retries).
    pub concurrency: usize,
    /// Attempts per webhook and body, including the first.
    pub max_attempts: u32,
    /// Backoff before the second attempt; doubles each time up to `max_backoff_ms`.
    pub initial_backoff_ms: u64,
    pub max_backoff_ms: u64,
    /// Per-request timeout.
    pub timeout_ms: u64,
}

impl Default for NotifyConfig {
    fn default() -> Self {
        NotifyConfig {
            webhooks: Vec::new(),
            queue: 1024,
            concurrency: 8,
            max_attempts: 6,
            initial_backoff_ms: 500,
            max_backoff_ms: 60_000,
            timeout_ms: 10_000,
        }
    }
}

/// Delivery counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Stats {
    /// Bodies accepted by [`Notifier::send`].
    pub sent: u64,
    /// Bodies dropped because the queue was full (the oldest go first).
    pub dropped: u64,
    /// Successful deliveries (one per webhook and body).
    pub delivered: u64,
    /// Failed attempts that were retried.
    pub retried: u64,
    /// Deliveries abandoned after `max_attempts`.
    pub failed: u64,
    /// Bodies waiting in the queue now.
    pub queued: u64,
}

#[derive(Debug, Default)]
struct Counters {
    sent: AtomicU64,
    dropped: AtomicU64,
    delivered: AtomicU64,
    retried: AtomicU64,
    failed: AtomicU64,
}

#[derive(Debug)]
struct Shared {
    queue: Mutex<VecDeque<Arc<Vec<u8>>>>,
    /// The receivers; replaced as a whole by [`Notifier::set_webhooks`].
    webhooks: Mutex<Arc<Vec<Webhook>>>,
    wake: tokio::sync::Notify,
    counters: Counters,
    capacity: usize,
}

/// Errors building a notifier.
#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    #[error("no tokio runtime: start the notifier inside one")]
    NoRuntime,
    #[error("http client: {0}")]
    Client(String),
    #[error("cannot serialise the payload: {0}")]
    Json(#[from] serde_json::Error),
}

/// Sends JSON bodies to the configured webhooks in the background. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Notifier {
    shared: Arc<Shared>,
}

impl Notifier {
    /// Starts the delivery task on the current tokio runtime.
    pub fn start(config: NotifyConfig) -> Result<Notifier, NotifyError> {
        let handle = tokio::runtime::Handle::try_current().map_err(|_| NotifyError::NoRuntime)?;
        let client = reqwest::Client::builder()
            .timeout(Duration::from_millis(config.timeout_ms))
            .build()
            .map_err(|e| NotifyError::Client(e.to_string()))?;
        let shared = Arc::new(Shared {
            queue: Mutex::new(VecDeque::new()),
            webhooks: Mutex::new(Arc::new(config.webhooks.clone())),
            wake: tokio::sync::Notify::new(),
            counters: Counters::default(),
            capacity: config.queue.max(1),
        });
        handle.spawn(deliver_loop(shared.clone(), Arc::new(config), client));
        Ok(Notifier { shared })
    }

    /// Replaces the receivers (an admin added or removed one). Bodies already queued go to
    /// the new list; deliveries in flight finish with the old one.
    pub fn set_webhooks(&self, webhooks: Vec<Webhook>) {
        *self
            .shared
            .webhooks
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = Arc::new(webhooks);
    }

    /// The current receivers.
    pub fn webhooks(&self) -> Arc<Vec<Webhook>> {
        self.shared
            .webhooks
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Queues `payload` as JSON for every webhook. Never blocks on the network.
    pub fn send<T: Serialize + ?Sized>(&self, payload: &T) -> Result<(), NotifyError> {
        let body = serde_json::to_vec(payload)?;
        self.send_body(body);
        Ok(())
    }

    /// Queues a ready JSON body.
    pub fn send_body(&self, body: Vec<u8>) {
        let s = &self.shared;
        {
            let mut q = s.queue.lock().unwrap_or_else(|e| e.into_inner());
            while q.len() >= s.capacity {
                q.pop_front();
                s.counters.dropped.fetch_add(1, Ordering::Relaxed);
            }
            q.push_back(Arc::new(body));
        }
        s.counters.sent.fetch_add(1, Ordering::Relaxed);
        s.wake.notify_one();
    }

    pub fn stats(&self) -> Stats {
        let c = &self.shared.counters;
        Stats {
            sent: c.sent.load(Ordering::Relaxed),
            dropped: c.dropped.load(Ordering::Relaxed),
            delivered: c.delivered.load(Ordering::Relaxed),
            retried: c.retried.load(Ordering::Relaxed),
            failed: c.failed.load(Ordering::Relaxed),
            queued: self
                .shared
                .queue
                .lock()
                .map(|q| q.len() as u64)
                .unwrap_or(0),
        }
    }
}

async fn deliver_loop(shared: Arc<Shared>, config: Arc<NotifyConfig>, client: reqwest::Client) {
    let permits = Arc::new(tokio::sync::Semaphore::new(config.concurrency.max(1)));
    loop {
        // Wait for a free delivery slot first, so bodies wait in the bounded queue (where the
        // oldest can be dropped) rather than in an unbounded set of tasks.
        let Ok(permit) = permits.clone().acquire_owned().await else {
            return;
        };
        let body = loop {
            let next = shared
                .queue
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .pop_front();
            match next {
                Some(b) => break b,
                None => shared.wake.notified().await,
            }
        };
        let hooks = shared
            .webhooks
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        if Arc::strong_count(&shared) == 1 && hooks.is_empty() {
            return;
        }
        let (shared2, config2, client2) = (shared.clone(), config.clone(), client.clone());
        tokio::spawn(async move {
            for hook in hooks.iter() {
                deliver(&shared2, &config2, &client2, hook, &body).await;
            }
            drop(permit);
        });
    }
}

async fn deliver(
    shared: &Shared,
    config: &NotifyConfig,
    client: &reqwest::Client,
    hook: &Webhook,
    body: &[u8],
) {
    let mut backoff = Duration::from_millis(config.initial_backoff_ms);
    for attempt in 1..=config.max_attempts.max(1) {
        let t = unix_now();
        let result = client
            .post(&hook.url)
            .header("content-type", "application/json")
            .header(SIGNATURE_HEADER, sign(&hook.secret, t, body))
            .body(body.to_vec())
            .send()
            .await;
        let error = match result {
            Ok(r) if r.status().is_success() => {
                shared.counters.delivered.fetch_add(1, Ordering::Relaxed);
                return;
            }
            Ok(r) => format!("status {}", r.status()),
            Err(e) => e.to_string(),
        };
        if attempt == config.max_attempts.max(1) {
            shared.counters.failed.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(message = "webhook delivery failed, giving up", url = %hook.url, %error, attempt);
            return;
        }
        shared.counters.retried.fetch_add(1, Ordering::Relaxed);
        tracing::info!(message = "webhook delivery failed, retrying", url = %hook.url, %error, attempt);
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(Duration::from_millis(config.max_backoff_ms));
    }
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn mac(secret: &str, t: u64, body: &[u8]) -> HmacSha256 {
    let mut mac = HmacSha256::new_from_slice(secret.as_bytes()).expect("HMAC takes any key");
    mac.update(t.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

/// The signature header value for `body` at unix time `t`: `t=<t>,v1=<hex hmac>`.
pub fn sign(secret: &str, t: u64, body: &[u8]) -> String {
    let tag = mac(secret, t, body).finalize().into_bytes();
    format!("t={t},v1={}", hex::encode(tag))
}

/// Why a signature was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("malformed signature header")]
    Malformed,
    #[error("timestamp outside the tolerance")]
    Expired,
    #[error("signature does not match")]
    Mismatch,
}

/// Checks a signature header for `body` (for receivers): the HMAC must match (compared in
/// constant time) and `t` must lie within `tolerance` of now (replay protection).
pub fn verify(
    secret: &str,
    header: &str,
    body: &[u8],
    tolerance: Duration,
) -> Result<(), VerifyError> {
    verify_at(secret, header, body, tolerance, unix_now())
}

/// [`verify`] against a given clock (unix seconds).
pub fn verify_at(
    secret: &str,
    header: &str,
    body: &[u8],
    tolerance: Duration,
    now: u64,
) -> Result<(), VerifyError> {
    let (mut t, mut v1) = (None, Vec::new());
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", v)) => t = Some(v.parse::<u64>().map_err(|_| VerifyError::Malformed)?),
            Some(("v1", v)) => v1.push(hex::decode(v).map_err(|_| VerifyError::Malformed)?),
            _ => {}
        }
    }
    let t = t.ok_or(VerifyError::Malformed)?;
    if v1.is_empty() {
        return Err(VerifyError::Malformed);
    }
    if now.abs_diff(t) > tolerance.as_secs() {
        return Err(VerifyError::Expired);
    }
    // Several v1 values are allowed (secret rotation): any match passes.
    if v1
        .iter()
        .any(|tag| mac(secret, t, body).verify_slice(tag).is_ok())
    {
        Ok(())
    } else {
        Err(VerifyError::Mismatch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_round_trips_and_rejects_tampering() {
        let body = br#"{"alert_id":"a"}"#;
        let h = sign("s3cret", 1_700_000_000, body);
        assert!(h.starts_with("t=1700000000,v1="));
        let tol = Duration::from_secs(300);
        assert_eq!(verify_at("s3cret", &h, body, tol, 1_700_000_100), Ok(()));
        assert_eq!(
            verify_at("s3cret", &h, b"{}", tol, 1_700_000_100),
            Err(VerifyError::Mismatch)
        );
        assert_eq!(
            verify_at("other", &h, body, tol, 1_700_000_100),
            Err(VerifyError::Mismatch)
        );
        assert_eq!(
            verify_at("s3cret", &h, body, tol, 1_700_001_000),
            Err(VerifyError::Expired)
        );
        assert_eq!(
            verify_at("s3cret", "v1=zz", body, tol, 0),
            Err(VerifyError::Malformed)
        );
    }
}
