//! A histogram of durations whose `observe` takes no lock and allocates nothing.
//!
//! The client library's own histogram keeps its buckets behind a mutex; this
//! one is observed once per update on the hot path, so it keeps one atomic
//! counter per bucket and the sum in nanoseconds, and builds the exposition
//! only when scraped.

use prometheus_client::encoding::{EncodeMetric, MetricEncoder, NoLabelSet};
use prometheus_client::metrics::{MetricType, TypedMetric};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Bucket bounds, in seconds, for work done in memory (applying an update).
pub const MEMORY_BUCKETS: &[f64] =
    &[0.000_01, 0.000_025, 0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.1, 1.0];
/// Bucket bounds, in seconds, for work that waits on the disk (a commit).
pub const DISK_BUCKETS: &[f64] = &[0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0];

/// A histogram of durations with fixed bucket bounds; clones share the counts.
#[derive(Debug, Clone)]
pub struct DurationHistogram(Arc<Inner>);

#[derive(Debug)]
struct Inner {
    /// Upper bounds in seconds, ascending; one more bucket (`+Inf`) follows.
    bounds: &'static [f64],
    /// Observations per bucket (not cumulative): `bounds.len() + 1` counters.
    counts: Box<[AtomicU64]>,
    /// Sum of every observation, in nanoseconds (584 years fit).
    sum_nanos: AtomicU64,
}

impl DurationHistogram {
    /// An empty histogram over `bounds` (seconds, ascending).
    pub fn new(bounds: &'static [f64]) -> Self {
        let counts = (0..=bounds.len()).map(|_| AtomicU64::new(0)).collect();
        DurationHistogram(Arc::new(Inner { bounds, counts, sum_nanos: AtomicU64::new(0) }))
    }

    /// Records one duration: two relaxed atomic adds.
    pub fn observe(&self, d: Duration) {
        let secs = d.as_secs_f64();
        let bucket = self.0.bounds.iter().position(|&b| secs <= b).unwrap_or(self.0.bounds.len());
        self.0.counts[bucket].fetch_add(1, Ordering::Relaxed);
        let nanos = u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
        self.0.sum_nanos.fetch_add(nanos, Ordering::Relaxed);
    }

    /// Observations so far.
    pub fn count(&self) -> u64 {
        self.0.counts.iter().map(|c| c.load(Ordering::Relaxed)).sum()
    }
}

impl TypedMetric for DurationHistogram {
    const TYPE: MetricType = MetricType::Histogram;
}

impl EncodeMetric for DurationHistogram {
    fn encode(&self, mut encoder: MetricEncoder) -> Result<(), std::fmt::Error> {
        let bounds = self.0.bounds.iter().copied().chain(std::iter::once(f64::INFINITY));
        let buckets: Vec<(f64, u64)> = bounds.zip(self.0.counts.iter().map(|c| c.load(Ordering::Relaxed))).collect();
        // The count is the buckets' total, so `_count` equals the `+Inf` bucket even mid-update.
        let count = buckets.iter().map(|(_, n)| n).sum();
        let sum = self.0.sum_nanos.load(Ordering::Relaxed) as f64 / 1e9;
        encoder.encode_histogram::<NoLabelSet>(sum, count, &buckets, None)
    }

    fn metric_type(&self) -> MetricType {
        Self::TYPE
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use prometheus_client::registry::{Registry, Unit};

    #[test]
    fn observations_land_in_cumulative_buckets_with_their_sum() {
        let h = DurationHistogram::new(&[0.001, 0.01]);
        h.observe(Duration::from_micros(500));
        h.observe(Duration::from_millis(5));
        h.observe(Duration::from_secs(2));
        let mut registry = Registry::default();
        registry.register_with_unit("work", "Work", Unit::Seconds, h.clone());
        let mut text = String::new();
        prometheus_client::encoding::prometheus_text::encode(&mut text, &registry).unwrap();
        for line in [
            "work_seconds_bucket{le=\"0.001\"} 1",
            "work_seconds_bucket{le=\"0.01\"} 2",
            "work_seconds_bucket{le=\"+Inf\"} 3",
            "work_seconds_sum 2.0055",
            "work_seconds_count 3",
        ] {
            assert!(text.lines().any(|l| l == line), "{line:?} missing in\n{text}");
        }
        assert_eq!(h.count(), 3);
    }
}
