//! `fanout`: per document one writer appends at a steady rate and many
//! subscribers receive; latency is measured from send to receipt per delivery.

use super::delivery::{Deliveries, Writers};
use super::fleet::{self, Joined};
use super::metrics::{self, LatencySummary, Latencies, PhaseUsage, ServerWatch, mib};
use super::{BenchError, Global, Outcome, doc_names, secs};
use bytes::Bytes;
use clap::Args;
use serde::Serialize;
use std::time::{Duration, Instant};
use tandem_client::handshake::text_of;
use tandem_client::{Connection, Replica, Sender};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use yrs::ClientID;

/// Characters each update appends: the update's number as 8 digits.
pub const CHUNK: u32 = 8;

/// `tandem-bench fanout`.
#[derive(Debug, Clone, Args, Serialize)]
pub struct FanoutArgs {
    /// Documents, each with its own writer and subscribers.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
    pub docs: u32,
    /// Receiving clients per document.
    #[arg(long, default_value_t = 100)]
    pub subscribers: u32,
    /// Updates per second each writer sends.
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub rate: u32,
    /// Seconds the writers write.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..))]
    pub seconds: u32,
    /// Seconds to wait after the last send for deliveries still missing;
    /// what has not arrived by then counts as lost.
    #[arg(long, default_value_t = 10)]
    pub drain_secs: u64,
}

/// What `fanout` measured.
#[derive(Debug, Clone, Serialize)]
pub struct FanoutResults {
    /// Updates the writers sent, all documents together.
    pub sent: u64,
    /// Deliveries, losses and convergence over every subscriber.
    #[serde(flatten)]
    pub deliveries: Deliveries,
    /// Send → receipt percentiles over the deliveries (absent if none arrived).
    #[serde(flatten)]
    pub latency: Option<LatencySummary>,
    /// Seconds to connect and sync every client.
    pub connect_secs: f64,
    /// The server while writing and delivering.
    #[serde(flatten)]
    pub server: Option<PhaseUsage>,
}

/// One document's writer: who it is, when it sent each update, what it wrote.
struct Written {
    id: ClientID,
    sent_at: Vec<Instant>,
    text: String,
    /// The writer's sending half and the task reading its echoes. It stays
    /// open until the subscribers are done: closing a socket with unread
    /// echoes resets it, and the server could lose what it had not yet read.
    open: (Sender, JoinHandle<()>),
}

/// Runs `fanout`.
pub async fn run(g: &Global, a: &FanoutArgs) -> Result<FanoutResults, BenchError> {
    let updates = a.rate.checked_mul(a.seconds).filter(|u| u.checked_mul(CHUNK).is_some());
    let updates = updates.ok_or(BenchError::BadParameter("--rate × --seconds is too large"))?;
    let watch = ServerWatch::start(&g.server_pid)?;
    let per_doc = 1 + a.subscribers as usize;
    let urls: Vec<String> = doc_names("fanout", a.docs as usize)
        .iter()
        .flat_map(|d| std::iter::repeat_n(g.url_of(d), per_doc))
        .collect();
    let started = Instant::now();
    let joined = fleet::join_every(g, &urls).await?;
    let connect_secs = secs(started.elapsed());

    let stop = CancellationToken::new();
    let phase = metrics::phase(&watch);
    let (writers, subscribers, keep) = start(joined, per_doc, u64::from(updates), &stop, a.rate);
    let mut written = Vec::new();
    for w in writers {
        written.push(w.await.map_err(|_| BenchError::Closed)??);
    }
    fleet::cancel_after(&stop, Duration::from_secs(a.drain_secs));
    let mut received = Vec::new();
    for (doc, s) in subscribers {
        received.push((doc, s.await.unwrap_or_default()));
    }
    stop.cancel();
    let server = metrics::since(&watch, phase);
    drop(keep);
    for w in &written {
        w.open.1.abort();
    }
    tally(&written, &received, updates, connect_secs, server)
}

