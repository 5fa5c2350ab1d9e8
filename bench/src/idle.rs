//! `idle`: many synced connections held open. What does one cost the server?

use super::fleet;
use super::metrics::{self, ServerWatch, mib};
use super::{BenchError, Global, Outcome, doc_names, secs};
use clap::Args;
use serde::Serialize;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// `tandem-bench idle`.
#[derive(Debug, Clone, Args, Serialize)]
pub struct IdleArgs {
    /// Connections to open (this process needs a file descriptor for each:
    /// raise `ulimit -n` for thousands).
    #[arg(long, default_value_t = 5000, value_parser = clap::value_parser!(u32).range(1..))]
    pub connections: u32,
    /// Documents the connections are spread over, round robin.
    #[arg(long, default_value_t = 500, value_parser = clap::value_parser!(u32).range(1..))]
    pub docs: u32,
    /// Seconds to hold the connections open once all are synced.
    #[arg(long, default_value_t = 10)]
    pub hold_secs: u64,
}

/// What `idle` measured.
#[derive(Debug, Clone, Serialize)]
pub struct IdleResults {
    /// Connections that connected and synced.
    pub synced: u64,
    /// Connections that could not.
    pub failed: u64,
    /// Why the first failed one failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_error: Option<String>,
    /// Seconds until every connection had synced or failed.
    pub connect_secs: f64,
    /// Connections synced per second.
    pub connects_per_sec: f64,
    /// Synced connections the server had not closed by the end of the hold.
    pub still_open: u64,
    /// Server RSS before the first connection, in bytes.
    pub server_rss_before_bytes: Option<u64>,
    /// Server RSS at the end of the hold, in bytes.
    pub server_rss_after_bytes: Option<u64>,
    /// Server RSS added per synced connection, in KiB.
    pub server_rss_per_connection_kib: Option<f64>,
    /// Server CPU seconds while connecting.
    pub server_cpu_connect_secs: Option<f64>,
    /// Server CPU seconds during the hold.
    pub server_cpu_idle_secs: Option<f64>,
    /// Highest server RSS sampled during the hold, in bytes.
    pub server_peak_rss_bytes: Option<u64>,
}

/// Runs `idle`.
pub async fn run(g: &Global, a: &IdleArgs) -> Result<IdleResults, BenchError> {
    let watch = ServerWatch::start(&g.server_pid)?;
    let before = watch.as_ref().and_then(ServerWatch::now);
    let docs: Vec<String> = doc_names("idle", a.docs as usize).iter().map(|d| g.url_of(d)).collect();
    let urls: Vec<String> = (0..a.connections as usize).map(|i| docs[i % docs.len()].clone()).collect();

    let phase = metrics::phase(&watch);
    let started = Instant::now();
    let all = fleet::join_all(g, &urls).await;
    let connect = started.elapsed();
    let connect_usage = metrics::since(&watch, phase);
    let (mut open, mut first_error) = (Vec::new(), None);
    for joined in all {
        match joined {
            Ok(j) => open.push(j.client),
            Err(e) => first_error = first_error.or(Some(e)),
        }
    }
    let synced = open.len() as u64;
    if synced == 0 {
        return Err(first_error.unwrap_or(BenchError::Closed));
    }

    // Each connection's frames (keepalives) are read, so the server sees a
    // live client; a connection it closes is counted.
    let closed = Arc::new(AtomicU64::new(0));
    let mut keep = Vec::new();
    let readers: Vec<_> = open
        .into_iter()
        .map(|c| {
            keep.push(c.tx);
            let closed = closed.clone();
            tokio::spawn(async move {
                c.rx.drain().await;
                closed.fetch_add(1, Ordering::Relaxed);
            })
        })
        .collect();
    let phase = metrics::phase(&watch);
    tokio::time::sleep(Duration::from_secs(a.hold_secs)).await;
    let idle_usage = metrics::since(&watch, phase);
    let after = watch.as_ref().and_then(ServerWatch::now);
    let still_open = synced - closed.load(Ordering::Relaxed);
    readers.iter().for_each(|r| r.abort());
    drop(keep);

    let per_conn = before.zip(after).map(|(b, a)| {
        let added = a.rss_bytes as f64 - b.rss_bytes as f64;
        (added / synced as f64 / 1024.0 * 10.0).round() / 10.0
    });
    Ok(IdleResults {
        synced,
        failed: u64::from(a.connections) - synced,
        first_error: first_error.map(|e| e.to_string()),
        connect_secs: secs(connect),
        connects_per_sec: (synced as f64 / connect.as_secs_f64()).round(),
        still_open,
        server_rss_before_bytes: before.map(|u| u.rss_bytes),
        server_rss_after_bytes: after.map(|u| u.rss_bytes),
        server_rss_per_connection_kib: per_conn,
        server_cpu_connect_secs: connect_usage.map(|u| u.server_cpu_secs),
        server_cpu_idle_secs: idle_usage.map(|u| u.server_cpu_secs),
        server_peak_rss_bytes: idle_usage.map(|u| u.server_peak_rss_bytes),
    })
}

impl Outcome for IdleResults {
    fn summary(&self) -> String {
        let mut line = format!(
            "{} synced ({} failed) in {:.2} s, {:.0}/s, {} still open after the hold",
            self.synced, self.failed, self.connect_secs, self.connects_per_sec, self.still_open
        );
        if let (Some(b), Some(a), Some(k)) =
            (self.server_rss_before_bytes, self.server_rss_after_bytes, self.server_rss_per_connection_kib)
        {
            line += &format!(", server RSS {} → {} ({k:.1} KiB/conn)", mib(b), mib(a));
        }
        if let Some(cpu) = self.server_cpu_idle_secs {
            line += &format!(", CPU while idle {cpu:.2} s");
        }
        line
    }
}
