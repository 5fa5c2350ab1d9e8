//! The room's handle on one connection: a bounded outbound queue and a close signal.

use crate::store::Seq;
use tandem_sync::close::{self, CloseReason};
use bytes::Bytes;
use futures_util::task::AtomicWaker;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::task::{Context, Poll};

/// Identifies one WebSocket connection for the life of the process.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConnId(pub u64);

impl ConnId {
    /// A fresh id, never handed out before in this process.
    pub fn next() -> Self {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        ConnId(NEXT.fetch_add(1, Ordering::Relaxed))
    }
}

impl std::fmt::Display for ConnId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "c{}", self.0)
    }
}

/// An item of a connection's outbound queue.
#[derive(Debug)]
pub enum Outbound {
    /// A frame to send now.
    Frame(Bytes),
    /// A durable acknowledgement: send the frame once the store's durable seq reaches `Seq`.
    AckAfter(Seq, Bytes),
}

/// Asks a connection to close; the first reason given wins.
///
/// Lock-free: a connection checks it on every wakeup (one per relayed
/// update), so it is an atomic flag and a waker, not a lock-based token.
#[derive(Debug, Default)]
pub struct CloseSignal {
    closed: AtomicBool,
    reason: OnceLock<CloseReason>,
    /// The connection's task, woken by a close.
    waker: AtomicWaker,
}

impl CloseSignal {
    /// Requests the close with `reason` (ignored if a close was already requested).
    pub fn close(&self, reason: CloseReason) {
        let _ = self.reason.set(reason);
        self.closed.store(true, Ordering::Release);
        self.waker.wake();
    }

    /// Whether a close was requested; if not, the task of `cx` is woken when one is.
    pub fn poll_requested(&self, cx: &mut Context<'_>) -> bool {
        if self.closed.load(Ordering::Acquire) {
            return true;
        }
        self.waker.register(cx.waker());
        // A close between the check and the registration did not wake us; look again.
        self.closed.load(Ordering::Acquire)
    }

    /// Whether a close was requested (without arranging a wakeup).
    pub fn is_requested(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }

    /// The reason given first, if any.
    pub fn reason(&self) -> Option<CloseReason> {
        self.reason.get().copied()
    }
}

/// A waker that closes a connection: handed to a server-wide event (shutdown)
/// so that the event reaches each connection without the connection polling it.
pub struct CloseOnWake {
    /// The connection to close.
    pub signal: Arc<CloseSignal>,
    /// Why.
    pub reason: CloseReason,
}

impl std::task::Wake for CloseOnWake {
    fn wake(self: Arc<Self>) {
        self.signal.close(self.reason);
    }
}

/// How much a connection's outbound queue may hold before the connection is
/// closed with 1013 (so that it reconnects and resyncs, rather than losing updates).
#[derive(Debug, Clone, Copy)]
pub struct QueueLimits {
    /// Most frames waiting to be written.
    pub frames: usize,
    /// Most bytes waiting to be written; one frame larger than this is still
    /// accepted into an empty queue, so a big document can reach a new client.
    pub bytes: usize,
}

/// Frames and bytes waiting in one connection's queue; the room adds, the writer subtracts.
#[derive(Debug, Default)]
pub struct QueueGauge {
    frames: AtomicUsize,
    bytes: AtomicUsize,
}

impl QueueGauge {
    /// Records that the writer sent a frame of `len` bytes.
    pub fn sent(&self, len: usize) {
        self.frames.fetch_sub(1, Ordering::Relaxed);
        self.bytes.fetch_sub(len, Ordering::Relaxed);
    }
}

/// The items waiting for a connection's writer. Allocates nothing until the
/// first item, so an idle connection's queue costs a few dozen bytes.
#[derive(Debug, Default)]
struct Outbox {
    /// std mutex: held only to push one item or to swap the whole queue out,
    /// never across `.await`; the room pushes, the writer swaps.
    items: Mutex<VecDeque<Outbound>>,
    /// The writer, woken when an item arrives in an empty queue (a writer
    /// that has not yet taken the earlier items will find this one with them).
    writer: AtomicWaker,
}

impl Outbox {
    fn items(&self) -> MutexGuard<'_, VecDeque<Outbound>> {
        // Pushes and swaps cannot panic half-done, so a poisoned lock is still sound.
        self.items.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The sending side of a connection, held by its room.
#[derive(Debug, Clone)]
pub struct ConnHandle {
    /// Unbounded at the type level; bounded by `gauge` against `limits` in [`ConnHandle::send`].
    outbox: Arc<Outbox>,
    gauge: Arc<QueueGauge>,
    limits: QueueLimits,
    close: Arc<CloseSignal>,
}

/// The receiving side of a connection's queue, held by its writer.
pub struct ConnQueue {
    outbox: Arc<Outbox>,
    /// Items taken from the outbox and not yet handed out, in order.
    taken: VecDeque<Outbound>,
    /// Shared with the [`ConnHandle`]; report each written frame with [`QueueGauge::sent`].
    pub gauge: Arc<QueueGauge>,
    /// Set when the connection must close.
    pub close: Arc<CloseSignal>,
}

impl ConnQueue {
    /// The next item if one is queued; otherwise the task of `cx` is woken
    /// when one is. The queue has no end of its own: a connection stops when
    /// its [`CloseSignal`] fires.
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Outbound> {
        if let Some(item) = self.try_recv() {
            return Poll::Ready(item);
        }
        self.outbox.writer.register(cx.waker());
        // An item pushed before the registration did not wake us; look again.
        self.try_recv().map_or(Poll::Pending, Poll::Ready)
    }