type Receipts = Vec<(Instant, Bytes)>;

/// Starts every writer and subscriber task; returns the writers, the
/// subscribers with their document's index, and the sending halves the
/// subscribers keep open.
#[allow(clippy::type_complexity)]
fn start(
    joined: Vec<Joined>,
    per_doc: usize,
    updates: u64,
    stop: &CancellationToken,
    rate: u32,
) -> (Vec<JoinHandle<Result<Written, BenchError>>>, Vec<(usize, JoinHandle<Receipts>)>, Vec<Sender>) {
    let (mut writers, mut subscribers, mut keep) = (Vec::new(), Vec::new(), Vec::new());
    for (i, j) in joined.into_iter().enumerate() {
        if i % per_doc == 0 {
            writers.push(tokio::spawn(write(j.client, updates, rate)));
        } else {
            subscribers.push((i / per_doc, tokio::spawn(fleet::collect_updates(j.client.rx, updates, stop.clone()))));
            keep.push(j.client.tx);
        }
    }
    (writers, subscribers, keep)
}

/// Appends `updates` chunks at `rate` per second, timing each send.
async fn write(client: Connection, updates: u64, rate: u32) -> Result<Written, BenchError> {
    let Connection { mut tx, rx } = client;
    let echoes = tokio::spawn(rx.drain());
    let replica = Replica::new();
    let mut tick = tokio::time::interval(Duration::from_secs(1) / rate);
    let mut sent_at = Vec::with_capacity(updates as usize);
    for k in 0..updates {
        tick.tick().await;
        let frame = replica.insert(k as u32 * CHUNK, &chunk(k));
        sent_at.push(Instant::now());
        tx.send(frame).await?;
    }
    Ok(Written { id: replica.doc().client_id(), sent_at, text: replica.text(), open: (tx, echoes) })
}

/// The text of update `k`: its number as [`CHUNK`] digits.
pub fn chunk(k: u64) -> String {
    format!("{:08}", k % 100_000_000)
}

/// Pairs every receipt with its send, and checks every subscriber's text.
fn tally(
    written: &[Written],
    received: &[(usize, Receipts)],
    updates: u32,
    connect_secs: f64,
    server: Option<PhaseUsage>,
) -> Result<FanoutResults, BenchError> {
    let mut latencies = Latencies::default();
    let mut deliveries = Deliveries::default();
    for (doc, got) in received {
        let writer = &written[*doc];
        let ids = Writers::new(&[writer.id], updates, CHUNK);
        let mut seen = ids.tally();
        for (at, frame) in got {
            for (_, k) in ids.carried(frame)? {
                if seen.mark(0, k) {
                    latencies.record(at.saturating_duration_since(writer.sent_at[k as usize]));
                }
            }
        }
        let text_equal = text_of(got.iter().map(|(_, f)| f))? == writer.text;
        deliveries.add(&seen, u64::from(updates), text_equal);
    }
    let sent = written.iter().map(|w| w.sent_at.len() as u64).sum();
    Ok(FanoutResults { sent, deliveries, latency: latencies.summary(), connect_secs, server })
}

impl Outcome for FanoutResults {
    fn summary(&self) -> String {
        let latency = self.latency.map_or("no deliveries".into(), |l| {
            format!("p50 {} p90 {} p99 {} max {}", ms(l.p50_us), ms(l.p90_us), ms(l.p99_us), ms(l.max_us))
        });
        let (counts, converged) = self.deliveries.summary();
        format!("{counts}, {latency}, {converged}{}", server_part(self.server))
    }
}

/// Microseconds as milliseconds for the human line.
pub fn ms(us: u64) -> String {
    format!("{:.2} ms", us as f64 / 1000.0)
}

/// The server's numbers for the human line, if measured.
pub fn server_part(server: Option<PhaseUsage>) -> String {
    server.map_or(String::new(), |s| format!(", server CPU {:.2} s, peak {}", s.server_cpu_secs, mib(s.server_peak_rss_bytes)))
}
