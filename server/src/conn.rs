//! One WebSocket connection: a read loop that feeds the room, and a write
//! loop that drains the connection's queue, acknowledges durable writes and
//! keeps the socket alive. Generic over `Sink`/`Stream`, so tests can drive
//! it without a network.

use crate::metrics::Metrics;
use crate::peer::{CloseReason, CloseSignal, ConnId, Loop, Outbound, Peer, PeerQueue, QueueLimits, close_code};
use crate::room::Room;
use crate::store::Seq;
use crate::throttle::{Rate, TokenBucket};
use axum::extract::ws::{CloseFrame, Message};
use bytes::Bytes;
use futures_util::stream::FuturesUnordered;
use futures_util::{Sink, SinkExt, Stream, StreamExt};
use std::collections::VecDeque;
use std::pin::Pin;
use std::time::Duration;
use tokio::sync::watch;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

/// A normal close (RFC 6455): the peer left or the socket ended.
const NORMAL: u16 = 1000;
/// Most frames written before one flush; bounds the time between flushes.
const MAX_FRAMES_PER_FLUSH: usize = 256;
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
    /// Messages per second the read loop accepts; a faster client is paused, not dropped.
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

/// Serves one connection in `room` until either side closes or `shutdown` fires.
/// No handshake deadline applies: see [`serve_after`].
pub async fn serve<S>(socket: S, room: &Room, settings: ConnSettings, shutdown: CancellationToken)
where
    S: Stream<Item = Result<Message, axum::Error>> + Sink<Message, Error = axum::Error> + Send,
{
    serve_after(socket, Early::default(), room, settings, shutdown).await
}

/// Serves one connection whose `early` items were read while its document
/// loaded: they are handled first, in order.
pub async fn serve_after<S>(socket: S, early: Early, room: &Room, settings: ConnSettings, shutdown: CancellationToken)
where
    S: Stream<Item = Result<Message, axum::Error>> + Sink<Message, Error = axum::Error> + Send,
{
    let conn = ConnId::next();
    let span = tracing::info_span!("conn", doc = %room.id(), conn = %conn);
    async move {
        let (peer, queue) = Peer::new(settings.queue);
        let close = queue.close.clone();
        if !room.join(conn, peer) {
            close.close((close_code::INTERNAL_ERROR, "document unavailable"));
        }
        tracing::debug!("connected");
        let metrics = room.metrics();
        metrics.opened();
        let durable = room.store().durable();
        let (sink, stream) = socket.split();
        let stream = futures_util::stream::iter(early.items).chain(stream);
        let reading = Reading { idle: settings.idle_timeout, first_due: early.first_due, rate: settings.rate };
        let sink = sink.with(|message: Message| {
            if let Message::Binary(frame) = &message {
                metrics.sent(frame.len());
            }
            std::future::ready(Ok::<_, axum::Error>(message))
        });
        apart(
            Box::pin(read_loop(stream, room, conn, &close, &shutdown, reading)),
            Box::pin(write_loop(sink, queue, durable, settings.keepalive)),
        )
        .await;
        room.leave(conn);
        metrics.closed(close.reason().map_or(NORMAL, |(code, _)| code));
        tracing::debug!(reason = ?close.reason(), "disconnected");
    }
    .instrument(span)
    .await
}

/// One of a connection's loops, boxed: a task holds only the pointer, so an
/// idle connection's task stays small.
type Half<'a> = Pin<Box<dyn Future<Output = ()> + Send + 'a>>;

/// Runs a connection's two loops to completion, each polled only when it was
/// woken. (Under `join!` every wakeup of the writer, one per relayed update,
/// would poll the reader too, and each such poll costs a `recv` that finds nothing.)
async fn apart(reader: Half<'_>, writer: Half<'_>) {
    let mut both: FuturesUnordered<Half<'_>> = [reader, writer].into_iter().collect();
    while both.next().await.is_some() {}
}

/// The read loop's timers and pace.
struct Reading {
    idle: Duration,
    first_due: Option<Instant>,
    rate: Rate,
}