    /// The next item if one is queued.
    pub fn try_recv(&mut self) -> Option<Outbound> {
        if self.taken.is_empty() {
            std::mem::swap(&mut *self.outbox.items(), &mut self.taken);
        }
        self.taken.pop_front()
    }
}

/// The queue was over its limit; the connection is now closing.
#[derive(Debug, PartialEq, Eq)]
pub struct ConnGone;

impl ConnHandle {
    /// A new connection's queue: the room keeps the [`ConnHandle`], the writer the [`ConnQueue`].
    pub fn new(limits: QueueLimits) -> (ConnHandle, ConnQueue) {
        let outbox = Arc::new(Outbox::default());
        let gauge = Arc::new(QueueGauge::default());
        let close = Arc::new(CloseSignal::default());
        let peer = ConnHandle { outbox: outbox.clone(), gauge: gauge.clone(), limits, close: close.clone() };
        (peer, ConnQueue { outbox, taken: VecDeque::new(), gauge, close })
    }

    /// Queues `item` and wakes the writer if it may be waiting. Past the queue
    /// limit the connection is closed with 1013 instead.
    pub fn send(&self, item: Outbound) -> Result<(), ConnGone> {
        let len = match &item {
            Outbound::Frame(b) | Outbound::AckAfter(_, b) => b.len(),
        };
        let frames = self.gauge.frames.fetch_add(1, Ordering::Relaxed);
        let bytes = self.gauge.bytes.fetch_add(len, Ordering::Relaxed);
        let over = frames >= self.limits.frames || (frames > 0 && bytes + len > self.limits.bytes);
        if over {
            self.close(close::TRY_AGAIN_LATER, "too slow: outbound queue full");
            return Err(ConnGone);
        }
        let was_empty = {
            let mut items = self.outbox.items();
            let was_empty = items.is_empty();
            items.push_back(item);
            was_empty
        };
        if was_empty {
            self.outbox.writer.wake();
        }
        Ok(())
    }

    /// Sends a frame.
    pub fn frame(&self, bytes: Bytes) -> Result<(), ConnGone> {
        self.send(Outbound::Frame(bytes))
    }

    /// Asks the connection to close.
    pub fn close(&self, code: u16, reason: &'static str) {
        self.close.close((code, reason));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_queue_closes_the_connection_with_1013() {
        let (peer, queue) = ConnHandle::new(QueueLimits { frames: 2, bytes: 1 << 20 });
        assert_eq!(peer.frame(Bytes::from_static(b"a")), Ok(()));
        assert_eq!(peer.frame(Bytes::from_static(b"b")), Ok(()));
        assert_eq!(peer.frame(Bytes::from_static(b"c")), Err(ConnGone));
        assert_eq!(queue.close.reason().map(|r| r.0), Some(close::TRY_AGAIN_LATER));
    }

    #[test]
    fn one_big_frame_fits_an_empty_queue_but_bytes_are_bounded() {
        let (peer, queue) = ConnHandle::new(QueueLimits { frames: 100, bytes: 10 });
        assert_eq!(peer.frame(Bytes::from(vec![0; 50])), Ok(()));
        assert_eq!(peer.frame(Bytes::from(vec![0; 1])), Err(ConnGone));
        assert!(queue.close.reason().is_some());
    }

    #[tokio::test]
    async fn items_arrive_in_order_and_a_waiting_writer_is_woken() {
        let (peer, mut queue) = ConnHandle::new(QueueLimits { frames: 10, bytes: 100 });
        peer.frame(Bytes::from_static(b"a")).unwrap();
        peer.frame(Bytes::from_static(b"b")).unwrap();
        let waiting = tokio::spawn(async move {
            let mut got = Vec::new();
            for _ in 0..3 {
                let (Outbound::Frame(b) | Outbound::AckAfter(_, b)) = std::future::poll_fn(|cx| queue.poll_recv(cx)).await;
                got.push(b);
            }
            got
        });
        tokio::task::yield_now().await;
        peer.send(Outbound::AckAfter(Seq::default(), Bytes::from_static(b"c"))).unwrap();
        assert_eq!(waiting.await.unwrap(), [&b"a"[..], b"b", b"c"]);
    }

    #[test]
    fn sent_frames_free_their_room() {
        let (peer, queue) = ConnHandle::new(QueueLimits { frames: 1, bytes: 10 });
        peer.frame(Bytes::from_static(b"abc")).unwrap();
        queue.gauge.sent(3);
        assert_eq!(peer.frame(Bytes::from_static(b"abc")), Ok(()));
    }
}
