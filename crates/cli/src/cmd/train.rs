//! `kundenversteher train`: trains a classifier for one task from labelled files and writes
//! the model file. Same data and seed give the same model bytes.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use analysis::linear::{self, ClassWeight, Example, TrainConfig};
use analysis::task::Task;
use anyhow::Context;
use model::Message;

use crate::config::Settings;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// relevance, sentiment, topic, toxicity, fact-claim, engaging, offense.
    #[arg(long, value_parser = parse_task)]
    pub task: Task,
    /// Format of FILE...: germeval2017, airline, jsonl (ours, with labels), germeval2018,
    /// germeval2021, banking77, sb10k, potts, mozetic, marc.
    #[arg(long)]
    pub format: String,
    /// Labelled input files (PotTS: a folder works too).
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// More training data in another format: `FORMAT=FILE` (repeatable).
    #[arg(long = "also", value_name = "FORMAT=FILE")]
    pub also: Vec<String>,
    /// Where to write the model.
    #[arg(short = 'o', long = "output", value_name = "MODEL")]
    pub output: PathBuf,
    #[command(flatten)]
    pub hyper: Hyper,
    /// With `--embeddings DIR`: writes the accurate tier's head (a linear model over the
    /// sentence embedding, stacked with the probabilities of the sparse model trained by the
    /// same command on the same data) instead of the sparse model.
    #[command(flatten)]
    pub dense: super::eval::DenseArgs,
}

/// Hyperparameters shared by `train` and `eval --cv`; unset ones come from the task's recipe.
#[derive(Debug, Clone, clap::Args)]
pub struct Hyper {
    /// Seed of every shuffle.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// SVM cost C.
    #[arg(long)]
    pub c: Option<f32>,
    /// Hash space 2^bits.
    #[arg(long)]
    pub bits: Option<u8>,
    /// Class weight power: 0 none, 1 balanced.
    #[arg(long)]
    pub balance: Option<f32>,
    /// Character n-gram range, e.g. `2-5`; `0` turns them off.
    #[arg(long)]
    pub chars: Option<String>,
    /// Weight of the character n-gram group.
    #[arg(long)]
    pub char_weight: Option<f32>,
    /// Word bigrams on/off.
    #[arg(long)]
    pub bigrams: Option<bool>,
    /// Negation marking on/off.
    #[arg(long)]
    pub negation: Option<bool>,
    /// Least recall of every class when the decision rule is tuned (internal CV on the
    /// training data only), e.g. 0.5 for GermEval 2017's rare positive class.
    #[arg(long)]
    pub recall_floor: Option<f32>,
}

impl Hyper {
    /// The task's recipe for the language, with the flags given applied on top.
    pub fn config(&self, task: Task, lang: analysis::text::Lang) -> anyhow::Result<TrainConfig> {
        let mut cfg = task.train_config(lang);
        cfg.seed = self.seed;
        if let Some(c) = self.c {
            cfg.c = c;
        }
        if let Some(b) = self.bits {
            anyhow::ensure!((10..=24).contains(&b), "--bits must be 10..=24");
            cfg.features.bits = b;
        }
        if let Some(p) = self.balance {
            cfg.class_weight = if p == 0.0 {
                ClassWeight::None
            } else {
                ClassWeight::Balanced { power: p }
            };
        }
        if let Some(ch) = &self.chars {
            if ch == "0" {
                cfg.features.char_min = 0;
                cfg.features.char_max = 0;
            } else {
                let (a, b) = ch
                    .split_once('-')
                    .context("--chars: expected MIN-MAX such as 2-5, or 0")?;
                cfg.features.char_min = a.parse().context("--chars MIN")?;
                cfg.features.char_max = b.parse().context("--chars MAX")?;
            }
        }
        if let Some(w) = self.char_weight {
            cfg.features.char_weight = w;
        }
        if let Some(b) = self.bigrams {
            cfg.features.bigrams = b;
        }
        if let Some(n) = self.negation {
            cfg.features.negation = n;
        }
        if let Some(r) = self.recall_floor {
            anyhow::ensure!((0.0..1.0).contains(&r), "--recall-floor must be in 0..1");
            cfg.recall_floor = r;
        }
        Ok(cfg)
    }
}

pub fn parse_task(s: &str) -> Result<Task, String> {
    Task::parse(s).ok_or_else(|| {
        let names: Vec<&str> = Task::ALL.iter().map(|t| t.name()).collect();
        format!("unknown task `{s}` (known: {})", names.join(", "))
    })
}

/// Reads labelled messages from `path` in `format` (an `import` format or a corpus format).
/// Rejected records are reported on stderr and skipped.
pub fn load_messages(format: &str, path: &Path) -> anyhow::Result<Vec<Message>> {
    let (messages, rejected) = ingest::corpus::read_named(format, path)?;
    for e in rejected.iter().take(10) {
        eprintln!("skipped: {e}");
    }
    if rejected.len() > 10 {
        eprintln!("skipped {} records in {}", rejected.len(), path.display());
    }
    Ok(messages)
}

