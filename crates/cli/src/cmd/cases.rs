//! `kundenversteher cases`.

use std::process::ExitCode;

use crate::config::Settings;

#[derive(Debug, clap::Args)]
pub struct Args {}

pub fn run(_args: Args, _settings: &Settings) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`cases` is not built yet")
}
