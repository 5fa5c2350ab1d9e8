//! `GET /ws/{doc_id}`: the y-websocket endpoint.
//!
//! A connection is admitted (connection caps) before the upgrade, then reads
//! while its document loads ([`Early`]), then is served by [`crate::conn`];
//! [`crate::conn::websocket`] upgrades it and sends large messages in fragments.

use crate::conn::admission::{Refused, Ticket};
use crate::conn::{ConnSettings, Early, Joining};
use crate::doc::queue::ConnId;
use crate::http::auth::presented;
use crate::workspace::Caller;
use crate::workspace::live::Registered;
use axum::extract::Query;
use axum::http::HeaderMap;
use serde::Deserialize;
use tandem_sync::doc_core::Rights;
use crate::http::error::ApiError;
use tandem_sync::close::{self, CloseReason};
use crate::doc::{LoadError, RoomGuard};
use crate::http::state::AppState;
use tandem_sync::DocId;
use axum::Extension;
use axum::extract::connect_info::ConnectInfo;
use axum::extract::ws::{CloseFrame, Message};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use futures_util::{SinkExt, StreamExt};
use crate::conn::websocket::{NotUpgrade, Socket, Upgrade};
use std::net::SocketAddr;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// Read buffer per connection, allocated when it opens, and the most read
/// from the socket at once. Keystrokes, cursors, awareness states and acks fit
/// in one read; a larger message is read in several (a 1 MiB paste in 4096,
/// a few milliseconds). A larger buffer would be the largest part of an idle
/// connection's memory.
const READ_BUFFER_BYTES: usize = 256;

/// The query of a WebSocket URL: an API or share-link token, as
/// `new WebsocketProvider(url, room, doc, { params: { token } })` sends it.
#[derive(Debug, Default, Deserialize)]
pub struct WsQuery {
    token: Option<String>,
}

/// Validates the id, checks the caller's access (401 without credentials,
/// 404 for a document they may not see), admits the connection, upgrades,
/// loads the document, then serves the connection.
pub async fn handler(
    State(app): State<AppState>,
    Path(raw): Path<String>,
    Query(query): Query<WsQuery>,
    headers: HeaderMap,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    upgrade: Result<Upgrade, NotUpgrade>,
) -> Result<Response, ApiError> {
    let id = DocId::parse(&raw).map_err(|_| ApiError::bad_id())?;
    let epoch = app.workspace.people().live().epoch();
    let caller = app.workspace.people().caller(presented(&headers, query.token)).await?;
    let role = app.workspace.admit(&caller, &id).await?;
    let upgrade = upgrade.map_err(|e| ApiError::new(e.status(), "websocket_required", e.body_text()))?;
    let ip = peer.map(|Extension(ConnectInfo(addr))| app.proxies.client(addr.ip(), &headers));
    let ticket = app.admission.admit(ip, &id).map_err(|refused| {
        app.metrics.limit_exceeded(refused.name());
        refusal(refused)
    })?;
    let max = app.limits.max_message_bytes;
    let upgrade = upgrade.config(max, READ_BUFFER_BYTES);
    let tasks = app.tasks.clone();
    let rights = if role.can_edit() { Rights::Write } else { Rights::Read };
    let opening = Box::new(Opening { app, id, ticket, caller, rights, epoch });
    Ok(upgrade.on_upgrade(move |socket| tasks.track_future(run(socket, opening))))
}

/// What a connection needs until its document is loaded. Boxed, and consumed
/// by [`open`]: the server state is large, and a connection that stays open
/// for hours should not carry a copy of it in its task.
struct Opening {
    app: AppState,
    id: DocId,
    /// Holds the connection's slot against the caps until it ends.
    ticket: Ticket,
    /// Who opened it (revocation finds the connection by it).
    caller: Caller,
    /// What it may do when it joins.
    rights: Rights,
    /// [`crate::workspace::live::Live::epoch`] before its access was checked.
    epoch: u64,
}

/// A connection whose document is loaded: what serving it needs.
struct Opened {
    socket: Box<Socket>,
    room: RoomGuard,
    early: Early,
    settings: ConnSettings,
    shutdown: CancellationToken,
    joining: Joining,
    _ticket: Ticket,
    /// Keeps the connection where revocation finds it (accounts mode).
    _registered: Option<Registered>,
}

/// The answer to a connection over a cap: 429 for one client's own excess,
/// 503 when the server or the document is full.
fn refusal(refused: Refused) -> ApiError {
    let (status, message) = match refused {
        Refused::Total => (StatusCode::SERVICE_UNAVAILABLE, "the server has too many connections"),
        Refused::PerIp => (StatusCode::TOO_MANY_REQUESTS, "too many connections from this address"),
        Refused::PerDoc => (StatusCode::SERVICE_UNAVAILABLE, "the document has too many connections"),
    };
    ApiError::new(status, refused.name(), message)
}