/// Examples for `task` from files of one format plus `FORMAT=FILE` extras.
pub fn load_examples(task: Task, format: &str, files: &[PathBuf]) -> anyhow::Result<Vec<Example>> {
    let mut out = Vec::new();
    // Readers that do not know the language: English for the English corpora, else German.
    let default_lang = match format {
        "airline" | "twcs" | "banking77" => "en",
        _ => "de",
    };
    for f in files {
        let mut msgs = load_messages(format, f)?;
        for m in &mut msgs {
            m.language.get_or_insert_with(|| default_lang.to_owned());
        }
        let ex = task.examples(&msgs);
        anyhow::ensure!(
            !ex.is_empty() || msgs.is_empty(),
            "{}: no message has a label for task {}",
            f.display(),
            task.name()
        );
        out.extend(ex);
    }
    Ok(out)
}

pub fn load_also(task: Task, also: &[String]) -> anyhow::Result<Vec<Example>> {
    let mut out = Vec::new();
    for a in also {
        let (format, file) = a
            .split_once('=')
            .with_context(|| format!("--also {a}: expected FORMAT=FILE"))?;
        out.extend(load_examples(task, format, &[PathBuf::from(file)])?);
    }
    Ok(out)
}

/// The language most examples are in (picks the task recipe).
pub fn main_lang(examples: &[Example]) -> analysis::text::Lang {
    let en = examples
        .iter()
        .filter(|e| e.lang == analysis::text::Lang::En)
        .count();
    if en * 2 > examples.len() {
        analysis::text::Lang::En
    } else {
        analysis::text::Lang::De
    }
}

pub fn run(args: Args, settings: &Settings) -> anyhow::Result<ExitCode> {
    let mut examples = load_examples(args.task, &args.format, &args.files)?;
    examples.extend(load_also(args.task, &args.also)?);
    anyhow::ensure!(!examples.is_empty(), "no training examples");
    let lang = main_lang(&examples);
    let cfg = args.hyper.config(args.task, lang)?;
    let mut model = match &args.dense.embeddings {
        Some(dir) => {
            anyhow::ensure!(
                args.also.is_empty(),
                "--also does not work with --embeddings"
            );
            let dense = args.dense.inputs(settings, dir, args.task, &examples)?;
            train_head(args.task, &examples, &dense, &args.dense, &cfg)
        }
        None => linear::train(args.task.name(), &examples, &cfg),
    };
    let mut sources: Vec<String> = args
        .files
        .iter()
        .map(|f| format!("{}:{}", args.format, file_name(f)))
        .collect();
    sources.extend(args.also.iter().map(|a| match a.split_once('=') {
        Some((fmt, f)) => format!("{fmt}:{}", file_name(Path::new(f))),
        None => a.clone(),
    }));
    model.meta.data = sources.join(" + ");
    let bytes = model.to_bytes();
    std::fs::write(&args.output, &bytes)
        .with_context(|| format!("writing {}", args.output.display()))?;
    eprintln!(
        "trained {} on {} examples ({} classes, {} weights): {} ({} bytes)",
        args.task.name(),
        examples.len(),
        model.classes().len(),
        model.nonzeros(),
        args.output.display(),
        bytes.len()
    );
    Ok(ExitCode::SUCCESS)
}

/// The accurate tier's head for `task`: trained on the embeddings plus, when stacked, the
/// out-of-fold probabilities of the sparse model (the bundled model's recipe on this data).
pub fn train_head(
    task: Task,
    examples: &[Example],
    emb: &[Vec<f32>],
    dense: &super::eval::DenseArgs,
    cfg: &TrainConfig,
) -> linear::LinearModel {
    use analysis::dense::{HeadInput, head_config, head_input};
    let recipe = dense.recipe(task);
    let input = recipe.input;
    let classes = linear::class_names(examples);
    let oof = match input {
        HeadInput::Stacked { .. } => {
            let feats = linear::featurize(examples, cfg.features);
            linear::train_features_oof(task.name(), &feats, examples, &classes, cfg).1
        }
        HeadInput::Embedding => Vec::new(),
    };
    let inputs: Vec<_> = emb
        .iter()
        .enumerate()
        .map(|(i, e)| head_input(e, oof.get(i).map(Vec::as_slice)))
        .collect();
    let head_cfg = head_config(cfg, recipe.c);
    analysis::dense::train_head(task.name(), &inputs, examples, &classes, input, &head_cfg)
}

fn file_name(p: &Path) -> String {
    p.file_name().map_or_else(
        || p.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}
