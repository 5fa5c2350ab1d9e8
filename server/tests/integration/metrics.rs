//! `/metrics` counts what happened; `/readyz` follows the store's health.

use crate::common;

use common::{Client, PATIENCE, TestServer, doc_id, get, send};
use server::config::{Limits, Settings};
use tokio_tungstenite::tungstenite::Message;

/// The value of the sample `key` (name with its labels, as printed) in a scrape.
fn sample(scrape: &str, key: &str) -> Option<f64> {
    scrape.lines().find_map(|line| line.strip_prefix(key)?.strip_prefix(' ')?.parse().ok())
}

async fn scrape(server: &TestServer) -> String {
    let (status, body) = get(&server.metrics_url()).await;
    assert_eq!(status, 200);
    String::from_utf8(body).unwrap()
}

/// Scrapes until `key` has `value`.
async fn until_sample(server: &TestServer, key: &str, value: f64) -> String {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let text = scrape(server).await;
        if sample(&text, key) == Some(value) {
            return text;
        }
        assert!(tokio::time::Instant::now() < deadline, "{key} never reached {value}:\n{text}");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

fn at_least(text: &str, key: &str, min: f64) {
    let v = sample(text, key).unwrap_or_else(|| panic!("{key} missing:\n{text}"));
    assert!(v >= min, "{key} = {v}, expected at least {min}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scrape_counts_connections_messages_updates_and_commits() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path(), Limits::default()).await;
    let (status, body) = get(&server.metrics_url()).await;
    assert_eq!(status, 200);
    let before = String::from_utf8(body).unwrap();
    assert_eq!(sample(&before, "tandem_connections"), Some(0.0));
    assert_eq!(sample(&before, "tandem_update_apply_seconds_count"), Some(0.0));

    let mut client = Client::connect(&server.ws_url(&doc_id("metrics"))).await;
    client.append("counted").await;
    let n = client.request_ack().await;
    client.pump_until(|c| c.acked(n)).await;

    let text = scrape(&server).await;
    assert_eq!(sample(&text, "tandem_connections"), Some(1.0));
    assert_eq!(sample(&text, "tandem_documents_loaded"), Some(1.0));
    assert_eq!(sample(&text, "tandem_store_backlog"), Some(0.0), "the acknowledged update is durable");
    at_least(&text, "tandem_connections_accepted_total", 1.0);
    at_least(&text, "tandem_messages_received_total", 3.0); // SyncStep1, update, sync status
    at_least(&text, "tandem_received_bytes_total", "counted".len() as f64);
    at_least(&text, "tandem_messages_sent_total", 3.0); // SyncStep1, SyncStep2, acknowledgement
    at_least(&text, "tandem_sent_bytes_total", 1.0);
    assert_eq!(sample(&text, "tandem_update_apply_seconds_count"), Some(1.0));
    at_least(&text, "tandem_update_apply_seconds_bucket{le=\"+Inf\"}", 1.0);
    at_least(&text, "tandem_store_commit_seconds_count", 1.0);
    at_least(&text, "tandem_store_append_seconds_count", 1.0);
    assert_eq!(sample(&text, "tandem_store_commit_failures_total"), Some(0.0));

    client.close().await;
    let text = until_sample(&server, "tandem_connections", 0.0).await;
    assert_eq!(sample(&text, "tandem_connections_closed_total{code=\"1000\"}"), Some(1.0));
    assert_eq!(sample(&text, "tandem_slow_client_disconnects_total"), Some(0.0));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_frames_and_refused_origins_are_counted_by_kind() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path(), Limits::default()).await;
    let url = server.ws_url(&doc_id("bad"));

    let mut text_sender = Client::connect(&url).await;
    assert!(text_sender.send_raw(Message::Text("hello".into())).await);
    assert_eq!(text_sender.until_closed().await, common::Ended::Closed(1003));
    let mut garbage = Client::connect(&url).await;
    garbage.send(vec![0, 0, 0xff, 0xff]).await;
    let _ = garbage.until_closed().await;
    assert!(Client::try_open(&url, &[("Origin", "https://evil.example")]).await.is_err());

    let text = until_sample(&server, "tandem_connections", 0.0).await;
    assert_eq!(sample(&text, "tandem_bad_frames_total{code=\"1003\"}"), Some(1.0));
    let bad_payload = ["1002", "1007"].iter().filter_map(|c| sample(&text, &format!("tandem_bad_frames_total{{code=\"{c}\"}}")));
    assert_eq!(bad_payload.sum::<f64>(), 1.0, "the garbage frame is counted once:\n{text}");
    assert_eq!(sample(&text, "tandem_connections_closed_total{code=\"1003\"}"), Some(1.0));
    assert_eq!(sample(&text, "tandem_origin_refused_total"), Some(1.0));
    server.stop().await;
}

/// Polls `/readyz` until it answers `status`; returns the body.
async fn until_ready_is(server: &TestServer, status: u16) -> serde_json::Value {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let answer = send("GET", &server.http("/readyz"), &[], b"").await;
        if answer.status == status {
            return answer.json();
        }
        assert!(tokio::time::Instant::now() < deadline, "/readyz never answered {status}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readyz_is_503_while_the_store_cannot_commit_and_200_once_it_can() {
    let dir = tempfile::tempdir().unwrap();
    // SQLite: the test holds the database file's write lock.
    let server = TestServer::start_on_sqlite(dir.path(), Settings::default()).await;
    assert_eq!(get(&server.http("/readyz")).await.0, 200);
    assert_eq!(get(&server.http("/healthz")).await.0, 200);
    let mut client = Client::connect(&server.ws_url(&doc_id("ready"))).await;

    // Another connection holds the database's write lock: the server's commit
    // waits out its busy timeout, fails, and is retried.
    let blocker = rusqlite::Connection::open(dir.path().join("tandem.db")).unwrap();
    blocker.execute_batch("BEGIN IMMEDIATE").unwrap();
    client.append("waits for the disk").await;
    let n = client.request_ack().await;
    let body = until_ready_is(&server, 503).await;
    assert_eq!(body["error"]["code"], "not_ready");
    assert_eq!(body["error"]["message"], "the last store commit failed; retrying");
    assert_eq!(get(&server.http("/healthz")).await.0, 200, "still alive");
    let text = scrape(&server).await;
    at_least(&text, "tandem_store_commit_failures_total", 1.0);
    at_least(&text, "tandem_store_backlog", 1.0);
    assert!(!client.acked(n));

    blocker.execute_batch("ROLLBACK").unwrap();
    client.pump_until(|c| c.acked(n)).await;
    until_ready_is(&server, 200).await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_are_served_on_their_own_listener_and_not_publicly_on_the_main_address() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path(), Limits::default()).await;
    let (status, body) = get(&server.metrics_url()).await;
    assert_eq!(status, 200);
    assert!(String::from_utf8(body).unwrap().contains("tandem_connections"));
    // Open mode has no administrators: the main address does not serve them.
    assert_eq!(get(&server.http("/metrics")).await.0, 404);
    // The metrics listener serves nothing else.
    assert_eq!(get(&format!("http://{}/api/docs", server.metrics_addr)).await.0, 404);
    for path in ["/healthz", "/readyz"] {
        assert_eq!(get(&server.http(path)).await.0, 200, "{path} stays public");
    }
    server.stop().await;
}
