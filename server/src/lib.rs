//! Tandem's server: serves the app, relays Yjs updates over WebSockets, stores documents.
//!
//! # Layout
//!
//! - [`core`]: the sans-IO sync core — what a document does with one message.
//! - [`room`]: one loaded document, its connections and its write-through to storage.
//! - [`rooms`]: the registry that loads each document once and unloads it when unused.
//! - [`peer`]: a connection's bounded outbound queue and close signal.
//! - [`conn`]: the read and write loops of one WebSocket connection.
//! - [`ws`], [`api`]: the HTTP edge (`/ws/{id}`, `/api/...`); [`error`] is its error type.
//! - [`docs`]: workspace operations (list, create) shared by the API and the pages;
//!   [`workspace`] serves them to the pages' server functions.
//! - [`store`]: durable storage behind the [`store::Store`] trait; SQLite implements it.
//! - [`config`]: command-line flags; [`state`]: what handlers share.
//!
//! [`run`] serves on a bound listener until a shutdown token fires; `main` is a thin shell.

pub mod api;
pub mod config;
pub mod conn;
pub mod core;
pub mod docs;
pub mod error;
pub mod peer;
pub mod room;
pub mod rooms;
pub mod state;
pub mod store;
pub mod workspace;
pub mod ws;

use axum::Router;
use axum::routing::get;
use axum::serve::ListenerExt;
use config::Limits;
use leptos::config::LeptosOptions;
use leptos_axum::{LeptosRoutes, generate_route_list};
use app::backend::SharedWorkspace;
use rooms::Rooms;
use state::AppState;
use std::sync::Arc;
use store::Store;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// The app's routes over `state`: pages, the WebSocket endpoint and the API.
pub fn app(state: AppState) -> Router {
    let routes = generate_route_list(app::App);
    let leptos = state.leptos.clone();
    let backend: SharedWorkspace = Arc::new(workspace::PagesBackend { rooms: state.rooms.clone() });
    let context = move || leptos::context::provide_context(backend.clone());
    Router::new()
        .route("/ws/{doc_id}", get(ws::handler))
        .route("/healthz", get(|| async { "ok" }))
        .nest("/api", api::router(state.limits.max_message_bytes))
        .leptos_routes_with_context(&state, routes, context.clone(), move || app::shell(leptos.clone()))
        .fallback(leptos_axum::file_and_error_handler_with_context::<AppState, _>(context, app::shell))
        .with_state(state)
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
    limits: Limits,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    let state = AppState {
        leptos: leptos_options()?,
        rooms: Rooms::new(store.clone()),
        limits: Arc::new(limits),
        shutdown: shutdown.clone(),
        tasks: TaskTracker::new(),
    };
    let tasks = state.tasks.clone();
    let service = app(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    // Small frames must leave at once: Nagle's algorithm would hold keystrokes back.
    let listener = listener.tap_io(|tcp| {
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::warn!(error = %e, "cannot set TCP_NODELAY");
        }
    });
    let served = axum::serve(listener, service)
        .with_graceful_shutdown(shutdown.clone().cancelled_owned())
        .await;
    tasks.close();
    tasks.wait().await;
    let durable = tokio::task::spawn_blocking(move || store.close()).await;
    served?;
    durable.map_err(std::io::Error::other)
}
