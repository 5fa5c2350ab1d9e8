//! What the store's writer reports while it works: whether the store takes
//! new writes ([`Intake`], for the connections, the API and `/readyz`), how
//! many bytes wait in its queue, and how long commits take (for `/metrics`).

use super::{Failure, Intake};
use crate::metrics::{DISK_BUCKETS, DurationHistogram};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::{Registry, Unit};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// Shared by the store (which queues and reads) and its writer thread (which commits).
#[derive(Debug, Clone)]
pub struct Monitor(Arc<Inner>);

#[derive(Debug)]
struct Inner {
    /// Why the last commit attempt failed ([`failure_code`]); 0 after a success.
    failing: AtomicU8,
    /// Set once the writer thread has ended (closed, or panicked).
    stopped: AtomicBool,
    /// Set when the store is closing: a writer whose commits fail gives up
    /// instead of retrying, so that shutdown ends.
    closing: AtomicBool,
    /// Bytes queued and not yet committed; the source of truth for the bound.
    queued_bytes: Gauge,
    /// Past this many queued bytes the intake is `Backlogged`.
    max_queued_bytes: i64,
    /// The intake, recomputed from the fields above whenever one of them
    /// changes; receivers are woken only when it actually changes.
    intake: watch::Sender<Intake>,
    /// Writes given up at close because commits kept failing.
    unstored: AtomicU64,
    /// Duration of each successful commit (one transaction, synced to disk).
    commit: DurationHistogram,
    /// Time from an append to its commit, per queued operation.
    append: DurationHistogram,
    /// Commit attempts that failed (each is retried).
    commit_failures: Counter,
    /// Test-only fault: the writer panics at its next commit.
    #[cfg(feature = "testing")]
    panic_next: AtomicBool,
}

/// How a [`Failure`] is kept in an atomic (0: not failing).
fn failure_code(failure: Option<Failure>) -> u8 {
    match failure {
        None => 0,
        Some(Failure::DiskFull) => 1,
        Some(Failure::ReadOnly) => 2,
        Some(Failure::Io) => 3,
        Some(Failure::Unreachable) => 4,
    }
}

fn failure_of(code: u8) -> Option<Failure> {
    match code {
        0 => None,
        1 => Some(Failure::DiskFull),
        2 => Some(Failure::ReadOnly),
        4 => Some(Failure::Unreachable),
        _ => Some(Failure::Io),
    }
}

impl Monitor {
    /// A monitor whose intake turns `Backlogged` past `max_queued_bytes`.
    pub fn new(max_queued_bytes: usize) -> Self {
        Monitor(Arc::new(Inner {
            failing: AtomicU8::new(0),
            stopped: AtomicBool::new(false),
            closing: AtomicBool::new(false),
            queued_bytes: Gauge::default(),
            max_queued_bytes: i64::try_from(max_queued_bytes).unwrap_or(i64::MAX),
            intake: watch::channel(Intake::Open).0,
            unstored: AtomicU64::new(0),
            commit: DurationHistogram::new(DISK_BUCKETS),
            append: DurationHistogram::new(DISK_BUCKETS),
            commit_failures: Counter::default(),
            #[cfg(feature = "testing")]
            panic_next: AtomicBool::new(false),
        }))
    }

