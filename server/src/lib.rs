//! Tandem's server: serves the app, relays Yjs updates over WebSockets, stores documents.
//!
//! # Layout
//!
//! - [`room`]: one loaded document, its connections and its write-through to storage.
//! - [`rooms`]: the registry that loads each document once and unloads it when unused.
//! - [`peer`]: a connection's bounded outbound queue and close signal.
//! - [`conn`]: one WebSocket connection, driven by a single future;
//!   [`throttle`] paces its messages.
//! - [`admission`]: connection caps (in total, per IP, per document).
//! - [`serve`]: the accept loop (header timeout, TCP_NODELAY, graceful shutdown).
//! - [`ws`], [`api`], [`ops`]: the HTTP edge (`/ws/{id}`, `/api/...`, `/healthz`,
//!   `/readyz`, `/metrics`); [`error`] is its error type.
//! - [`origin`], [`headers`]: web security — the `Origin` check, security
//!   headers and the pages' Content Security Policy.
//! - [`metrics`]: what a Prometheus scrape reads.
//! - [`docs`]: workspace operations (list, create) shared by the API and the pages;
//!   [`workspace`] serves them to the pages' server functions.
//! - [`store`]: durable storage behind the [`store::Store`] trait; SQLite implements it.
//! - [`backup`]: the `backup` and `restore` subcommands over the SQLite store.
//! - [`config`]: command-line flags; [`state`]: what handlers share.
//! - `testing` (feature `testing`): the test harness — an in-process server,
//!   a test client, HTTP and `/metrics` helpers — for this crate's tests and
//!   the benchmark's; never in the production binary.
//!
//! [`run`] serves on a bound listener until a shutdown token fires; `main` is a thin shell.

pub mod admission;
pub mod api;
pub mod backup;
pub mod config;
pub mod conn;
pub mod docs;
pub mod error;
pub mod headers;
pub mod metrics;
pub mod ops;
pub mod origin;
pub mod owner_scope;
pub mod peer;
pub mod room;
pub mod rooms;
pub mod serve;
pub mod state;
pub mod store;
#[cfg(feature = "testing")]
pub mod testing;
pub mod throttle;
pub mod workspace;
pub mod ws;

use admission::Admission;
use app::backend::SharedWorkspace;
use axum::Router;
use axum::http::StatusCode;
use axum::routing::get;
use config::{MAX_FORM_BYTES, Settings};
use leptos::config::LeptosOptions;
use leptos_axum::{LeptosRoutes, generate_route_list};
use metrics::Metrics;
use origin::OriginPolicy;
use prometheus_client::registry::Registry;
use rooms::Rooms;
use state::AppState;
use std::sync::Arc;
use std::time::Duration;
use store::Store;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;

/// The app's routes over `state`: pages, the WebSocket endpoint, the API and
/// the operator endpoints. Every response carries the security headers; every
/// WebSocket handshake and state-changing request passes the `Origin` check;
/// HTTP requests (not WebSockets) have a time limit and a body limit.
pub fn app(state: AppState) -> Router {
    let timeout = Duration::from_secs(state.limits.http_timeout_secs);
    let http = Router::new()
        .nest("/api", api::router(state.limits.max_message_bytes))
        .merge(ops::router())
        .merge(pages(&state))
        .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, timeout));
    let router = Router::new()
        .route("/ws/{doc_id}", get(ws::handler))
        .merge(http)
        .layer(axum::middleware::from_fn_with_state(state.origins.clone(), origin::guard));
    headers::secure(router).with_state(state)
}

/// The server-rendered pages, their server functions and the site's files.
fn pages(state: &AppState) -> Router<AppState> {
    let routes = generate_route_list(app::App);
    let leptos = state.leptos.clone();
    let backend: SharedWorkspace = Arc::new(workspace::PagesBackend { rooms: state.rooms.clone() });
    let context = move || {
        leptos::context::provide_context(backend.clone());
        headers::provide_page_policy();
    };
    Router::new()
        .leptos_routes_with_context(state, routes, context.clone(), move || app::shell(leptos.clone()))
        .fallback(leptos_axum::file_and_error_handler_with_context::<AppState, _>(context, app::shell))
        .layer(RequestBodyLimitLayer::new(MAX_FORM_BYTES))
        .layer(axum::middleware::from_fn(owner_scope::own_owner))
}

/// Leptos settings: from the `LEPTOS_*` variables cargo-leptos sets, or, in a
/// plain `cargo` build, the site files under `LEPTOS_SITE_ROOT` (default `target/site`).
pub fn leptos_options() -> std::io::Result<LeptosOptions> {
    let by_cargo_leptos =
        option_env!("LEPTOS_OUTPUT_NAME").is_some() || std::env::var_os("LEPTOS_OUTPUT_NAME").is_some();
    if by_cargo_leptos {
        let conf = leptos::config::get_config_from_env()
            .map_err(|e| std::io::Error::other(format!("bad LEPTOS_* setting: {e}")))?;
        return Ok(conf.leptos_options);
    }
    let site_root = std::env::var("LEPTOS_SITE_ROOT").unwrap_or_else(|_| "target/site".into());
    Ok(LeptosOptions::builder().output_name("tandem").site_root(site_root).build())
}

/// Serves on `listener` until `shutdown` is cancelled; then closes every
/// connection with 1001, flushes every room and closes the store.
pub async fn run(
    listener: TcpListener,
    store: Arc<dyn Store>,
    settings: Settings,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    let header_timeout = settings.limits.handshake_timeout();
    let state = state(store.clone(), settings, shutdown.clone())?;
    let tasks = state.tasks.clone();
    serve::serve(listener, app(state), shutdown, header_timeout).await;
    tasks.close();
    tasks.wait().await;
    tokio::task::spawn_blocking(move || store.close()).await.map_err(std::io::Error::other)
}

/// What the handlers share, with every metric registered.
fn state(store: Arc<dyn Store>, settings: Settings, shutdown: CancellationToken) -> std::io::Result<AppState> {
    let metrics = Arc::new(Metrics::default());
    let mut registry = Registry::with_prefix(metrics::PREFIX);
    metrics.register(&mut registry);
    store.register_metrics(&mut registry);
    Ok(AppState {
        leptos: leptos_options()?,
        rooms: Rooms::configured(store, metrics.clone(), settings.limits.doc_limits()),
        admission: Admission::new(settings.limits.connection_caps()),
        limits: Arc::new(settings.limits),
        shutdown,
        tasks: TaskTracker::new(),
        origins: OriginPolicy::new(&settings.security, metrics.clone()),
        metrics,
        registry: Arc::new(registry),
    })
}
