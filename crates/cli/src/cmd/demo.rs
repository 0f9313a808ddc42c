//! `kundenversteher demo`: the main job on the embedded store, with data the project writes
//! itself. Writes the demo data set as JSONL into the data folder, imports it (idempotent: a
//! second run adds nothing), analyses every message, groups complaints into cases, replays the
//! stream through the early-warning detector, and prints what it found.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use analysis::Analyzer;
use analysis::burst::{MonitorConfig, Watcher};
use analysis::cases::CaseConfig;
use anyhow::Context;
use model::{AlertEvent, Direction};
use store::Store;

use crate::config::Settings;
use crate::demo;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Also write the alerts as JSON lines to this file.
    #[arg(long, value_name = "FILE")]
    pub alerts: Option<PathBuf>,
}

pub fn run(args: Args, settings: &Settings) -> anyhow::Result<ExitCode> {
    let messages = demo::messages();
    let dir = settings.data_dir.join("demo");
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let path = dir.join("demo.jsonl");
    let mut out = std::io::BufWriter::new(
        std::fs::File::create(&path).with_context(|| format!("creating {}", path.display()))?,
    );
    for m in &messages {
        serde_json::to_writer(&mut out, m)?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    println!(
        "Demo-Daten / demo data: {} messages -> {}",
        messages.len(),
        path.display()
    );

    let mut store = Store::open(&settings.data_dir)
        .with_context(|| format!("opening the store in {}", settings.data_dir.display()))?;
    let counts = store.insert_messages(&messages)?;
    println!(
        "imported {}, duplicates {}",
        counts.inserted, counts.duplicates
    );

    let analyzer = Analyzer::new();
    let mut watcher = Watcher::new(CaseConfig::default(), MonitorConfig::default());
    let mut alerts = Vec::new();
    let (mut negative, mut churn, mut toxic, mut claims) = (0, 0, 0, 0);
    for m in &messages {
        let analysis = analyzer.analyze(&m.text);
        if m.direction == Direction::Inbound {
            negative += usize::from(analysis.is_negative());
            churn += usize::from(analysis.churn >= 0.5);
            toxic += usize::from(analysis.toxicity >= 0.5);
            claims += usize::from(analysis.fact_claim >= 0.5);
        }
        watcher.observe(m, Some(&analysis), &mut alerts);
    }
    alerts.extend(watcher.finish());

    let stats = store.stats()?;
    println!(
        "\nStore {}: {} messages, {} conversations ({} open), {} contacts",
        settings.data_dir.display(),
        stats.messages,
        stats.conversations.total,
        stats.conversations.open,
        stats.contacts
    );
    let inbound = messages
        .iter()
        .filter(|m| m.direction == Direction::Inbound)
        .count();
    println!(
        "Analyse / analysis of {inbound} customer messages: {negative} negative, {churn} churn intent \
         (\"nie wieder\", \"ich kündige\"), {toxic} insulting, {claims} fact claims"
    );

    let mut cases: Vec<_> = watcher
        .casebook
        .cases()
        .filter(|c| c.customers >= 3)
        .collect();
    cases.sort_by(|a, b| {
        b.customers
            .cmp(&a.customers)
            .then(a.case_id.cmp(&b.case_id))
    });
    println!("\nKein Einzelfall / not an isolated case:");
    for case in cases.iter().take(5) {
        println!(
            "  {:>4} customers, {:>4} messages  [{}]  {} .. {}",
            case.customers,
            case.size,
            case.label,
            case.first_seen.format("%Y-%m-%d %H:%M"),
            case.last_seen.format("%H:%M")
        );
    }

    println!("\nFrühwarnung / early warning:");
    let opened: Vec<_> = alerts
        .iter()
        .filter(|a| a.event == AlertEvent::Opened)
        .collect();
    if opened.is_empty() {
        println!("  no alert");
    }
    for a in &opened {
        println!(
            "  {:?} alert {} ({:?} {}): detected {} after onset {}, {} customers so far",
            a.severity,
            a.alert_id,
            a.scope,
            a.label.as_deref().unwrap_or(&a.key),
            a.detected_at.format("%Y-%m-%d %H:%M"),
            a.started_at.format("%H:%M"),
            a.customers
        );
    }
    if let Some(path) = args.alerts {
        let mut out = std::io::BufWriter::new(
            std::fs::File::create(&path).with_context(|| format!("creating {}", path.display()))?,
        );
        for a in &alerts {
            serde_json::to_writer(&mut out, a)?;
            out.write_all(b"\n")?;
        }
        out.flush()?;
    }
    println!("\nNext / weiter: kundenversteher serve   (web interface and API)");
    Ok(ExitCode::SUCCESS)
}
