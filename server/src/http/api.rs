//! The HTTP API under `/api`: list, create and read documents, apply updates;
//! [`crate::http::api_people`] and [`crate::http::api_sharing`] add accounts and sharing.

use crate::config::MAX_FORM_BYTES;
use crate::http::client::ClientAddr;
use crate::http::error::ApiError;
use crate::http::streams::StreamRefused;
use crate::http::state::AppState;
use crate::workspace::{Caller, Listed};
use tandem_sync::DocId;
use crate::http::pagination::{self, PageQuery};
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::Stream;
use std::convert::Infallible;
use axum::routing::{get, post};
use axum::{Json, Router};
use bytes::Bytes;
use serde::{Deserialize, Serialize};
use tower_http::limit::RequestBodyLimitLayer;

/// The API routes; `max_body` caps update bodies, `max_attachment` attachments,
/// [`MAX_FORM_BYTES`] every other body.
pub fn router(max_body: usize, max_attachment: usize) -> Router<AppState> {
    Router::new()
        .route("/docs", get(list).post(create))
        .route("/events", get(events))
        .route("/docs/{id}", get(meta))
        .route("/docs/{id}/text", get(text))
        .route("/docs/{id}/state", get(state))
        .merge(crate::http::api_people::router())
        .merge(crate::http::api_sharing::router())
        .merge(crate::http::api_history::router())
        .merge(crate::http::api_trash::router())
        .layer(RequestBodyLimitLayer::new(MAX_FORM_BYTES))
        // Added after the layer above, so that only their own, larger limit applies.
        .route("/docs/{id}/update", post(update).layer(DefaultBodyLimit::max(max_body)))
        .merge(crate::http::api_transfer::router(max_body))
        .merge(crate::http::api_attachments::router(max_attachment))
}

/// The document id in a path, or 400.
pub fn parse_id(raw: &str) -> Result<DocId, ApiError> {
    DocId::parse(raw).map_err(|_| ApiError::bad_id())
}

/// A page of the documents the caller may see, most recently edited first,
/// with their role; titles of open documents are live. The next page, if
/// there is one, is in the `Link` header (`rel="next"`).
async fn list(State(app): State<AppState>, caller: Caller, Query(query): Query<PageQuery>) -> Result<Response, ApiError> {
    let (page, next) = pagination::page(app.workspace.list(&caller).await?, &query)?;
    let mut response = Json(page).into_response();
    if let Some(link) = next.and_then(|cursor| HeaderValue::from_str(&pagination::next_link(query.limit, &cursor)).ok()) {
        response.headers_mut().insert(header::LINK, link);
    }
    Ok(response)
}

/// Server-sent events: a `changed` message whenever a document appears or is
/// renamed (coalesced; sent once the change is stored, so a refetch sees it).
/// The stream ends when the server shuts down. Open streams are capped in
/// total (503) and per client (429).
async fn events(State(app): State<AppState>, caller: Caller, client: ClientAddr) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    if matches!(caller, Caller::Anonymous) {
        return Err(crate::workspace::WorkspaceError::Unauthorized.into());
    }
    let slot = app.streams.open(client.key()).map_err(|refused| {
        app.metrics.limit_exceeded(refused.name());
        stream_refusal(refused)
    })?;
    let state = (app.workspace.changes(), app.workspace.clone(), app.shutdown.clone(), slot);
    let stream = futures_util::stream::unfold(state, |(mut changes, workspace, shutdown, slot)| async move {
        tokio::select! {
            changed = changes.changed() => changed.ok()?,
            _ = shutdown.cancelled() => return None,
        }
        workspace.settled().await;
        Some((Ok(Event::default().data("changed")), (changes, workspace, shutdown, slot)))
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}

/// The answer to an event stream over a cap: 429 for one client's own excess,
/// 503 when the server is full.
fn stream_refusal(refused: StreamRefused) -> ApiError {
    match refused {
        StreamRefused::Total => ApiError::new(StatusCode::SERVICE_UNAVAILABLE, refused.name(), "the server has too many event streams open"),
        StreamRefused::PerClient => ApiError::new(StatusCode::TOO_MANY_REQUESTS, refused.name(), "too many event streams from this address"),
    }
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
async fn create(State(app): State<AppState>, caller: Caller, body: Option<Json<CreateDoc>>) -> Result<impl IntoResponse, ApiError> {
    let Json(body) = body.unwrap_or_default();
    let id = app.workspace.create(&caller, &body.title).await?;
    Ok((StatusCode::CREATED, Json(Created { id })))
}

/// One document's listing entry, with its live title if it is open.
async fn meta(State(app): State<AppState>, caller: Caller, Path(raw): Path<String>) -> Result<Json<Listed>, ApiError> {
    Ok(Json(app.workspace.meta(&caller, &parse_id(&raw)?).await?))
}

/// The plain text of the document's `content`.
async fn text(State(app): State<AppState>, caller: Caller, Path(raw): Path<String>) -> Result<impl IntoResponse, ApiError> {
    let text = app.workspace.text(&caller, &parse_id(&raw)?).await?;
    Ok(([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], text))
}

/// The whole document as one Yjs v1 update.
async fn state(State(app): State<AppState>, caller: Caller, Path(raw): Path<String>) -> Result<impl IntoResponse, ApiError> {
    let bytes = app.workspace.state(&caller, &parse_id(&raw)?).await?;
    Ok(([(header::CONTENT_TYPE, "application/octet-stream")], bytes))
}

/// Applies a Yjs v1 update; answers once it is durable. Connected clients receive it.
async fn update(State(app): State<AppState>, caller: Caller, Path(raw): Path<String>, body: Bytes) -> Result<StatusCode, ApiError> {
    app.workspace.apply(&caller, &parse_id(&raw)?, &body).await?;
    Ok(StatusCode::NO_CONTENT)
}
