//! `serve` under SIGKILL: a sustained ingest against the real binary, killed mid-stream;
//! after a restart every message that got a 2xx is stored exactly once and the pipeline
//! analyses whatever it had not reached.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::kv;

fn start(data: &Path) -> (Child, String) {
    let mut child = kv(data)
        .args(["serve", "--bind", "127.0.0.1:0"])
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("serve starts");
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut tx = Some(tx);
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Some(addr) = line.strip_prefix("listening on ")
                && let Some(tx) = tx.take()
            {
                let _ = tx.send(addr.to_owned());
            }
        }
    });
    let base = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("server prints its address");
    (child, base)
}

fn token(data: &Path) -> String {
    let out = kv(data)
        .args(["token", "create", "loader", "--scopes", "ingest,read"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

fn batch(worker: usize, n: usize, size: usize) -> (Vec<String>, serde_json::Value) {
    let ids: Vec<String> = (0..size).map(|i| format!("w{worker}-b{n}-{i}")).collect();
    let msgs: Vec<_> = ids
        .iter()
        .map(|id| {
            serde_json::json!({
                "channel": "crashtest", "external_id": id, "author": format!("kunde-{}", id.len() % 7),
                "text": format!("Nachricht {id}: die Lieferung ist wieder zu spät"),
                "created_at": "2026-11-24T12:00:00Z", "direction": "inbound", "visibility": "public"
            })
        })
        .collect();
    (ids, serde_json::Value::Array(msgs))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_during_ingest_loses_nothing_acknowledged() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let secret = token(&data);
    let (mut child, base) = start(&data);
    let acked: Arc<Mutex<Vec<String>>> = Arc::default();
    let client = reqwest::Client::new();
    let mut workers = Vec::new();
    for w in 0..3 {
        let (client, base, secret, acked) =
            (client.clone(), base.clone(), secret.clone(), acked.clone());
        workers.push(tokio::spawn(async move {
            for n in 0.. {
                let (ids, body) = batch(w, n, 50);
                let resp = client
                    .post(format!("{base}/api/v1/messages"))
                    .bearer_auth(&secret)
                    .json(&body)
                    .timeout(Duration::from_secs(5))
                    .send()
                    .await;
                match resp {
                    Ok(r) if r.status().is_success() => acked.lock().unwrap().extend(ids),
                    Ok(r) => panic!("unexpected status {}", r.status()),
                    Err(_) => break, // the server is gone
                }
            }
        }));
    }
    // Let it run until a good number of batches are in, then SIGKILL.
    let start_t = Instant::now();
    while acked.lock().unwrap().len() < 3_000 && start_t.elapsed() < Duration::from_secs(60) {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    child.kill().unwrap(); // SIGKILL on unix
    child.wait().unwrap();
    for w in workers {
        w.await.unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    assert!(
        acked.len() >= 3_000,
        "only {} acknowledged before the kill",
        acked.len()
    );

    // Restart: every acknowledged message is there once, and the pipeline catches up.
    let (mut child, _base) = start(&data);
    let store = store::Store::open(&data).unwrap();
    for id in &acked {
        assert!(
            store.message("crashtest", id).unwrap().is_some(),
            "acknowledged {id} lost"
        );
    }
    let total = store.message_count().unwrap();
    assert!(total >= acked.len() as u64);
    let distinct: i64 = {
        let mut n = 0;
        store
            .for_each_message(|m| {
                assert_eq!(m.message.channel, "crashtest");
                n += 1;
                Ok(())
            })
            .unwrap();
        n
    };
    assert_eq!(distinct as u64, total, "each message once");
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        if store.unanalysed_after(0, 1).unwrap().is_empty() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "pipeline did not analyse the backlog after restart"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Graceful stop on SIGTERM.
    let pid = child.id().to_string();
    std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    let status = child.wait().unwrap();
    assert!(
        status.success(),
        "serve exits cleanly on SIGTERM: {status:?}"
    );
}
