//! The write queue and its writer thread, shared by every store engine:
//! operations get a [`Seq`] as they are queued, one thread commits them in
//! order in batches (group commit: whatever arrived while the previous commit
//! was syncing goes into the next transaction), and [`Writer::durable`]
//! publishes the highest committed seq. A failed commit is retried with
//! backoff and nothing is dropped; the engine only says how a batch is
//! committed ([`Commit`]).

use super::monitor::Monitor;
use super::{Attachment, Failure, Headline, NewSnapshot, NewVersion, Seq, StoreError};
use bytes::Bytes;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, mpsc};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tandem_sync::DocId;
use tokio::sync::watch;

/// Most operations committed in one transaction; more wait for the next commit.
const MAX_BATCH: usize = 4096;
/// First pause after a failed commit; it doubles on each failure in a row.
const FIRST_RETRY_DELAY: Duration = Duration::from_millis(50);
/// Longest pause between retries of a failed commit (disk full, I/O error,
/// a database that went away): one that works again is noticed within this long.
const MAX_RETRY_DELAY: Duration = Duration::from_secs(5);
/// How long the writer waits for work before it asks the engine whether the
/// database still answers ([`Commit::check`]): a database that went away is
/// reported (`/readyz`) within about this long even when nobody writes.
const IDLE_CHECK: Duration = Duration::from_secs(1);
/// Bytes the write queue holds before the store stops taking updates
/// ([`super::Intake::Backlogged`]) until commits catch up. It bounds the
/// memory a slow disk costs, and what must fit on the disk in one go once a
/// full one has room again. While commits fail the store takes nothing new
/// at all ([`super::Intake::Failing`]), so the queue holds at most this, plus
/// the one message each connection may have had in flight when the intake
/// closed. A single write larger than this (a big snapshot, a large image
/// attachment) is still queued.
const MAX_QUEUED_BYTES: usize = 8 << 20;
/// What an operation counts for in the queue's bytes beyond its payload
/// (its row, its index entry), so that many small operations are bounded too.
const OP_OVERHEAD_BYTES: usize = 128;

/// One queued write, in [`Seq`] order.
pub(super) enum Op {
    /// A document update, appended to its log.
    Append { seq: Seq, doc: DocId, data: Bytes, at: i64 },
    /// A snapshot replacing the log up to `upto`.
    Compact { seq: Seq, doc: DocId, snapshot: NewSnapshot, upto: Seq, headline: Headline, at: i64 },
    /// An empty document.
    Create { seq: Seq, doc: DocId, at: i64 },
    /// A version of a document.
    Version { seq: Seq, doc: DocId, version: Box<NewVersion>, at: i64 },
    /// The deletion for good of a document.
    Purge { seq: Seq, doc: DocId },
    /// The removal of some versions.
    Thin { seq: Seq, doc: DocId, ids: Vec<i64> },
    /// An image of a document.
    Attach { seq: Seq, doc: DocId, attachment: Box<Attachment>, at: i64 },
}

impl Op {
    /// What it counts for against [`MAX_QUEUED_BYTES`].
    fn bytes(&self) -> usize {
        OP_OVERHEAD_BYTES
            + match self {
                Op::Append { data, .. } => data.len(),
                Op::Compact { snapshot, .. } => snapshot.bytes.len() + snapshot.coverage.len(),
                Op::Version { version, .. } => version.recorded.data.len() + version.recorded.state_vector.len(),
                Op::Attach { attachment, .. } => attachment.bytes.len(),
                Op::Create { .. } | Op::Purge { .. } | Op::Thin { .. } => 0,
            }
    }

    /// The document it writes.
    pub(super) fn doc(&self) -> &DocId {
        match self {
            Op::Append { doc, .. } | Op::Compact { doc, .. } | Op::Create { doc, .. } | Op::Version { doc, .. }
            | Op::Purge { doc, .. }
            | Op::Thin { doc, .. }
            | Op::Attach { doc, .. } => doc,
        }
    }

    /// Its place in the queue.
    pub(super) fn seq(&self) -> Seq {
        match self {
            Op::Append { seq, .. } | Op::Compact { seq, .. } | Op::Create { seq, .. } | Op::Version { seq, .. }
            | Op::Purge { seq, .. }
            | Op::Thin { seq, .. }
            | Op::Attach { seq, .. } => *seq,
        }
    }
}

