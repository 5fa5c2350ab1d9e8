//! The HTTP API under `/api`: list, create and read documents, apply updates.

use crate::config::MAX_FORM_BYTES;
use tandem_sync::doc_core::CoreError;
use crate::docs;
use crate::error::ApiError;
use crate::state::AppState;
use crate::store::{self, DocMeta};
use tandem_sync::DocId;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::Stream;
use std::convert::Infallible;
use axum::routing::{get, post};
use axum::{Json, Router};
use bytes::Bytes;
use serde::{Deserialize, Serialize};
use tower_http::limit::RequestBodyLimitLayer;

/// The API routes; `max_body` caps update bodies, [`MAX_FORM_BYTES`] every other body.
pub fn router(max_body: usize) -> Router<AppState> {
    Router::new()
        .route("/docs", get(list).post(create))
        .route("/events", get(events))
        .route("/docs/{id}", get(meta))
        .route("/docs/{id}/text", get(text))
        .route("/docs/{id}/state", get(state))
        .layer(RequestBodyLimitLayer::new(MAX_FORM_BYTES))
        // Added after the layer above, so that only its own, larger limit applies.
        .route("/docs/{id}/update", post(update).layer(DefaultBodyLimit::max(max_body)))
}

fn parse_id(raw: &str) -> Result<DocId, ApiError> {
    DocId::parse(raw).map_err(|_| ApiError::bad_id())
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, store::StoreError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f).await.map_err(ApiError::internal)?.map_err(ApiError::internal)
}

/// Every document, most recently edited first; titles of open documents are live.
async fn list(State(app): State<AppState>) -> Result<Json<Vec<DocMeta>>, ApiError> {
    Ok(Json(docs::list(&app.rooms).await?))
}

/// Server-sent events: a `changed` message whenever a document appears or is
/// renamed (coalesced; sent once the change is stored, so a refetch sees it).
/// The stream ends when the server shuts down.
async fn events(State(app): State<AppState>) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let state = (app.rooms.listing().subscribe(), app.rooms.store().clone(), app.shutdown.clone());
    let stream = futures_util::stream::unfold(state, |(mut changes, store, shutdown)| async move {
        tokio::select! {
            changed = changes.changed() => changed.ok()?,
            _ = shutdown.cancelled() => return None,
        }
        store::settle(&*store).await;
        Some((Ok(Event::default().data("changed")), (changes, store, shutdown)))
    });
    Sse::new(stream).keep_alive(KeepAlive::default())
}

/// Body of `POST /api/docs`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateDoc {
    /// The initial title.
    #[serde(default)]
    title: String,
}

/// Answer of `POST /api/docs`.
#[derive(Debug, Serialize)]
struct Created {
    id: DocId,
}

/// Creates a document (with an optional title) and answers its id once it is durable.
async fn create(State(app): State<AppState>, body: Option<Json<CreateDoc>>) -> Result<impl IntoResponse, ApiError> {
    let Json(body) = body.unwrap_or_default();
    let id = docs::create(&app.rooms, &body.title).await?;
    Ok((StatusCode::CREATED, Json(Created { id })))
}

/// One document's listing entry, with its live title if it is open.
async fn meta(State(app): State<AppState>, Path(raw): Path<String>) -> Result<Json<DocMeta>, ApiError> {
    let id = parse_id(&raw)?;
    let room = app.rooms.acquire_existing(&id).await?.ok_or_else(ApiError::not_found)?;
    let store = app.rooms.store().clone();
    let stored = blocking({
        let id = id.clone();
        move || store.meta(&id)
    })
    .await?;
    let title = room.read(|core| tandem_sync::document::title(core.doc()));
    // A document opened but never edited is not stored yet: nothing stored, never updated.
    let meta = stored.unwrap_or(DocMeta { id, title: String::new(), updated_at: 0, size: 0 });
    Ok(Json(DocMeta { title, ..meta }))
}

/// The plain text of the document's `content`.
async fn text(State(app): State<AppState>, Path(raw): Path<String>) -> Result<impl IntoResponse, ApiError> {
    let id = parse_id(&raw)?;
    let room = app.rooms.acquire_existing(&id).await?.ok_or_else(ApiError::not_found)?;
    let text = room.read(|core| tandem_sync::document::content(core.doc()));
    Ok(([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], text))
}

/// The whole document as one Yjs v1 update.
async fn state(State(app): State<AppState>, Path(raw): Path<String>) -> Result<impl IntoResponse, ApiError> {
    let id = parse_id(&raw)?;
    let room = app.rooms.acquire_existing(&id).await?.ok_or_else(ApiError::not_found)?;
    let bytes = room.read(|core| core.encode_state());
    Ok(([(header::CONTENT_TYPE, "application/octet-stream")], bytes))
}

/// Applies a Yjs v1 update; answers once it is durable. Connected clients receive it.
async fn update(State(app): State<AppState>, Path(raw): Path<String>, body: Bytes) -> Result<StatusCode, ApiError> {
    let id = parse_id(&raw)?;
    let room = app.rooms.acquire(&id).await?;
    let seq = room.apply_update(&body).map_err(|e| match e {
        CoreError::Panicked => ApiError::internal(e),
        CoreError::DocTooLarge { .. } => {
            ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "document_too_large", "the document would exceed its size limit")
        }
        other => {
            tracing::debug!(doc = %id, error = %other, "update refused");
            ApiError::new(StatusCode::BAD_REQUEST, "invalid_update", "the update does not decode or apply")
        }
    })?;
    if !store::wait_durable(&**room.store(), seq).await {
        return Err(ApiError::unavailable());
    }
    Ok(StatusCode::NO_CONTENT)
}
