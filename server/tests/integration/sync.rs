//! The sync server over real sockets: convergence, late joiners, awareness, restarts.

use crate::common;

use common::{Client, TestServer, api_text, contains_all, doc_id, get, text_of_update};
use server::config::Limits;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_edits_converge() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path(), Limits::default()).await;
    let doc = doc_id("converge");
    let mut clients = Vec::new();
    for _ in 0..3 {
        clients.push(Client::connect(&server.ws_url(&doc)).await);
    }
    let mut markers = Vec::new();
    for round in 0..20 {
        for (i, c) in clients.iter_mut().enumerate() {
            let marker = format!("[{i}.{round}]");
            // Only at either end, so that no marker is split by another's insert.
            if round % 2 == 0 { c.insert(0, &marker).await } else { c.append(&marker).await }
            markers.push(marker);
        }
    }
    for c in &mut clients {
        c.pump_until(|c| contains_all(&c.text(), &markers)).await;
    }
    let text = clients[0].text();
    assert!(clients.iter().all(|c| c.text() == text), "clients diverged");
    assert_eq!(api_text(&server.http(&format!("/api/docs/{doc}/text"))).await, text);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn late_joiner_receives_the_full_state() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path(), Limits::default()).await;
    let doc = doc_id("late");
    let mut writer = Client::connect(&server.ws_url(&doc)).await;
    for i in 0..50 {
        writer.append(&format!("line {i} ✓ 😀\n")).await;
    }
    let n = writer.request_ack().await;
    writer.pump_until(|c| c.acked(n)).await;
    let late = Client::connect(&server.ws_url(&doc)).await;
    assert_eq!(late.text(), writer.text());
    let (status, state) = get(&server.http(&format!("/api/docs/{doc}/state"))).await;
    assert_eq!(status, 200);
    assert_eq!(text_of_update(&state), writer.text());
    server.stop().await;
}

/// An awareness update with one entry: `varUint(1) · id · clock · varString(json)`.
fn awareness_entry(id: u64, clock: u32, json: &str) -> Vec<u8> {
    tandem_sync::testing::awareness_update(&[(id, clock, json)])
}