/// The [`super::Store`] methods every engine hands to its [`Writer`]
/// (queueing, durability, health, metrics), written once: expands inside an
/// `impl Store for …` whose type has a `writer: Writer` field.
macro_rules! writer_methods {
    () => {
        fn append(&self, doc: &DocId, update: Bytes) -> Seq {
            self.writer.append(doc, update)
        }

        fn compact(&self, doc: &DocId, snapshot: NewSnapshot, upto: Seq, headline: Headline) -> Seq {
            self.writer.compact(doc, snapshot, upto, headline)
        }

        fn create(&self, doc: &DocId) -> Seq {
            self.writer.create(doc)
        }

        fn add_version(&self, doc: &DocId, version: NewVersion) -> Seq {
            self.writer.add_version(doc, version)
        }

        fn purge(&self, doc: &DocId) -> Seq {
            self.writer.purge(doc)
        }

        fn thin_versions(&self, doc: &DocId, ids: Vec<i64>) -> Seq {
            self.writer.thin_versions(doc, ids)
        }

        fn add_attachment(&self, doc: &DocId, attachment: Attachment) -> Seq {
            self.writer.add_attachment(doc, attachment)
        }

        fn durable(&self) -> watch::Receiver<Seq> {
            self.writer.durable()
        }

        fn intake(&self) -> watch::Receiver<Intake> {
            self.writer.monitor().intake()
        }

        fn last_queued_for(&self, doc: &DocId) -> Seq {
            self.writer.last_queued_for(doc)
        }

        fn unstored(&self) -> u64 {
            self.writer.monitor().unstored()
        }

        fn last_queued(&self) -> Seq {
            self.writer.last_queued()
        }

        fn close(&self) {
            self.writer.close();
        }

        fn health(&self) -> Result<(), &'static str> {
            self.writer.monitor().health()
        }

        fn register_metrics(&self, registry: &mut prometheus_client::registry::Registry) {
            self.writer.monitor().register(registry);
        }
    };
}
pub(super) use writer_methods;

/// An op and when it was queued (for the append latency).
pub(super) type Queued = (Instant, Op);

/// How an engine commits a batch of queued ops: in one transaction, in
/// order, all or nothing. Runs on the writer thread only.
pub(super) trait Commit: Send + 'static {
    /// Why a commit failed.
    type Error: std::fmt::Display;
    /// Commits `batch`; `monitor` injects the test-only faults.
    fn commit(&mut self, batch: &[Queued], monitor: &Monitor) -> Result<(), Self::Error>;
    /// What kind of failure `error` is, for [`super::Intake`] and `/readyz`.
    fn failure(&mut self, error: &Self::Error) -> Failure;
    /// Whether the database answers, asked while the queue is idle; `None`
    /// for an engine that cannot go away (an embedded database).
    fn check(&mut self) -> Option<Result<(), Self::Error>> {
        None
    }
}

/// The queue's state: seqs are handed out and ops sent under one lock, so
/// the writer receives them in seq order.
struct Queue {
    next: Seq,
    /// `None` once the store is closed.
    tx: Option<mpsc::Sender<Queued>>,
    /// The last seq queued per document, for [`Writer::last_queued_for`].
    /// Entries already durable are swept when the map has doubled since
    /// the last sweep, so it holds about the documents written lately.
    pending: HashMap<DocId, Seq>,
    /// The map's size after the last sweep.
    swept: usize,
}

/// The write queue and the thread that commits it.
pub(super) struct Writer {
    /// Std mutex, held only for the send (a non-blocking channel), never
    /// across I/O or `.await`. The channel's type has no bound; its bytes
    /// are bounded by [`MAX_QUEUED_BYTES`] through the intake the layers
    /// above obey (see [`Monitor`]).
    queue: Mutex<Queue>,
    /// The highest durable seq. Only the writer thread holds the sender, so
    /// when it ends (closed, or panicked) every wait for durability ends too.
    durable: watch::Receiver<Seq>,
    /// The thread, until [`Writer::close`] joins it. Std mutex: taken once.
    thread: Mutex<Option<JoinHandle<()>>>,
    /// The writer's health and timings.
    monitor: Monitor,
}

/// Unix time in milliseconds, as stored.
pub(super) fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
}

