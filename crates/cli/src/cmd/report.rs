//! `kundenversteher report`: computes every figure (docs/METRICS.md) from the store, or straight
//! from files with `--input FORMAT FILE`, and writes HTML, JSON or the facts CSV.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use chrono::NaiveDate;
use report::render::{Format, Lang};
use report::{
    Annotated, BrandIndex, BusinessHours, FactsBuilder, FactsOptions, GroupBy, Period, PhraseList,
    ReportOptions, StaffDirectory,
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
}

pub fn run(args: Args, settings: &Settings) -> anyhow::Result<ExitCode> {
    let started = std::time::Instant::now();
    let mut facts_opts = FactsOptions {
        hours: BusinessHours::parse(&args.business_hours)?,
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
    let report = report::compute(&facts, &evidence, &facts_opts, &opts);

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

/// Streams the store one conversation at a time into facts (memory: the facts, not the texts).
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
    let mut brands = BrandIndex::default();
    for b in store.report_brands()? {
        brands.insert(&b);
    }
    let mut builder = FactsBuilder::new(facts_opts, brands);
    // Sized once: growing a vector of millions of facts by doubling would briefly hold two.
    let mut facts = Vec::with_capacity(store.report_conversation_count()? as usize);
    let mut buf: Vec<Annotated> = Vec::new();
    store.for_each_report_conversation(|conv| {
        buf.clear();
        buf.extend(
            conv.messages
                .drain(..)
                .map(|(message, analysis)| Annotated { message, analysis }),
        );
        facts.extend(builder.conversation(&conv.key, &mut buf));
    })?;
    Ok((facts, builder.evidence))
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
    let (mut built, evidence) = report::build_facts(messages, facts_opts);
    facts.append(&mut built);
    Ok((facts, evidence))
}
