//! Which automatic versions are thinned out as they age: every one of the
//! last day, the newest of each hour for a month, the newest of each day
//! after that (the spans are configurable). Named, restore and import
//! versions, and a document's newest version, are always kept. Pure: the
//! store merges each thinned version's changes into the one after it.

use crate::store::{VersionKind, VersionMeta};
use std::collections::HashSet;
use std::time::Duration;

/// How long versions are kept whole, then hourly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    /// Every automatic version younger than this is kept.
    pub keep_all: Duration,
    /// Younger than this (and older than `keep_all`): the newest of each hour.
    /// Older: the newest of each day.
    pub keep_hourly: Duration,
}

impl Default for Retention {
    fn default() -> Self {
        Retention { keep_all: Duration::from_secs(24 * 3600), keep_hourly: Duration::from_secs(30 * 24 * 3600) }
    }
}

const HOUR_MS: i64 = 3_600_000;
const DAY_MS: i64 = 24 * HOUR_MS;

/// The ids of `versions` (newest first) to thin out at `now` (Unix ms).
pub fn to_thin(versions: &[VersionMeta], now: i64, retention: Retention) -> Vec<i64> {
    let (all, hourly) = (retention.keep_all.as_millis() as i64, retention.keep_hourly.as_millis() as i64);
    let mut seen: HashSet<(bool, i64)> = HashSet::new();
    let mut thinned = Vec::new();
    for (i, v) in versions.iter().enumerate() {
        let age = now - v.created_at;
        if i == 0 || v.kind != VersionKind::Auto || age < all {
            continue;
        }
        // Newest first: the first version seen in a bucket is the one kept.
        let bucket = if age < hourly { (true, v.created_at.div_euclid(HOUR_MS)) } else { (false, v.created_at.div_euclid(DAY_MS)) };
        if !seen.insert(bucket) {
            thinned.push(v.id);
        }
    }
    thinned
}

#[cfg(test)]
mod tests {
    use super::*;

    fn auto(id: i64, created_at: i64) -> VersionMeta {
        VersionMeta { id, created_at, label: None, kind: VersionKind::Auto, authors: vec![] }
    }

    #[test]
    fn recent_versions_stay_then_one_an_hour_then_one_a_day() {
        let now = 100 * DAY_MS;
        let minute = 60_000;
        let mut versions = vec![
            auto(9, now - 5 * minute),           // newest: kept
            auto(8, now - 10 * minute),          // the last day: kept
            auto(7, now - 2 * DAY_MS + 10 * minute), // hourly: newest of its hour, kept
            auto(6, now - 2 * DAY_MS + 5 * minute),  // same hour: thinned
            auto(5, now - 40 * DAY_MS + 3 * HOUR_MS), // daily: kept
            auto(4, now - 40 * DAY_MS + 2 * HOUR_MS), // same day: thinned
        ];
        versions.push(VersionMeta { kind: VersionKind::Named, ..auto(3, now - 40 * DAY_MS + HOUR_MS) });
        assert_eq!(to_thin(&versions, now, Retention::default()), vec![6, 4]);
    }
}
