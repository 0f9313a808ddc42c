//! `kundenversteher`: one binary, many subcommands. Parses arguments and configuration,
//! sets up logging, and hands over to one module per subcommand in `cmd/`.

mod cmd;
mod config;
mod demo;

use clap::Parser;

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
