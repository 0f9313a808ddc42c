//! `kundenversteher eval`: scores a model (or fresh models per fold with `--cv K`) on labelled
//! data and prints one JSON object: task, n, micro_f1, macro_f1, per_class, confusion.

use std::path::PathBuf;
use std::process::ExitCode;

use analysis::evaluation;
use analysis::linear::LinearModel;
use analysis::task::Task;
use anyhow::Context;

use super::train::{Hyper, load_also, load_examples, main_lang, parse_task};
use crate::config::Settings;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// A classifier task, or `suggest` (suggested answers: see eval_suggest.rs).
    #[arg(long)]
    pub task: String,
    /// `--task suggest`: the file indexed as solved conversations.
    #[arg(long, value_name = "FILE")]
    pub train: Option<PathBuf>,
    /// Format of FILE (see `train --help`).
    #[arg(long)]
    pub format: String,
    /// Labelled files.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Model file; without it the bundled default model for the task and language.
    #[arg(long)]
    pub model: Option<PathBuf>,
    /// K-fold cross-validation (stratified, seeded): trains a fresh model per fold.
    #[arg(long, value_name = "K")]
    pub cv: Option<u32>,
    /// Train-only data added to every fold: `FORMAT=FILE` (repeatable; with --cv).
    #[arg(long = "also", value_name = "FORMAT=FILE")]
    pub also: Vec<String>,
    /// Print JSON (the only output form; kept for explicitness).
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub hyper: Hyper,
}

pub fn run(args: Args, _settings: &Settings) -> anyhow::Result<ExitCode> {
    if args.task == "suggest" {
        let train = args
            .train
            .as_deref()
            .context("--task suggest needs --train FILE")?;
        return super::eval_suggest::run(&args.format, train, &args.files);
    }
    let task: Task = parse_task(&args.task).map_err(anyhow::Error::msg)?;
    let examples = load_examples(task, &args.format, &args.files)?;
    anyhow::ensure!(!examples.is_empty(), "no labelled examples");
    let report = if let Some(k) = args.cv {
        anyhow::ensure!(k >= 2, "--cv needs K >= 2");
        anyhow::ensure!(
            args.model.is_none(),
            "--cv trains its own models; drop --model"
        );
        let extra = load_also(task, &args.also)?;
        let cfg = args.hyper.config(task, main_lang(&examples))?;
        evaluation::cross_validate(task.name(), &examples, &extra, k, &cfg)
    } else {
        anyhow::ensure!(args.also.is_empty(), "--also only works with --cv");
        let model = match &args.model {
            Some(p) => {
                let bytes = std::fs::read(p).with_context(|| format!("reading {}", p.display()))?;
                LinearModel::from_bytes(&bytes)
                    .with_context(|| format!("loading {}", p.display()))?
            }
            None => analysis::bundled::model(task, main_lang(&examples), Some(&args.format))
                .with_context(|| {
                    format!("no bundled model for task {}; pass --model", task.name())
                })?,
        };
        evaluation::evaluate(task.name(), &model, &examples)
    };
    println!("{}", serde_json::to_string(&report)?);
    Ok(ExitCode::SUCCESS)
}
