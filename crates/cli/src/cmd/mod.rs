//! The subcommands. Adding one: a new file here with `Args` and `run`, plus one variant in
//! [`Command`] and one arm in [`run`]; the compiler shows every other place.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args as ClapArgs, Parser, Subcommand};

use crate::config::{DATA_DIR_ENV, Settings};

mod cases;
mod classify;
mod demo;
mod eval;
mod eval_suggest;
mod export;
mod import;
mod report;
mod serve;
mod stats;
mod token;
mod train;
mod user;
mod watch;

/// Kundenversteher: understands what customers say in public, groups their complaints,
/// warns early of shitstorms, routes each concern to the right specialist.
///
/// Kundenversteher versteht, was Kunden öffentlich sagen, bündelt ihre Beschwerden, warnt
/// früh vor Shitstorms und leitet jedes Anliegen an die richtige Fachkraft.
#[derive(Debug, Parser)]
#[command(name = "kundenversteher", version, about, long_about)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, ClapArgs)]
pub struct Global {
    /// Data folder of the embedded store.
    #[arg(long, global = true, env = DATA_DIR_ENV, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// TOML config file (default: ./kundenversteher.toml when present).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// More log output (-v info, -vv debug); KUNDENVERSTEHER_LOG overrides.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Write the bundled demo data set, import and analyse it, show cases and alarms.
    Demo(demo::Args),
    /// Import messages from files into the store.
    Import(import::Args),
    /// Export the store losslessly as JSONL.
    Export(export::Args),
    /// Print counts: messages by channel and direction, conversations, contacts, dates.
    Stats(stats::Args),
    /// Train a classifier from labelled data.
    Train(train::Args),
    /// Evaluate a classifier on labelled data and print scores as JSON.
    Eval(eval::Args),
    /// Analyse messages from stdin; one JSON object per message on stdout.
    Classify(classify::Args),
    /// Replay messages in time order through the early-warning detector; alerts as JSON lines.
    Watch(watch::Args),
    /// Group messages into cases ("not an isolated case") and print them.
    Cases(cases::Args),
    /// Compute the figures and write a report (HTML, JSON or CSV).
    Report(report::Args),
    /// Run the web interface, the API and the live pipeline.
    Serve(serve::Args),
    /// Manage user accounts.
    #[command(subcommand)]
    User(user::Command),
    /// Manage API tokens.
    #[command(subcommand)]
    Token(token::Command),
}

pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let settings = Settings::resolve(cli.global.data_dir, cli.global.config.as_deref())?;
    match cli.command {
        Command::Demo(args) => demo::run(args, &settings),
        Command::Import(args) => import::run(args, &settings),
        Command::Export(args) => export::run(args, &settings),
        Command::Stats(args) => stats::run(args, &settings),
        Command::Train(args) => train::run(args, &settings),
        Command::Eval(args) => eval::run(args, &settings),
        Command::Classify(args) => classify::run(args, &settings),
        Command::Watch(args) => watch::run(args, &settings),
        Command::Cases(args) => cases::run(args, &settings),
        Command::Report(args) => report::run(args, &settings),
        Command::Serve(args) => serve::run(args, &settings),
        Command::User(cmd) => user::run(cmd, &settings),
        Command::Token(cmd) => token::run(cmd, &settings),
    }
}
