//! `kundenversteher report`: computes every figure (docs/METRICS.md) from the store, or straight
//! from files with `--input FORMAT FILE`, and writes HTML, JSON or the facts CSV.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use analysis::cases::{CaseConfig, Casebook};
use anyhow::Context;
use chrono::NaiveDate;
use report::render::{Format, Lang};
use report::{
    Annotated, BusinessHours, FactsOptions, GroupBy, Period, PhraseList, ReportOptions,
    StaffDirectory,
};

use crate::config::Settings;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// First day included (YYYY-MM-DD, UTC; by the conversation's first customer message).
    #[arg(long, value_name = "DATE")]
    pub from: Option<NaiveDate>,
    /// Last day included (YYYY-MM-DD).
    #[arg(long, value_name = "DATE")]
    pub to: Option<NaiveDate>,
    /// Split the figures by brand, channel, team, topic or agent (first responder).
    #[arg(long, default_value = "brand", value_parser = ["brand", "channel", "team", "topic", "agent"])]
    pub by: String,
    /// Period of the time series: day, week or month (default: chosen from the data's span).
    #[arg(long, value_parser = ["day", "week", "month"])]
    pub period: Option<String>,
    /// html, json, or csv (the per-conversation facts every figure is computed from).
    #[arg(long, default_value = "html", value_parser = ["html", "json", "csv"])]
    pub format: String,
    /// Output file; `-` for stdout.
    #[arg(short, long, value_name = "PATH", default_value = "-")]
    pub output: PathBuf,
    /// Language of the HTML labels.
    #[arg(long, default_value = "de", value_parser = ["de", "en"])]
    pub lang: String,
    /// Report straight from files instead of the store: `--input twcs FILE` (repeatable).
    /// Formats: twcs, airline, germeval2017, jsonl, mbox, and `facts` (a CSV written by
    /// `--format csv`, to recompute the figures from the facts alone).
    #[arg(long, num_args = 2, value_names = ["FORMAT", "FILE"], action = clap::ArgAction::Append)]
    pub input: Vec<String>,
    /// Deflection-phrase list (TOML, see crates/report/deflection_phrases.toml).
    #[arg(long, value_name = "FILE")]
    pub phrases: Option<PathBuf>,
    /// Staff directory (TOML `[[staff]] handle/team/role`) for teams and roles.
    #[arg(long, value_name = "FILE")]
    pub staff: Option<PathBuf>,
    /// Business hours for the business-time variants, e.g. `09:00-17:00+01:00` (Mon-Fri).
    #[arg(long, value_name = "SPEC", default_value = "09:00-17:00+00:00")]
    pub business_hours: String,
    /// Time zone of the business hours, an IANA name such as `Europe/Berlin` (summer time
    /// included); replaces the offset of `--business-hours`.
    #[arg(long, value_name = "ZONE")]
    pub time_zone: Option<String>,
    /// Closed days of the business hours, comma-separated: `de` (the German nationwide public
    /// holidays) and dates `YYYY-MM-DD`, e.g. `de,2026-12-24,2026-12-31`.
    #[arg(long, value_name = "LIST", default_value = "none")]
    pub holidays: String,
}