impl Reading {
    /// When the next message is due: the handshake deadline until a first
    /// message came, then the idle timeout.
    fn deadline(&mut self, received: bool) -> (Instant, CloseReason) {
        if received {
            self.first_due = None;
        }
        match self.first_due {
            Some(due) => (due, (close_code::POLICY, "handshake timeout")),
            None => (Instant::now() + self.idle, (close_code::GOING_AWAY, "idle timeout")),
        }
    }
}

async fn read_loop<S>(
    mut stream: S,
    room: &Room,
    conn: ConnId,
    close: &CloseSignal,
    shutdown: &CancellationToken,
    mut reading: Reading,
) where
    S: Stream<Item = Result<Message, axum::Error>> + Unpin,
{
    let metrics = room.metrics();
    let mut bucket = TokenBucket::new(reading.rate, Instant::now());
    let mut received = false;
    loop {
        let (due, timed_out) = reading.deadline(received);
        let next = tokio::select! {
            _ = close.requested(Loop::Read) => return,
            _ = shutdown.cancelled() => return close.close((close_code::GOING_AWAY, "server shutting down")),
            next = tokio::time::timeout_at(due, stream.next()) => next,
        };
        let frame = match next {
            Err(_) => {
                if timed_out.0 == close_code::POLICY {
                    metrics.limit_exceeded("handshake_timeout");
                }
                return close.close(timed_out);
            }
            Ok(None) | Ok(Some(Ok(Message::Close(_)))) => return close.close((NORMAL, "")),
            Ok(Some(Err(e))) => return close.close(read_error(e, metrics)),
            Ok(Some(Ok(Message::Text(_)))) => {
                tracing::warn!("text frame; closing");
                metrics.bad_frame(close_code::UNSUPPORTED);
                return close.close((close_code::UNSUPPORTED, "binary frames only"));
            }
            Ok(Some(Ok(Message::Binary(frame)))) => frame,
            Ok(Some(Ok(_))) => continue, // ping and pong are answered by the WebSocket layer
        };
        received = true;
        metrics.received(frame.len());
        if let Err(rejected) = room.handle(conn, &frame) {
            tracing::warn!(error = %rejected, code = rejected.code, "bad message; closing");
            metrics.bad_frame(rejected.code);
            return close.close((rejected.code, rejected.reason));
        }
        if let Some(wait) = bucket.take(Instant::now()) {
            tracing::debug!(?wait, "over the message rate; pausing reads");
            metrics.throttled.inc();
            tokio::select! {
                _ = close.requested(Loop::Read) => return,
                _ = shutdown.cancelled() => return close.close((close_code::GOING_AWAY, "server shutting down")),
                _ = tokio::time::sleep(wait) => {}
            }
        }
    }
}

/// The close reason for a failed read: an oversize message gets 1009. An
/// oversize or malformed frame is counted as bad; a dropped socket is not.
fn read_error(e: axum::Error, metrics: &Metrics) -> CloseReason {
    use tungstenite::error::{Error, ProtocolError};
    let inner = e.into_inner();
    match inner.downcast_ref::<Error>() {
        Some(Error::Capacity(_)) => {
            tracing::warn!(error = %inner, "message over the size cap; closing");
            metrics.bad_frame(close_code::TOO_BIG);
            (close_code::TOO_BIG, "message too big")
        }
        Some(Error::Protocol(p)) if *p != ProtocolError::ResetWithoutClosingHandshake => {
            tracing::debug!(error = %inner, "malformed frame");
            metrics.bad_frame(close_code::PROTOCOL_ERROR);
            (close_code::PROTOCOL_ERROR, "unreadable frame")
        }
        _ => {
            tracing::debug!(error = %inner, "read failed");
            (close_code::PROTOCOL_ERROR, "unreadable frame")
        }
    }
}

