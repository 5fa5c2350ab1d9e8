//! The HTTP API's error type: a status, a stable code and a message, as JSON.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// An error answered to an HTTP client. Internal causes are logged, never sent.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
}

#[derive(Serialize)]
struct Body<'a> {
    error: Detail<'a>,
}

#[derive(Serialize)]
struct Detail<'a> {
    code: &'a str,
    message: &'a str,
}

impl ApiError {
    /// A client error with a message for the client.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError { status, code, message: message.into() }
    }

    /// 400: a document id that does not validate.
    pub fn bad_id() -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_doc_id", app::doc_id::InvalidDocId.to_string())
    }

    /// 404: no such document.
    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", "no such document")
    }

    /// 500: logs `cause` and tells the client only that something failed.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "internal error");
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "internal error")
    }

    /// 503: the server is shutting down.
    pub fn unavailable() -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", "the server is shutting down")
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = Body { error: Detail { code: self.code, message: &self.message } };
        (self.status, Json(body)).into_response()
    }
}

impl From<crate::rooms::LoadError> for ApiError {
    fn from(e: crate::rooms::LoadError) -> Self {
        match e {
            crate::rooms::LoadError::Closed => ApiError::unavailable(),
            other => ApiError::internal(other),
        }
    }
}

impl From<crate::docs::DocsError> for ApiError {
    fn from(e: crate::docs::DocsError) -> Self {
        match e {
            crate::docs::DocsError::Closed | crate::docs::DocsError::Load(crate::rooms::LoadError::Closed) => {
                ApiError::unavailable()
            }
            other => ApiError::internal(other),
        }
    }
}
