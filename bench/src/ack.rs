//! `ack`: how long until an update is acknowledged — sent, stored durably by
//! the server, and its sync-status request echoed back (`102`). Writers,
//! one document each, send an update and an acknowledgement request at a
//! steady rate; the time from sending to the echo is one sample.

use super::fleet;
use super::metrics::{Latencies, LatencySummary};
use super::{BenchError, Global, Outcome, doc_names, secs};
use clap::Args;
use serde::Serialize;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tandem_client::{Connection, Replica};
use tandem_sync::protocol::Inbound;

/// `tandem-bench ack`.
#[derive(Debug, Clone, Args, Serialize)]
pub struct AckArgs {
    /// Writers, each on a document of its own (spread over the `--url`s).
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub writers: u32,
    /// Updates per second per writer.
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub rate: u32,
    /// Seconds of sending.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..))]
    pub seconds: u32,
    /// Seconds to wait for the last acknowledgements after sending stops.
    #[arg(long, default_value_t = 10)]
    pub drain_secs: u64,
}

/// What `ack` measured.
#[derive(Debug, Clone, Serialize)]
pub struct AckResults {
    /// Updates sent, each with an acknowledgement request.
    pub sent: u64,
    /// Acknowledgements received.
    pub acknowledged: u64,
    /// Seconds until every writer had connected and synced.
    pub connect_secs: f64,
    /// From sending an update to its acknowledgement.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latency: Option<LatencySummary>,
}

impl Outcome for AckResults {
    fn summary(&self) -> String {
        let latency = self.latency.map_or("no acknowledgement".to_owned(), |l| {
            format!("p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms", ms(l.p50_us), ms(l.p99_us), ms(l.max_us))
        });
        format!("{} of {} updates acknowledged; {latency}", self.acknowledged, self.sent)
    }
}

fn ms(us: u64) -> f64 {
    us as f64 / 1000.0
}

/// Runs `ack`.
pub async fn run(g: &Global, a: &AckArgs) -> Result<AckResults, BenchError> {
    let urls: Vec<String> = doc_names("ack", a.writers as usize).iter().map(|d| g.url_of(d)).collect();
    let started = Instant::now();
    let joined = fleet::join_every(g, &urls).await?;
    let connect_secs = secs(started.elapsed());
    let updates = u64::from(a.rate) * u64::from(a.seconds);
    let writers: Vec<_> = joined.into_iter().map(|j| tokio::spawn(write(j.client, updates, a.rate, a.drain_secs))).collect();
    let (mut sent, mut latencies) = (0, Latencies::default());
    for writer in writers {
        let (n, samples) = writer.await.map_err(|_| BenchError::Closed)??;
        sent += n;
        latencies.add(&samples);
    }
    Ok(AckResults { sent, acknowledged: latencies.count(), connect_secs, latency: latencies.summary() })
}

/// Sends `updates` updates at `rate`, each followed by an acknowledgement
/// request; returns how many were sent and the latency of each acknowledged one.
async fn write(client: Connection, updates: u64, rate: u32, drain_secs: u64) -> Result<(u64, Latencies), BenchError> {
    let Connection { mut tx, mut rx } = client;
    // Send times of the requests not yet echoed, oldest first (echoes come
    // in order). Std mutex: held for a push or a pop, never across `.await`.
    let waiting = Arc::new(Mutex::new(VecDeque::<Instant>::new()));
    let pending = waiting.clone();
    let receiving = tokio::spawn(async move {
        let mut latencies = Latencies::default();
        while latencies.count() < updates {
            let Ok(Ok(Some(frame))) = tokio::time::timeout(Duration::from_secs(drain_secs), rx.recv()).await else { break };
            if let Ok(Inbound::SyncStatus(_)) = Inbound::decode(&frame)
                && let Some(sent) = pending.lock().unwrap_or_else(|p| p.into_inner()).pop_front()
            {
                latencies.record(sent.elapsed());
            }
        }
        latencies
    });
    let mut replica = Replica::new();
    let mut tick = tokio::time::interval(Duration::from_secs(1) / rate);
    let mut sent = 0;
    for k in 0..updates {
        tick.tick().await;
        let frame = replica.append(&format!("{k} "));
        let (_, ack) = replica.ack_request();
        waiting.lock().unwrap_or_else(|p| p.into_inner()).push_back(Instant::now());
        if tx.send(frame).await.is_err() || tx.send(ack).await.is_err() {
            break;
        }
        sent += 1;
    }
    let latencies = receiving.await.map_err(|_| BenchError::Closed)?;
    Ok((sent, latencies))
}
