//! The `tandem` binary: parses flags, opens the store, serves until Ctrl-C or
//! SIGTERM; or, given a subcommand, backs the store up or restores it.

use anyhow::Context;
use clap::Parser;
use server::config::{Command, Config};
use server::store::{PgStore, Sharing, SqliteStore, Store};
use server::workspace::Directory;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = Config::parse();
    init_tracing(config.log_json);
    // The subcommands are one job each, with nothing else running.
    match &config.command {
        Some(Command::Backup(args)) => println!("{}", server::commands::backup(&config.data_dir, args)?),
        Some(Command::Restore(args)) => println!("{}", server::commands::restore(&config.data_dir, args)?),
        Some(Command::User(args)) => println!("{}", server::commands::user(&config.data_dir, config.database_url.as_deref(), args, std::io::stdin().lock())?),
        Some(Command::Migrate(args)) => println!("{}", server::commands::migrate(args)?),
        None => serve(config).await?,
    }
    Ok(())
}

/// Opens the store and serves until Ctrl-C or SIGTERM.
async fn serve(config: Config) -> anyhow::Result<()> {
    let (store, directory) = open_store(&config)?;
    let listener = tokio::net::TcpListener::bind(config.addr)
        .await
        .with_context(|| format!("cannot listen on {}", config.addr))?;
    let metrics = match config.metrics_addr {
        Some(addr) => Some(tokio::net::TcpListener::bind(addr).await.with_context(|| format!("cannot listen on {addr}"))?),
        None => None,
    };
    let shutdown = CancellationToken::new();
    tokio::spawn(cancel_on_signal(shutdown.clone()));
    server::run_with_metrics(listener, metrics, store, directory, config.settings(), shutdown).await?;
    tracing::info!("stopped; every document is stored");
    Ok(())
}

/// The store the configuration names: PostgreSQL with `--database-url`,
/// else SQLite in `--data-dir`; one object serves as documents and directory.
fn open_store(config: &Config) -> anyhow::Result<(Arc<dyn Store>, Arc<dyn Directory>)> {
    if let Some(url) = &config.database_url {
        let store = Arc::new(PgStore::open(url).context("cannot open the PostgreSQL database")?);
        let sharing = if config.redis_url.is_some() { Sharing::Clustered } else { Sharing::Alone };
        server::store::claim(url, sharing).context("cannot use the PostgreSQL database")?;
        tracing::info!(database = %server::store::redacted(url), ?sharing, "store opened");
        return Ok((store.clone(), store));
    }
    let store = SqliteStore::open(&config.data_dir)
        .with_context(|| format!("cannot open the data directory {}", config.data_dir.display()))?;
    tracing::info!(data_dir = %config.data_dir.display(), "store opened");
    let store = Arc::new(store);
    Ok((store.clone(), store))
}

fn init_tracing(json: bool) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stdout());
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_ansi(ansi);
    if json { builder.json().init() } else { builder.init() }
}

/// Cancels `shutdown` on the first Ctrl-C or SIGTERM.
async fn cancel_on_signal(shutdown: CancellationToken) {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await
            }
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down: closing connections and flushing documents");
    shutdown.cancel();
}
