//! `cargo xtask bench-server`: a bounded load test of `kundenversteher serve` on loopback.
//! Builds the release binary, starts it on a fresh data folder, ingests N messages of
//! `target/bench-data/mixed_1m.jsonl` (from `gen-import-bench`) in batches over C
//! connections, waits for the pipeline to catch up, then measures the conversation list and
//! search. Prints the figures as JSON (BENCHMARKS.md `## Server`).
//!
//! Options: `--messages N` (default 200000), `--batch B` (500), `--concurrency C` (4),
//! `--reads R` (500 per read scenario), `--binary PATH` (a built `kundenversteher` to run
//! instead of building this tree's, for A/B comparisons), `--rate M` (0 = as fast as the server answers): send
//! at most M messages a second (batch k leaves at k x B / M seconds), to see whether the
//! pipeline keeps up with a sustained rate; `--preload K` (0): before the server starts,
//! `kundenversteher import` K copies of the file (copy 0 as it is, copy c with `c{c}-` before
//! every external id, reply id and author, so each copy is new messages in new threads from
//! new customers), then wait until the server has analysed and indexed them all; the HTTP
//! ingest then sends copy K. The binary and the data folder live in the cargo target folder
//! (`CARGO_TARGET_DIR` or `target/`).

use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
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

/// The line of copy `copy` of a JSONL message: `c{copy}-` before the ids and the author.
fn recopy(line: &str, copy: usize) -> anyhow::Result<String> {
    let mut m: serde_json::Value = serde_json::from_str(line)?;
    for field in ["external_id", "in_reply_to", "author"] {
        if let Some(serde_json::Value::String(v)) = m.get_mut(field) {
            *v = format!("c{copy}-{v}");
        }
    }
    Ok(serde_json::to_string(&m)?)
}

/// Copy `copy` of the input file (copy 0 is the file itself), written once next to it.
fn copy_file(input: &Path, copy: usize) -> anyhow::Result<PathBuf> {
    if copy == 0 {
        return Ok(input.to_owned());
    }
    let out = input.with_file_name(format!("mixed_1m_c{copy}.jsonl"));
    if out.exists() {
        return Ok(out);
    }
    let tmp = out.with_extension("jsonl.part");
    let mut w = BufWriter::new(std::fs::File::create(&tmp)?);
    for line in BufReader::new(std::fs::File::open(input)?).lines() {
        let line = line?;
        if !line.trim().is_empty() {
            writeln!(w, "{}", recopy(&line, copy)?)?;
        }
    }
    w.into_inner()?.sync_all()?;
    std::fs::rename(&tmp, &out)?;
    Ok(out)
}

/// Builds the release binary and returns the target folder (`CARGO_TARGET_DIR` or
/// `target/`) and the binary's path.
pub fn release_binary() -> anyhow::Result<(PathBuf, PathBuf)> {
    let root = crate::tidy::root();
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    let status = Command::new(env!("CARGO"))
        .args(["build", "--release", "-p", "cli"])
        .current_dir(&root)
        .status()?;
    if !status.success() {
        bail!("release build failed");
    }
    let bin = target.join("release/kundenversteher");
    Ok((target, bin))
}