impl Writer {
    /// Starts the writer thread over `engine`; the first seq handed out is `last + 1`.
    pub(super) fn start(engine: impl Commit, last: Seq) -> Result<Self, StoreError> {
        let (tx, rx) = mpsc::channel();
        let (durable_tx, durable) = watch::channel(last);
        let monitor = Monitor::new(MAX_QUEUED_BYTES);
        let running = monitor.clone();
        let thread = std::thread::Builder::new()
            .name("tandem-store".into())
            .spawn(move || write_loop(engine, rx, durable_tx, running))
            .map_err(|source| StoreError::Io { context: "cannot start the store writer".into(), source })?;
        Ok(Writer {
            queue: Mutex::new(Queue { next: last + 1, tx: Some(tx), pending: HashMap::new(), swept: 0 }),
            durable,
            thread: Mutex::new(Some(thread)),
            monitor,
        })
    }

    /// The writer's monitor.
    pub(super) fn monitor(&self) -> &Monitor {
        &self.monitor
    }

    /// Queues `update` for `doc`.
    pub(super) fn append(&self, doc: &DocId, data: Bytes) -> Seq {
        let (doc, at) = (doc.clone(), now_ms());
        self.enqueue(|seq| Op::Append { seq, doc, data, at })
    }

    /// Queues a snapshot of `doc` replacing its log up to `upto`.
    pub(super) fn compact(&self, doc: &DocId, snapshot: NewSnapshot, upto: Seq, headline: Headline) -> Seq {
        let (doc, at) = (doc.clone(), now_ms());
        self.enqueue(|seq| Op::Compact { seq, doc, snapshot, upto, headline, at })
    }

    /// Queues the creation of an empty `doc`.
    pub(super) fn create(&self, doc: &DocId) -> Seq {
        let (doc, at) = (doc.clone(), now_ms());
        self.enqueue(|seq| Op::Create { seq, doc, at })
    }

    /// Queues a version of `doc`.
    pub(super) fn add_version(&self, doc: &DocId, version: NewVersion) -> Seq {
        let (doc, at) = (doc.clone(), now_ms());
        self.enqueue(|seq| Op::Version { seq, doc, version: Box::new(version), at })
    }

    /// Queues the deletion for good of `doc`.
    pub(super) fn purge(&self, doc: &DocId) -> Seq {
        let doc = doc.clone();
        self.enqueue(|seq| Op::Purge { seq, doc })
    }

    /// Queues the removal of versions `ids` of `doc`.
    pub(super) fn thin_versions(&self, doc: &DocId, ids: Vec<i64>) -> Seq {
        let doc = doc.clone();
        self.enqueue(|seq| Op::Thin { seq, doc, ids })
    }

    /// Queues an attachment of `doc`.
    pub(super) fn add_attachment(&self, doc: &DocId, attachment: Attachment) -> Seq {
        let (doc, at) = (doc.clone(), now_ms());
        self.enqueue(|seq| Op::Attach { seq, doc, attachment: Box::new(attachment), at })
    }

    fn enqueue(&self, make: impl FnOnce(Seq) -> Op) -> Seq {
        let mut q = self.queue.lock().unwrap_or_else(|p| p.into_inner());
        let seq = q.next;
        q.next += 1;
        let op = make(seq);
        let bytes = op.bytes();
        self.remember(&mut q, op.doc(), seq);
        match &q.tx {
            Some(tx) if tx.send((Instant::now(), op)).is_ok() => self.monitor.queued(bytes),
            _ => tracing::error!(seq, "write queued after the store stopped; it is not stored"),
        }
        seq
    }

    /// Records `seq` as `doc`'s last queued write, sweeping durable entries now and then.
    fn remember(&self, q: &mut Queue, doc: &DocId, seq: Seq) {
        if !q.pending.contains_key(doc) && q.pending.len() >= 2 * q.swept + 64 {
            let durable = *self.durable.borrow();
            q.pending.retain(|_, s| *s > durable);
            q.swept = q.pending.len();
        }
        q.pending.insert(doc.clone(), seq);
    }

    /// The highest durable seq, as a watch.
    pub(super) fn durable(&self) -> watch::Receiver<Seq> {
        self.durable.clone()
    }

    /// The most recently queued seq.
    pub(super) fn last_queued(&self) -> Seq {
        self.queue.lock().unwrap_or_else(|p| p.into_inner()).next - 1
    }

    /// The last seq queued for `doc` lately (0 if none).
    pub(super) fn last_queued_for(&self, doc: &DocId) -> Seq {
        let q = self.queue.lock().unwrap_or_else(|p| p.into_inner());
        q.pending.get(doc).copied().unwrap_or(0)
    }

