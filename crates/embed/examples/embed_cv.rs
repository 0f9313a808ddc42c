//! Cross-validation of the sentence-embedding heads on a labelled file, without the full CLI:
//! `cargo run --release -p embed --example embed_cv -- MODEL_DIR CACHE_DIR TASK FORMAT
//! HEAD C WEIGHT RECALL_FLOOR FILE...` (HEAD: embedding, stacked or sparse). Prints the
//! same JSON report as `kundenversteher eval --cv 5`.

use std::path::PathBuf;

use analysis::dense::{self, HeadInput};
use analysis::task::Task;
use analysis::text::Lang;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let a: Vec<String> = std::env::args().skip(1).collect();
    if a.len() < 9 {
        return Err(
            "usage: MODEL_DIR CACHE_DIR TASK FORMAT HEAD C WEIGHT RECALL_FLOOR FILE...".into(),
        );
    }
    let task = Task::parse(&a[2]).ok_or("task")?;
    let format = a[3].as_str();
    let mut examples = Vec::new();
    for f in &a[8..] {
        let (mut msgs, _rejected) = ingest::corpus::read_named(format, &PathBuf::from(f))?;
        for m in &mut msgs {
            m.language.get_or_insert_with(|| "de".to_owned());
        }
        examples.extend(task.examples(&msgs));
    }
    let mut cfg = task.train_config(Lang::De);
    cfg.recall_floor = a[7].parse()?;
    let report = if a[4] == "sparse" {
        analysis::evaluation::cross_validate(task.name(), &examples, &[], 5, &cfg)
    } else {
        let enc = embed::Encoder::load_dir(&PathBuf::from(&a[0]))?;
        let texts: Vec<&str> = examples.iter().map(|e| e.text.as_str()).collect();
        let emb = embed::cached(&enc, &texts, &PathBuf::from(&a[1]))?;
        let input = match a[4].as_str() {
            "embedding" => HeadInput::Embedding,
            _ => HeadInput::Stacked {
                weight: a[6].parse()?,
            },
        };
        let head_cfg = dense::head_config(&cfg, a[5].parse()?);
        dense::cross_validate_head(task.name(), &examples, &emb, input, 5, &cfg, &head_cfg)
    };
    println!("{}", serde_json::to_string(&report)?);
    Ok(())
}
