//! `bigdoc`: one client builds a document from many single-character edits,
//! one small update each, as typing does; then a fresh client syncs it.

use super::fanout::server_part;
use super::metrics::{self, PhaseUsage, ServerWatch};
use super::{BenchError, Global, Outcome, doc_names, secs};
use bytes::Bytes;
use clap::Args;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::Serialize;
use std::time::Instant;
use tandem_client::Connection;
use tandem_client::handshake::text_of;
use yrs::{Doc, Text, TextRef, Transact, TransactionMut};

/// Share of edits that insert a character; the rest delete one.
const INSERT_SHARE: f64 = 0.65;

/// `tandem-bench bigdoc`.
#[derive(Debug, Clone, Args, Serialize)]
pub struct BigdocArgs {
    /// Single-character edits (65% inserts, 35% deletes at random places, seeded by --seed).
    #[arg(long, default_value_t = 100_000, value_parser = clap::value_parser!(u32).range(1..))]
    pub ops: u32,
    /// Edits per update.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
    pub ops_per_update: u32,
    /// Updates between two barriers: the builder sends a SyncStep1 and waits
    /// for the SyncStep2 answer, so it never runs ahead of the server by more.
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u32).range(1..))]
    pub batch: u32,
}

/// What `bigdoc` measured.
#[derive(Debug, Clone, Serialize)]
pub struct BigdocResults {
    /// Updates the builder sent.
    pub updates: u64,
    /// Characters in the finished document.
    pub text_chars: u64,
    /// Seconds from the first update until the server answered the last barrier.
    pub ingest_secs: f64,
    /// Updates ingested per second.
    pub updates_per_sec: f64,
    /// The server while ingesting.
    #[serde(flatten)]
    pub server: Option<PhaseUsage>,
    /// Seconds a fresh client took to open its connection.
    pub join_connect_secs: f64,
    /// Seconds from its connection's start until the server's SyncStep2 arrived.
    pub join_step2_received_secs: f64,
    /// Seconds from its connection's start until the state was applied to a document.
    pub join_step2_applied_secs: f64,
    /// Bytes of update the fresh client received (its SyncStep2 and any pieces before it).
    pub state_bytes: u64,
    /// Messages that carried them.
    pub state_messages: u64,
    /// Whether the fresh client's text equals the builder's.
    pub text_equal: bool,
}

/// Runs `bigdoc`.
pub async fn run(g: &Global, a: &BigdocArgs) -> Result<BigdocResults, BenchError> {
    let watch = ServerWatch::start(&g.server_pid)?;
    let url = g.url_of(&doc_names("bigdoc", 1)[0]);
    let (mut builder, _) = Connection::join(&url, g.handshake_timeout()).await?;
    let doc = tandem_sync::document::new_doc();
    let phase = metrics::phase(&watch);
    let t0 = Instant::now();
    let updates = build(&mut builder, &doc, a, g).await?;
    let ingest = t0.elapsed();
    let server = metrics::since(&watch, phase);

    let started = Instant::now();
    let mut fresh = tokio::time::timeout(g.handshake_timeout(), Connection::open(&url))
        .await
        .map_err(|_| BenchError::Timeout("a connection"))??;
    let connected = started.elapsed();
    let synced = tokio::time::timeout(g.handshake_timeout(), fresh.handshake(&tandem_sync::document::new_doc()))
        .await
        .map_err(|_| BenchError::Timeout("the fresh client's SyncStep2"))??;
    let received = started.elapsed();
    let text = text_of(synced.frames())?;
    let applied = started.elapsed();
    let builder_text = tandem_sync::document::content(&doc);
    fresh.close().await;
    builder.close().await;

    Ok(BigdocResults {
        updates,
        text_chars: builder_text.chars().count() as u64,
        ingest_secs: secs(ingest),
        updates_per_sec: (updates as f64 / ingest.as_secs_f64()).round(),
        server,
        join_connect_secs: secs(connected),
        join_step2_received_secs: secs(received),
        join_step2_applied_secs: secs(applied),
        state_bytes: synced.update_bytes() as u64,
        state_messages: synced.frames().count() as u64,
        text_equal: text == builder_text,
    })
}

/// Sends the edits, `ops_per_update` per update, with a barrier every
/// `batch` updates and one at the end; returns the number of updates.
async fn build(builder: &mut Connection, doc: &Doc, a: &BigdocArgs, g: &Global) -> Result<u64, BenchError> {
    let mut rng = StdRng::seed_from_u64(g.seed);
    let text = doc.get_or_insert_text(tandem_sync::document::CONTENT);
    let (mut done, mut updates) = (0, 0u64);
    while done < a.ops {
        let n = a.ops_per_update.min(a.ops - done);
        let update = {
            let mut txn = doc.transact_mut();
            (0..n).for_each(|_| edit(&text, &mut txn, &mut rng));
            txn.encode_update_v1()
        };
        builder.tx.feed(Bytes::from(tandem_sync::protocol::encode_update(&update))).await?;
        (done, updates) = (done + n, updates + 1);
        if updates.is_multiple_of(u64::from(a.batch)) {
            builder.barrier(doc, g.handshake_timeout()).await?;
        }
    }
    builder.barrier(doc, g.handshake_timeout()).await?;
    Ok(updates)
}

/// One random edit: insert a letter or delete a character, at a random place.
fn edit(text: &TextRef, txn: &mut TransactionMut, rng: &mut StdRng) {
    let len = text.len(txn);
    if len == 0 || rng.random_bool(INSERT_SHARE) {
        let at = rng.random_range(0..=len);
        let letter = char::from(rng.random_range(b'a'..=b'z'));
        text.insert(txn, at, letter.encode_utf8(&mut [0; 4]));
    } else {
        text.remove_range(txn, rng.random_range(0..len), 1);
    }
}

impl Outcome for BigdocResults {
    fn summary(&self) -> String {
        format!(
            "{} updates ingested in {:.3} s ({:.0}/s){}; a new client had the state ({} bytes) in {:.1} ms, applied in {:.1} ms, text {}",
            self.updates,
            self.ingest_secs,
            self.updates_per_sec,
            server_part(self.server),
            self.state_bytes,
            self.join_step2_received_secs * 1000.0,
            self.join_step2_applied_secs * 1000.0,
            if self.text_equal { "equal" } else { "DIFFERENT" }
        )
    }
}
