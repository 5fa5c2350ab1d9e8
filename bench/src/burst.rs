//! `burst`: writers on one document send prepared updates as fast as their
//! sockets take them; subscribers receive. How soon does everyone have everything?

use super::delivery::{Deliveries, Writers};
use super::fanout::{CHUNK, chunk, server_part};
use super::fleet::{self, Joined};
use super::metrics::{self, PhaseUsage, ServerWatch};
use super::{BenchError, Global, Outcome, doc_names, secs};
use bytes::Bytes;
use clap::Args;
use serde::Serialize;
use std::time::{Duration, Instant};
use tandem_client::handshake::text_of;
use tandem_client::{Replica, Sender};
use tandem_sync::document;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use yrs::{ClientID, Doc, ReadTxn, StateVector, Transact};

/// `tandem-bench burst`.
#[derive(Debug, Clone, Args, Serialize)]
pub struct BurstArgs {
    /// Writing clients, all on one document.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub writers: u32,
    /// Receiving clients.
    #[arg(long, default_value_t = 50)]
    pub subscribers: u32,
    /// Updates each writer sends (8 characters each).
    #[arg(long, default_value_t = 2000, value_parser = clap::value_parser!(u32).range(1..=10_000_000))]
    pub updates: u32,
    /// Seconds to wait after the writers finish for deliveries still missing;
    /// what has not arrived by then counts as lost.
    #[arg(long, default_value_t = 10)]
    pub drain_secs: u64,
}

/// What `burst` measured.
#[derive(Debug, Clone, Serialize)]
pub struct BurstResults {
    /// Deliveries, losses and convergence over every subscriber.
    #[serde(flatten)]
    pub deliveries: Deliveries,
    /// Seconds the writers took to hand every update to their sockets.
    pub send_secs: f64,
    /// Seconds from the start until every subscriber had every update
    /// (absent if some never arrived).
    pub all_delivered_secs: Option<f64>,
    /// Seconds from the start until the last delivery arrived (absent if none did).
    pub last_delivery_secs: Option<f64>,
    /// Deliveries per second up to the last delivery.
    pub deliveries_per_sec: Option<f64>,
    /// Seconds to connect and sync every client.
    pub connect_secs: f64,
    /// The server while writing and delivering.
    #[serde(flatten)]
    pub server: Option<PhaseUsage>,
}

/// Every writer's prepared frames, their client ids and the text all of them make.
struct Prepared {
    frames: Vec<Vec<Bytes>>,
    ids: Vec<ClientID>,
    text: String,
}

/// Runs `burst`.
pub async fn run(g: &Global, a: &BurstArgs) -> Result<BurstResults, BenchError> {
    let watch = ServerWatch::start(&g.server_pid)?;
    let url = g.url_of(&doc_names("burst", 1)[0]);
    let urls = vec![url; (a.writers + a.subscribers) as usize];
    let started = Instant::now();
    let joined = fleet::join_every(g, &urls).await?;
    let connect_secs = secs(started.elapsed());
    let prepared = prepare(a.writers, a.updates);
    let expected_each = u64::from(a.writers) * u64::from(a.updates);

    let stop = CancellationToken::new();
    let phase = metrics::phase(&watch);
    let t0 = Instant::now();
    let (writers, subscribers, keep) = start(joined, &prepared, a.writers as usize, expected_each, &stop);
    let mut done = Vec::new();
    for w in writers {
        done.push(w.await.map_err(|_| BenchError::Closed)??);
    }
    let send_secs = secs(t0.elapsed());
    fleet::cancel_after(&stop, Duration::from_secs(a.drain_secs));
    let mut received = Vec::new();
    for s in subscribers {
        received.push(s.await.unwrap_or_default());
    }
    stop.cancel();
    let server = metrics::since(&watch, phase);
    drop(keep);
    for (tx, echoes) in done {
        echoes.abort();
        drop(tx);
    }
    let mut results = tally(&prepared, &received, a.updates, t0)?;
    (results.send_secs, results.connect_secs, results.server) = (send_secs, connect_secs, server);
    Ok(results)
}

