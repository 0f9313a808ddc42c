//! `kundenversteher stats [--json]`: messages by channel and direction, conversations by state,
//! contacts, reply pairs and the date range of the store.

use std::process::ExitCode;

use anyhow::Context;
use store::Store;

use crate::config::Settings;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Opens the store for reading commands; a data folder without a store is an error, not an
/// empty store created on the side.
pub fn open_existing(settings: &Settings) -> anyhow::Result<Store> {
    let db = settings.data_dir.join(store::DB_FILE);
    if !db.exists() {
        anyhow::bail!(
            "no store in {} (run `kundenversteher import` first, or pass --data-dir)",
            settings.data_dir.display()
        );
    }
    Store::open(&settings.data_dir)
        .with_context(|| format!("opening the store in {}", settings.data_dir.display()))
}

pub fn run(args: Args, settings: &Settings) -> anyhow::Result<ExitCode> {
    let store = open_existing(settings)?;
    let stats = store.stats().context("computing stats")?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&stats)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!("messages       {}", stats.messages);
    for c in &stats.by_channel {
        println!(
            "  {:<12} inbound {:>9}  outbound {:>9}",
            c.channel, c.inbound, c.outbound
        );
    }
    let conv = &stats.conversations;
    println!(
        "conversations  {} (open {}, pending {}, resolved {})",
        conv.total, conv.open, conv.pending, conv.resolved
    );
    println!(
        "contacts       {} ({} identities)",
        stats.contacts, stats.identities
    );
    println!(
        "reply pairs    {} (customer message -> first reply)",
        stats.reply_pairs
    );
    match (stats.first_message_at, stats.last_message_at) {
        (Some(a), Some(b)) => println!("dates          {} .. {}", a.to_rfc3339(), b.to_rfc3339()),
        _ => println!("dates          -"),
    }
    Ok(ExitCode::SUCCESS)
}
