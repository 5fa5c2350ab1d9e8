//! Many clients connected and synced with bounded concurrency.
//!
//! The first client of each document connects before any other does, so the
//! document is loaded (or created) by one client, as when a writer opens it
//! and readers follow; the rest then join at most `--connect-concurrency` at once.

use super::{BenchError, Global};
use bytes::Bytes;
use futures_util::StreamExt;
use futures_util::stream;
use std::collections::HashSet;
use std::time::{Duration, Instant};
use tandem_client::{Connection, Receiver, Synced};
use tandem_sync::protocol::Inbound;
use tokio_util::sync::CancellationToken;

/// A client that connected and synced.
pub struct Joined {
    /// The open connection.
    pub client: Connection,
    /// What the server sent up to its `SyncStep2`.
    pub synced: Synced,
    /// From the start of its connection until its `SyncStep2` arrived.
    pub took: Duration,
}

/// Connects and syncs one client per URL in `urls`, spread over the `--url`s
/// ([`Global::spread`]); the result `i` belongs to client `i`. Each client
/// has `--handshake-timeout-secs`.
pub async fn join_all(g: &Global, urls: &[String]) -> Vec<Result<Joined, BenchError>> {
    let urls = &g.spread(urls)[..];
    let mut seen = HashSet::new();
    let (first, rest): (Vec<usize>, Vec<usize>) = (0..urls.len()).partition(|&i| seen.insert(urls[i].as_str()));
    let mut out: Vec<Option<Result<Joined, BenchError>>> = (0..urls.len()).map(|_| None).collect();
    for wave in [first, rest] {
        let joining = stream::iter(wave.into_iter().map(|i| async move { (i, join_one(&urls[i], g.handshake_timeout()).await) }));
        let mut done = joining.buffer_unordered(usize::from(g.connect_concurrency));
        while let Some((i, joined)) = done.next().await {
            out[i] = Some(joined);
        }
    }
    out.into_iter().map(|r| r.unwrap_or(Err(BenchError::Closed))).collect()
}

/// Connects and syncs every URL, or fails with the first failure if any client could not.
pub async fn join_every(g: &Global, urls: &[String]) -> Result<Vec<Joined>, BenchError> {
    let all = join_all(g, urls).await;
    let total = all.len();
    let (ok, failed): (Vec<_>, Vec<_>) = all.into_iter().partition(Result::is_ok);
    match failed.into_iter().filter_map(Result::err).next() {
        Some(first) => Err(BenchError::Clients { failed: total - ok.len(), total, first: Box::new(first) }),
        None => Ok(ok.into_iter().filter_map(Result::ok).collect()),
    }
}

/// Connects and syncs one client, timing it.
pub async fn join_one(url: &str, timeout: Duration) -> Result<Joined, BenchError> {
    let started = Instant::now();
    let (client, synced) = Connection::join(url, timeout).await?;
    Ok(Joined { client, synced, took: started.elapsed() })
}

/// Keeps every `Update` frame `rx` receives with its arrival time, until
/// `expected` have arrived, the connection ends, or `stop` fires. Frames are
/// not decoded beyond their tags here, so receiving keeps up with the server.
pub async fn collect_updates(mut rx: Receiver, expected: u64, stop: CancellationToken) -> Vec<(Instant, Bytes)> {
    let mut got = Vec::new();
    while (got.len() as u64) < expected {
        let frame = tokio::select! {
            biased;
            _ = stop.cancelled() => break,
            frame = rx.recv() => frame,
        };
        let Ok(Some(frame)) = frame else { break };
        if matches!(Inbound::decode(&frame), Ok(Inbound::Update(_))) {
            got.push((Instant::now(), frame));
        }
    }
    got
}

/// Cancels `stop` after `wait`: how long receivers keep waiting for
/// deliveries still missing once the writers are done.
pub fn cancel_after(stop: &CancellationToken, wait: Duration) {
    let stop = stop.clone();
    tokio::spawn(async move {
        tokio::time::sleep(wait).await;
        stop.cancel();
    });
}
