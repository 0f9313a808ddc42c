//! `kundenversteher user`: accounts for people. Passwords are read from stdin (first line)
//! and stored as argon2id hashes.

use std::io::BufRead;
use std::process::ExitCode;

use anyhow::Context;

use crate::config::Settings;

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Create a user (or reset role and password); the password is the first line on stdin.
    Add {
        name: String,
        /// agent, lead, executive or admin.
        #[arg(long)]
        role: String,
    },
    /// List users.
    List,
    /// Disable a user (ends their sessions).
    Disable { name: String },
}

pub fn run(cmd: Command, settings: &Settings) -> anyhow::Result<ExitCode> {
    let store = store::Store::open(&settings.data_dir)
        .with_context(|| format!("opening {}", settings.data_dir.display()))?;
    match cmd {
        Command::Add { name, role } => {
            web::api::accounts::check_user_name(&name).map_err(|e| anyhow::anyhow!("{e}"))?;
            let role = web::Role::parse(&role).with_context(|| {
                format!("--role `{role}`: expected agent, lead, executive or admin")
            })?;
            let mut password = String::new();
            std::io::stdin()
                .lock()
                .read_line(&mut password)
                .context("reading the password from stdin")?;
            let password = password.trim_end_matches(['\n', '\r']);
            if password.chars().count() < web::api::accounts::MIN_PASSWORD_CHARS {
                anyhow::bail!(
                    "password (stdin): at least {} characters",
                    web::api::accounts::MIN_PASSWORD_CHARS
                );
            }
            let hash = web::auth::hash_password(password).map_err(|e| anyhow::anyhow!("{e}"))?;
            let user = store.upsert_user(&name, role.as_str(), &hash)?;
            store.audit(
                "cli",
                "user.upsert",
                &format!("user:{name}"),
                &serde_json::json!({"role": role.as_str()}),
            )?;
            println!("{} ({})", user.name, user.role);
        }
        Command::List => {
            for u in store.list_users()? {
                println!(
                    "{}\t{}\t{}",
                    u.name,
                    u.role,
                    if u.disabled { "disabled" } else { "active" }
                );
            }
        }
        Command::Disable { name } => {
            let user = store
                .user_by_name(&name)?
                .with_context(|| format!("no user named `{name}`"))?;
            store.set_user_disabled(user.id, true)?;
            store.audit(
                "cli",
                "user.disable",
                &format!("user:{name}"),
                &serde_json::json!({}),
            )?;
            println!("{name} disabled");
        }
    }
    Ok(ExitCode::SUCCESS)
}
