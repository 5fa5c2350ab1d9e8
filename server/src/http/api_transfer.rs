//! Export and import: `GET /api/docs/{id}/export?format=md|html` and
//! `POST /api/docs/import` (a Markdown body).

use crate::http::api::parse_id;
use crate::http::error::ApiError;
use crate::http::state::AppState;
use crate::workspace::Caller;
use crate::workspace::transfer::{Format, import_title};
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use bytes::Bytes;
use serde::{Deserialize, Serialize};

/// The transfer routes; an import body may be as large as `max_body`.
pub fn router(max_body: usize) -> Router<AppState> {
    Router::new()
        .route("/docs/{id}/export", get(export))
        .route("/export", get(crate::http::zip_export::export_all))
        .route("/docs/import", post(import).layer(DefaultBodyLimit::max(max_body)))
}

/// Query of the export route.
#[derive(Deserialize)]
struct ExportQuery {
    format: Option<String>,
}

/// Query of the import route: a title, or the uploaded file's name to take one from.
#[derive(Deserialize)]
struct ImportQuery {
    title: Option<String>,
    name: Option<String>,
}

/// Answer of an import.
#[derive(Serialize)]
struct Imported {
    id: tandem_sync::DocId,
}

/// The document as a download: Markdown (the default) or one HTML file.
async fn export(State(app): State<AppState>, caller: Caller, Path(id): Path<String>, Query(query): Query<ExportQuery>) -> Result<impl IntoResponse, ApiError> {
    let format = match query.format.as_deref() {
        None | Some("md") => Format::Markdown,
        Some("html") => Format::Html,
        Some(_) => return Err(ApiError::new(StatusCode::BAD_REQUEST, "invalid_format", "format is md or html")),
    };
    let file = app.workspace.export(&caller, &parse_id(&id)?, format).await?;
    let disposition = content_disposition(&file.file_name);
    Ok(([(header::CONTENT_TYPE, HeaderValue::from_static(file.content_type)), (header::CONTENT_DISPOSITION, disposition)], file.body))
}

/// `attachment` with the name in ASCII and, for any other characters, RFC 5987.
fn content_disposition(name: &str) -> HeaderValue {
    let ascii: String = name.chars().map(|c| if c.is_ascii_alphanumeric() || " .-_".contains(c) { c } else { '_' }).collect();
    let encoded = percent_encoding::utf8_percent_encode(name, percent_encoding::NON_ALPHANUMERIC);
    HeaderValue::from_str(&format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}"))
        .unwrap_or_else(|_| HeaderValue::from_static("attachment"))
}

/// Creates a document from a Markdown body; answers its id once durable.
async fn import(State(app): State<AppState>, caller: Caller, Query(query): Query<ImportQuery>, body: Bytes) -> Result<impl IntoResponse, ApiError> {
    let text = std::str::from_utf8(&body)
        .map_err(|_| ApiError::new(StatusCode::BAD_REQUEST, "not_utf8", "the file is not UTF-8 text"))?;
    if text.len() > app.limits.max_doc_bytes {
        return Err(ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "document_too_large", "the file is larger than a document may be"));
    }
    let title = import_title(query.title.as_deref(), text, query.name.as_deref());
    let id = app.workspace.import(&caller, &title, text).await?;
    Ok((StatusCode::CREATED, Json(Imported { id })))
}
