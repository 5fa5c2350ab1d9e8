//! One WebSocket connection: what it reads feeds the room; its queue is
//! drained to the socket with durable acknowledgements and keepalives.
//! Everything a connection waits for is driven by one hand-written future
//! (`drive`) that keeps only the state it needs: an idle connection is a few
//! hundred bytes plus its socket. Generic over `Sink`/`Stream`, so tests can
//! drive it without a network.
//!
//! - `drive`: the connection's one future — reads, writes, acknowledges, keeps alive.
//! - [`admission`]: connection caps (in total, per address, per document).
//! - [`throttle`]: paces a connection's messages.
//! - [`websocket`]: the upgrade, and a socket that sends a large message in fragments.

pub mod admission;
mod drive;
pub mod throttle;
pub mod websocket;

use crate::doc::queue::{CloseOnWake, CloseSignal, ConnId, ConnHandle, QueueLimits};
use tandem_sync::close::{self, CloseReason};
use crate::doc::Room;
use crate::conn::throttle::Rate;
use tandem_sync::doc_core::Rights;
use axum::extract::ws::Message;
use futures_util::{Sink, Stream};
use std::ops::Deref;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Waker};
use std::time::Duration;
use tokio::time::Instant;
use tokio_util::sync::{CancellationToken, WaitForCancellationFutureOwned};
use tracing::Instrument;

/// A normal close (RFC 6455): the peer left or the socket ended.
const NORMAL: u16 = 1000;
/// Most frames written before one flush; bounds the time between flushes.
const MAX_FRAMES_PER_FLUSH: usize = 256;
/// Most messages handled in one turn before the connection lets others run.
const READS_PER_TURN: usize = 64;
/// Why every connection closes when the server stops.
const SHUTTING_DOWN: CloseReason = (close::GOING_AWAY, "server shutting down");
/// How long the close frame may take to reach a peer before the socket is simply dropped.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(2);

/// Per-connection settings, from the server's configuration.
#[derive(Debug, Clone, Copy)]
pub struct ConnSettings {
    /// Bound of each connection's outbound queue.
    pub queue: QueueLimits,
    /// Longest time the server stays silent on a socket: browsers cannot see
    /// WebSocket pings and y-websocket drops a socket silent for 30 s.
    pub keepalive: Duration,
    /// A peer silent this long is disconnected (stock clients renew awareness every 15 s).
    pub idle_timeout: Duration,
    /// Time from the upgrade to the client's first message (see [`Early`]).
    pub handshake_timeout: Duration,
    /// Messages per second a connection accepts; a faster client is paused, not dropped.
    pub rate: Rate,
    /// Bytes buffered from a client while its document loads (see [`Early`]).
    pub max_pending_bytes: usize,
}

/// What a connection sent before its document was loaded, and by when its
/// first message is due. The endpoint reads while the document loads, so a
/// slow load neither stalls a client nor lets it send without bound.
#[derive(Debug, Default)]
pub struct Early {
    /// Items read so far, in order; at most `max_pending_bytes` of payload.
    pub items: Vec<Result<Message, axum::Error>>,
    /// If no message arrived yet: when the connection is closed (1008) unless one does.
    pub first_due: Option<Instant>,
}

/// Serves one connection in `room` until either side closes or `shutdown`
/// fires; gives the close code it ended with.
/// No handshake deadline applies: see [`serve_with_early`].
pub fn serve<'a, S>(socket: S, room: &'a Room, settings: ConnSettings, shutdown: CancellationToken) -> impl Future<Output = u16> + Send + 'a
where
    S: Stream<Item = Result<Message, axum::Error>> + Sink<Message, Error = axum::Error> + Send + Unpin + 'a,
{
    serve_with_early(socket, Early::default(), room, settings, shutdown)
}

/// Serves one connection whose `early` items were read while its document
/// loaded: they are handled first, in order. The connection joins `room`
/// (a loaded document, or a reference to one) at once.
///
/// Not an `async fn`: that would keep its arguments beside the connection
/// built from them for the connection's whole life. The returned future holds
/// only the connection, its timer and its shutdown registration.
pub fn serve_with_early<S, R>(socket: S, early: Early, room: R, settings: ConnSettings, shutdown: CancellationToken) -> impl Future<Output = u16> + Send
where
    S: Stream<Item = Result<Message, axum::Error>> + Sink<Message, Error = axum::Error> + Send + Unpin,
    R: Deref<Target = Room> + Send,
{
    let joining = Joining { conn: ConnId::next(), rights: Rights::Write, author: Arc::from(crate::doc::ANONYMOUS) };
    serve_as(socket, early, room, joining, settings, shutdown)
}

/// Who joins a room: the connection's id (by which the room can later change
/// its rights or close it), what it may do, and who it is.
#[derive(Debug, Clone)]
pub struct Joining {
    /// The connection's id.
    pub conn: ConnId,
    /// Whether its updates are applied.
    pub rights: Rights,
    /// Whose edits its updates are, for the document's versions.
    pub author: Arc<str>,
}

/// Serves one connection as [`serve_with_early`] does, joining the room as `joining`.
pub fn serve_as<S, R>(socket: S, early: Early, room: R, joining: Joining, settings: ConnSettings, shutdown: CancellationToken) -> impl Future<Output = u16> + Send
where
    S: Stream<Item = Result<Message, axum::Error>> + Sink<Message, Error = axum::Error> + Send + Unpin,
    R: Deref<Target = Room> + Send,
{
    let Joining { conn, rights, author } = joining;
    let span = tracing::info_span!("conn", doc = %room.id(), conn = %conn);
    let (peer, queue) = ConnHandle::new(settings.queue);
    let close = queue.close.clone();
    if !room.join(conn, peer, rights, author) {
        close.close((close::INTERNAL_ERROR, "document unavailable"));
    }
    let mut connection = drive::Connection::new(socket, early, room, conn, queue, &settings);
    async move {
        let on_shutdown = shutdown.cancelled_owned();
        tokio::pin!(on_shutdown);
        close_on(on_shutdown.as_mut(), &close);
        tracing::debug!("connected");
        connection.room().metrics().opened();
        let timer = tokio::time::sleep_until(connection.armed());
        tokio::pin!(timer);
        std::future::poll_fn(|cx| connection.poll(cx, timer.as_mut())).await;
        if connection.has_parked() {
            tracing::warn!("an update paused for the store was not applied; never acknowledged, its client still has it");
        }
        let room = connection.room();
        room.leave(conn);
        let code = close.reason().map_or(NORMAL, |(code, _)| code);
        room.metrics().closed(code);
        tracing::debug!(reason = ?close.reason(), "disconnected");
        code
    }
    .instrument(span)
}

/// Makes the server's shutdown close the connection through its close signal:
/// polled once here with a waker that closes, the shutdown token then reaches
/// the connection without the connection polling it (a lock shared by every
/// connection) on each of its wakeups.
fn close_on(on_shutdown: Pin<&mut WaitForCancellationFutureOwned>, close: &Arc<CloseSignal>) {
    let waker = Waker::from(Arc::new(CloseOnWake { signal: close.clone(), reason: SHUTTING_DOWN }));
    if on_shutdown.poll(&mut Context::from_waker(&waker)).is_ready() {
        close.close(SHUTTING_DOWN);
    }
}