pub fn run(args: Args, settings: &Settings) -> anyhow::Result<ExitCode> {
    let started = std::time::Instant::now();
    let mut hours = BusinessHours::parse(&args.business_hours)?;
    if let Some(zone) = &args.time_zone {
        hours = hours.with_time_zone(zone)?;
    }
    let mut facts_opts = FactsOptions {
        hours: hours.with_holidays(&args.holidays)?,
        ..FactsOptions::default()
    };
    if let Some(path) = &args.phrases {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading phrase list {}", path.display()))?;
        facts_opts.phrases = PhraseList::from_toml(&text, &path.display().to_string())?;
    }
    if let Some(path) = &args.staff {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading staff directory {}", path.display()))?;
        facts_opts.staff = StaffDirectory::from_toml(&text, &path.display().to_string())?;
    }
    let mut opts = ReportOptions {
        from: args.from,
        to: args.to,
        by: GroupBy::parse(&args.by)?,
        period: args.period.as_deref().map(Period::parse).transpose()?,
        ..ReportOptions::default()
    };
    let format = Format::parse(&args.format)?;
    let lang = Lang::parse(&args.lang)?;

    let (facts, evidence) = if args.input.is_empty() {
        opts.source = format!("store {}", settings.data_dir.display());
        facts_from_store(&settings.data_dir, &facts_opts)?
    } else {
        let pairs: Vec<(&str, &str)> = args
            .input
            .chunks(2)
            .map(|c| (c[0].as_str(), c[1].as_str()))
            .collect();
        opts.source = pairs
            .iter()
            .map(|(f, p)| format!("{f} {p}"))
            .collect::<Vec<_>>()
            .join(", ");
        facts_from_files(&pairs, &facts_opts)?
    };
    let read_s = started.elapsed().as_secs_f64();
    let report = report::compute(&facts, &evidence, &facts_opts, &opts);
    tracing::info!(
        conversations = facts.len(),
        read_s,
        compute_s = started.elapsed().as_secs_f64() - read_s,
        "facts read and figures computed"
    );

    let write = |out: &mut dyn Write| -> anyhow::Result<()> {
        report::render::write(format, &report, &facts, lang, out)?;
        Ok(())
    };
    if args.output.as_os_str() == "-" {
        let stdout = std::io::stdout();
        let mut out = BufWriter::new(stdout.lock());
        write(&mut out)?;
        out.flush()?;
    } else {
        let file = File::create(&args.output)
            .with_context(|| format!("creating {}", args.output.display()))?;
        let mut out = BufWriter::new(file);
        write(&mut out)?;
        out.flush()
            .with_context(|| format!("writing {}", args.output.display()))?;
        eprintln!(
            "report: {} conversations ({} customer conversations) -> {} in {:.2} s",
            report.population.conversations,
            report.population.customer_conversations,
            args.output.display(),
            started.elapsed().as_secs_f64()
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Opens the store and streams it into facts.
fn facts_from_store(
    data_dir: &Path,
    facts_opts: &FactsOptions,
) -> anyhow::Result<(Vec<report::ConversationFacts>, report::Evidence)> {
    if !data_dir.join(store::DB_FILE).exists() {
        anyhow::bail!(
            "no store in {} (import data first, or use --input FORMAT FILE)",
            data_dir.display()
        );
    }
    let store = store::Store::open(data_dir)
        .with_context(|| format!("opening the store in {}", data_dir.display()))?;
    Ok(engine::report::facts_from_store(&store, facts_opts)?)
}

/// Reads files with the ingest readers (rejected records are reported on stderr and skipped),
/// or a facts CSV.
fn facts_from_files(
    inputs: &[(&str, &str)],
    facts_opts: &FactsOptions,
) -> anyhow::Result<(Vec<report::ConversationFacts>, report::Evidence)> {
    let mut messages: Vec<Annotated> = Vec::new();
    let mut facts = Vec::new();
    let mut rejected = 0u64;
    for (format, path) in inputs {
        if *format == "facts" {
            let file = File::open(path).with_context(|| format!("opening {path}"))?;
            facts.extend(report::facts_csv::read(file, path)?);
            continue;
        }
        let fmt: ingest::Format = format.parse()?;
        let source = if *path == "-" {
            ingest::Source::stdin()
        } else {
            ingest::Source::open(Path::new(path)).with_context(|| format!("opening {path}"))?
        };
        for item in ingest::read(fmt, source) {
            match item {
                Ok(record) => messages.push(record.message.into()),
                Err(r) => {
                    rejected += 1;
                    if rejected <= 20 {
                        eprintln!("rejected: {r}");
                    }
                }
            }
        }
    }
    if rejected > 20 {
        eprintln!("rejected: {rejected} records in all");
    }
    group_into_cases(&mut messages);
    let (mut built, evidence) = report::build_facts(messages, facts_opts);
    facts.append(&mut built);
    Ok((facts, evidence))
}

/// Groups the customer messages into cases as the live engine does (same code, default
/// parameters, data-time order) and marks each member of a case of two or more messages with
/// the case key `#N label` (docs/METRICS.md, "Case").
fn group_into_cases(messages: &mut [Annotated]) {
    let mut order: Vec<usize> = (0..messages.len())
        .filter(|&i| messages[i].message.direction == model::Direction::Inbound)
        .collect();
    order.sort_by_key(|&i| messages[i].message.created_at);
    let mut book = Casebook::with_archive(CaseConfig::default());
    let assigned: Vec<(usize, usize)> = order
        .into_iter()
        .map(|i| (i, book.add(&messages[i].message, None).case))
        .collect();
    book.relabel();
    for (i, case) in assigned {
        if let Some(c) = book.case(case).filter(|c| c.size >= 2) {
            messages[i].case = Some(format!("#{} {}", case + 1, c.label));
        }
    }
}