/// Creates an API token `name` with `scopes` in `data`, starts `bin serve` on a free loopback
/// port, and returns the server process, the token and the base address (`http://…`). The
/// server's log is copied on a thread (so it never blocks) to `serve.log` beside `data`.
pub fn start_server(
    bin: &Path,
    data: &Path,
    name: &str,
    scopes: &str,
) -> anyhow::Result<(std::process::Child, String, String)> {
    let token = String::from_utf8(
        Command::new(bin)
            .arg("--data-dir")
            .arg(data)
            .args(["token", "create", name, "--scopes", scopes])
            .output()?
            .stdout,
    )?
    .trim()
    .to_owned();
    let mut child = Command::new(bin)
        .arg("--data-dir")
        .arg(data)
        .args(["serve", "--bind", "127.0.0.1:0"])
        .stderr(Stdio::piped())
        .spawn()?;
    let mut lines = BufReader::new(child.stderr.take().context("stderr")?).lines();
    let base = loop {
        let line = lines.next().context("serve ended before listening")??;
        if let Some(a) = line.strip_prefix("listening on ") {
            break a.to_owned();
        }
    };
    let log = data.with_file_name(format!(
        "{}-serve.log",
        data.file_name().and_then(|n| n.to_str()).unwrap_or("bench")
    ));
    let mut log = BufWriter::new(std::fs::File::create(log)?);
    std::thread::spawn(move || {
        for line in lines.map_while(Result::ok) {
            let _ = writeln!(log, "{line}");
        }
        let _ = log.flush();
    });
    Ok((child, token, base))
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

pub fn run(args: &[String]) -> anyhow::Result<()> {
    let messages = arg(args, "--messages", 200_000)?;
    let batch = arg(args, "--batch", 500)?;
    let concurrency = arg(args, "--concurrency", 4)?;
    let reads = arg(args, "--reads", 500)?;
    let preload = arg(args, "--preload", 0)?;
    let rate = arg(args, "--rate", 0)?;
    let root = crate::tidy::root();
    let (target, bin) = match args.iter().position(|a| a == "--binary") {
        Some(i) => {
            let bin = PathBuf::from(args.get(i + 1).context("--binary needs a path")?);
            let target = std::env::var_os("CARGO_TARGET_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(|| root.join("target"));
            (target, bin)
        }
        None => release_binary()?,
    };
    let input = root.join("target/bench-data/mixed_1m.jsonl");
    if !input.exists() {
        bail!(
            "{} missing: run `cargo xtask gen-import-bench` first",
            input.display()
        );
    }
    let data = target.join("bench-server-data");
    let _ = std::fs::remove_dir_all(&data);
    let load_before = load_average();
    let mut preload_report = serde_json::Value::Null;
    if preload > 0 {
        let files = (0..preload)
            .map(|c| copy_file(&input, c))
            .collect::<anyhow::Result<Vec<_>>>()?;
        let t = Instant::now();
        let status = Command::new(&bin)
            .arg("--data-dir")
            .arg(&data)
            .args(["import", "--format", "jsonl"])
            .args(&files)
            .stdout(Stdio::null())
            .status()?;
        if !status.success() {
            bail!("import failed");
        }
        preload_report = serde_json::json!({
            "copies": preload,
            "import_seconds": (t.elapsed().as_secs_f64() * 10.0).round() / 10.0,
        });
    }
    let (mut child, token, base) = start_server(&bin, &data, "bench", "ingest,read")?;
    let result = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?
        .block_on(load(
            &base,
            &token,
            &input,
            Load {
                messages,
                batch,
                concurrency,
                reads,
                copy: preload,
                rate,
            },
            preload_report,
        ));
    // CPU per thread before the server stops (the pipeline's share of each stage).
    let threads = thread_cpu(child.id());
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let _ = child.wait();
    let mut report = result?;
    report["server_cpu_seconds_by_thread"] = threads;
    report["load_average_before"] = load_before.into();
    report["load_average_after"] = load_average().into();
    let stats = Command::new(&bin)
        .arg("--data-dir")
        .arg(&data)
        .args(["stats", "--json"])
        .output()?;
    if let Ok(stats) = serde_json::from_slice::<serde_json::Value>(&stats.stdout) {
        report["store_after"] = serde_json::json!({
            "messages": stats["messages"],
            "conversations": stats["conversations"]["total"],
        });
    }
    println!("{}", serde_json::to_string_pretty(&report)?);
    Ok(())
}

fn read_batches(
    input: &Path,
    messages: usize,
    batch: usize,
    copy: usize,
) -> anyhow::Result<(Vec<String>, usize)> {
    let file = std::fs::File::open(input)?;
    let mut sent = 0;
    let mut out = Vec::new();
    let mut current = Vec::with_capacity(batch);
    for line in BufReader::new(file).lines().take(messages) {
        let line = line?;
        current.push(if copy == 0 {
            line
        } else {
            recopy(&line, copy)?
        });
        sent += 1;
        if current.len() == batch {
            out.push(format!("[{}]", current.join(",")));
            current.clear();
        }
    }
    if !current.is_empty() {
        out.push(format!("[{}]", current.join(",")));
    }
    Ok((out, sent))
}

struct Load {
    messages: usize,
    batch: usize,
    concurrency: usize,
    reads: usize,
    /// The copy of the input to send (see [`recopy`]).
    copy: usize,
    /// Messages a second at most (0: no pacing).
    rate: usize,
}

/// CPU seconds (user + system) of each thread of process `pid` by thread name, from
/// `/proc/PID/task/*/stat`; threads of one name (tokio's workers) are summed. `total` is the
/// whole process's, `ended threads` what threads that are gone used (short-lived workers).
fn thread_cpu(pid: u32) -> serde_json::Value {
    let ticks = 100.0; // USER_HZ, 100 on Linux
    let process = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let process_fields: Vec<&str> = process
        .rsplit_once(')')
        .map_or(Vec::new(), |(_, rest)| rest.split_whitespace().collect());
    let field = |f: &[&str], i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    let total = (field(&process_fields, 11) + field(&process_fields, 12)) / ticks;
    let mut by_name = std::collections::BTreeMap::<String, f64>::new();
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return serde_json::Value::Null;
    };
    for task in tasks.flatten() {
        let Ok(stat) = std::fs::read_to_string(task.path().join("stat")) else {
            continue;
        };
        // "tid (comm) state ...": the name may hold spaces, so split at the last ')'.
        let Some((head, rest)) = stat.rsplit_once(')') else {
            continue;
        };
        let name = head.split_once('(').map_or("", |(_, n)| n).to_owned();
        let fields: Vec<&str> = rest.split_whitespace().collect();
        // fields[0] is the state (stat field 3); utime and stime are fields 14 and 15
        *by_name.entry(name).or_default() += (field(&fields, 11) + field(&fields, 12)) / ticks;
    }
    let live: f64 = by_name.values().sum();
    by_name.insert("ended threads".into(), (total - live).max(0.0));
    by_name.insert("total".into(), total);
    let mut rows: Vec<_> = by_name.into_iter().filter(|(_, s)| *s >= 0.05).collect();
    rows.sort_by(|a, b| b.1.total_cmp(&a.1));
    serde_json::Value::Object(
        rows.into_iter()
            .map(|(n, s)| (n, ((s * 10.0).round() / 10.0).into()))
            .collect(),
    )
}

/// The pipeline's position from `/healthz`: (ingested, the lowest of analysed, indexed and
/// through the stages).
async fn pipeline_position(client: &reqwest::Client, base: &str) -> anyhow::Result<(i64, i64)> {
    let h: serde_json::Value = client
        .get(format!("{base}/healthz"))
        .send()
        .await?
        .json()
        .await?;
    let p = &h["pipeline"];
    let at = |k: &str| p[k].as_i64().unwrap_or_default();
    let done = at("analysed_upto")
        .min(at("indexed_upto"))
        .min(at("reacted_upto"));
    Ok((at("ingested_upto"), done))
}

/// Polls `/healthz` until the pipeline analysed, indexed and passed through the stages
/// everything ingested: the time it took and the highest message id, or `None` after `limit`.
async fn caught_up(
    client: &reqwest::Client,
    base: &str,
    limit: Duration,
) -> anyhow::Result<Option<(f64, i64)>> {
    let started = Instant::now();
    while started.elapsed() < limit {
        let (ingested, done) = pipeline_position(client, base).await?;
        if done >= ingested {
            return Ok(Some((started.elapsed().as_secs_f64(), ingested)));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Ok(None)
}

/// Mean requests per group commit so far, from `/metrics`.
async fn mean_group(client: &reqwest::Client, base: &str, token: &str) -> Option<f64> {
    let text = client
        .get(format!("{base}/metrics"))
        .bearer_auth(token)
        .send()
        .await
        .ok()?
        .text()
        .await
        .ok()?;
    let value = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(name)?.trim().parse::<f64>().ok())
    };
    let (sum, count) = (
        value("ingest_group_requests_sum")?,
        value("ingest_group_requests_count")?,
    );
    (count > 0.0).then(|| (sum / count * 100.0).round() / 100.0)
}

async fn load(
    base: &str,
    token: &str,
    input: &Path,
    Load {
        messages,
        batch,
        concurrency,
        reads,
        copy,
        rate,
    }: Load,
    mut preload: serde_json::Value,
) -> anyhow::Result<serde_json::Value> {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency)
        .build()?;
    if !preload.is_null() {
        let (secs, upto) = caught_up(&client, base, Duration::from_secs(3600))
            .await?
            .context("the pipeline did not catch up with the preload")?;
        preload["pipeline_caught_up_after_s"] = ((secs * 10.0).round() / 10.0).into();
        preload["messages"] = upto.into();
    }
    let (bodies, sent) = read_batches(input, messages, batch, copy)?;
    let bodies = std::sync::Arc::new(bodies);
    let next = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let started = Instant::now();
    // The backlog (ingested but not through the whole pipeline) sampled every 250 ms while
    // the load runs.
    let sending = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let sampler = {
        let (client, base, sending) = (client.clone(), base.to_owned(), sending.clone());
        tokio::spawn(async move {
            let mut samples = Vec::new();
            while sending.load(std::sync::atomic::Ordering::Acquire) {
                if let Ok((ingested, done)) = pipeline_position(&client, &base).await {
                    samples.push((started.elapsed().as_secs_f64(), (ingested - done).max(0)));
                }
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
            samples
        })
    };
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (client, bodies, next, base, token) = (
            client.clone(),
            bodies.clone(),
            next.clone(),
            base.to_owned(),
            token.to_owned(),
        );
        tasks.push(tokio::spawn(async move {
            let mut ms = Vec::new();
            loop {
                let k = next.fetch_add(1, std::sync::atomic::Ordering::AcqRel);
                let Some(body) = bodies.get(k).cloned() else {
                    break;
                };
                if rate > 0 {
                    let due = started + Duration::from_secs_f64((k * batch) as f64 / rate as f64);
                    tokio::time::sleep_until(due.into()).await;
                }
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
    let group = mean_group(&client, base, token).await;
    let backlog_at_end = pipeline_position(&client, base)
        .await
        .map(|(ingested, done)| (ingested - done).max(0))
        .ok();
    // Wait for the pipeline: analysed, indexed and through the stages up to the last message.
    let caught = caught_up(&client, base, Duration::from_secs(600)).await?;
    sending.store(false, std::sync::atomic::Ordering::Release);
    let samples = sampler.await?;
    let stored = caught.map(|(_, upto)| upto);
    let caught_up = caught.map(|_| started.elapsed().as_secs_f64());
    let max_backlog = samples.iter().map(|s| s.1).max().unwrap_or(0);
    // The backlog every 5 s of the run, to see whether it grows or stays flat.
    let backlog_every_5s: Vec<i64> = samples
        .chunk_by(|a, b| (a.0 / 5.0) as u64 == (b.0 / 5.0) as u64)
        .map(|w| w.iter().map(|s| s.1).max().unwrap_or(0))
        .collect();
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
        "preload": preload,
        "highest_message_id_at_reads": stored,
        "ingest_mean_requests_per_commit": group,
        "messages_sent": sent,
        "batch": batch,
        "concurrency": concurrency,
        "ingest_seconds": (ingest_secs * 100.0).round() / 100.0,
        "ingest_msg_per_s": (sent as f64 / ingest_secs).round(),
        "ingest_request_latency": summary(ingest_ms),
        "rate_limit_msg_per_s": rate,
        "backlog_max": max_backlog,
        "backlog_max_every_5s": backlog_every_5s,
        "backlog_when_ingest_ended": backlog_at_end,
        "pipeline_caught_up_after_s": caught_up.map(|s| (s * 100.0).round() / 100.0),
        "pipeline_lag_after_ingest_s": caught_up.map(|s| ((s - ingest_secs) * 100.0).round() / 100.0),
        "pipeline_msg_per_s": caught_up.map(|s| (sent as f64 / s).round()),
        "reads_sequential": out,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// This test process: its named threads appear, a busy one with its CPU, and the total
    /// is at least what the threads alive used.
    #[test]
    fn thread_cpu_reads_this_process_by_thread_name() {
        let busy = std::thread::Builder::new()
            .name("kv test (busy)".into())
            .spawn(|| {
                let started = Instant::now();
                let mut x = 0u64;
                while started.elapsed() < Duration::from_millis(300) {
                    x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(1));
                }
                let cpu = thread_cpu(std::process::id());
                (x, cpu)
            })
            .unwrap();
        let (_, cpu) = busy.join().unwrap();
        let threads = cpu.as_object().expect("an object");
        // the kernel keeps 15 characters of a thread name, parentheses and spaces included
        let mine = threads["kv test (busy)"].as_f64().unwrap();
        assert!(mine >= 0.1, "{cpu}");
        assert!(threads["total"].as_f64().unwrap() >= mine, "{cpu}");
    }
}
