//! `cargo xtask <task>`: project automation. Run `cargo xtask help` for the list.

mod tidy;

const HELP: &str = "cargo xtask <task>

tasks:
  tidy                 dependency direction, file headers, no stubs (also runs under cargo test)
  help                 this text";

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let task = args.first().map(String::as_str).unwrap_or("help");
    match task {
        "tidy" => tidy::run(),
        _ => {
            println!("{HELP}");
            Ok(())
        }
    }
}
