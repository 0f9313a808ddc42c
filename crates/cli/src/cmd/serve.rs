//! `kundenversteher serve`.

use std::process::ExitCode;

use crate::config::Settings;

#[derive(Debug, clap::Args)]
pub struct Args {}

pub fn run(_args: Args, _settings: &Settings) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`serve` is not built yet")
}
