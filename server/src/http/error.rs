//! The HTTP API's error type: a status, a stable code and a message, as JSON.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use crate::accounts::AccountError;
use crate::store::{Failure, Intake, StoreError};
use crate::workspace::WorkspaceError;
use serde::Serialize;
use tandem_sync::doc_core::CoreError;

/// An error answered to an HTTP client. Internal causes are logged, never sent.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    /// For internal errors: the id logged with the cause, so a report can be matched to the log.
    id: Option<String>,
}

#[derive(Serialize)]
struct Body<'a> {
    error: Detail<'a>,
}

#[derive(Serialize)]
struct Detail<'a> {
    code: &'a str,
    message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<&'a str>,
}

impl ApiError {
    /// A client error with a message for the client.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError { status, code, message: message.into(), id: None }
    }

    /// 400: a document id that does not validate.
    pub fn bad_id() -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_doc_id", tandem_sync::doc_id::InvalidDocId.to_string())
    }

    /// 404: no such document.
    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", "no such document")
    }

    /// 500: logs `cause` under a fresh error id and tells the client only
    /// that something failed, and that id.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        let id = format!("{:016x}", rand::random::<u64>());
        tracing::error!(error = %cause, error_id = %id, "internal error");
        ApiError { id: Some(id), ..Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "internal error") }
    }

    /// 400: a body that is not the JSON the route takes.
    pub fn bad_json(detail: impl std::fmt::Display) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_json", format!("the body is not the JSON this route takes: {detail}"))
    }

    /// 503: the server is shutting down.
    pub fn unavailable() -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", "the server is shutting down")
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = Body { error: Detail { code: self.code, message: &self.message, id: self.id.as_deref() } };
        (self.status, Json(body)).into_response()
    }
}

/// 507 while the disk is full, 503 while the store takes no writes for
/// another reason; the message says which, and that nothing was changed.
fn not_storing(intake: Intake) -> ApiError {
    let message = WorkspaceError::NotStoring(intake).to_string();
    match intake {
        Intake::Failing(Failure::DiskFull) => ApiError::new(StatusCode::INSUFFICIENT_STORAGE, "disk_full", message),
        _ => ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "not_storing", message),
    }
}

impl From<WorkspaceError> for ApiError {
    fn from(e: WorkspaceError) -> Self {
        match e {
            WorkspaceError::NotFound => ApiError::not_found(),
            WorkspaceError::Closed => ApiError::unavailable(),
            WorkspaceError::NotStoring(intake) => not_storing(intake),
            WorkspaceError::Update(CoreError::DocTooLarge { .. }) => {
                ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "document_too_large", "the document would exceed its size limit")
            }
            WorkspaceError::Update(e @ CoreError::Panicked) => ApiError::internal(e),
            WorkspaceError::Update(refused) => {
                tracing::debug!(error = %refused, "update refused");
                ApiError::new(StatusCode::BAD_REQUEST, "invalid_update", "the update does not decode or apply")
            }
            WorkspaceError::Unauthorized => ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", e.to_string()),
            WorkspaceError::InvalidCredentials => ApiError::new(StatusCode::UNAUTHORIZED, "invalid_credentials", e.to_string()),
            WorkspaceError::TooManyAttempts => ApiError::new(StatusCode::TOO_MANY_REQUESTS, "too_many_attempts", e.to_string()),
            WorkspaceError::Forbidden(message) => ApiError::new(StatusCode::FORBIDDEN, "forbidden", message),
            WorkspaceError::Invalid(message) => ApiError::new(StatusCode::BAD_REQUEST, "invalid_request", message),
            WorkspaceError::Account(AccountError::BadUsername) => ApiError::new(StatusCode::BAD_REQUEST, "bad_username", e.to_string()),
            WorkspaceError::Account(AccountError::ShortPassword) => ApiError::new(StatusCode::BAD_REQUEST, "weak_password", e.to_string()),
            WorkspaceError::Store(StoreError::NameTaken(_)) => ApiError::new(StatusCode::CONFLICT, "name_taken", "that user name is taken"),
            WorkspaceError::NoSuchUser => ApiError::new(StatusCode::NOT_FOUND, "no_such_user", e.to_string()),
            WorkspaceError::InviteInvalid => ApiError::new(StatusCode::NOT_FOUND, "invite_invalid", e.to_string()),
            WorkspaceError::BadSetupToken => ApiError::new(StatusCode::FORBIDDEN, "bad_setup_token", e.to_string()),
            WorkspaceError::TooManyDocuments => ApiError::new(StatusCode::INSUFFICIENT_STORAGE, "too_many_documents", e.to_string()),
            WorkspaceError::StoreFull => ApiError::new(StatusCode::INSUFFICIENT_STORAGE, "store_full", e.to_string()),
            WorkspaceError::UnsupportedImage => ApiError::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type", e.to_string()),
            other => ApiError::internal(other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn body_of(e: ApiError) -> (StatusCode, String) {
        let response = e.into_response();
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
        (status, String::from_utf8(bytes.to_vec()).unwrap())
    }

    #[tokio::test]
    async fn an_internal_error_shows_only_a_generic_message_and_its_id() {
        let (status, body) = body_of(ApiError::internal("disk I/O error at /var/lib/tandem/tandem.db")).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert!(!body.contains("disk") && !body.contains("/var"), "{body}");
        let json: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(json["error"]["message"], "internal error");
        assert_eq!(json["error"]["id"].as_str().map(str::len), Some(16));
    }

    #[tokio::test]
    async fn a_client_error_has_no_id() {
        let (status, body) = body_of(ApiError::not_found()).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert!(!body.contains("\"id\""), "{body}");
    }
}
