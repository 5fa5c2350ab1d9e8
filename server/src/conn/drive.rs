//! The one future of a connection: reading, writing and timers as a single
//! state machine, so an open connection costs one small task and one timer.

use super::{CLOSE_TIMEOUT, ConnSettings, Early, MAX_FRAMES_PER_FLUSH, NORMAL, READS_PER_TURN};
use crate::metrics::Metrics;
use crate::doc::queue::{ConnId, Outbound, ConnQueue};
use tandem_sync::close::{self, CloseReason};
use crate::doc::Room;
use crate::store::{Intake, Seq};
use crate::conn::throttle::TokenBucket;
use axum::extract::ws::{CloseFrame, Message};
use bytes::Bytes;
use futures_util::{Sink, Stream};
use std::collections::VecDeque;
use std::ops::Deref;
use std::pin::Pin;
use std::sync::OnceLock;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::sync::watch;
use tokio::time::{Instant, Sleep};

/// A write to the socket failed: the peer is gone.
struct WriteFailed;

/// Why a connection is closed when the store's writer has stopped: its
/// unacknowledged updates will never be stored, and no new one will be.
const STORE_STOPPED: CloseReason = (close::INTERNAL_ERROR, "storage failed; reconnect later");

/// A v1 update that changes nothing: what a client with nothing new sends in
/// answer to our `SyncStep1`.
const EMPTY_UPDATE: &[u8] = &[0, 0];

/// A connection being served.
pub(super) struct Connection<R, S> {
    socket: S,
    /// What was read while the document loaded, handled before the socket.
    early: std::vec::IntoIter<Result<Message, axum::Error>>,
    room: R,
    conn: ConnId,
    queue: ConnQueue,
    read: ReadState,
    write: WriteState,
    /// When the connection's timer fires. It is moved earlier at once but
    /// later only when it fires: each message pushes the idle deadline back,
    /// and moving a timer costs a timer-wheel update.
    armed: Instant,
    /// Once a close was requested: until when the close frame may take.
    closing: Option<Closing>,
    /// Whether the close signal holds the task's waker.
    close_watched: bool,
}

/// The reading side's deadlines and pace.
struct ReadState {
    idle: Duration,
    /// Until the first message: when the connection is closed without one.
    first_due: Option<Instant>,
    /// The idle timeout counts from here.
    last_received: Instant,
    bucket: TokenBucket,
    /// While over the message rate: when reading resumes.
    paused_until: Option<Instant>,
    /// An update read while the store took no writes: reading stops (the
    /// socket's buffers fill and the client slows down) until the store takes
    /// writes again; then this is handled first. One message at most, so a
    /// failing disk costs each writer at most one message of memory.
    parked: Option<Bytes>,
    /// Whether the store takes writes, watched while a message is parked.
    intake: IntakeWatch,
}

/// The store's intake, or a wait for it to change (boxed: only while parked).
enum IntakeWatch {
    Ready(watch::Receiver<Intake>),
    /// Resolves when the intake changes; `false` if the store is gone.
    Waiting(Pin<Box<dyn Future<Output = (bool, watch::Receiver<Intake>)> + Send>>),
}

/// The writing side: acks waiting to be durable, and keepalives.
struct WriteState {
    keepalive: Duration,
    last_sent: Instant,
    /// Acknowledgements in order, each sent once the store's durable seq reaches its `Seq`.
    acks: VecDeque<(Seq, Bytes)>,
    durable: Durable,
    /// Frames handed to the socket since it was last flushed.
    unflushed: usize,
}

/// The store's durable seq, or a wait for it to move (boxed: only while acks wait).
enum Durable {
    Ready(watch::Receiver<Seq>),
    Waiting(Pin<Box<dyn Future<Output = (bool, watch::Receiver<Seq>)> + Send>>),
    /// The store stopped: no more acks.
    Gone,
}

/// A close in progress.
struct Closing {
    due: Instant,
    sent: bool,
}

/// The keepalive frame, encoded once for every connection.
fn keepalive_frame() -> Bytes {
    static FRAME: OnceLock<Bytes> = OnceLock::new();
    FRAME.get_or_init(|| Bytes::from(tandem_sync::protocol::encode_keepalive())).clone()
}