/// Each writer's updates, made before the clock starts: `updates` appends of
/// [`CHUNK`] characters to its own document.
fn prepare(writers: u32, updates: u32) -> Prepared {
    let merged = document::new_doc();
    let (mut frames, mut ids) = (Vec::new(), Vec::new());
    for _ in 0..writers {
        let replica = Replica::new();
        let own = (0..updates).map(|k| Bytes::from(replica.insert(k * CHUNK, &chunk(u64::from(k))))).collect();
        merge(&merged, replica.doc());
        frames.push(own);
        ids.push(replica.doc().client_id());
    }
    Prepared { frames, ids, text: document::content(&merged) }
}

/// Applies everything `from` holds to `into`.
fn merge(into: &Doc, from: &Doc) {
    let state = from.transact().encode_state_as_update_v1(&StateVector::default());
    // Both documents are ours and well formed: applying cannot fail.
    let _ = document::apply_v1(into, &state);
}

type Receipts = Vec<(Instant, Bytes)>;

/// A writer that has sent everything: its sending half and the task
/// reading its echoes. It stays open until the subscribers are done: closing
/// a socket with unread echoes resets it, and the server could lose what it
/// had not yet read.
type Writing = (Sender, JoinHandle<()>);

/// Starts the writers (the first `writers` clients) and the subscribers.
#[allow(clippy::type_complexity)]
fn start(
    joined: Vec<Joined>,
    prepared: &Prepared,
    writers: usize,
    expected: u64,
    stop: &CancellationToken,
) -> (Vec<JoinHandle<Result<Writing, BenchError>>>, Vec<JoinHandle<Receipts>>, Vec<Sender>) {
    let (mut sending, mut receiving, mut keep) = (Vec::new(), Vec::new(), Vec::new());
    for (i, j) in joined.into_iter().enumerate() {
        if i < writers {
            let (mut tx, rx) = (j.client.tx, j.client.rx);
            let frames = prepared.frames[i].clone();
            sending.push(tokio::spawn(async move {
                // Echoes are read (and dropped) meanwhile, so the server's
                // queue to this writer never fills.
                let echoes = tokio::spawn(rx.drain());
                for f in frames {
                    tx.feed(f).await?;
                }
                tx.flush().await?;
                Ok((tx, echoes))
            }));
        } else {
            receiving.push(tokio::spawn(fleet::collect_updates(j.client.rx, expected, stop.clone())));
            keep.push(j.client.tx);
        }
    }
    (sending, receiving, keep)
}

/// Counts deliveries and checks every subscriber's text.
fn tally(prepared: &Prepared, received: &[Receipts], updates: u32, t0: Instant) -> Result<BurstResults, BenchError> {
    let writers = Writers::new(&prepared.ids, updates, CHUNK);
    let per_subscriber = prepared.ids.len() as u64 * u64::from(updates);
    let mut deliveries = Deliveries::default();
    let mut last: Option<Instant> = None;
    for got in received {
        let mut seen = writers.tally();
        for (at, frame) in got {
            for (w, k) in writers.carried(frame)? {
                if seen.mark(w, k) {
                    last = last.max(Some(*at));
                }
            }
        }
        let text_equal = text_of(got.iter().map(|(_, f)| f))? == prepared.text;
        deliveries.add(&seen, per_subscriber, text_equal);
    }
    let last_delivery = last.map(|l| l.saturating_duration_since(t0));
    let rate = |d: &Duration| (deliveries.delivered as f64 / d.as_secs_f64()).round();
    Ok(BurstResults {
        deliveries,
        send_secs: 0.0,
        all_delivered_secs: last_delivery.filter(|_| deliveries.lost == 0).map(secs),
        last_delivery_secs: last_delivery.map(secs),
        deliveries_per_sec: last_delivery.filter(|d| !d.is_zero()).map(|d| rate(&d)),
        connect_secs: 0.0,
        server: None,
    })
}

impl Outcome for BurstResults {
    fn summary(&self) -> String {
        let all = self.all_delivered_secs.map_or("not all delivered".into(), |s| format!("all delivered in {s:.3} s"));
        let rate = self.deliveries_per_sec.map_or(String::new(), |r| format!(", {r:.0} deliveries/s"));
        let (counts, converged) = self.deliveries.summary();
        format!("{counts}, {all}{rate}, {converged}{}", server_part(self.server))
    }
}
