//! Bad input closes only the offending connection, with a fitting close code,
//! and leaves the server, the other connections and the stored document intact.

use crate::common;

use tandem_sync::protocol;
use common::{Client, Ended, TestServer, api_text, doc_id, get};
use server::config::Limits;
use tandem_sync::close;
use tokio_tungstenite::tungstenite::Message;

const MAX_MESSAGE: usize = 64 * 1024;

/// Each bad frame and the close code it must earn.
fn cases() -> Vec<(&'static str, Message, u16)> {
    let bin = |b: Vec<u8>| Message::Binary(b.into());
    let mut trailing = protocol::encode_update(&[0, 0]);
    trailing.push(1);
    vec![
        ("text frame", Message::Text("hello".into()), close::UNSUPPORTED),
        ("empty frame", bin(vec![]), close::PROTOCOL_ERROR),
        ("truncated varint", bin(vec![0xff, 0xff]), close::PROTOCOL_ERROR),
        ("unknown tag", bin(vec![9, 0]), close::UNSUPPORTED),
        ("unknown sync tag", bin(vec![0, 7, 0]), close::PROTOCOL_ERROR),
        ("length past the end", bin(vec![0, 2, 200, 1]), close::PROTOCOL_ERROR),
        ("trailing bytes", bin(trailing), close::PROTOCOL_ERROR),
        ("garbage update", bin(protocol::encode_update(&[7, 1, 2, 3, 4, 5, 6])), close::INVALID_PAYLOAD),
        ("garbage sync step 2", bin(protocol::encode_sync_step2(&[1, 250, 250, 250])), close::INVALID_PAYLOAD),
        ("garbage state vector", bin(protocol::encode_sync_step1(&[5, 1])), close::INVALID_PAYLOAD),
        ("garbage awareness", bin(protocol::encode_awareness(&[3, 1, 1])), close::INVALID_PAYLOAD),
        // Relayed, it would make every stock Yjs client in the document throw.
        ("awareness state that is not JSON", bin(awareness_state("{\"user\": ")), close::INVALID_PAYLOAD),
        ("auth from a client", bin(vec![2, 0, 0]), close::UNSUPPORTED),
        ("oversize message", bin(vec![0; MAX_MESSAGE + 1]), close::TOO_BIG),
    ]
}

/// An awareness message setting client 9's state to `json`.
fn awareness_state(json: &str) -> Vec<u8> {
    protocol::encode_awareness(&tandem_sync::testing::awareness_update(&[(9, 1, json)]))
}

/// Client 2 writes "lost" into the text, then a string whose parent is that
/// string (which cannot be a parent): yrs refuses the update after it has
/// integrated "lost", and does not roll it back.
fn partly_valid_update() -> Vec<u8> {
    let mut u = vec![1, 2, 2, 0]; // one client, two structs, client 2, from clock 0
    u.extend([4, 1, 7]); // a string under the root type named (7 bytes)
    u.extend(b"content");
    u.push(4);
    u.extend(b"lost");
    u.extend([4, 0, 2, 0, 3]); // a string under item (2, 0), 3 bytes
    u.extend(b"bad");
    u.push(0); // no deletions
    u
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_bad_input_closes_only_its_connection() {
    let dir = tempfile::tempdir().unwrap();
    let limits = Limits { max_message_bytes: MAX_MESSAGE, ..Limits::default() };
    let server = TestServer::start(dir.path(), limits).await;
    let doc = doc_id("bad");
    let mut writer = Client::connect(&server.ws_url(&doc)).await;
    let mut reader = Client::connect(&server.ws_url(&doc)).await;
    for (name, message, code) in cases() {
        let mut bad = Client::connect(&server.ws_url(&doc)).await;
        bad.send_raw(message).await;
        assert_eq!(bad.until_closed().await, Ended::Closed(code), "{name}");

        let marker = format!("<{name}>");
        writer.append(&marker).await;
        reader.pump_until(|c| c.text().contains(&marker)).await;
    }
    let n = writer.request_ack().await;
    writer.pump_until(|c| c.acked(n)).await;
    assert_eq!(reader.text(), writer.text());
    assert_eq!(api_text(&server.http(&format!("/api/docs/{doc}/text"))).await, writer.text());
    assert_eq!(get(&server.http("/healthz")).await.0, 200);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_garbage_never_harms_the_document() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path(), Limits::default()).await;
    let doc = doc_id("fuzz");
    let mut writer = Client::connect(&server.ws_url(&doc)).await;
    writer.append("kept").await;
    let mut rng = fastrand_like(0x5eed);
    for round in 0..60 {
        let mut bad = Client::connect(&server.ws_url(&doc)).await;
        // Valid tag prefixes followed by random bytes reach the deepest decoders.
        let prefix: &[u8] = [&[0u8, 2][..], &[0, 1], &[0, 0], &[1], &[102]][round % 5];
        let len = 1 + rng() as usize % 64;
        let mut frame = prefix.to_vec();
        frame.extend((0..len).map(|_| rng() as u8));
        bad.send_raw(Message::Binary(frame.into())).await;
        bad.close().await;
    }
    let n = writer.request_ack().await;
    writer.pump_until(|c| c.acked(n)).await;
    let text = api_text(&server.http(&format!("/api/docs/{doc}/text"))).await;
    assert!(text.contains("kept"), "{text:?}");
    server.stop().await;
}

/// A small seeded xorshift generator, so a failing run can be replayed.
fn fastrand_like(mut state: u64) -> impl FnMut() -> u64 {
    move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_ids_and_bodies_get_clear_http_errors() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path(), Limits::default()).await;
    let (status, body) = get(&server.http("/ws/not.valid")).await;
    assert_eq!(status, 400);
    assert!(String::from_utf8_lossy(&body).contains("invalid_doc_id"));
    assert_eq!(get(&server.http("/api/docs/nope-never-made")).await.0, 404);
    assert_eq!(get(&server.http("/api/docs/nope-never-made/text")).await.0, 404);
    let (status, body) = common::request("POST", &server.http("/api/docs/x1/update"), Some(&[9, 9, 9])).await;
    assert_eq!(status, 400);
    assert!(String::from_utf8_lossy(&body).contains("invalid_update"));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_update_applied_in_part_reloads_the_document_from_storage() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path(), Limits::default()).await;
    let doc = doc_id("partly");
    let mut writer = Client::connect(&server.ws_url(&doc)).await;
    writer.append("stored").await;
    let n = writer.request_ack().await;
    writer.pump_until(|c| c.acked(n)).await;

    let mut bad = Client::connect(&server.ws_url(&doc)).await;
    bad.send_raw(Message::Binary(protocol::encode_update(&partly_valid_update()).into())).await;
    assert_eq!(bad.until_closed().await, Ended::Closed(close::INTERNAL_ERROR));
    assert_eq!(writer.until_closed().await, Ended::Closed(close::INTERNAL_ERROR), "everyone reloads");

    // Once everyone has left, the document loads again from storage: what was
    // stored, without the part of the faulty update that only memory had.
    let mut again = loop {
        let mut c = Client::open(&server.ws_url(&doc)).await;
        if c.try_sync().await {
            break c;
        }
        tokio::task::yield_now().await; // the failed document is still unloading
    };
    assert_eq!(again.text(), "stored");
    again.append(" and more").await;
    let n = again.request_ack().await;
    again.pump_until(|c| c.acked(n)).await;
    assert_eq!(api_text(&server.http(&format!("/api/docs/{doc}/text"))).await, "stored and more");
    server.stop().await;
}
