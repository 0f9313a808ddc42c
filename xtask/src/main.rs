//! `cargo xtask <task>`: project automation. Run `cargo xtask help` for the list.

mod bench_server;
mod early_warning;
mod import_bench;
mod models;
mod suggest_split;
mod tidy;

const HELP: &str = "cargo xtask <task>

tasks:
  tidy                 dependency direction, file headers, no stubs (also runs under cargo test)
  early-warning nab|bursts|purity|speed-data   burst detection and case evaluations
  train-models [NAME]  train the bundled classifiers from ../shared/data into crates/analysis/models
  compare-sklearn ...  scikit-learn TF-IDF + LinearSVC peer on the same folds (venv in target/)
  suggest-split banking77|twcs [--seed N] [--test-fraction F]   seeded split for eval --task suggest
  gen-import-bench     >= 1 M messages (TWCS + airline rows, new ids) in target/bench-data/ for BENCHMARKS.md
  bench-server [--messages N --batch B --concurrency C --reads R]   load test of `serve` on loopback
  help                 this text";

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let task = args.first().map(String::as_str).unwrap_or("help");
    match task {
        "tidy" => tidy::run(),
        "bench-server" => bench_server::run(&args[1..]),
        "gen-import-bench" => import_bench::run(&args[1..]),
        "early-warning" => early_warning::run(&args[1..]),
        "train-models" => models::train_models(&args[1..]),
        "compare-sklearn" => models::compare_sklearn(&args[1..]),
        "suggest-split" => suggest_split::run(&args[1..]),
        _ => {
            println!("{HELP}");
            Ok(())
        }
    }
}
