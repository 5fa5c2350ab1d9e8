//! What the store's writer reports while it works: whether writes are being
//! stored (for `/readyz`) and how long they take (for `/metrics`).

use crate::metrics::{DISK_BUCKETS, DurationHistogram};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::registry::{Registry, Unit};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Shared by the store (which reads it) and its writer thread (which updates it).
#[derive(Debug, Clone)]
pub struct Monitor(Arc<Inner>);

#[derive(Debug)]
struct Inner {
    /// Set while the last commit attempt failed; cleared by the next success.
    failing: AtomicBool,
    /// Set once the writer thread has ended (closed, or panicked).
    stopped: AtomicBool,
    /// Duration of each successful commit (one transaction, synced to disk).
    commit: DurationHistogram,
    /// Time from an append to its commit, per queued operation.
    append: DurationHistogram,
    /// Commit attempts that failed (each is retried).
    commit_failures: Counter,
}

impl Default for Monitor {
    fn default() -> Self {
        Monitor(Arc::new(Inner {
            failing: AtomicBool::new(false),
            stopped: AtomicBool::new(false),
            commit: DurationHistogram::new(DISK_BUCKETS),
            append: DurationHistogram::new(DISK_BUCKETS),
            commit_failures: Counter::default(),
        }))
    }
}

impl Monitor {
    /// `Err` with the reason when writes are not being stored.
    pub fn health(&self) -> Result<(), &'static str> {
        if self.0.stopped.load(Ordering::Acquire) {
            Err("the store writer has stopped")
        } else if self.0.failing.load(Ordering::Acquire) {
            Err("the last store commit failed; retrying")
        } else {
            Ok(())
        }
    }

    /// Records a commit that failed.
    pub fn commit_failed(&self) {
        self.0.failing.store(true, Ordering::Release);
        self.0.commit_failures.inc();
    }

    /// Records a commit that took `took`, of operations queued at `queued`.
    pub fn committed(&self, took: Duration, queued: impl Iterator<Item = Instant>) {
        self.0.failing.store(false, Ordering::Release);
        self.0.commit.observe(took);
        let now = Instant::now();
        for at in queued {
            self.0.append.observe(now - at);
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
    }
}

/// Held by the writer thread; see [`Monitor::running`].
pub struct Running(Monitor);

impl Drop for Running {
    fn drop(&mut self) {
        self.0.0.stopped.store(true, Ordering::Release);
    }
}
