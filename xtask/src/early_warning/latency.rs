//! Live alert latency (BENCHMARKS.md "Early warning"): starts the release binary
//! (`kundenversteher serve`) on a fresh data folder with a webhook receiver, posts bursts of
//! real negative airline tweets naming one flight through `POST /api/v1/messages`, one
//! message per request, and measures wall time from the 2xx of the message that triggered
//! each alert (`detected_at`) to (a) the signed webhook arriving and (b) the alert showing in
//! `GET /api/v1/alerts`. A measurement, not a test: no assertion on the times.

use std::collections::HashMap;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use model::{Message, Timestamp};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// What the receiver and the poller saw: alert id -> (wall time, alert JSON).
type Seen = Arc<Mutex<HashMap<String, (Instant, Value)>>>;

pub fn run(args: &[String]) -> anyhow::Result<()> {
    let flag = |name: &str, default: usize| -> anyhow::Result<usize> {
        match args.iter().position(|a| a == name) {
            Some(i) => Ok(args.get(i + 1).context("value")?.parse()?),
            None => Ok(default),
        }
    };
    let bursts = flag("--bursts", 5)?;
    let per_burst = flag("--messages", 20)?;
    let gap_ms = flag("--gap-ms", 200)? as u64;
    let (target, bin) = crate::bench_server::release_binary()?;
    let data = target.join("alert-latency-data");
    let _ = std::fs::remove_dir_all(&data);
    let (mut child, token, base) =
        crate::bench_server::start_server(&bin, &data, "latency", "ingest,read,admin")?;
    let texts = complaint_texts()?;
    let result = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?
        .block_on(measure(&base, &token, &texts, bursts, per_burst, gap_ms));
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let _ = child.wait();
    result
}