impl<R, S> Connection<R, S>
where
    R: Deref<Target = Room>,
    S: Stream<Item = Result<Message, axum::Error>> + Sink<Message, Error = axum::Error> + Unpin,
{
    /// A connection that has joined `room`; it handles `early` first.
    pub(super) fn new(socket: S, early: Early, room: R, conn: ConnId, queue: ConnQueue, settings: &ConnSettings) -> Self {
        let now = Instant::now();
        let read = ReadState {
            idle: settings.idle_timeout,
            first_due: early.first_due,
            last_received: now,
            bucket: TokenBucket::new(settings.rate, now),
            paused_until: None,
            parked: None,
            intake: IntakeWatch::Ready(room.store().intake()),
        };
        let durable = Durable::Ready(room.store().durable());
        let write = WriteState { keepalive: settings.keepalive, last_sent: now, acks: VecDeque::new(), durable, unflushed: 0 };
        // Armed "now": the first poll sets the timer to the first deadline and registers it.
        Connection { socket, early: early.items.into_iter(), room, conn, queue, read, write, armed: now, closing: None, close_watched: false }
    }

    /// Whether an update waits, unread by the room, for the store to take writes.
    pub(super) fn has_parked(&self) -> bool {
        self.read.parked.is_some()
    }

    /// The connection's document.
    pub(super) fn room(&self) -> &Room {
        &self.room
    }

    /// When the timer is set to fire.
    pub(super) fn armed(&self) -> Instant {
        self.armed
    }

    /// Does whatever is ready; `Ready` once the connection is over.
    pub(super) fn poll(&mut self, cx: &mut Context<'_>, mut timer: Pin<&mut Sleep>) -> Poll<()> {
        loop {
            let now = Instant::now();
            if self.closing.is_none() && self.close_requested(cx) {
                self.closing = Some(Closing { due: now + CLOSE_TIMEOUT, sent: false });
            }
            if let Some(closing) = &self.closing {
                if now >= closing.due || self.poll_close(cx).is_ready() {
                    return Poll::Ready(());
                }
            } else {
                // What is queued goes out before more is read: a reply (a whole
                // document, perhaps) then joins an emptier queue, never one still
                // holding the greeting, which would push it over the byte limit.
                if self.poll_write(cx, now).is_err() {
                    self.queue.close.close((NORMAL, ""));
                    continue;
                }
                if let Err(reason) = self.poll_read(cx, now) {
                    self.queue.close.close(reason);
                    continue;
                }
                if self.poll_write(cx, now).is_err() {
                    self.queue.close.close((NORMAL, ""));
                    continue;
                }
                if self.expire(now) {
                    continue;
                }
            }
            let due = self.next_deadline(now);
            if due < self.armed || self.armed <= now {
                timer.as_mut().reset(due);
                self.armed = due;
                // A timer keeps the task's waker from its last poll, so it is
                // polled only when moved (the task's waker does not change).
                if timer.as_mut().poll(cx).is_ready() {
                    continue;
                }
            }
            return Poll::Pending;
        }
    }

    /// Whether a close was requested. The close signal keeps the task's waker
    /// from the first call (it wakes once, for the close), so later calls only
    /// look at its flag.
    fn close_requested(&mut self, cx: &mut Context<'_>) -> bool {
        if self.close_watched {
            return self.queue.close.is_requested();
        }
        self.close_watched = true;
        self.queue.close.poll_requested(cx)
    }

    /// The earliest future moment something is due: the read deadline (or the
    /// end of a pause), the next keepalive, or the end of a close.
    fn next_deadline(&self, now: Instant) -> Instant {
        if let Some(closing) = &self.closing {
            return closing.due;
        }
        // A parked connection waits for the store, not for the clock.
        let read = match self.read.parked {
            Some(_) => None,
            None => Some(self.read.paused_until.unwrap_or_else(|| self.read_due())),
        };
        let keepalive = self.write.last_sent + self.write.keepalive;
        // A keepalive already due waits for the socket, not for the timer.
        let keepalive = (keepalive > now).then_some(keepalive);
        read.into_iter().chain(keepalive).min().unwrap_or(now + self.write.keepalive)
    }

    /// When a message must have arrived: the handshake deadline until the
    /// first one, then the idle timeout.
    fn read_due(&self) -> Instant {
        self.read.first_due.unwrap_or(self.read.last_received + self.read.idle)
    }

    /// Acts on a read deadline or pause that has passed; true if one had.
    fn expire(&mut self, now: Instant) -> bool {
        match self.read.paused_until {
            Some(until) if until <= now => {
                self.read.paused_until = None;
                true
            }
            Some(_) => false,
            // A client paused for the store is not idle: it waits for us.
            None if self.read.parked.is_none() && self.read_due() <= now => {
                let reason = if self.read.first_due.is_some() {
                    self.metrics().limit_exceeded("handshake_timeout");
                    (close::POLICY, "handshake timeout")
                } else {
                    (close::GOING_AWAY, "idle timeout")
                };
                self.queue.close.close(reason);
                true
            }
            None => false,
        }
    }

    fn metrics(&self) -> &Metrics {
        self.room.metrics()
    }

    /// Reads and handles messages until none is ready, the connection is over
    /// its message rate, or it has had its turn.
    fn poll_read(&mut self, cx: &mut Context<'_>, now: Instant) -> Result<(), CloseReason> {
        for _ in 0..READS_PER_TURN {
            if self.read.paused_until.is_some() || !self.poll_unpark(cx, now)? {
                return Ok(());
            }
            let item = match self.early.next() {
                Some(item) => item,
                None => match self.poll_socket(cx) {
                    Poll::Pending => return Ok(()),
                    Poll::Ready(None) => return Err((NORMAL, "")),
                    Poll::Ready(Some(item)) => item,
                },
            };
            match item {
                Ok(Message::Binary(frame)) => self.handle(frame, now)?,
                Ok(Message::Close(_)) => return Err((NORMAL, "")),
                Ok(Message::Text(_)) => {
                    tracing::warn!("text frame; closing");
                    self.metrics().bad_frame(close::UNSUPPORTED);
                    return Err((close::UNSUPPORTED, "binary frames only"));
                }
                Ok(_) => {} // ping and pong are answered by the WebSocket layer
                Err(e) => return Err(read_error(e, self.metrics())),
            }
        }
        // Its turn is over: let other tasks run, then continue.
        cx.waker().wake_by_ref();
        Ok(())
    }

    /// The next item from the socket. The early items' buffer is let go
    /// first: it would otherwise stay allocated for the connection's life.
    fn poll_socket(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Message, axum::Error>>> {
        self.early = Vec::new().into_iter();
        Pin::new(&mut self.socket).poll_next(cx)
    }

    /// Handles a parked message once the store takes writes again: `true`
    /// when reading may go on (nothing was parked, or it is handled now),
    /// `false` while it must wait (the task is woken when the intake changes).
    fn poll_unpark(&mut self, cx: &mut Context<'_>, now: Instant) -> Result<bool, CloseReason> {
        while self.read.parked.is_some() {
            let rx = match &mut self.read.intake {
                IntakeWatch::Ready(rx) => rx,
                IntakeWatch::Waiting(wait) => match wait.as_mut().poll(cx) {
                    Poll::Pending => return Ok(false),
                    Poll::Ready((false, _)) => return Err(STORE_STOPPED),
                    Poll::Ready((true, rx)) => {
                        self.read.intake = IntakeWatch::Ready(rx);
                        continue;
                    }
                },
            };
            let intake = *rx.borrow_and_update();
            match intake {
                Intake::Open => {}
                Intake::Stopped => return Err(STORE_STOPPED),
                Intake::Backlogged | Intake::Failing(_) => {
                    self.wait_for_intake();
                    continue;
                }
            }
            let frame = self.read.parked.take().unwrap_or_default();
            tracing::debug!("the store takes writes again; reading resumes");
            self.read.last_received = now;
            self.deliver(&frame, now)?;
        }
        Ok(true)
    }

    /// Turns the intake watch into a wait for its next change.
    fn wait_for_intake(&mut self) {
        let placeholder = IntakeWatch::Waiting(Box::pin(std::future::pending()));
        if let IntakeWatch::Ready(mut rx) = std::mem::replace(&mut self.read.intake, placeholder) {
            self.read.intake = IntakeWatch::Waiting(Box::pin(async move {
                let alive = rx.changed().await.is_ok();
                (alive, rx)
            }));
        }
    }

    /// Hands one message to the room, unless it carries an update while the
    /// store takes no writes: then it is parked and reading stops (see
    /// [`ReadState::parked`]); once the writer has stopped, it is refused (1011).
    fn handle(&mut self, frame: Bytes, now: Instant) -> Result<(), CloseReason> {
        self.read.first_due = None;
        self.read.last_received = now;
        self.metrics().received(frame.len());
        let intake = match &self.read.intake {
            IntakeWatch::Ready(rx) => *rx.borrow(),
            IntakeWatch::Waiting(_) => Intake::Backlogged,
        };
        if intake.takes_writes() || !carries_update(&frame) {
            return self.deliver(&frame, now);
        }
        if intake == Intake::Stopped {
            self.metrics().store_refused.inc();
            return Err(STORE_STOPPED);
        }
        tracing::debug!(?intake, "the store takes no writes; pausing reads");
        self.metrics().store_paused.inc();
        self.read.parked = Some(frame);
        Ok(())
    }

    /// Hands one message to the room, and pauses reading past the message rate.
    fn deliver(&mut self, frame: &Bytes, now: Instant) -> Result<(), CloseReason> {
        if let Err(rejected) = self.room.handle(self.conn, frame) {
            tracing::warn!(error = %rejected, code = rejected.code, "bad message; closing");
            self.metrics().bad_frame(rejected.code);
            return Err((rejected.code, rejected.reason));
        }
        if let Some(wait) = self.read.bucket.take(now) {
            tracing::debug!(?wait, "over the message rate; pausing reads");
            self.metrics().throttled.inc();
            self.read.paused_until = Some(now + wait);
        }
        Ok(())
    }

    /// Writes queued frames, durable acknowledgements and a due keepalive, then flushes.
    fn poll_write(&mut self, cx: &mut Context<'_>, now: Instant) -> Result<(), WriteFailed> {
        loop {
            if self.write.unflushed >= MAX_FRAMES_PER_FLUSH {
                // A full batch: flush it, then let other tasks run before the
                // next (an unfinished flush wakes the task when the socket can take more).
                self.poll_flush(cx, now)?;
                if self.write.unflushed == 0 {
                    cx.waker().wake_by_ref();
                }
                return Ok(());
            }
            if !self.poll_ready(cx)? {
                return Ok(());
            }
            match self.queue.poll_recv(cx) {
                Poll::Pending => break,
                Poll::Ready(Outbound::Frame(frame)) => {
                    self.queue.gauge.sent(frame.len());
                    self.send(frame)?;
                }
                Poll::Ready(Outbound::AckAfter(seq, frame)) => {
                    self.queue.gauge.sent(frame.len());
                    self.write.acks.push_back((seq, frame));
                }
            }
        }
        self.poll_acks(cx)?;
        if self.write.unflushed == 0 && now >= self.write.last_sent + self.write.keepalive && self.poll_ready(cx)? {
            self.send(keepalive_frame())?;
        }
        self.poll_flush(cx, now)
    }

    /// Writes, in order, every acknowledgement whose updates are durable, and
    /// waits for the store to make the next one durable.
    fn poll_acks(&mut self, cx: &mut Context<'_>) -> Result<(), WriteFailed> {
        while !self.write.acks.is_empty() {
            let durable = match &mut self.write.durable {
                Durable::Gone => {
                    // The writer stopped with these unacknowledged: they never will be.
                    self.queue.close.close(STORE_STOPPED);
                    return Ok(());
                }
                Durable::Ready(rx) => *rx.borrow_and_update(),
                Durable::Waiting(wait) => match wait.as_mut().poll(cx) {
                    Poll::Pending => return Ok(()),
                    Poll::Ready((alive, rx)) => {
                        let durable = *rx.borrow();
                        self.write.durable = if alive { Durable::Ready(rx) } else { Durable::Gone };
                        durable
                    }
                },
            };
            while self.write.acks.front().is_some_and(|(seq, _)| *seq <= durable) {
                if !self.poll_ready(cx)? {
                    return Ok(());
                }
                if let Some((_, frame)) = self.write.acks.pop_front() {
                    self.send(frame)?;
                }
            }
            if self.write.acks.is_empty() {
                break;
            }
            if let Durable::Ready(rx) = std::mem::replace(&mut self.write.durable, Durable::Gone) {
                let mut rx = rx;
                self.write.durable = Durable::Waiting(Box::pin(async move {
                    let alive = rx.changed().await.is_ok();
                    (alive, rx)
                }));
            }
        }
        Ok(())
    }

    /// Whether the socket takes a frame now (if not, the task is woken when it does).
    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Result<bool, WriteFailed> {
        match Pin::new(&mut self.socket).poll_ready(cx) {
            Poll::Ready(Ok(())) => Ok(true),
            Poll::Ready(Err(_)) => Err(WriteFailed),
            Poll::Pending => Ok(false),
        }
    }

    /// Hands a frame to the socket (after [`Self::poll_ready`]).
    fn send(&mut self, frame: Bytes) -> Result<(), WriteFailed> {
        self.metrics().sent(frame.len());
        Pin::new(&mut self.socket).start_send(Message::Binary(frame)).map_err(|_| WriteFailed)?;
        self.write.unflushed += 1;
        Ok(())
    }

    /// Flushes what was handed to the socket, if anything.
    fn poll_flush(&mut self, cx: &mut Context<'_>, now: Instant) -> Result<(), WriteFailed> {
        if self.write.unflushed == 0 {
            return Ok(());
        }
        match Pin::new(&mut self.socket).poll_flush(cx) {
            Poll::Ready(Ok(())) => {
                self.write.unflushed = 0;
                self.write.last_sent = now;
                Ok(())
            }
            Poll::Ready(Err(_)) => Err(WriteFailed),
            Poll::Pending => Ok(()),
        }
    }

    /// Sends the close frame with the reason given first; `Ready` once sent or failed.
    fn poll_close(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let reason = self.queue.close.reason();
        let Some(closing) = &mut self.closing else { return Poll::Ready(()) };
        if !closing.sent {
            match Pin::new(&mut self.socket).poll_ready(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Err(_)) => return Poll::Ready(()),
                Poll::Ready(Ok(())) => {}
            }
            let (code, reason) = reason.unwrap_or((NORMAL, ""));
            let frame = Message::Close(Some(CloseFrame { code, reason: reason.into() }));
            if Pin::new(&mut self.socket).start_send(frame).is_err() {
                return Poll::Ready(());
            }
            closing.sent = true;
        }
        Pin::new(&mut self.socket).poll_flush(cx).map(|_| ())
    }
}