fn awareness_states(frames: &[Vec<u8>]) -> Vec<(u64, String)> {
    use yrs::updates::decoder::Decode;
    frames
        .iter()
        .flat_map(|f| yrs::sync::AwarenessUpdate::decode_v1(f).unwrap().clients)
        .map(|(id, e)| (id.get(), e.json.to_string()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn awareness_is_relayed_and_removed_on_close() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path(), Limits::default()).await;
    let doc = doc_id("aware");
    let mut a = Client::connect(&server.ws_url(&doc)).await;
    let mut b = Client::connect(&server.ws_url(&doc)).await;
    let state = r##"{"user":{"name":"Ada","color":"#f80"}}"##;
    a.send(tandem_sync::protocol::encode_awareness(&awareness_entry(4242, 1, state))).await;
    b.pump_until(|c| awareness_states(&c.replica.awareness).contains(&(4242, state.to_string()))).await;

    // A newcomer receives the current states right after the handshake.
    let mut late = Client::open(&server.ws_url(&doc)).await;
    late.sync().await;
    late.pump_until(|c| awareness_states(&c.replica.awareness).contains(&(4242, state.to_string()))).await;

    a.close().await;
    b.pump_until(|c| awareness_states(&c.replica.awareness).contains(&(4242, "null".to_string()))).await;
    server.stop().await;
}

/// Another connection cannot clear or overwrite a state it did not introduce:
/// the forged entry is neither applied nor relayed, and the forger stays connected.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_cannot_clear_or_change_another_connections_presence() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path(), Limits::default()).await;
    let doc = doc_id("forged-aware");
    let mut ada = Client::connect(&server.ws_url(&doc)).await;
    let mut watcher = Client::connect(&server.ws_url(&doc)).await;
    let mut forger = Client::connect(&server.ws_url(&doc)).await;
    let state = r##"{"user":{"name":"Ada","color":"#f80"}}"##;
    ada.send(tandem_sync::protocol::encode_awareness(&awareness_entry(4242, 1, state))).await;
    watcher.pump_until(|c| awareness_states(&c.replica.awareness).contains(&(4242, state.to_string()))).await;

    forger.send(tandem_sync::protocol::encode_awareness(&awareness_entry(4242, 2, "null"))).await;
    forger.send(tandem_sync::protocol::encode_awareness(&awareness_entry(4242, 3, r#"{"user":{"name":"Eve"}}"#))).await;
    let own = r#"{"user":{"name":"Bob"}}"#;
    forger.send(tandem_sync::protocol::encode_awareness(&awareness_entry(5151, 1, own))).await;
    // The forger's own state arrives after its forged ones would have.
    watcher.pump_until(|c| awareness_states(&c.replica.awareness).contains(&(5151, own.to_string()))).await;
    let seen = awareness_states(&watcher.replica.awareness);
    assert!(seen.iter().all(|(id, _)| *id != 4242 || seen.contains(&(4242, state.to_string()))), "{seen:?}");
    assert_eq!(seen.iter().filter(|(id, _)| *id == 4242).count(), 1, "a forged entry was relayed: {seen:?}");

    let mut late = Client::open(&server.ws_url(&doc)).await;
    late.sync().await;
    late.pump_until(|c| awareness_states(&c.replica.awareness).contains(&(4242, state.to_string()))).await;
    assert!(!awareness_states(&late.replica.awareness).iter().any(|(id, json)| *id == 4242 && json != state));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_with_the_same_data_dir_keeps_everything() {
    let dir = tempfile::tempdir().unwrap();
    let doc = doc_id("restart");
    let expected = {
        let server = TestServer::start(dir.path(), Limits::default()).await;
        let mut c = Client::connect(&server.ws_url(&doc)).await;
        // More updates than one compaction interval, so snapshot and log are both exercised.
        for i in 0..1200 {
            c.append(&format!("{i},")).await;
        }
        let n = c.request_ack().await;
        c.pump_until(|c| c.acked(n)).await;
        let text = c.text();
        server.stop().await;
        text
    };
    let server = TestServer::start(dir.path(), Limits::default()).await;
    let c = Client::connect(&server.ws_url(&doc)).await;
    assert_eq!(c.text(), expected);
    let (status, list) = get(&server.http("/api/docs")).await;
    assert_eq!(status, 200);
    let list: serde_json::Value = serde_json::from_slice(&list).unwrap();
    assert!(list.as_array().unwrap().iter().any(|d| d["id"] == doc.as_str()));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn durable_ack_arrives_after_the_updates_before_it() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path(), Limits::default()).await;
    let doc = doc_id("ack");
    let mut c = Client::connect(&server.ws_url(&doc)).await;
    c.append("before the ack").await;
    let n = c.request_ack().await;
    c.pump_until(|c| c.acked(n)).await;
    // The acknowledged update is readable by a fresh store reader right away.
    let store = server::store::SqliteStore::open(&dir.path().join("second"));
    assert!(store.is_ok());
    assert_eq!(api_text(&server.http(&format!("/api/docs/{doc}/text"))).await, "before the ack");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_arriving_together_share_one_loaded_document() {
    let dir = tempfile::tempdir().unwrap();
    let doc = doc_id("together");
    let server = TestServer::start(dir.path(), Limits::default()).await;
    let mut seed = Client::connect(&server.ws_url(&doc)).await;
    seed.append("stored|").await;
    let n = seed.request_ack().await;
    seed.pump_until(|c| c.acked(n)).await;
    seed.close().await;
    server.stop().await;

    // After a restart the document is not loaded; ten clients open it at once.
    let server = TestServer::start(dir.path(), Limits::default()).await;
    let url = server.ws_url(&doc);
    let connects = (0..10).map(|_| Client::connect(&url));
    let mut clients = futures_util::future::join_all(connects).await;
    let markers: Vec<String> = (0..clients.len()).map(|i| format!("<{i}>")).collect();
    for (c, m) in clients.iter_mut().zip(&markers) {
        assert!(c.text().starts_with("stored|"), "{:?}", c.text());
        c.append(m).await;
    }
    for c in &mut clients {
        c.pump_until(|c| contains_all(&c.text(), &markers)).await;
    }
    let text = clients[0].text();
    assert!(clients.iter().all(|c| c.text() == text));
    server.stop().await;
}