    /// `Err` with the reason when writes are not being stored.
    pub fn health(&self) -> Result<(), &'static str> {
        self.current().problem().map_or(Ok(()), Err)
    }

    /// The intake, as a watch that changes when it does.
    pub fn intake(&self) -> watch::Receiver<Intake> {
        self.0.intake.subscribe()
    }

    /// The intake as the fields say now.
    fn current(&self) -> Intake {
        if self.0.stopped.load(Ordering::Acquire) {
            Intake::Stopped
        } else if let Some(failure) = failure_of(self.0.failing.load(Ordering::Acquire)) {
            Intake::Failing(failure)
        } else if self.0.queued_bytes.get() > self.0.max_queued_bytes {
            Intake::Backlogged
        } else {
            Intake::Open
        }
    }

    /// Publishes the intake if it changed. Computed under the watch's lock,
    /// so the last call publishes the latest state whatever the interleaving.
    fn refresh(&self) {
        self.0.intake.send_if_modified(|intake| {
            let now = self.current();
            std::mem::replace(intake, now) != now
        });
    }

    /// Records `bytes` queued.
    pub fn queued(&self, bytes: usize) {
        let bytes = bytes as i64;
        let before = self.0.queued_bytes.inc_by(bytes);
        if before <= self.0.max_queued_bytes && before + bytes > self.0.max_queued_bytes {
            self.refresh();
        }
    }

    /// Records a commit attempt that failed with `failure`.
    pub fn commit_failed(&self, failure: Failure) {
        self.0.failing.store(failure_code(Some(failure)), Ordering::Release);
        self.0.commit_failures.inc();
        self.refresh();
    }

    /// Records that the database did not answer the idle writer's check.
    pub fn unreachable(&self, failure: Failure) {
        self.0.failing.store(failure_code(Some(failure)), Ordering::Release);
        self.refresh();
    }

    /// Records that the database answered while the writer was idle: a
    /// failure seen by an earlier check (not a pending commit) is over.
    pub fn reachable(&self) {
        self.0.failing.store(0, Ordering::Release);
        self.refresh();
    }

    /// Records a commit of `bytes` that took `took`, of operations queued at `queued`.
    pub fn committed(&self, took: Duration, bytes: usize, queued: impl Iterator<Item = Instant>) {
        self.0.failing.store(0, Ordering::Release);
        self.0.queued_bytes.dec_by(bytes as i64);
        self.refresh();
        self.0.commit.observe(took);
        let now = Instant::now();
        for at in queued {
            self.0.append.observe(now - at);
        }
    }

    /// Marks the store as closing: a failing writer gives up.
    pub fn close(&self) {
        self.0.closing.store(true, Ordering::Release);
    }

    /// Whether the store is closing.
    pub fn is_closing(&self) -> bool {
        self.0.closing.load(Ordering::Acquire)
    }

    /// Records `n` writes given up at close.
    pub fn gave_up(&self, n: u64) {
        self.0.unstored.store(n, Ordering::Release);
    }

    /// Writes given up at close.
    pub fn unstored(&self) -> u64 {
        self.0.unstored.load(Ordering::Acquire)
    }

    /// Test-only: the writer panics at its next commit.
    #[cfg(feature = "testing")]
    pub fn panic_next_commit(&self) {
        self.0.panic_next.store(true, Ordering::Release);
    }

    /// Panics if a test asked for it (the writer calls this before each commit).
    pub fn injected_faults(&self) {
        #[cfg(feature = "testing")]
        if self.0.panic_next.swap(false, Ordering::AcqRel) {
            panic!("store writer panic injected by a test");
        }
    }

    /// A guard the writer holds for its life: dropping it (the writer ended,
    /// even by a panic) marks the store as stopped.
    pub fn running(&self) -> Running {
        Running(self.clone())
    }

    /// Registers the store's metrics in `r`.
    pub fn register(&self, r: &mut Registry) {
        r.register_with_unit("store_commit", "Time to commit one group of writes", Unit::Seconds, self.0.commit.clone());
        r.register_with_unit("store_append", "Time from an append to its commit", Unit::Seconds, self.0.append.clone());
        r.register("store_commit_failures", "Store commits that failed (and were retried)", self.0.commit_failures.clone());
        r.register_with_unit("store_queue", "Bytes queued for the store and not yet committed", Unit::Bytes, self.0.queued_bytes.clone());
    }
}

/// Held by the writer thread; see [`Monitor::running`].
pub struct Running(Monitor);

impl Drop for Running {
    fn drop(&mut self) {
        self.0.0.stopped.store(true, Ordering::Release);
        self.0.refresh();
        if std::thread::panicking() {
            tracing::error!("the store writer panicked: nothing more is stored; unacknowledged edits fail");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now(m: &Monitor) -> Intake {
        *m.intake().borrow()
    }

    #[test]
    fn the_intake_closes_past_the_bound_and_while_commits_fail_and_reopens() {
        let m = Monitor::new(100);
        m.queued(60);
        assert_eq!(now(&m), Intake::Open);
        m.queued(60);
        assert_eq!(now(&m), Intake::Backlogged);
        assert_eq!(m.health(), Ok(()), "a backlog draining is not a failure");
        m.commit_failed(Failure::DiskFull);
        assert_eq!(now(&m), Intake::Failing(Failure::DiskFull));
        assert!(m.health().is_err_and(|why| why.contains("disk is full")));
        m.committed(Duration::ZERO, 60, std::iter::empty());
        assert_eq!(now(&m), Intake::Open);
    }

    #[test]
    fn a_writer_that_ends_stops_the_intake_for_good() {
        let m = Monitor::new(100);
        drop(m.running());
        assert_eq!(now(&m), Intake::Stopped);
        m.committed(Duration::ZERO, 0, std::iter::empty());
        assert_eq!(now(&m), Intake::Stopped);
        assert!(m.health().is_err());
    }
}