async fn write_loop<S>(mut sink: S, mut queue: PeerQueue, durable: watch::Receiver<Seq>, keepalive: Duration)
where
    S: Sink<Message, Error = axum::Error> + Unpin,
{
    let close = queue.close.clone();
    // A close request interrupts even a write that is stuck on a peer that stopped reading.
    tokio::select! {
        _ = pump(&mut sink, &mut queue, durable, keepalive) => {}
        _ = close.requested(Loop::Write) => {}
    }
    let (code, reason) = close.reason().unwrap_or((NORMAL, ""));
    let frame = CloseFrame { code, reason: reason.into() };
    let _ = tokio::time::timeout(CLOSE_TIMEOUT, sink.send(Message::Close(Some(frame)))).await;
}

/// Writes queued frames, durable acknowledgements and keepalives until a
/// write fails (or, from [`write_loop`], until the connection closes).
async fn pump<S>(sink: &mut S, queue: &mut PeerQueue, mut durable: watch::Receiver<Seq>, keepalive: Duration)
where
    S: Sink<Message, Error = axum::Error> + Unpin,
{
    let keepalive_frame = Bytes::from(app::protocol::encode_keepalive());
    let mut acks: VecDeque<(Seq, Bytes)> = VecDeque::new();
    let mut last_sent = Instant::now();
    // One timer for the connection's life, moved only when it fires: re-arming
    // it after every write would cost a timer-wheel update per relayed update.
    let keepalive_due = tokio::time::sleep_until(last_sent + keepalive);
    tokio::pin!(keepalive_due);
    loop {
        let sent = tokio::select! {
            item = queue.recv() => write_batch(sink, queue, item, &mut acks, &durable).await,
            Ok(()) = durable.changed(), if !acks.is_empty() => write_acks(sink, &mut acks, &durable).await,
            () = &mut keepalive_due => {
                let due = last_sent + keepalive;
                if due > Instant::now() {
                    keepalive_due.as_mut().reset(due);
                    continue;
                }
                let sent = sink.send(Message::Binary(keepalive_frame.clone())).await;
                keepalive_due.as_mut().reset(Instant::now() + keepalive);
                sent
            }
        };
        if sent.is_err() {
            return queue.close.close((NORMAL, ""));
        }
        last_sent = Instant::now();
    }
}

/// Writes `first` and whatever else is queued, then flushes once.
async fn write_batch<S>(
    sink: &mut S,
    queue: &mut PeerQueue,
    first: Outbound,
    acks: &mut VecDeque<(Seq, Bytes)>,
    durable: &watch::Receiver<Seq>,
) -> Result<(), axum::Error>
where
    S: Sink<Message, Error = axum::Error> + Unpin,
{
    let mut item = Some(first);
    let mut written = 0;
    while let Some(next) = item.take() {
        match next {
            Outbound::Frame(frame) => {
                let len = frame.len();
                sink.feed(Message::Binary(frame)).await?;
                queue.gauge.sent(len);
            }
            Outbound::AckAfter(seq, frame) => {
                queue.gauge.sent(frame.len());
                acks.push_back((seq, frame));
            }
        }
        written += 1;
        if written < MAX_FRAMES_PER_FLUSH {
            item = queue.try_recv();
        }
    }
    feed_acks(sink, acks, durable).await?;
    sink.flush().await
}

async fn write_acks<S>(sink: &mut S, acks: &mut VecDeque<(Seq, Bytes)>, durable: &watch::Receiver<Seq>) -> Result<(), axum::Error>
where
    S: Sink<Message, Error = axum::Error> + Unpin,
{
    feed_acks(sink, acks, durable).await?;
    sink.flush().await
}

/// Writes, in order, every acknowledgement whose updates are now durable.
async fn feed_acks<S>(sink: &mut S, acks: &mut VecDeque<(Seq, Bytes)>, durable: &watch::Receiver<Seq>) -> Result<(), axum::Error>
where
    S: Sink<Message, Error = axum::Error> + Unpin,
{
    let durable = *durable.borrow();
    while acks.front().is_some_and(|(seq, _)| *seq <= durable) {
        if let Some((_, frame)) = acks.pop_front() {
            sink.feed(Message::Binary(frame)).await?;
        }
    }
    Ok(())
}
