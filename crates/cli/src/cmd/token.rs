//! `kundenversteher token`: API tokens for programs. The secret is printed once; the store
//! keeps only its SHA-256. Send it as `Authorization: Bearer TOKEN`.

use std::process::ExitCode;

use anyhow::Context;

use crate::config::Settings;

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Create a token and print it (once).
    Create {
        name: String,
        /// Comma-separated: ingest, read, act, admin.
        #[arg(long)]
        scopes: String,
    },
    /// List tokens (never their secrets).
    List,
    /// Revoke a token by name.
    Revoke { name: String },
}

pub fn run(cmd: Command, settings: &Settings) -> anyhow::Result<ExitCode> {
    let store = store::Store::open(&settings.data_dir)
        .with_context(|| format!("opening {}", settings.data_dir.display()))?;
    match cmd {
        Command::Create { name, scopes } => {
            web::api::accounts::check_user_name(&name).map_err(|e| anyhow::anyhow!("{e}"))?;
            let scopes =
                web::Scope::parse_list(&scopes).map_err(|e| anyhow::anyhow!("--scopes: {e}"))?;
            if store.list_tokens()?.iter().any(|t| t.name == name) {
                anyhow::bail!("a token named `{name}` exists (revoke it or pick another name)");
            }
            let scopes = scopes
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(",");
            let secret = web::auth::new_api_token();
            store.create_token(&name, &web::auth::secret_hash(&secret), &scopes)?;
            store.audit(
                "cli",
                "token.create",
                &format!("token:{name}"),
                &serde_json::json!({"scopes": scopes}),
            )?;
            eprintln!("token `{name}` ({scopes}); shown once, store it now:");
            println!("{secret}");
        }
        Command::List => {
            for t in store.list_tokens()? {
                let used = t
                    .last_used_at
                    .map(|t| t.to_rfc3339())
                    .unwrap_or_else(|| "never".into());
                println!(
                    "{}\t{}\t{}\tlast used {used}",
                    t.name,
                    t.scopes,
                    if t.revoked { "revoked" } else { "active" }
                );
            }
        }
        Command::Revoke { name } => {
            let t = store
                .list_tokens()?
                .into_iter()
                .find(|t| t.name == name)
                .with_context(|| format!("no token named `{name}`"))?;
            store.revoke_token(t.id)?;
            store.audit(
                "cli",
                "token.revoke",
                &format!("token:{name}"),
                &serde_json::json!({}),
            )?;
            println!("{name} revoked");
        }
    }
    Ok(ExitCode::SUCCESS)
}
