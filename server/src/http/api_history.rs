//! The history API under `/api/docs/{id}/versions`: list, read, compare,
//! name and restore versions (editors, owners and administrators).

use crate::http::api::parse_id;
use crate::http::error::ApiError;
use crate::http::json::JsonBody;
use crate::http::state::AppState;
use crate::store::VersionMeta;
use crate::workspace::Caller;
use crate::workspace::history::{DiffTarget, VersionView};
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

/// The history routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/docs/{id}/versions", get(list).post(name))
        .route("/docs/{id}/versions/{v}", get(read))
        .route("/docs/{id}/versions/{v}/diff", get(diff))
        .route("/docs/{id}/versions/{v}/restore", post(restore))
}

/// Body of `POST /api/docs/{id}/versions`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Name {
    label: String,
}

/// Query of the diff route: `to` a version id or `current` (the default).
#[derive(Deserialize)]
struct DiffQuery {
    to: Option<String>,
}

/// Answer of a restore.
#[derive(Serialize)]
struct Restored {
    version: i64,
}

fn parse_version(raw: &str) -> Result<i64, ApiError> {
    raw.parse().map_err(|_| ApiError::new(StatusCode::BAD_REQUEST, "invalid_version", "a version id is a number"))
}

/// The versions, newest first.
async fn list(State(app): State<AppState>, caller: Caller, Path(id): Path<String>) -> Result<Json<Vec<VersionMeta>>, ApiError> {
    Ok(Json(app.workspace.versions(&caller, &parse_id(&id)?).await?))
}

/// Names the current state; answers once the version is durable.
async fn name(State(app): State<AppState>, caller: Caller, Path(id): Path<String>, JsonBody(body): JsonBody<Name>) -> Result<impl IntoResponse, ApiError> {
    let version = app.workspace.name_version(&caller, &parse_id(&id)?, &body.label).await?;
    Ok((StatusCode::CREATED, Json(version)))
}

/// One version with its title and text.
async fn read(State(app): State<AppState>, caller: Caller, Path((id, v)): Path<(String, String)>) -> Result<Json<VersionView>, ApiError> {
    Ok(Json(app.workspace.version(&caller, &parse_id(&id)?, parse_version(&v)?).await?))
}

/// A unified diff of the version's text against another version's or the current one.
async fn diff(
    State(app): State<AppState>,
    caller: Caller,
    Path((id, v)): Path<(String, String)>,
    Query(query): Query<DiffQuery>,
) -> Result<impl IntoResponse, ApiError> {
    let to = match query.to.as_deref() {
        None | Some("current") => DiffTarget::Current,
        Some(w) => DiffTarget::Version(parse_version(w)?),
    };
    let diff = app.workspace.diff(&caller, &parse_id(&id)?, parse_version(&v)?, to).await?;
    Ok(([(header::CONTENT_TYPE, "text/x-diff; charset=utf-8")], diff))
}

/// Brings the document back to the version; answers the restore version's id once durable.
async fn restore(State(app): State<AppState>, caller: Caller, Path((id, v)): Path<(String, String)>) -> Result<Json<Restored>, ApiError> {
    let version = app.workspace.restore_version(&caller, &parse_id(&id)?, parse_version(&v)?).await?;
    Ok(Json(Restored { version }))
}
