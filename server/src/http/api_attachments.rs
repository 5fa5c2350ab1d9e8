//! A document's images: `POST /api/docs/{id}/attachments` (a raw image body)
//! and `GET /api/docs/{id}/attachments/{aid}`.
//!
//! A read takes the usual credentials and also `?token=`, an API or
//! share-link token in the URL, as the WebSocket endpoint does: an `<img>`
//! cannot send `Authorization`, and a share link's guest has no cookie. The
//! access log never writes a URL's query, and `Referrer-Policy: same-origin`
//! keeps it from other sites.

use crate::http::api::parse_id;
use crate::http::auth::presented;
use crate::http::error::ApiError;
use crate::http::state::AppState;
use crate::workspace::Caller;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use bytes::Bytes;
use serde::{Deserialize, Serialize};

/// How long a browser may keep an attachment: a year, without asking again.
/// Its URL names its content (the hash of its bytes), so it never changes;
/// `private`: only the reader's browser keeps it, no shared cache.
const CACHE_CONTROL: &str = "private, max-age=31536000, immutable";

/// The attachment routes; an upload may be as large as `max_bytes`
/// (`--max-attachment-bytes`), a larger one gets 413.
pub fn router(max_bytes: usize) -> Router<AppState> {
    Router::new()
        .route("/docs/{id}/attachments", post(upload).layer(DefaultBodyLimit::max(max_bytes)))
        .route("/docs/{id}/attachments/{aid}", get(read))
}

/// Answer of an upload.
#[derive(Serialize)]
struct Uploaded {
    /// Where the attachment is served, without the sub-path prefix.
    url: String,
}

/// Stores the body as an image attachment; answers its URL once it is durable.
async fn upload(State(app): State<AppState>, caller: Caller, Path(id): Path<String>, body: Result<Bytes, BytesRejection>) -> Result<impl IntoResponse, ApiError> {
    let id = parse_id(&id)?;
    let body = body.map_err(|rejection| match rejection.status() {
        StatusCode::PAYLOAD_TOO_LARGE => {
            app.metrics.limit_exceeded("attachment_bytes");
            let max = app.limits.max_attachment_bytes;
            ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "attachment_too_large", format!("an attachment has at most {max} bytes"))
        }
        status => ApiError::new(status, "invalid_body", "the request body could not be read"),
    })?;
    let url = app.workspace.attach(&caller, &id, body).await?;
    Ok((StatusCode::CREATED, Json(Uploaded { url })))
}

/// The query of a read: a token, for a reader whose browser cannot send one otherwise.
#[derive(Debug, Default, Deserialize)]
struct ReadQuery {
    token: Option<String>,
}

/// The attachment's bytes, with the type told at upload; shown inline, never sniffed.
async fn read(
    State(app): State<AppState>,
    Path((id, aid)): Path<(String, String)>,
    Query(query): Query<ReadQuery>,
    headers: HeaderMap,
) -> Result<impl IntoResponse, ApiError> {
    let caller = app.workspace.people().caller(presented(&headers, query.token)).await?;
    let attachment = app.workspace.attachment(&caller, &parse_id(&id)?, &aid).await?;
    let headers = [
        (header::CONTENT_TYPE, HeaderValue::from_static(attachment.content_type.mime())),
        (header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")),
        (header::CACHE_CONTROL, HeaderValue::from_static(CACHE_CONTROL)),
        (header::CONTENT_DISPOSITION, HeaderValue::from_static("inline")),
    ];
    Ok((headers, attachment.bytes))
}
