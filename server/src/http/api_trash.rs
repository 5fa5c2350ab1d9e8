//! Deleting documents and the trash: `DELETE /api/docs/{id}`, `GET /api/trash`,
//! `POST /api/trash/{id}/restore`, `DELETE /api/trash/{id}`.

use crate::http::api::parse_id;
use crate::http::error::ApiError;
use crate::http::state::AppState;
use crate::workspace::Caller;
use crate::workspace::trash::TrashEntry;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{delete, get, post};
use axum::{Json, Router};

/// The trash routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/docs/{id}", delete(remove))
        .route("/trash", get(list))
        .route("/trash/{id}", delete(forever))
        .route("/trash/{id}/restore", post(restore))
}

/// Moves a document to the trash and closes its sockets (4404).
async fn remove(State(app): State<AppState>, caller: Caller, Path(id): Path<String>) -> Result<StatusCode, ApiError> {
    app.workspace.delete(&caller, &parse_id(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The caller's deleted documents (an administrator's: all).
async fn list(State(app): State<AppState>, caller: Caller) -> Result<Json<Vec<TrashEntry>>, ApiError> {
    Ok(Json(app.workspace.trash(&caller).await?))
}

/// Brings a document back from the trash.
async fn restore(State(app): State<AppState>, caller: Caller, Path(id): Path<String>) -> Result<StatusCode, ApiError> {
    app.workspace.untrash(&caller, &parse_id(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Deletes a document for good; answers once that is durable.
async fn forever(State(app): State<AppState>, caller: Caller, Path(id): Path<String>) -> Result<StatusCode, ApiError> {
    app.workspace.delete_forever(&caller, &parse_id(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}
