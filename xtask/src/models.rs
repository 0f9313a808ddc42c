//! `cargo xtask train-models`: trains the bundled default models from `../shared/data` into
//! `crates/analysis/models/` with fixed seeds (same data -> same bytes), and prints each model's
//! size and cross-validated scores for the model cards. `cargo xtask compare-sklearn` runs the
//! scikit-learn peer (xtask/py/compare.py) on the same folds.

use std::path::{Path, PathBuf};

use analysis::linear::{self, Example};
use analysis::task::Task;
use analysis::text::Lang;
use anyhow::Context;

/// One input of a recipe: format, path below the data folder, weight in the loss.
struct Input(&'static str, &'static str, f32);

/// One bundled model.
struct Recipe {
    file: &'static str,
    task: Task,
    lang: Lang,
    inputs: &'static [Input],
}

const G17: &[Input] = &[
    Input("germeval2017", "germeval2017/dev_v1.4.tsv", 1.0),
    Input("germeval2017", "germeval2017/trial.tsv", 1.0),
];
const G21: &[Input] = &[Input(
    "germeval2021",
    "germeval2021/GermEval21_TrainData.csv",
    1.0,
)];

/// The default models. Licences of the data are in each model card.
const RECIPES: &[Recipe] = &[
    Recipe {
        file: "de-relevance",
        task: Task::Relevance,
        lang: Lang::De,
        inputs: G17,
    },
    Recipe {
        file: "de-sentiment",
        task: Task::Sentiment,
        lang: Lang::De,
        inputs: G17,
    },
    Recipe {
        file: "de-topic",
        task: Task::Topic,
        lang: Lang::De,
        inputs: G17,
    },
    Recipe {
        file: "de-toxicity",
        task: Task::Toxicity,
        lang: Lang::De,
        inputs: &[
            Input("germeval2021", "germeval2021/GermEval21_TrainData.csv", 1.0),
            Input(
                "germeval2018",
                "germeval2018/germeval2018.training.txt",
                0.5,
            ),
        ],
    },
    Recipe {
        file: "de-fact-claim",
        task: Task::FactClaim,
        lang: Lang::De,
        inputs: G21,
    },
    Recipe {
        file: "de-engaging",
        task: Task::Engaging,
        lang: Lang::De,
        inputs: G21,
    },
    Recipe {
        file: "de-offense",
        task: Task::Offense,
        lang: Lang::De,
        inputs: &[Input(
            "germeval2018",
            "germeval2018/germeval2018.training.txt",
            1.0,
        )],
    },
    Recipe {
        file: "en-sentiment",
        task: Task::Sentiment,
        lang: Lang::En,
        inputs: &[Input(
            "airline",
            "twitter_us_airline_sentiment/Tweets.csv",
            1.0,
        )],
    },
    Recipe {
        file: "en-topic-airline",
        task: Task::Topic,
        lang: Lang::En,
        inputs: &[Input(
            "airline",
            "twitter_us_airline_sentiment/Tweets.csv",
            1.0,
        )],
    },
    Recipe {
        file: "en-topic-banking77",
        task: Task::Topic,
        lang: Lang::En,
        inputs: &[Input("banking77", "banking77/train.csv", 1.0)],
    },
];

pub fn data_dir() -> PathBuf {
    std::env::var_os("KV_SHARED_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| crate::tidy::root().join("../shared/data"))
}

fn load(task: Task, lang: Lang, inputs: &[Input], data: &Path) -> anyhow::Result<Vec<Example>> {
    let mut out = Vec::new();
    for Input(format, rel, weight) in inputs {
        let path = data.join(rel);
        let (mut msgs, _rejected) = ingest::corpus::read_named(format, &path)
            .with_context(|| format!("reading {}", path.display()))?;
        for m in &mut msgs {
            m.language = Some(lang.as_str().to_owned());
        }
        out.extend(task.examples(&msgs).into_iter().map(|mut e| {
            e.weight = *weight;
            e
        }));
    }
    Ok(out)
}

/// Trains every recipe (or those whose file name contains `only`).
pub fn train_models(args: &[String]) -> anyhow::Result<()> {
    let data = data_dir();
    let out_dir = crate::tidy::root().join("crates/analysis/models");
    std::fs::create_dir_all(&out_dir)?;
    let only = args.first();
    for r in RECIPES
        .iter()
        .filter(|r| only.is_none_or(|o| r.file.contains(o.as_str())))
    {
        let start = std::time::Instant::now();
        let examples = load(r.task, r.lang, r.inputs, &data)?;
        let cfg = r.task.train_config(r.lang);
        let mut model = linear::train(r.task.name(), &examples, &cfg);
        model.meta.data = r
            .inputs
            .iter()
            .map(|Input(f, p, w)| format!("{f}:{p} (weight {w})"))
            .collect::<Vec<_>>()
            .join(" + ");
        let bytes = model.to_bytes();
        let path = out_dir.join(format!("{}.kvm", r.file));
        std::fs::write(&path, &bytes).with_context(|| format!("writing {}", path.display()))?;
        println!(
            "{:<22} {:>6} examples {:>3} classes {:>9} weights {:>10} bytes  {:.1}s",
            r.file,
            examples.len(),
            model.classes().len(),
            model.nonzeros(),
            bytes.len(),
            start.elapsed().as_secs_f32()
        );
    }
    Ok(())
}

/// `cargo xtask compare-sklearn`: creates a venv under target/, installs scikit-learn from
/// PyPI, runs xtask/py/compare.py with the given arguments.
pub fn compare_sklearn(args: &[String]) -> anyhow::Result<()> {
    let root = crate::tidy::root();
    let venv = root.join("target/py-venv");
    let python = venv.join("bin/python");
    if !python.exists() {
        run(std::process::Command::new("python3")
            .args(["-m", "venv"])
            .arg(&venv))?;
    }
    let ok = std::process::Command::new(&python)
        .args(["-c", "import sklearn"])
        .status()?
        .success();
    if !ok {
        run(std::process::Command::new(&python).args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "scikit-learn==1.7.2",
        ]))?;
    }
    run(std::process::Command::new(&python)
        .arg(root.join("xtask/py/compare.py"))
        .arg("--data")
        .arg(data_dir())
        .args(args))
}

fn run(cmd: &mut std::process::Command) -> anyhow::Result<()> {
    let status = cmd.status().with_context(|| format!("running {cmd:?}"))?;
    anyhow::ensure!(status.success(), "{cmd:?} failed: {status}");
    Ok(())
}
