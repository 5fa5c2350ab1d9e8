//! What the benchmark measures besides its own clocks: the server's CPU time
//! and resident memory (from `/proc`, over the server processes and their
//! descendants, so a wrapper script's child or a database's backends
//! count), and latency percentiles.

use super::{BenchError, secs};
use hdrhistogram::Histogram;
use serde::Serialize;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

/// How often the sampler reads the server's RSS to find its peak.
const SAMPLE_EVERY: Duration = Duration::from_millis(100);

/// The server's CPU time and resident memory at one moment.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Usage {
    /// User plus system CPU seconds of every process in the tree.
    pub cpu_secs: f64,
    /// Resident bytes of every process in the tree.
    pub rss_bytes: u64,
}

/// Watches the server process tree: a sampling thread keeps its peak RSS.
///
/// A plain thread, not a task: scanning `/proc` takes milliseconds that the
/// benchmark's own runtime should not lose. It stops when the watch is dropped.
pub struct ServerWatch {
    pids: Vec<u32>,
    /// Highest RSS seen since the last [`ServerWatch::phase`]; written by the
    /// sampler, reset by `phase`. An atomic maximum, so no lock.
    peak: Arc<AtomicU64>,
    /// Tells the sampler to stop.
    stop: Arc<AtomicBool>,
}

/// The server's usage over one phase of a run.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct PhaseUsage {
    /// CPU seconds the server spent in the phase.
    pub server_cpu_secs: f64,
    /// Highest server RSS sampled in the phase, in bytes.
    pub server_peak_rss_bytes: u64,
}

/// The start of a phase: CPU time then.
#[derive(Debug, Clone, Copy)]
pub struct Phase {
    cpu_secs: f64,
}

impl ServerWatch {
    /// Starts watching the processes `pids` (no watch without one); fails if
    /// one of them cannot be read.
    pub fn start(pids: &[u32]) -> Result<Option<ServerWatch>, BenchError> {
        if pids.is_empty() {
            return Ok(None);
        }
        if let Some(&gone) = pids.iter().find(|&&pid| tree_usage(&[pid]).is_none()) {
            return Err(BenchError::NoServer(gone));
        }
        let pids = pids.to_vec();
        let now = tree_usage(&pids).ok_or(BenchError::NoServer(pids[0]))?;
        let peak = Arc::new(AtomicU64::new(now.rss_bytes));
        let stop = Arc::new(AtomicBool::new(false));
        let (sampled, stopped, watched) = (peak.clone(), stop.clone(), pids.clone());
        std::thread::spawn(move || {
            while !stopped.load(Ordering::Relaxed) {
                if let Some(u) = tree_usage(&watched) {
                    sampled.fetch_max(u.rss_bytes, Ordering::Relaxed);
                }
                std::thread::sleep(SAMPLE_EVERY);
            }
        });
        Ok(Some(ServerWatch { pids, peak, stop }))
    }

    /// The server's usage now (`None` if it has gone).
    pub fn now(&self) -> Option<Usage> {
        tree_usage(&self.pids)
    }

    /// Starts a phase: remembers the CPU time and restarts the peak from the current RSS.
    pub fn phase(&self) -> Option<Phase> {
        let now = self.now()?;
        self.peak.store(now.rss_bytes, Ordering::Relaxed);
        Some(Phase { cpu_secs: now.cpu_secs })
    }

    /// The usage since `phase` began.
    pub fn since(&self, phase: Option<Phase>) -> Option<PhaseUsage> {
        let now = self.now()?;
        let peak = self.peak.fetch_max(now.rss_bytes, Ordering::Relaxed).max(now.rss_bytes);
        let cpu = (now.cpu_secs - phase?.cpu_secs).max(0.0);
        Some(PhaseUsage { server_cpu_secs: secs(Duration::from_secs_f64(cpu)), server_peak_rss_bytes: peak })
    }
}

