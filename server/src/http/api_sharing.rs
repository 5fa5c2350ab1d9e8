//! The sharing API under `/api/docs/{id}`: who may see a document, and its
//! share links. Only the owner and administrators use it (others: 403, or
//! 404 if they may not see the document).

use crate::http::api::parse_id;
use crate::http::error::ApiError;
use crate::http::json::JsonBody;
use crate::http::state::AppState;
use crate::workspace::sharing::{AccessView, NewLink, parse_workspace};
use crate::workspace::Caller;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{delete, get, post, put};
use axum::{Json, Router};
use serde::Deserialize;
use tandem_sync::Role;

/// The sharing routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/docs/{id}/access", get(access))
        .route("/docs/{id}/access/workspace", put(set_workspace))
        .route("/docs/{id}/access/members/{username}", put(set_member).delete(remove_member))
        .route("/docs/{id}/links", post(add_link))
        .route("/docs/{id}/links/{link}", delete(delete_link))
}

/// Body of the routes that set a role.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RoleBody {
    role: String,
}

fn member_role(name: &str) -> Result<Role, ApiError> {
    Role::parse(name).ok_or_else(|| ApiError::new(StatusCode::BAD_REQUEST, "invalid_role", "a role is viewer, editor or owner"))
}

/// Who may see the document.
async fn access(State(app): State<AppState>, caller: Caller, Path(id): Path<String>) -> Result<Json<AccessView>, ApiError> {
    Ok(Json(app.workspace.access(&caller, &parse_id(&id)?).await?))
}

/// Sets what every member gets: `none`, `viewer` or `editor`.
async fn set_workspace(State(app): State<AppState>, caller: Caller, Path(id): Path<String>, JsonBody(body): JsonBody<RoleBody>) -> Result<StatusCode, ApiError> {
    let access = parse_workspace(&body.role)?;
    app.workspace.set_workspace_access(&caller, &parse_id(&id)?, access).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Gives a member a role of their own.
async fn set_member(
    State(app): State<AppState>,
    caller: Caller,
    Path((id, username)): Path<(String, String)>,
    JsonBody(body): JsonBody<RoleBody>,
) -> Result<StatusCode, ApiError> {
    let role = member_role(&body.role)?;
    app.workspace.set_member(&caller, &parse_id(&id)?, &username, role).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Takes a member's own role away.
async fn remove_member(State(app): State<AppState>, caller: Caller, Path((id, username)): Path<(String, String)>) -> Result<StatusCode, ApiError> {
    app.workspace.remove_member(&caller, &parse_id(&id)?, &username).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Makes a share link (`viewer` or `editor`), shown once with its token.
async fn add_link(State(app): State<AppState>, caller: Caller, Path(id): Path<String>, JsonBody(body): JsonBody<RoleBody>) -> Result<impl IntoResponse, ApiError> {
    let role = member_role(&body.role)?;
    let link: NewLink = app.workspace.add_link(&caller, &parse_id(&id)?, role).await?;
    Ok((StatusCode::CREATED, Json(link)))
}

/// Revokes a share link and closes its sockets.
async fn delete_link(State(app): State<AppState>, caller: Caller, Path((id, link)): Path<(String, i64)>) -> Result<StatusCode, ApiError> {
    app.workspace.delete_link(&caller, &parse_id(&id)?, link).await?;
    Ok(StatusCode::NO_CONTENT)
}
