//! How much document content the store holds, against `--max-store-bytes`.
//!
//! The count is an estimate that only grows between measurements: it starts
//! from the store's own sizes ([`StoreUsage::measure`]), and each update a
//! room writes adds its length. Compaction and deletion shrink the store
//! without lowering the estimate, so before a refusal that can wait for I/O
//! (an HTTP request) the workspace measures again; a WebSocket update is
//! refused on the estimate, under its room's lock.

use crate::store::{Store, StoreError};
use std::sync::atomic::{AtomicU64, Ordering};

/// The store's size as counted against its limit. Atomics: read by every
/// room on each update, so no lock is shared between rooms.
#[derive(Debug, Default)]
pub struct StoreUsage {
    /// The limit in bytes; 0 is none.
    limit: AtomicU64,
    /// Bytes of content the store holds, estimated.
    used: AtomicU64,
}

impl StoreUsage {
    /// Sets the limit (0: none).
    pub fn set_limit(&self, bytes: u64) {
        self.limit.store(bytes, Ordering::Relaxed);
    }

    /// The limit, if there is one.
    pub fn limit(&self) -> Option<u64> {
        Some(self.limit.load(Ordering::Relaxed)).filter(|&l| l > 0)
    }

    /// Whether `more` bytes would take the store past its limit.
    pub fn would_exceed(&self, more: u64) -> bool {
        self.limit().is_some_and(|limit| self.used.load(Ordering::Relaxed).saturating_add(more) > limit)
    }

    /// Counts `bytes` just queued for the store.
    pub fn grew(&self, bytes: u64) {
        self.used.fetch_add(bytes, Ordering::Relaxed);
    }

    /// Sets the estimate to what `store` holds now (its documents' sizes).
    /// A blocking read: call it from a blocking context.
    pub fn measure(&self, store: &dyn Store) -> Result<u64, StoreError> {
        let used = store.list()?.iter().map(|doc| doc.size).sum();
        self.used.store(used, Ordering::Relaxed);
        Ok(used)
    }

    /// The current estimate.
    pub fn used(&self) -> u64 {
        self.used.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_limit_never_exceeds_and_a_limit_counts_growth() {
        let usage = StoreUsage::default();
        usage.grew(u64::MAX / 2);
        assert!(!usage.would_exceed(u64::MAX / 2));
        usage.set_limit(u64::MAX / 2 + 10);
        assert!(!usage.would_exceed(10));
        assert!(usage.would_exceed(11));
    }
}
