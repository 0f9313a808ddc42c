//! `cargo xtask bench-server`: a bounded load test of `kundenversteher serve` on loopback.
//! Builds the release binary, starts it on a fresh data folder, ingests N messages of
//! `target/bench-data/mixed_1m.jsonl` (from `gen-import-bench`) in batches over C
//! connections, waits for the pipeline to catch up, then measures the conversation list and
//! search. Prints the figures as JSON (BENCHMARKS.md `## Server`).
//!
//! Options: `--messages N` (default 200000), `--batch B` (500), `--concurrency C` (4),
//! `--reads R` (500 per read scenario).

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

fn arg(args: &[String], name: &str, default: usize) -> anyhow::Result<usize> {
    match args.iter().position(|a| a == name) {
        Some(i) => args
            .get(i + 1)
            .context(format!("{name} needs a value"))?
            .parse()
            .context(format!("{name}: a number")),
        None => Ok(default),
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn summary(mut ms: Vec<f64>) -> serde_json::Value {
    ms.sort_by(f64::total_cmp);
    serde_json::json!({
        "requests": ms.len(),
        "p50_ms": (percentile(&ms, 0.50) * 100.0).round() / 100.0,
        "p95_ms": (percentile(&ms, 0.95) * 100.0).round() / 100.0,
        "p99_ms": (percentile(&ms, 0.99) * 100.0).round() / 100.0,
        "max_ms": (ms.last().copied().unwrap_or(0.0) * 100.0).round() / 100.0,
    })
}

pub fn run(args: &[String]) -> anyhow::Result<()> {
    let messages = arg(args, "--messages", 200_000)?;
    let batch = arg(args, "--batch", 500)?;
    let concurrency = arg(args, "--concurrency", 4)?;
    let reads = arg(args, "--reads", 500)?;
    let root = crate::tidy::root();
    let input = root.join("target/bench-data/mixed_1m.jsonl");
    if !input.exists() {
        bail!(
            "{} missing: run `cargo xtask gen-import-bench` first",
            input.display()
        );
    }
    let status = Command::new(env!("CARGO"))
        .args(["build", "--release", "-p", "cli"])
        .current_dir(&root)
        .status()?;
    if !status.success() {
        bail!("release build failed");
    }
    let bin = root.join("target/release/kundenversteher");
    let data = root.join("target/bench-server-data");
    let _ = std::fs::remove_dir_all(&data);
    let token = String::from_utf8(
        Command::new(&bin)
            .arg("--data-dir")
            .arg(&data)
            .args(["token", "create", "bench", "--scopes", "ingest,read"])
            .output()?
            .stdout,
    )?
    .trim()
    .to_owned();
    let mut child = Command::new(&bin)
        .arg("--data-dir")
        .arg(&data)
        .args(["serve", "--bind", "127.0.0.1:0"])
        .stderr(Stdio::piped())
        .spawn()?;
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let base = loop {
        let line = lines.next().context("serve ended before listening")??;
        if let Some(a) = line.strip_prefix("listening on ") {
            break a.to_owned();
        }
    };
    std::thread::spawn(move || for _ in lines {});
    let result = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?
        .block_on(load(
            &base,
            &token,
            &input,
            messages,
            batch,
            concurrency,
            reads,
        ));
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let _ = child.wait();
    let report = result?;
    println!("{}", serde_json::to_string_pretty(&report)?);
    Ok(())
}

fn read_batches(input: &Path, messages: usize, batch: usize) -> anyhow::Result<Vec<String>> {
    let file = std::fs::File::open(input)?;
    let mut out = Vec::new();
    let mut current = Vec::with_capacity(batch);
    for line in BufReader::new(file).lines().take(messages) {
        current.push(line?);
        if current.len() == batch {
            out.push(format!("[{}]", current.join(",")));
            current.clear();
        }
    }
    if !current.is_empty() {
        out.push(format!("[{}]", current.join(",")));
    }
    Ok(out)
}

async fn load(
    base: &str,
    token: &str,
    input: &Path,
    messages: usize,
    batch: usize,
    concurrency: usize,
    reads: usize,
) -> anyhow::Result<serde_json::Value> {
    let bodies = read_batches(input, messages, batch)?;
    let sent = bodies.len() * batch;
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency)
        .build()?;
    let queue = std::sync::Arc::new(std::sync::Mutex::new(bodies));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (client, queue, base, token) = (
            client.clone(),
            queue.clone(),
            base.to_owned(),
            token.to_owned(),
        );
        tasks.push(tokio::spawn(async move {
            let mut ms = Vec::new();
            loop {
                let Some(body) = queue.lock().unwrap().pop() else {
                    break;
                };
                let t = Instant::now();
                let r = client
                    .post(format!("{base}/api/v1/messages"))
                    .bearer_auth(&token)
                    .header("content-type", "application/json")
                    .body(body)
                    .send()
                    .await?;
                if !r.status().is_success() {
                    bail!("ingest answered {}", r.status());
                }
                r.bytes().await?;
                ms.push(t.elapsed().as_secs_f64() * 1000.0);
            }
            Ok::<_, anyhow::Error>(ms)
        }));
    }
    let mut ingest_ms = Vec::new();
    for t in tasks {
        ingest_ms.extend(t.await??);
    }
    let ingest_secs = started.elapsed().as_secs_f64();
    // Wait for the pipeline: analysed and indexed up to the last message.
    let mut caught_up = None;
    for _ in 0..6000 {
        let h: serde_json::Value = client
            .get(format!("{base}/healthz"))
            .send()
            .await?
            .json()
            .await?;
        let p = &h["pipeline"];
        if p["analysed_upto"] == p["ingested_upto"] && p["indexed_upto"] == p["ingested_upto"] {
            caught_up = Some(started.elapsed().as_secs_f64());
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let list_paths = [
        "/api/v1/conversations?limit=50",
        "/api/v1/conversations?sort=age&limit=50",
        "/api/v1/conversations?state=open&channel=twitter&limit=50",
        "/api/v1/conversations?sentiment=negative&limit=50",
        "/api/v1/conversations?language=en&sort=recent&limit=50",
    ];
    let search_paths = [
        "/api/v1/search?q=delayed%20flight&limit=20",
        "/api/v1/search?q=refund&sentiment=negative&limit=20",
        "/api/v1/search?q=phone%20battery&limit=20",
        "/api/v1/search?q=customer%20service&channel=twitter&limit=20",
        "/api/v1/search?q=cancelled&language=en&limit=20",
    ];
    let mut out = serde_json::Map::new();
    for (name, paths) in [
        ("conversation_list", &list_paths),
        ("search", &search_paths),
    ] {
        let mut ms = Vec::new();
        for i in 0..reads {
            let path = paths[i % paths.len()];
            let t = Instant::now();
            let r = client
                .get(format!("{base}{path}"))
                .bearer_auth(token)
                .send()
                .await?;
            if !r.status().is_success() {
                bail!("{path} answered {}", r.status());
            }
            r.bytes().await?;
            ms.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        out.insert(name.to_owned(), summary(ms));
    }
    Ok(serde_json::json!({
        "messages_sent": sent,
        "batch": batch,
        "concurrency": concurrency,
        "ingest_seconds": (ingest_secs * 100.0).round() / 100.0,
        "ingest_msg_per_s": (sent as f64 / ingest_secs).round(),
        "ingest_request_latency": summary(ingest_ms),
        "pipeline_caught_up_after_s": caught_up.map(|s| (s * 100.0).round() / 100.0),
        "pipeline_msg_per_s": caught_up.map(|s| (sent as f64 / s).round()),
        "reads_sequential": out,
    }))
}
