//! Page render times of the web interface on a large store, measured over loopback in a
//! bounded loop: `cargo run --release -p web --example ui_pages_bench -- DATA_DIR [REQUESTS]`.
//! Starts the real server (with its pipeline) on DATA_DIR, waits until the pipeline has
//! analysed everything, warms the caches (report figures, suggestion index) with three
//! requests per page, then requests each page REQUESTS times (default 200) one after another
//! and prints p50 / p95 / max in milliseconds.

use std::time::{Duration, Instant};

use serde_json::json;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let mut args = std::env::args().skip(1);
    let dir = args
        .next()
        .expect("usage: ui_pages_bench DATA_DIR [REQUESTS]");
    let n: usize = args
        .next()
        .map(|a| a.parse().expect("REQUESTS"))
        .unwrap_or(200);
    let state = web::server::start(std::path::Path::new(&dir), web::ServerConfig::default())
        .expect("start server state");
    let hash = web::auth::hash_password("bench-password-123").expect("hash");
    state
        .db(move |s| s.upsert_user("bench", "admin", &hash))
        .await
        .expect("bench user");
    let started = Instant::now();
    let settled = state.engine().settle(Duration::from_secs(1800)).await;
    eprintln!(
        "pipeline settled: {settled} after {:.0} s",
        started.elapsed().as_secs_f64()
    );
    let messages = state.read(|s| s.message_count()).await.expect("count");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let app = web::app(state.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.expect("serve") });

    let http = reqwest::Client::new();
    let resp = http
        .post(format!("{base}/api/v1/session"))
        .json(&json!({"name": "bench", "password": "bench-password-123"}))
        .send()
        .await
        .expect("login");
    let cookie = resp.headers()["set-cookie"]
        .to_str()
        .expect("cookie")
        .split(';')
        .next()
        .expect("cookie value")
        .to_owned();
    let conv = state
        .read(|s| {
            s.inbox(&store::InboxFilter {
                state: Some("open".into()),
                limit: 1,
                ..Default::default()
            })
        })
        .await
        .expect("a conversation")
        .first()
        .map(|e| e.conversation_id)
        .unwrap_or(1);
    let pages = [
        "/login".to_owned(),
        "/inbox".to_owned(),
        "/inbox?sentiment=negative&language=en".to_owned(),
        "/inbox?sort=due".to_owned(),
        "/inbox?sort=age".to_owned(),
        "/inbox/version".to_owned(),
        format!("/c/{conv}"),
        "/cases".to_owned(),
        "/alarms".to_owned(),
        "/front".to_owned(),
        "/dashboard".to_owned(),
        "/admin".to_owned(),
        "/kb?q=delivery".to_owned(),
    ];
    println!(
        "{messages} messages stored; {n} sequential requests per page after 3 warm-up requests"
    );
    println!(
        "{:<42} {:>8} {:>8} {:>8}",
        "page", "p50 ms", "p95 ms", "max ms"
    );
    for page in &pages {
        let url = format!("{base}{page}");
        let get = || http.get(&url).header("cookie", &cookie).send();
        for _ in 0..3 {
            let r = get().await.expect("warm-up");
            assert!(r.status().is_success(), "{page}: {}", r.status());
            r.bytes().await.expect("body");
        }
        let mut times = Vec::with_capacity(n);
        for _ in 0..n {
            let t = Instant::now();
            let r = get().await.expect("request");
            let status = r.status();
            r.bytes().await.expect("body");
            times.push(t.elapsed().as_secs_f64() * 1000.0);
            assert!(status.is_success(), "{page}: {status}");
        }
        times.sort_by(f64::total_cmp);
        let q =
            |p: f64| times[((times.len() as f64 * p).ceil() as usize).clamp(1, times.len()) - 1];
        println!(
            "{page:<42} {:>8.1} {:>8.1} {:>8.1}",
            q(0.5),
            q(0.95),
            times[times.len() - 1]
        );
    }
}