impl Drop for ServerWatch {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// Starts a phase on an optional watch.
pub fn phase(watch: &Option<ServerWatch>) -> Option<Phase> {
    watch.as_ref().and_then(ServerWatch::phase)
}

/// The usage of an optional watch since `phase`.
pub fn since(watch: &Option<ServerWatch>, phase: Option<Phase>) -> Option<PhaseUsage> {
    watch.as_ref().and_then(|w| w.since(phase))
}

/// CPU time and RSS summed over `pids` and their descendants (`None` if one
/// of them has gone). A descendant that has exited and been reaped no longer counts.
#[cfg(target_os = "linux")]
fn tree_usage(pids: &[u32]) -> Option<Usage> {
    use std::collections::HashMap;
    let mut stats = HashMap::new();
    for process in procfs::process::all_processes().ok()?.flatten() {
        if let Ok(stat) = process.stat() {
            stats.insert(stat.pid, stat);
        }
    }
    let mut roots = Vec::new();
    for &pid in pids {
        let root = i32::try_from(pid).ok()?;
        stats.get(&root)?;
        roots.push(root);
    }
    let parents: HashMap<i32, i32> = stats.values().map(|s| (s.pid, s.ppid)).collect();
    let tree = family(&roots, &parents);
    let ticks: u64 = tree.iter().map(|p| stats[p].utime + stats[p].stime).sum();
    let pages: u64 = tree.iter().map(|p| stats[p].rss).sum();
    Some(Usage { cpu_secs: ticks as f64 / procfs::ticks_per_second() as f64, rss_bytes: pages * procfs::page_size() })
}

/// `roots` and all their descendants, each once (a root may descend from
/// another, or be named twice), given every process's parent.
fn family(roots: &[i32], parents: &std::collections::HashMap<i32, i32>) -> Vec<i32> {
    let mut seen = std::collections::HashSet::new();
    let mut tree: Vec<i32> = roots.iter().copied().filter(|r| seen.insert(*r)).collect();
    let mut i = 0;
    while i < tree.len() {
        let parent = tree[i];
        let mut children: Vec<i32> = parents.iter().filter(|(_, p)| **p == parent).map(|(c, _)| *c).collect();
        children.retain(|c| seen.insert(*c));
        tree.extend(children);
        i += 1;
    }
    tree
}

/// Not measured outside Linux.
#[cfg(not(target_os = "linux"))]
fn tree_usage(_pids: &[u32]) -> Option<Usage> {
    None
}

/// Latencies in microseconds, for percentiles.
pub struct Latencies(Histogram<u64>);

/// Longest latency recorded exactly: one hour. Longer ones are recorded as an hour.
const MAX_LATENCY_US: u64 = 3_600_000_000;

/// Percentiles of recorded latencies, in microseconds.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct LatencySummary {
    /// Median.
    pub p50_us: u64,
    /// 90th percentile.
    pub p90_us: u64,
    /// 99th percentile.
    pub p99_us: u64,
    /// Largest.
    pub max_us: u64,
}

impl Default for Latencies {
    fn default() -> Self {
        // 1 µs to an hour at 3 significant digits: 0.1% error, a few hundred KiB.
        Latencies(Histogram::new_with_bounds(1, MAX_LATENCY_US, 3).expect("valid histogram bounds"))
    }
}

impl Latencies {
    /// Records one latency.
    pub fn record(&mut self, d: Duration) {
        let us = u64::try_from(d.as_micros()).unwrap_or(u64::MAX).min(MAX_LATENCY_US);
        self.0.saturating_record(us);
    }

    /// Adds every latency `other` recorded.
    pub fn add(&mut self, other: &Latencies) {
        // Same bounds on both sides: adding cannot fail.
        let _ = self.0.add(&other.0);
    }

    /// How many were recorded.
    pub fn count(&self) -> u64 {
        self.0.len()
    }

    /// The percentiles, or `None` if nothing was recorded.
    pub fn summary(&self) -> Option<LatencySummary> {
        if self.0.is_empty() {
            return None;
        }
        let at = |q: f64| self.0.value_at_quantile(q);
        Some(LatencySummary { p50_us: at(0.5), p90_us: at(0.9), p99_us: at(0.99), max_us: self.0.max() })
    }
}

/// Bytes as MiB with one decimal, for the human line.
pub fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}

#[cfg(test)]
mod tests {
    use super::family;
    use std::collections::HashMap;

    #[test]
    fn a_family_counts_every_descendant_once() {
        // 1 ─ 2 ─ 3, 1 ─ 4; 5 apart; 6 under 5.
        let parents: HashMap<i32, i32> = [(1, 0), (2, 1), (3, 2), (4, 1), (5, 0), (6, 5)].into_iter().collect();
        let sorted = |mut v: Vec<i32>| {
            v.sort();
            v
        };
        assert_eq!(sorted(family(&[1], &parents)), vec![1, 2, 3, 4]);
        assert_eq!(sorted(family(&[2, 5], &parents)), vec![2, 3, 5, 6]);
        assert_eq!(sorted(family(&[1, 3, 1], &parents)), vec![1, 2, 3, 4], "a root under another or named twice counts once");
    }
}
