//! `kundenversteher token`.

use std::process::ExitCode;

use crate::config::Settings;

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// List them.
    List,
}

pub fn run(_cmd: Command, _settings: &Settings) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`token` is not built yet")
}
