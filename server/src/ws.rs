//! `GET /ws/{doc_id}`: the y-websocket endpoint.

use crate::error::ApiError;
use crate::peer::close_code;
use crate::state::AppState;
use app::DocId;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, State};
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::response::{IntoResponse, Response};

/// Read buffer per connection. Protocol messages are small; a larger one is
/// read in several chunks. (The WebSocket library's default, 128 KiB, would
/// dominate the memory of an idle connection.)
const READ_BUFFER_BYTES: usize = 8 * 1024;
/// Bytes written to the socket buffer before a flush is forced.
const WRITE_BUFFER_BYTES: usize = 16 * 1024;

/// Validates the id, upgrades, loads the document, then serves the connection.
pub async fn handler(
    State(app): State<AppState>,
    Path(raw): Path<String>,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Result<Response, ApiError> {
    let id = DocId::parse(&raw).map_err(|_| ApiError::bad_id())?;
    let upgrade = upgrade.map_err(|e| ApiError::new(e.status(), "websocket_required", e.body_text()))?;
    let max = app.limits.max_message_bytes;
    let upgrade = upgrade
        .max_message_size(max)
        .max_frame_size(max)
        .read_buffer_size(READ_BUFFER_BYTES)
        .write_buffer_size(WRITE_BUFFER_BYTES);
    let tasks = app.tasks.clone();
    Ok(upgrade
        .on_upgrade(move |socket| tasks.track_future(run(socket, app, id)))
        .into_response())
}

async fn run(socket: WebSocket, app: AppState, id: DocId) {
    if app.shutdown.is_cancelled() {
        return close(socket, close_code::GOING_AWAY, "server shutting down").await;
    }
    let room = match app.rooms.acquire(&id).await {
        Ok(room) => room,
        Err(e) => {
            tracing::error!(doc = %id, error = %e, "document could not be loaded");
            return close(socket, close_code::INTERNAL_ERROR, "document could not be loaded").await;
        }
    };
    let settings = app.limits.conn_settings();
    crate::conn::serve(socket, &room, settings, app.shutdown.clone()).await;
}

async fn close(mut socket: WebSocket, code: u16, reason: &'static str) {
    let _ = socket.send(Message::Close(Some(CloseFrame { code, reason: reason.into() }))).await;
}