    /// Commits everything queued and stops the thread; later writes are refused.
    pub(super) fn close(&self) {
        self.monitor.close();
        self.queue.lock().unwrap_or_else(|p| p.into_inner()).tx = None;
        let handle = self.thread.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(handle) = handle {
            // A writer waiting to retry a failed commit tries once more now.
            handle.thread().unpark();
            if handle.join().is_err() {
                tracing::error!("the store writer panicked");
            }
        }
    }
}

/// Commits queued ops in batches until the store closes, after storing
/// everything queued, or giving up on it if commits keep failing then.
fn write_loop(mut engine: impl Commit, rx: mpsc::Receiver<Queued>, durable: watch::Sender<Seq>, monitor: Monitor) {
    let _running = monitor.running();
    loop {
        let first = match rx.recv_timeout(IDLE_CHECK) {
            Ok(op) => op,
            Err(mpsc::RecvTimeoutError::Timeout) => {
                check(&mut engine, &monitor);
                continue;
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => return,
        };
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(op) => batch.push(op),
                Err(_) => break,
            }
        }
        let unstored = commit_with_retry(&mut engine, &batch, &durable, &monitor);
        if !unstored.is_empty() {
            return give_up(unstored.iter().chain(rx.try_iter().collect::<Vec<_>>().iter()), &monitor);
        }
    }
}

/// Asks an idle engine whether its database answers, and records the outcome.
fn check(engine: &mut impl Commit, monitor: &Monitor) {
    match engine.check() {
        None => {}
        Some(Ok(())) => monitor.reachable(),
        Some(Err(e)) => {
            let failure = engine.failure(&e);
            if monitor.health().is_ok() {
                tracing::error!(error = %e, "the database does not answer");
            }
            monitor.unreachable(failure);
        }
    }
}

/// Commits `batch` in order, publishing each durable seq. A failed commit
/// is retried with backoff (capped at [`MAX_RETRY_DELAY`]), each time with
/// the first half of what is left (down to one op), so that a disk with
/// a little room again takes what fits instead of failing on the whole
/// batch forever. Acknowledgements wait meanwhile; nothing is dropped. Once
/// the store is closing a failure ends the retries: what is left is returned.
fn commit_with_retry<'a>(engine: &mut impl Commit, batch: &'a [Queued], durable: &watch::Sender<Seq>, monitor: &Monitor) -> &'a [Queued] {
    let (mut rest, mut take, mut delay) = (batch, batch.len(), FIRST_RETRY_DELAY);
    while !rest.is_empty() {
        let (part, after) = rest.split_at(take);
        let started = Instant::now();
        match engine.commit(part, monitor) {
            Ok(()) => {
                let bytes = part.iter().map(|(_, op)| op.bytes()).sum();
                monitor.committed(started.elapsed(), bytes, part.iter().map(|(at, _)| *at));
                durable.send_replace(part[part.len() - 1].1.seq());
                (rest, take, delay) = (after, after.len(), FIRST_RETRY_DELAY);
            }
            Err(e) => {
                monitor.commit_failed(engine.failure(&e));
                if monitor.is_closing() {
                    return rest;
                }
                tracing::error!(error = %e, ops = part.len(), queued = rest.len(), "store commit failed; retrying");
                // Woken early by `close`, which then gets one more attempt.
                std::thread::park_timeout(delay);
                (take, delay) = ((take / 2).max(1), (delay * 2).min(MAX_RETRY_DELAY));
            }
        }
    }
    rest
}

/// Logs, per document, the writes given up at close: none of them was
/// acknowledged (an acknowledgement waits for its commit), so their authors
/// still hold them and send them again when they reconnect.
fn give_up<'a>(ops: impl Iterator<Item = &'a Queued>, monitor: &Monitor) {
    let mut per_doc: BTreeMap<&str, (u64, u64)> = BTreeMap::new();
    for (_, op) in ops {
        let counts = per_doc.entry(op.doc().as_str()).or_default();
        if matches!(op, Op::Append { .. }) { counts.0 += 1 } else { counts.1 += 1 }
    }
    let updates: u64 = per_doc.values().map(|c| c.0).sum();
    let other: u64 = per_doc.values().map(|c| c.1).sum();
    for (doc, (updates, other)) in &per_doc {
        tracing::error!(doc, updates, other_writes = other, "not stored: commits kept failing at shutdown; these updates were never acknowledged");
    }
    tracing::error!(documents = per_doc.len(), updates, other_writes = other, "the store closed with unstored, unacknowledged writes");
    monitor.gave_up(updates + other);
}
