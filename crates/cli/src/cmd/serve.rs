//! `kundenversteher serve`: the HTTP API, the web interface and the live pipeline in one
//! process. Stops gracefully on SIGTERM or Ctrl-C: in-flight requests finish, the pipeline
//! commits the search index; anything acknowledged is already committed in SQLite.

use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;

use crate::config::Settings;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Address to listen on (default: [server] bind in the config, else 127.0.0.1:8080).
    #[arg(long, value_name = "ADDR")]
    pub bind: Option<String>,
    /// Mark session cookies `Secure` (set when a TLS proxy is in front).
    #[arg(long, env = "KUNDENVERSTEHER_SECURE_COOKIES")]
    pub secure_cookies: bool,
    /// Shared secret for signed webhook intake (/api/v1/webhooks/*); off when unset.
    #[arg(long, env = "KUNDENVERSTEHER_WEBHOOK_SECRET", hide_env_values = true)]
    pub webhook_secret: Option<String>,
    /// Largest accepted request body in MiB.
    #[arg(long, default_value_t = 16)]
    pub max_body_mib: usize,
}

pub fn run(args: Args, settings: &Settings) -> anyhow::Result<ExitCode> {
    let bind = args
        .bind
        .or_else(|| settings.file.server.bind.clone())
        .unwrap_or_else(|| "127.0.0.1:8080".to_owned());
    let config = web::ServerConfig {
        secure_cookies: args.secure_cookies,
        webhook_secret: args.webhook_secret,
        max_body_bytes: args.max_body_mib * 1024 * 1024,
        ..Default::default()
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(async move {
        let state = web::server::start(&settings.data_dir, config)
            .with_context(|| format!("opening {}", settings.data_dir.display()))?;
        let listener = tokio::net::TcpListener::bind(&bind)
            .await
            .with_context(|| format!("binding {bind}"))?;
        let addr = listener.local_addr()?;
        // Tests and scripts read this line to find the port when binding port 0.
        eprintln!("listening on http://{addr}");
        tracing::info!(message = "listening", %addr, data_dir = %settings.data_dir.display());
        let app = web::app(state.clone());
        web::serve(listener, app, shutdown_signal(), Duration::from_secs(20))
            .await
            .context("serving HTTP")?;
        tracing::info!("HTTP stopped; draining the pipeline");
        let engine = state.engine().clone();
        tokio::task::spawn_blocking(move || engine.shutdown()).await?;
        eprintln!("stopped");
        Ok::<_, anyhow::Error>(())
    })?;
    Ok(ExitCode::SUCCESS)
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}
