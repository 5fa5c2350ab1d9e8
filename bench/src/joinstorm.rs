//! `joinstorm`: many fresh clients join a large document at the same moment,
//! as when a shared link is opened by a whole audience.

use super::fanout::{ms, server_part};
use super::metrics::{self, LatencySummary, Latencies, PhaseUsage, ServerWatch};
use super::{BenchError, Global, Outcome, doc_names, secs};
use clap::Args;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::Serialize;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};
use tandem_client::handshake::text_of;
use tandem_client::{Connection, Replica, Synced};

/// Pause between building and the storm, so that the server has finished
/// with the builder's last update and the storm measures joining alone.
const SETTLE: Duration = Duration::from_secs(1);

/// `tandem-bench joinstorm`.
#[derive(Debug, Clone, Args, Serialize)]
pub struct JoinstormArgs {
    /// Bytes of ASCII text in the document.
    #[arg(long, default_value_t = 4 << 20, value_parser = clap::value_parser!(u32).range(1..))]
    pub doc_bytes: u32,
    /// Bytes of text per update while building.
    #[arg(long, default_value_t = 64 << 10, value_parser = clap::value_parser!(u32).range(1..))]
    pub update_bytes: u32,
    /// Updates between two barriers while building (see bigdoc's --batch).
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..))]
    pub batch: u32,
    /// Fresh clients that join at the same moment (--connect-concurrency does not limit them).
    #[arg(long, default_value_t = 150, value_parser = clap::value_parser!(u32).range(1..))]
    pub clients: u32,
    /// The first clients to sync whose state is decoded and compared with
    /// the builder's text after the storm (decoding during it would delay the others).
    #[arg(long, default_value_t = 5)]
    pub verify: u32,
}

/// What `joinstorm` measured.
#[derive(Debug, Clone, Serialize)]
pub struct JoinstormResults {
    /// Seconds the builder took to send the document, barriers included.
    pub build_secs: f64,
    /// Clients that received their SyncStep2.
    pub synced: u64,
    /// Clients that did not (refused, closed, or past --handshake-timeout-secs).
    pub failed: u64,
    /// Why the first failed client failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_error: Option<String>,
    /// From the start of the storm until each client's SyncStep2 arrived.
    #[serde(flatten)]
    pub sync: Option<LatencySummary>,
    /// Clients whose state was decoded and compared.
    pub verified: u64,
    /// Whether every compared state's text equals the builder's.
    pub verified_equal: bool,
    /// The server during the storm.
    #[serde(flatten)]
    pub server: Option<PhaseUsage>,
}

/// Runs `joinstorm`.
pub async fn run(g: &Global, a: &JoinstormArgs) -> Result<JoinstormResults, BenchError> {
    let watch = ServerWatch::start(&g.server_pid)?;
    let url = g.url_of(&doc_names("joinstorm", 1)[0]);
    let (mut builder, _) = Connection::join(&url, g.handshake_timeout()).await?;
    let replica = Replica::new();
    let started = Instant::now();
    build(&mut builder, &replica, a, g).await?;
    let build_secs = secs(started.elapsed());
    let expected = replica.text();
    tokio::time::sleep(SETTLE).await;

    let phase = metrics::phase(&watch);
    let joined = storm(&url, a, g.handshake_timeout()).await;
    let server = metrics::since(&watch, phase);
    let (mut sync, mut kept, mut first_error, mut open) = (Latencies::default(), Vec::new(), None, Vec::new());
    for j in joined {
        match j {
            Ok((client, synced, took)) => {
                sync.record(took);
                kept.extend(synced);
                open.push(client);
            }
            Err(e) => first_error = first_error.or(Some(e.to_string())),
        }
    }
    drop(open);
    drop(builder);
    let mut verified_equal = true;
    for synced in &kept {
        verified_equal &= text_of(synced.frames())? == expected;
    }
    let synced = sync.count();
    Ok(JoinstormResults {
        build_secs,
        synced,
        failed: u64::from(a.clients) - synced,
        first_error,
        sync: sync.summary(),
        verified: kept.len() as u64,
        verified_equal,
        server,
    })
}

type Joined = Result<(Connection, Option<Synced>, Duration), BenchError>;

/// Starts every client at once; each keeps its connection until all are done.
async fn storm(url: &str, a: &JoinstormArgs, timeout: Duration) -> Vec<Joined> {
    let order = Arc::new(AtomicU32::new(0));
    let t0 = Instant::now();
    let tasks: Vec<_> = (0..a.clients)
        .map(|_| {
            let (url, order, verify) = (url.to_owned(), order.clone(), a.verify);
            tokio::spawn(async move {
                let (client, synced) = Connection::join(&url, timeout).await?;
                let took = t0.elapsed();
                let keep = order.fetch_add(1, Ordering::Relaxed) < verify;
                Ok((client, keep.then_some(synced), took))
            })
        })
        .collect();
    let mut out = Vec::new();
    for t in tasks {
        out.push(t.await.unwrap_or(Err(BenchError::Closed)));
    }
    out
}

/// Sends `--doc-bytes` of seeded ASCII text in `--update-bytes` appends,
/// with a barrier every `--batch` updates and one at the end.
async fn build(builder: &mut Connection, replica: &Replica, a: &JoinstormArgs, g: &Global) -> Result<(), BenchError> {
    let body = ascii_text(a.doc_bytes as usize, g.seed);
    for (i, piece) in body.as_bytes().chunks(a.update_bytes as usize).enumerate() {
        builder.tx.feed(replica.append(std::str::from_utf8(piece).unwrap_or_default())).await?;
        if (i as u64 + 1).is_multiple_of(u64::from(a.batch)) {
            builder.barrier(replica.doc(), g.handshake_timeout()).await?;
        }
    }
    Ok(builder.barrier(replica.doc(), g.handshake_timeout()).await?)
}

/// `bytes` of lowercase words and spaces, a newline every 80 characters or so.
fn ascii_text(bytes: usize, seed: u64) -> String {
    let mut rng = StdRng::seed_from_u64(seed);
    (0..bytes)
        .map(|i| match rng.random_range(0..16) {
            _ if i % 80 == 79 => '\n',
            0..3 => ' ',
            _ => char::from(rng.random_range(b'a'..=b'z')),
        })
        .collect()
}

impl Outcome for JoinstormResults {
    fn summary(&self) -> String {
        let sync = self.sync.map_or("none synced".into(), |s| {
            format!("synced p50 {} p90 {} last {}", ms(s.p50_us), ms(s.p90_us), ms(s.max_us))
        });
        format!(
            "{} synced, {} failed, {sync}, {} verified {}{}",
            self.synced,
            self.failed,
            self.verified,
            if self.verified_equal { "equal" } else { "with DIFFERENT text" },
            server_part(self.server)
        )
    }
}
