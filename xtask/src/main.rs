//! `cargo xtask <task>`: project automation. Run `cargo xtask help` for the list.

fn main() -> anyhow::Result<()> {
    let task = std::env::args().nth(1).unwrap_or_else(|| "help".into());
    match task.as_str() {
        _ => {
            println!("cargo xtask <task>\n\ntasks:\n  help   this text");
            Ok(())
        }
    }
}
