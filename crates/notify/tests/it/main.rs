//! Webhook delivery against a local fake receiver (the outside world) on 127.0.0.1:0.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use notify::{Notifier, NotifyConfig, SIGNATURE_HEADER, Webhook, verify};

/// Signature header and body of each request received.
type Received = Arc<Mutex<Vec<(String, Vec<u8>)>>>;

#[derive(Clone, Default)]
struct Receiver {
    got: Received,
    /// Answer 500 this many times first.
    fail_first: Arc<Mutex<u32>>,
}

async fn hook(
    State(r): State<Receiver>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> StatusCode {
    {
        let mut f = r.fail_first.lock().unwrap();
        if *f > 0 {
            *f -= 1;
            return StatusCode::INTERNAL_SERVER_ERROR;
        }
    }
    let sig = headers
        .get(SIGNATURE_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    r.got.lock().unwrap().push((sig, body.to_vec()));
    StatusCode::NO_CONTENT
}

async fn receiver(fail_first: u32) -> (String, Receiver) {
    let r = Receiver {
        fail_first: Arc::new(Mutex::new(fail_first)),
        ..Receiver::default()
    };
    let app = Router::new()
        .route("/hook", post(hook))
        .with_state(r.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}/hook"), r)
}

fn config(url: &str) -> NotifyConfig {
    NotifyConfig {
        webhooks: vec![Webhook {
            url: url.to_owned(),
            secret: "s3cret".into(),
        }],
        initial_backoff_ms: 10,
        max_backoff_ms: 50,
        ..NotifyConfig::default()
    }
}

async fn wait_for(n: usize, r: &Receiver) {
    for _ in 0..500 {
        if r.got.lock().unwrap().len() >= n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn delivered_alert_carries_a_signature_the_receiver_can_verify() {
    let (url, r) = receiver(0).await;
    let notifier = Notifier::start(config(&url)).unwrap();
    notifier
        .send(&serde_json::json!({"alert_id": "abc", "scope": "all"}))
        .unwrap();
    wait_for(1, &r).await;
    let got = r.got.lock().unwrap().clone();
    assert_eq!(got.len(), 1);
    let (sig, body) = &got[0];
    assert_eq!(
        verify("s3cret", sig, body, Duration::from_secs(300)),
        Ok(())
    );
    assert!(verify("wrong", sig, body, Duration::from_secs(300)).is_err());
    assert!(
        verify(
            "s3cret",
            sig,
            b"{\"alert_id\":\"forged\"}",
            Duration::from_secs(300)
        )
        .is_err()
    );
    let v: serde_json::Value = serde_json::from_slice(body).unwrap();
    assert_eq!(v["alert_id"], "abc");
}

#[tokio::test]
async fn failed_deliveries_are_retried_with_backoff() {
    let (url, r) = receiver(2).await;
    let notifier = Notifier::start(config(&url)).unwrap();
    notifier.send(&serde_json::json!({"n": 1})).unwrap();
    wait_for(1, &r).await;
    assert_eq!(r.got.lock().unwrap().len(), 1);
    // The receiver records the body before it answers; the notifier counts the delivery
    // when the answer arrives, a moment later.
    for _ in 0..500 {
        if notifier.stats().delivered >= 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let stats = notifier.stats();
    assert_eq!(stats.retried, 2);
    assert_eq!(stats.delivered, 1);
}

#[tokio::test]
async fn a_dead_receiver_never_blocks_the_sender_and_the_oldest_are_dropped() {
    // A port nobody listens on: every attempt fails, and long backoffs hold the only slot.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    drop(listener);
    let notifier = Notifier::start(NotifyConfig {
        queue: 2,
        concurrency: 1,
        initial_backoff_ms: 60_000,
        ..config(&url)
    })
    .unwrap();
    for i in 0..10 {
        notifier.send(&serde_json::json!({ "n": i })).unwrap();
    }
    let stats = notifier.stats();
    assert_eq!(stats.sent, 10);
    assert!(stats.queued <= 2, "{stats:?}");
    assert!(stats.dropped >= 7, "{stats:?}");
}
