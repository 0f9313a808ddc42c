//! `kundenversteher`: one binary, many subcommands. Parses arguments and configuration,
//! sets up logging, and hands over to one module per subcommand in `cmd/`.

mod cmd;
mod config;
mod demo;

use clap::Parser;

/// mimalloc instead of the system allocator: the report and the import allocate and free
/// millions of short strings, often on another thread than the one that allocated them, where
/// glibc's arenas lock and contend (measured in BENCHMARKS.md, Reports).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    let cli = cmd::Cli::parse();
    config::init_tracing(cli.global.verbose);
    match cmd::run(cli) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            std::process::ExitCode::from(2)
        }
    }
}
