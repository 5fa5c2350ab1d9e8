//! Tandem's server: serves the app, relays Yjs updates over WebSockets, stores documents.
//!
//! # Layout
//!
//! Layers, each a folder, each using only the ones listed before it (the sync
//! vocabulary and the sans-IO document core are the `tandem_sync` crate):
//!
//! - [`metrics`]: what a Prometheus scrape reads; every layer counts into it.
//! - [`store`]: durable storage behind the [`store::Store`] trait; SQLite and PostgreSQL implement it.
//! - [`accounts`]: the rules for sign-in names and passwords; password hashing
//!   (the store keeps the accounts).
//! - [`doc`]: loaded documents — one room per document, the registry that
//!   loads each once, and the room's bounded queue to each connection.
//! - [`conn`]: one WebSocket connection driven by a single future; admission
//!   (connection caps), throttling, and the fragmenting socket.
//! - [`workspace`]: the one service every route and page goes through to
//!   list, create, read and change documents.
//! - [`cluster`]: the clustered mode — this node's rooms, listing and
//!   revocations joined to the other nodes' through Redis.
//! - [`http`]: routes, the API, the WebSocket endpoint, the pages' glue, web
//!   security, operator endpoints and the accept loop.
//! - [`config`]: command-line flags and the settings they make;
//!   [`commands`]: the `backup`, `restore` and `user` subcommands.
//! - `testing` (feature `testing`): the test harness — an in-process server,
//!   a test client, HTTP and `/metrics` helpers — for this crate's tests and
//!   the benchmark's; never in the production binary.
//!
//! A unit test (`layering.rs`) holds every folder to that order.
//!
//! [`run`] serves on a bound listener until a shutdown token fires; `main` is a thin shell.

// The pages' view types are deep: with every page a lazy route (each behind
// one more future), computing the layout of one page's future takes 130
// nested queries, past the default limit of 128, in this crate's test build.
#![recursion_limit = "256"]

pub mod accounts;
pub mod cluster;
pub mod commands;
pub mod config;
pub mod conn;
pub mod doc;
pub mod http;
pub mod metrics;
pub mod store;
#[cfg(feature = "testing")]
pub mod testing;
pub mod workspace;

#[cfg(test)]
mod layering;

use config::Settings;
use conn::admission::Admission;
use doc::Rooms;
use http::origin::OriginPolicy;
use http::public_url::PublicUrl;
use http::state::AppState;
use metrics::Metrics;
use prometheus_client::registry::Registry;
use std::sync::Arc;
use store::Store;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use workspace::{Directory, People, Workspace};

pub use http::{app, leptos_options};

/// Serves on `listener` until `shutdown` is cancelled; then closes every
/// connection with 1001, flushes every room and closes the store. An error if
/// the store gave up on unacknowledged updates because its commits kept
/// failing (the log names each document and how many).
///
/// In accounts mode with no account yet, it prints (and logs) the one-time
/// setup link that creates the first administrator.
pub async fn run(
    listener: TcpListener,
    store: Arc<dyn Store>,
    directory: Arc<dyn Directory>,
    settings: Settings,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    run_with_metrics(listener, None, store, directory, settings, shutdown).await
}

/// [`run`], and, on `metrics` if given, a listener that serves only
/// `/metrics`, without credentials (`--metrics-addr`).
pub async fn run_with_metrics(
    listener: TcpListener,
    metrics: Option<TcpListener>,
    store: Arc<dyn Store>,
    directory: Arc<dyn Directory>,
    settings: Settings,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    let header_timeout = settings.limits.handshake_timeout();
    let public_url = settings.security.public_url.clone();
    let state = state(store.clone(), directory, settings, shutdown.clone())?;
    announce_setup(&state, public_url, &listener).await?;
    let addr = listener.local_addr()?;
    tracing::info!(%addr, "tandem listening on http://{addr}");
    let tasks = state.tasks.clone();
    if let Some(metrics) = metrics {
        let addr = metrics.local_addr()?;
        tracing::info!(%addr, "metrics on http://{addr}/metrics");
        let router = http::ops::metrics_router(state.clone());
        tasks.spawn(http::accept::serve(metrics, router, shutdown.clone(), header_timeout));
    }
    http::accept::serve(listener, app(state), shutdown, header_timeout).await;
    tasks.close();
    tasks.wait().await;
    let unstored = tokio::task::spawn_blocking(move || {
        store.close();
        store.unstored()
    })
    .await
    .map_err(std::io::Error::other)?;
    match unstored {
        0 => Ok(()),
        n => Err(std::io::Error::other(format!("{n} unacknowledged writes were not stored: the disk kept failing (the log names each document)"))),
    }
}

/// Prints and logs the setup link if the store has no account (accounts mode).
async fn announce_setup(state: &AppState, public_url: Option<PublicUrl>, listener: &TcpListener) -> std::io::Result<()> {
    let token = state.workspace.people().start_setup().await.map_err(std::io::Error::other)?;
    let Some(token) = token else { return Ok(()) };
    let base = match public_url {
        Some(url) => url.to_string(),
        None => format!("http://{}", listener.local_addr()?),
    };
    let url = format!("{base}/setup?token={token}");
    println!("No account yet: create the first administrator at {url}");
    tracing::warn!(%url, "no account yet: open the setup link to create the first administrator");
    Ok(())
}

/// What the handlers share, with every metric registered.
fn state(store: Arc<dyn Store>, directory: Arc<dyn Directory>, settings: Settings, shutdown: CancellationToken) -> std::io::Result<AppState> {
    let metrics = Arc::new(Metrics::default());
    let mut registry = Registry::with_prefix(metrics::PREFIX);
    metrics.register(&mut registry);
    store.register_metrics(&mut registry);
    let tasks = TaskTracker::new();
    let rooms = Rooms::configured(store.clone(), metrics.clone(), settings.limits.doc_limits());
    let people = Arc::new(People::new(directory, settings.access, Arc::default()));
    rooms.usage().set_limit(settings.limits.max_store_bytes);
    if settings.limits.max_store_bytes > 0 {
        rooms.usage().measure(&**rooms.store()).map_err(std::io::Error::other)?;
    }
    let quotas = workspace::quotas::Quotas { max_docs_per_user: settings.limits.max_docs_per_user };
    let workspace = Workspace::new(rooms, people, tasks.clone(), shutdown.clone()).with_quotas(quotas);
    workspace.start_versions(settings.history);
    if let Some(url) = &settings.redis_url {
        cluster::start(url, &workspace, store, shutdown.clone()).map_err(std::io::Error::other)?;
    }
    Ok(AppState {
        leptos: leptos_options()?,
        workspace,
        admission: Admission::new(settings.limits.connection_caps()),
        rates: Arc::new(http::rate::RateLimits::new(settings.limits.client_rates())),
        streams: http::streams::Streams::new(settings.limits.stream_caps()),
        limits: Arc::new(settings.limits),
        shutdown,
        tasks,
        origins: OriginPolicy::new(&settings.security, metrics.clone()),
        public_url: settings.security.public_url.clone(),
        proxies: http::forwarded::TrustedProxies::new(settings.security.trusted_proxies.clone()),
        metrics,
        registry: Arc::new(registry),
    })
}
