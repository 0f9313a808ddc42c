//! `kundenversteher user`.

use std::process::ExitCode;

use crate::config::Settings;

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// List them.
    List,
}

pub fn run(_cmd: Command, _settings: &Settings) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`user` is not built yet")
}