/// Whether `frame` carries an update that may change the document (an empty
/// update, which every client sends in answer to our `SyncStep1`, does not).
fn carries_update(frame: &[u8]) -> bool {
    use tandem_sync::protocol::Inbound;
    matches!(Inbound::decode(frame), Ok(Inbound::SyncStep2(u) | Inbound::Update(u)) if u != EMPTY_UPDATE)
}

/// The close reason for a failed read: an oversize message gets 1009. An
/// oversize or malformed frame is counted as bad; a dropped socket is not.
fn read_error(e: axum::Error, metrics: &Metrics) -> CloseReason {
    use tungstenite::error::{Error, ProtocolError};
    let inner = e.into_inner();
    match inner.downcast_ref::<Error>() {
        Some(Error::Capacity(_)) => {
            tracing::warn!(error = %inner, "message over the size cap; closing");
            metrics.bad_frame(close::TOO_BIG);
            (close::TOO_BIG, "message too big")
        }
        Some(Error::Protocol(p)) if *p != ProtocolError::ResetWithoutClosingHandshake => {
            tracing::debug!(error = %inner, "malformed frame");
            metrics.bad_frame(close::PROTOCOL_ERROR);
            (close::PROTOCOL_ERROR, "unreadable frame")
        }
        _ => {
            tracing::debug!(error = %inner, "read failed");
            (close::PROTOCOL_ERROR, "unreadable frame")
        }
    }
}