/// Real negative airline tweets about late and cancelled flights, mentions removed.
fn complaint_texts() -> anyhow::Result<Vec<String>> {
    let path = super::data_dir().join("twitter_us_airline_sentiment/Tweets.csv");
    let messages = super::read_all(ingest::Format::Airline, &path)?;
    Ok(messages
        .iter()
        .filter(|m| {
            m.labels.get("sentiment").map(String::as_str) == Some("negative")
                && matches!(
                    m.labels.get("topic").map(String::as_str),
                    Some("Cancelled Flight" | "Late Flight")
                )
        })
        .map(|m| {
            m.text
                .split_whitespace()
                .filter(|w| !w.starts_with('@'))
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect())
}

async fn measure(
    base: &str,
    token: &str,
    texts: &[String],
    bursts: usize,
    per_burst: usize,
    gap_ms: u64,
) -> anyhow::Result<()> {
    let client = reqwest::Client::new();
    let hooks: Seen = Arc::default();
    let hook_url = receiver(hooks.clone()).await?;
    let resp = client
        .post(format!("{base}/api/v1/webhooks"))
        .bearer_auth(token)
        .json(&json!({"url": hook_url, "secret": "latency-geheimnis"}))
        .send()
        .await?;
    if !resp.status().is_success() {
        bail!(
            "adding the webhook: {} {}",
            resp.status(),
            resp.text().await?
        );
    }
    // The engine reads the webhook list on its tick (about once a second).
    tokio::time::sleep(Duration::from_secs(3)).await;
    let visible: Seen = Arc::default();
    let poller = tokio::spawn(poll_alerts(
        client.clone(),
        base.to_owned(),
        token.to_owned(),
        visible.clone(),
    ));
    // created_at (whole seconds, distinct) -> wall time of the 2xx.
    let mut acked: HashMap<i64, Instant> = HashMap::new();
    let t0 = chrono::Utc::now().timestamp();
    let mut next_text = 0usize;
    for b in 0..bursts {
        let flight = format!("UA{}", 1200 + 37 * b);
        for i in 0..per_burst {
            let at = t0 + (b * 1000 + i) as i64;
            let created_at: Timestamp = chrono::DateTime::from_timestamp(at, 0).context("time")?;
            let text = &texts[next_text % texts.len()];
            next_text += 1;
            let m = Message {
                channel: "twitter".into(),
                external_id: format!("lat{b}-{i}"),
                author: format!("lat{b}-cust{i}"),
                author_name: None,
                text: format!("@united flight {flight}: {text}"),
                created_at,
                in_reply_to: None,
                direction: model::Direction::Inbound,
                visibility: model::Visibility::Public,
                language: Some("en".into()),
                brand: Some("united".into()),
                labels: model::Labels::new(),
                raw: None,
            };
            let resp = client
                .post(format!("{base}/api/v1/messages"))
                .bearer_auth(token)
                .json(&m)
                .send()
                .await?;
            let now = Instant::now();
            if !resp.status().is_success() {
                bail!("ingest: {} {}", resp.status(), resp.text().await?);
            }
            acked.insert(at, now);
            tokio::time::sleep(Duration::from_millis(gap_ms)).await;
        }
        // Let the burst's alert arrive before the next burst.
        tokio::time::sleep(Duration::from_secs(3)).await;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    poller.abort();
    let hooks = hooks
        .lock()
        .map_err(|_| anyhow::anyhow!("poisoned"))?
        .clone();
    let visible = visible
        .lock()
        .map_err(|_| anyhow::anyhow!("poisoned"))?
        .clone();
    println!(
        "| alert | scope | trigger (message of burst) | customers | 2xx -> webhook (ms) | 2xx -> GET /api/v1/alerts (ms) |"
    );
    println!("|---|---|---|---|---|---|");
    let mut ids: Vec<&String> = hooks.keys().chain(visible.keys()).collect();
    ids.sort_by_key(|id| detected(hooks.get(*id).or(visible.get(*id))));
    ids.dedup();
    let (mut to_hook, mut to_api) = (Vec::new(), Vec::new());
    for id in ids {
        let alert = &hooks.get(id).or(visible.get(id)).context("seen")?.1;
        let at = detected(hooks.get(id).or(visible.get(id)));
        let Some(&ack) = acked.get(&at) else {
            continue;
        };
        let ms = |seen: Option<&(Instant, Value)>| {
            seen.map(|(t, _)| t.saturating_duration_since(ack).as_secs_f64() * 1000.0)
        };
        let (h, v) = (ms(hooks.get(id)), ms(visible.get(id)));
        to_hook.extend(h);
        to_api.extend(v);
        let offset = at - t0;
        println!(
            "| {} | {} | {} of burst {} | {} | {} | {} |",
            &id[..8.min(id.len())],
            alert["scope"].as_str().unwrap_or("?"),
            offset % 1000 + 1,
            offset / 1000,
            alert["customers"],
            h.map_or("-".into(), |x| format!("{x:.0}")),
            v.map_or("-".into(), |x| format!("{x:.0}")),
        );
    }
    let stat = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        match (v.first(), v.get(v.len() / 2), v.last()) {
            (Some(a), Some(m), Some(z)) => {
                format!("min {a:.0} ms, median {m:.0} ms, max {z:.0} ms")
            }
            _ => "none".into(),
        }
    };
    println!();
    println!(
        "{} alerts opened; 2xx -> webhook: {}; 2xx -> visible in the API: {}",
        to_hook.len().max(to_api.len()),
        stat(&mut to_hook),
        stat(&mut to_api)
    );
    Ok(())
}

/// The `detected_at` (seconds) of a seen alert.
fn detected(seen: Option<&(Instant, Value)>) -> i64 {
    seen.and_then(|(_, a)| a["detected_at"].as_str())
        .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
        .map_or(i64::MAX, |t| t.timestamp())
}

/// Polls `GET /api/v1/alerts` every 10 ms and notes when each alert id first shows.
async fn poll_alerts(client: reqwest::Client, base: String, token: String, seen: Seen) {
    loop {
        if let Ok(resp) = client
            .get(format!("{base}/api/v1/alerts"))
            .bearer_auth(&token)
            .send()
            .await
            && let Ok(body) = resp.json::<Value>().await
        {
            let now = Instant::now();
            let mut seen = seen.lock().unwrap_or_else(|p| p.into_inner());
            // Each entry is a stored alert: `{"alert": {...}, "acknowledged_by", ...}`.
            for stored in body["alerts"].as_array().into_iter().flatten() {
                let a = &stored["alert"];
                if let Some(id) = a["alert_id"].as_str() {
                    seen.entry(id.to_owned()).or_insert((now, a.clone()));
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// A minimal HTTP/1.1 webhook receiver on port 0 (keep-alive, `Content-Length` bodies):
/// notes the arrival of each `opened` alert and answers 204.
async fn receiver(seen: Seen) -> anyhow::Result<String> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/hook", listener.local_addr()?);
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let seen = seen.clone();
            tokio::spawn(async move {
                let mut buf: Vec<u8> = Vec::new();
                let mut chunk = [0u8; 8192];
                loop {
                    let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
                        match socket.read(&mut chunk).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => buf.extend_from_slice(&chunk[..n]),
                        }
                        continue;
                    };
                    let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
                    let len: usize = head
                        .lines()
                        .find_map(|l| l.strip_prefix("content-length:"))
                        .and_then(|v| v.trim().parse().ok())
                        .unwrap_or(0);
                    while buf.len() < end + 4 + len {
                        match socket.read(&mut chunk).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => buf.extend_from_slice(&chunk[..n]),
                        }
                    }
                    let now = Instant::now();
                    let body: Value =
                        serde_json::from_slice(&buf[end + 4..end + 4 + len]).unwrap_or_default();
                    buf.drain(..end + 4 + len);
                    if body["event"] == "alert" && body["alert"]["event"] == "opened" {
                        let alert = body["alert"].clone();
                        if let Some(id) = alert["alert_id"].as_str() {
                            let mut seen = seen.lock().unwrap_or_else(|p| p.into_inner());
                            seen.entry(id.to_owned()).or_insert((now, alert.clone()));
                        }
                    }
                    let reply = b"HTTP/1.1 204 No Content\r\ncontent-length: 0\r\n\r\n";
                    if socket.write_all(reply).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    Ok(url)
}
