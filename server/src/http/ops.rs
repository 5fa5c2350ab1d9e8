//! Endpoints for operators: `/healthz` (alive), `/readyz` (storing writes)
//! and `/metrics` (Prometheus text format).
//!
//! On the main address `/metrics` answers administrators only (e.g. a
//! scraper with an administrator's API token); open mode has no
//! administrators, so there it is 404. The separate listener of
//! `--metrics-addr` ([`metrics_router`]) serves it to anyone who reaches it.

use crate::http::error::ApiError;
use crate::http::state::AppState;
use crate::store;
use crate::workspace::Caller;
use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use prometheus_client::encoding::prometheus_text;

/// The operator routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
}

/// 200 while the server takes connections and its store commits; 503 with
/// the reason while it shuts down, its store writer has stopped, or its last
/// commit failed — the disk is full, read-only, or failing — (commits are
/// retried, so this clears by itself once the disk recovers).
async fn readyz(State(app): State<AppState>) -> Result<&'static str, ApiError> {
    let not_ready = |reason| ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "not_ready", reason);
    if app.shutdown.is_cancelled() {
        return Err(not_ready("the server is shutting down"));
    }
    app.workspace.rooms().store().health().map_err(not_ready)?;
    Ok("ready")
}

/// The router of the metrics listener: `/metrics` without credentials.
pub fn metrics_router(state: AppState) -> Router {
    Router::new().route("/metrics", get(|State(app): State<AppState>| async move { render(&app) })).with_state(state)
}

/// Every metric, for administrators; 404 in open mode.
async fn metrics(State(app): State<AppState>, caller: Caller) -> Result<impl IntoResponse, ApiError> {
    if caller == Caller::Open {
        return Err(ApiError::new(StatusCode::NOT_FOUND, "not_found", "metrics are served on --metrics-addr in open mode"));
    }
    crate::workspace::people::admin(&caller)?;
    render(&app)
}

/// Every metric in the Prometheus text format (version 0.0.4).
fn render(app: &AppState) -> Result<impl IntoResponse + use<>, ApiError> {
    let rooms = app.workspace.rooms();
    app.metrics.documents_loaded.set(rooms.len() as i64);
    app.metrics.store_backlog.set(store::backlog(&**rooms.store()) as i64);
    let mut body = String::new();
    prometheus_text::encode(&mut body, &app.registry).map_err(ApiError::internal)?;
    Ok(([(header::CONTENT_TYPE, prometheus_text::CONTENT_TYPE)], body))
}
