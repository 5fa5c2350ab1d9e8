//! The HTTP edge: routes, the WebSocket endpoint, the API, the pages' glue,
//! web security, and the accept loop. Every handler reaches documents through
//! the [`crate::workspace::Workspace`] service.
//!
//! - [`accept`]: the accept loop (header timeout, TCP_NODELAY, graceful shutdown).
//! - [`api`]: the JSON API under `/api` for documents; [`api_people`] for
//!   accounts, sessions, tokens and invites; [`api_sharing`] for a document's
//!   access and share links; [`api_history`] for versions; [`api_trash`] for deleting and the trash; [`api_transfer`] for export and import, [`api_attachments`] for a document's images, [`zip_export`] for the archive of everything; [`error`] is their
//!   error type, [`json`] their body extractor.
//! - [`auth`]: credentials (session cookie, bearer token), the caller
//!   extractor, and the redirect of signed-out page views.
//! - [`ws`]: `GET /ws/{id}` — admits, upgrades and hands a socket to [`crate::conn`].
//! - [`pages`]: the pages' server functions, served by the workspace.
//! - [`site_files`]: the site's static files, from disk or built into the binary.
//! - [`ops`]: `/healthz`, `/readyz` and `/metrics` for operators, and the
//!   router of the separate metrics listener.
//! - [`pagination`]: pages of the document list.
//! - [`client`]: the client's address (resolved once per request, through
//!   [`forwarded`] behind trusted proxies) and the key per-client limits count it by;
//!   [`rate`]: per-client rates of creations, uploads, imports and sign-ins;
//!   [`streams`]: caps on open event streams.
//! - [`access_log`]: request ids and one log line per request and per WebSocket session.
//! - [`origin`], [`headers`], [`public_url`]: the `Origin` check; security
//!   headers and the pages' Content Security Policy; the `Host` check against
//!   `--public-url`.
//! - [`owner_scope`]: each page request under a reactive owner of its own.
//! - [`state`]: what every handler shares.

pub mod accept;
pub mod access_log;
pub mod api;
pub mod api_attachments;
pub mod api_history;
pub mod api_people;
pub mod api_sharing;
pub mod api_transfer;
pub mod api_trash;
pub mod auth;
pub mod client;
pub mod error;
pub mod forwarded;
pub mod headers;
pub mod json;
pub mod ops;
pub mod origin;
pub mod owner_scope;
pub mod pages;
pub mod pagination;
pub mod public_url;
pub mod rate;
pub mod site_files;
pub mod state;
pub mod streams;
pub mod ws;
pub mod zip_export;

use crate::config::MAX_FORM_BYTES;
use app::backend::SharedPageData;
use axum::Router;
use axum::http::StatusCode;
use axum::routing::get;
use leptos::config::LeptosOptions;
use leptos_axum::{LeptosRoutes, generate_route_list};
use state::AppState;
use std::sync::Arc;
use std::time::Duration;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;

/// The app's routes over `state`: pages, the WebSocket endpoint, the API and
/// the operator endpoints. Every response carries the security headers; every
/// WebSocket handshake and state-changing request passes the `Origin` check;
/// HTTP requests (not WebSockets) have a time limit, a body limit and
/// per-client rates; every request gets an id and a line in the access log.
pub fn app(state: AppState) -> Router {
    let timeout = Duration::from_secs(state.limits.http_timeout_secs);
    let http = Router::new()
        .nest("/api", api::router(state.limits.max_message_bytes, state.limits.max_attachment_bytes))
        .merge(ops::router())
        .merge(site(&state))
        .layer(axum::middleware::from_fn_with_state(state.clone(), rate::guard))
        .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, timeout));
    let public = state.public_url.clone();
    let router = Router::new()
        .route("/ws/{doc_id}", get(ws::handler))
        .merge(http)
        .layer(axum::middleware::from_fn_with_state(state.origins.clone(), origin::guard))
        .layer(axum::middleware::from_fn_with_state(public.clone(), public_url::guard));
    let prefix: Arc<str> = state.prefix().into();
    let router = access_log::around(headers::secure(router, public.as_ref().is_some_and(|p| p.https())))
        .layer(axum::middleware::from_fn_with_state(state.proxies.clone(), client::resolve))
        .with_state(state);
    under_prefix(router, prefix)
}

/// `router` served under the public URL's path prefix as well as at the
/// root: a proxy may pass `/notes/d/abc` as it is or strip it to `/d/abc`,
/// and handlers see `/d/abc` either way (the prefix is taken off before routing).
fn under_prefix(router: Router, prefix: Arc<str>) -> Router {
    use tower::ServiceExt;
    if prefix.is_empty() {
        return router;
    }
    let strip = move |mut request: axum::extract::Request| {
        public_url::strip_prefix(&prefix, request.uri_mut());
        request
    };
    Router::new().fallback_service(router.map_request(strip))
}

/// The server-rendered pages, their server functions and the site's files.
fn site(state: &AppState) -> Router<AppState> {
    let routes = generate_route_list(app::App);
    let leptos = state.leptos.clone();
    let backend: SharedPageData = Arc::new(pages::PagesBackend { workspace: state.workspace.clone() });
    let prefix = app::base::Prefix(state.prefix().to_owned());
    let source = site_files::choose(&state.leptos);
    let chunks = site_files::Chunks::of(&state.leptos, source);
    let context = move || {
        leptos::context::provide_context(backend.clone());
        leptos::context::provide_context(prefix.clone());
        leptos::context::provide_context(chunks.current());
        headers::provide_page_policy();
    };
    let pages = Router::new()
        .leptos_routes_with_context(state, routes, context.clone(), move || app::shell(leptos.clone()))
        .fallback(leptos_axum::file_and_error_handler_with_context::<AppState, _>(context, app::shell));
    site_files::layer(pages, source)
        .layer(RequestBodyLimitLayer::new(MAX_FORM_BYTES))
        .layer(axum::middleware::from_fn(owner_scope::own_owner))
        .layer(axum::middleware::from_fn_with_state(state.clone(), auth::pages_guard))
}

/// Leptos settings: from the `LEPTOS_*` variables cargo-leptos sets, or, in a
/// plain `cargo` build, the site files under `LEPTOS_SITE_ROOT` (default
/// `target/site`). Where that directory does not exist, the site's files are
/// served from the copy built into the binary (see [`site_files`]).
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
