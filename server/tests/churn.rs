//! 10,000 connect → sync → close cycles leave no connection, room or task
//! behind, and memory about where it was.
//!
//! A binary of its own: it measures the process's memory, which tests
//! running beside it in one process would move.

use server::config::Limits;
use server::testing::scrape::{sample, scrape, until};
use server::testing::{Client, PATIENCE, TestServer};
use std::time::{Duration, Instant};

const CYCLES: usize = 10_000;
/// Connections open at once (below the default per-IP cap of 256).
const BATCH: usize = 100;
const DOCS: usize = 4;

/// The process's resident memory, in KiB.
fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

fn alive_tasks() -> usize {
    tokio::runtime::Handle::current().metrics().num_alive_tasks()
}

/// One batch: `BATCH` clients connect and sync at once, then all close.
async fn batch(server: &TestServer, round: usize) {
    let clients = (0..BATCH).map(|i| {
        let url = server.ws_url(&format!("churn-{}", (round + i) % DOCS));
        async move { Client::connect(&url).await }
    });
    let clients = futures_util::future::join_all(clients).await;
    futures_util::future::join_all(clients.into_iter().map(Client::close)).await;
}

/// Waits until no connection and no room is left, and the task count is back to `baseline`.
async fn settled(server: &TestServer, baseline: usize) {
    until(server, "tandem_connections", |n| n == 0.0).await;
    until(server, "tandem_documents_loaded", |n| n == 0.0).await;
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while alive_tasks() > baseline {
        assert!(tokio::time::Instant::now() < deadline, "{} tasks alive, {baseline} before", alive_tasks());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_connect_disconnect_cycles_leave_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path(), Limits::default()).await;
    // Warm up (allocator pools, lazily built statics), then take the baselines.
    batch(&server, 0).await;
    settled(&server, usize::MAX).await;
    let (tasks, rss_before) = (alive_tasks(), rss_kib());

    let started = Instant::now();
    for round in 0..CYCLES / BATCH {
        batch(&server, round).await;
    }
    let took = started.elapsed();
    settled(&server, tasks).await;
    let rss_after = rss_kib();
    let text = scrape(&server).await;
    let accepted = sample(&text, "tandem_connections_accepted_total").unwrap_or(0.0);
    println!("{CYCLES} cycles in {took:?}; RSS {rss_before} KiB before, {rss_after} KiB after; {tasks} tasks");
    assert_eq!(accepted as usize, CYCLES + BATCH);
    assert!(rss_after.saturating_sub(rss_before) < 20 * 1024, "RSS grew from {rss_before} to {rss_after} KiB");
    server.stop().await;
}