/// Serves one upgraded connection, once its document is loaded.
async fn run(socket: Box<Socket>, opening: Box<Opening>) {
    // Boxed: opening is the largest state of a connection's task and is over
    // once the document is loaded, so it should not stay in every task's size.
    let Some(opened) = Box::pin(open(socket, opening)).await else { return };
    let Opened { socket, room, early, settings, shutdown, joining, _ticket, _registered } = opened;
    crate::conn::serve_as(socket, early, room, joining, settings, shutdown).await;
}

/// Loads the connection's document; on failure closes the socket and gives `None`.
async fn open(mut socket: Box<Socket>, opening: Box<Opening>) -> Option<Opened> {
    let Opening { app, id, ticket, caller, rights, epoch } = *opening;
    if app.shutdown.is_cancelled() {
        close(socket, (close::GOING_AWAY, "server shutting down")).await;
        return None;
    }
    let settings = app.limits.conn_settings();
    match load(&mut socket, &app, &id, &settings).await {
        Ok((room, early)) => {
            let joining = Joining { conn: ConnId::next(), rights, author: caller.author() };
            let live = app.workspace.people().live();
            let registered = (caller != Caller::Open).then(|| live.register(joining.conn, &id, &caller, room.room()));
            if registered.is_some() && live.epoch() != epoch {
                recheck(&app, joining.conn, &caller, &id).await;
            }
            let shutdown = app.shutdown.clone();
            Some(Opened { socket, room, early, settings, shutdown, joining, _ticket: ticket, _registered: registered })
        }
        Err(reason) => {
            close(socket, reason).await;
            None
        }
    }
}

/// Loads the document while reading what the client sends meanwhile, up to
/// `max_pending_bytes` (past it: 1009) and closing it (1008) if it sends
/// nothing within the handshake timeout.
async fn load(
    socket: &mut Socket,
    app: &AppState,
    id: &DocId,
    settings: &ConnSettings,
) -> Result<(RoomGuard, Early), CloseReason> {
    let mut early = Early { items: Vec::new(), first_due: Some(Instant::now() + settings.handshake_timeout) };
    let mut pending = 0usize;
    let mut reading = true;
    let acquire = app.workspace.open(id);
    tokio::pin!(acquire);
    loop {
        let due = early.first_due.unwrap_or_else(far_future);
        tokio::select! {
            room = &mut acquire => return loaded(room, id).map(|room| (room, early)),
            _ = app.shutdown.cancelled() => return Err((close::GOING_AWAY, "server shutting down")),
            _ = tokio::time::sleep_until(due), if early.first_due.is_some() => {
                app.metrics.limit_exceeded("handshake_timeout");
                return Err((close::POLICY, "handshake timeout"));
            }
            item = socket.next(), if reading => {
                let Some(item) = item else { return Err((close::GOING_AWAY, "")) };
                reading = matches!(item, Ok(Message::Binary(_) | Message::Ping(_) | Message::Pong(_)));
                if let Ok(Message::Binary(frame)) = &item {
                    pending += frame.len();
                    early.first_due = None;
                }
                if pending > settings.max_pending_bytes {
                    app.metrics.limit_exceeded("pending_bytes");
                    return Err((close::TOO_BIG, "too much data before the document loaded"));
                }
                early.items.push(item);
            }
        }
    }
}

/// Applies a revocation or access change that came between the access check
/// and the registration (the connection has joined its room by then? no: it
/// joins when served, so the check's outcome is queued for it first).
async fn recheck(app: &AppState, conn: ConnId, caller: &Caller, id: &DocId) {
    if let Err(e) = app.workspace.recheck(conn, caller, id).await {
        tracing::warn!(doc = %id, error = %e, "access could not be checked again");
    }
}

fn far_future() -> Instant {
    Instant::now() + std::time::Duration::from_secs(86_400)
}

fn loaded(room: Result<RoomGuard, LoadError>, id: &DocId) -> Result<RoomGuard, CloseReason> {
    room.map_err(|e| {
        tracing::error!(doc = %id, error = %e, "document could not be loaded");
        (close::INTERNAL_ERROR, "document could not be loaded")
    })
}

async fn close(mut socket: Box<Socket>, (code, reason): CloseReason) {
    let _ = socket.send(Message::Close(Some(CloseFrame { code, reason: reason.into() }))).await;
}
