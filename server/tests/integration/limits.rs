//! Limits: each exceeded case gets a clear close code or HTTP status, is
//! counted in `/metrics`, and everyone else keeps being served.

use crate::common;

use tandem_sync::protocol;
use common::scrape::{exceeded, scrape, until};
use tandem_sync::DocId;
use bytes::Bytes;
use common::{Client, Ended, TestServer, api_text, doc_id, request};
use server::config::{Limits, Settings};
use tandem_sync::close;
use server::store::{Attachment, ChainEnd, DocMeta, Headline, NewVersion, Seq, SqliteStore, Store, StoreError, StoredDoc, VersionMeta};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;
use tokio::sync::watch;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tandem_sync::document::{CONTENT, fresh_update};

/// An awareness message setting client `id`'s state to `json`.
fn awareness(id: u64, json: &str) -> Vec<u8> {
    protocol::encode_awareness(&tandem_sync::testing::awareness_update(&[(id, 1, json)]))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_update_past_the_document_limit_is_refused_not_stored_not_relayed() {
    let dir = tempfile::tempdir().unwrap();
    let limits = Limits { max_doc_bytes: 64 << 10, ..Limits::default() };
    let server = TestServer::start(dir.path(), limits).await;
    let doc = doc_id("big");
    let mut writer = Client::connect(&server.ws_url(&doc)).await;
    let mut reader = Client::connect(&server.ws_url(&doc)).await;
    let kept = "k".repeat(40 << 10);
    writer.append(&kept).await;
    reader.pump_until(|c| c.text_len() as usize == kept.len()).await;

    writer.append(&"x".repeat(40 << 10)).await;
    assert_eq!(writer.until_closed().await, Ended::Closed(close::TOO_BIG));
    let too_big = fresh_update(CONTENT, &"y".repeat(40 << 10));
    let (status, body) = request("POST", &server.http(&format!("/api/docs/{doc}/update")), Some(&too_big)).await;
    assert_eq!(status, 413);
    assert!(String::from_utf8_lossy(&body).contains("document_too_large"));

    // Small edits still fit, and nothing refused was relayed or stored.
    let mut other = Client::connect(&server.ws_url(&doc)).await;
    other.insert(0, "<ok>").await;
    reader.pump_until(|c| c.text().starts_with("<ok>")).await;
    let expected = format!("<ok>{kept}");
    assert_eq!(reader.text(), expected);
    let n = other.request_ack().await;
    other.pump_until(|c| c.acked(n)).await;
    drop((reader, other));
    server.stop().await;
    let server = TestServer::start(dir.path(), Limits::default()).await;
    assert_eq!(api_text(&server.http(&format!("/api/docs/{doc}/text"))).await, expected);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversize_awareness_state_closes_its_sender_and_is_not_relayed() {
    let dir = tempfile::tempdir().unwrap();
    let limits = Limits { max_awareness_bytes: 1024, ..Limits::default() };
    let server = TestServer::start(dir.path(), limits).await;
    let doc = doc_id("aw");
    let mut observer = Client::connect(&server.ws_url(&doc)).await;
    let mut big = Client::connect(&server.ws_url(&doc)).await;
    big.send(awareness(7, &format!("{{\"name\":\"{}\"}}", "n".repeat(2000)))).await;
    assert_eq!(big.until_closed().await, Ended::Closed(close::TOO_BIG));

    let mut small = Client::connect(&server.ws_url(&doc)).await;
    let fine = awareness(8, "{\"name\":\"ok\"}");
    small.send(fine.clone()).await;
    observer.pump_until(|c| c.replica.awareness.iter().any(|a| fine.ends_with(a))).await;
    assert!(observer.replica.awareness.iter().all(|a| a.len() < 1024), "an oversize state was relayed");
    assert_eq!(exceeded(&scrape(&server).await, "awareness_bytes"), 1.0);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connection_caps_refuse_at_the_upgrade_with_a_reason() {
    let dir = tempfile::tempdir().unwrap();
    let limits = Limits { max_connections: 3, max_connections_per_doc: 2, ..Limits::default() };
    let server = TestServer::start(dir.path(), limits).await;
    let (a, b, c) = (doc_id("a"), doc_id("b"), doc_id("c"));
    let mut a1 = Client::connect(&server.ws_url(&a)).await;
    let mut a2 = Client::connect(&server.ws_url(&a)).await;
    let refused = Client::try_open(&server.ws_url(&a), &[]).await.err().expect("a third on one document");
    assert_eq!(refused.0, 503);
    assert!(String::from_utf8_lossy(&refused.1).contains("connections_per_doc"));
    let b1 = Client::connect(&server.ws_url(&b)).await;
    let refused = Client::try_open(&server.ws_url(&c), &[]).await.err().expect("a fourth in total");
    assert_eq!(refused.0, 503);
    assert!(String::from_utf8_lossy(&refused.1).contains("\"connections\""));

    // The admitted keep working; a closed connection frees its slot.
    a1.append("still here").await;
    a2.pump_until(|c| c.text() == "still here").await;
    b1.close().await;
    until(&server, "tandem_connections", |n| n == 2.0).await;
    Client::connect(&server.ws_url(&c)).await;
    let text = scrape(&server).await;
    assert_eq!((exceeded(&text, "connections_per_doc"), exceeded(&text, "connections")), (1.0, 1.0));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_per_ip_are_capped_with_429() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path(), Limits { max_connections_per_ip: 2, ..Limits::default() }).await;
    let doc = doc_id("ip");
    let _first = Client::connect(&server.ws_url(&doc)).await;
    let second = Client::connect(&server.ws_url(&doc)).await;
    let refused = Client::try_open(&server.ws_url(&doc_id("other")), &[]).await.err().expect("a third from one IP");
    assert_eq!(refused.0, 429);
    assert!(String::from_utf8_lossy(&refused.1).contains("connections_per_ip"));
    second.close().await;
    until(&server, "tandem_connections", |n| n == 1.0).await;
    Client::connect(&server.ws_url(&doc)).await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_websocket_that_sends_nothing_is_closed_at_the_handshake_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path(), Limits { handshake_timeout_secs: 1, ..Limits::default() }).await;
    let doc = doc_id("hs");
    let mut synced = Client::connect(&server.ws_url(&doc)).await;
    let mut silent = Client::open(&server.ws_url(&doc)).await;
    assert_eq!(silent.until_closed().await, Ended::Closed(close::POLICY));
    // Past the timeout, a client that did its handshake is still served.
    let mut other = Client::connect(&server.ws_url(&doc)).await;
    other.append("after").await;
    synced.pump_until(|c| c.text() == "after").await;
    assert_eq!(exceeded(&scrape(&server).await, "handshake_timeout"), 1.0);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_headers_sent_byte_by_byte_are_cut_off() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path(), Limits { handshake_timeout_secs: 1, ..Limits::default() }).await;
    let mut tcp = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    let (mut read, mut write) = tcp.split();
    let started = tokio::time::Instant::now();
    let head = b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n";
    let dribble = async {
        for byte in head {
            // The pace of a slowloris client: the whole head would take 10 s.
            tokio::time::sleep(Duration::from_millis(100)).await;
            if write.write_all(&[*byte]).await.is_err() {
                return;
            }
        }
    };
    let mut answer = Vec::new();
    let ((), got) = tokio::join!(dribble, async {
        tokio::time::timeout(common::PATIENCE, read.read_to_end(&mut answer)).await
    });
    let elapsed = started.elapsed();
    assert!(got.expect("the server never cut the connection").is_ok() || answer.is_empty());
    assert!(!String::from_utf8_lossy(&answer).contains("200"), "{}", String::from_utf8_lossy(&answer));
    assert!(elapsed >= Duration::from_millis(900) && elapsed < Duration::from_secs(5), "{elapsed:?}");
    // A prompt client is served.
    assert_eq!(common::get(&server.http("/healthz")).await.0, 200);
    server.stop().await;
}

/// A store whose document loads wait until the test opens the gate.
struct GatedStore {
    inner: Arc<SqliteStore>,
    /// std primitives: `load` runs on a blocking thread.
    open: Mutex<bool>,
    opened: Condvar,
}

impl GatedStore {
    fn open_gate(&self) {
        *self.open.lock().unwrap() = true;
        self.opened.notify_all();
    }
}

impl Store for GatedStore {
    fn append(&self, doc: &DocId, update: Bytes) -> Seq {
        self.inner.append(doc, update)
    }
    fn compact(&self, doc: &DocId, snapshot: server::store::NewSnapshot, upto: Seq, headline: Headline) -> Seq {
        self.inner.compact(doc, snapshot, upto, headline)
    }
    fn create(&self, doc: &DocId) -> Seq {
        self.inner.create(doc)
    }
    fn purge(&self, doc: &DocId) -> Seq {
        self.inner.purge(doc)
    }
    fn add_version(&self, doc: &DocId, version: NewVersion) -> Seq {
        self.inner.add_version(doc, version)
    }
    fn thin_versions(&self, doc: &DocId, ids: Vec<i64>) -> Seq {
        self.inner.thin_versions(doc, ids)
    }
    fn add_attachment(&self, doc: &DocId, attachment: Attachment) -> Seq {
        self.inner.add_attachment(doc, attachment)
    }
    fn attachment(&self, doc: &DocId, id: &str) -> Result<Option<Attachment>, StoreError> {
        self.inner.attachment(doc, id)
    }
    fn versioned_docs(&self) -> Result<Vec<DocId>, StoreError> {
        self.inner.versioned_docs()
    }
    fn versions(&self, doc: &DocId) -> Result<Vec<VersionMeta>, StoreError> {
        self.inner.versions(doc)
    }
    fn version(&self, doc: &DocId, id: i64) -> Result<Option<(VersionMeta, Vec<Vec<u8>>)>, StoreError> {
        self.inner.version(doc, id)
    }
    fn chain_end(&self, doc: &DocId) -> Result<Option<ChainEnd>, StoreError> {
        self.inner.chain_end(doc)
    }
    fn durable(&self) -> watch::Receiver<Seq> {
        self.inner.durable()
    }
    fn last_queued(&self) -> Seq {
        self.inner.last_queued()
    }
    fn load(&self, doc: &DocId) -> Result<Option<StoredDoc>, StoreError> {
        let open = self.open.lock().unwrap();
        drop(self.opened.wait_while(open, |open| !*open).unwrap());
        self.inner.load(doc)
    }
    fn list(&self) -> Result<Vec<DocMeta>, StoreError> {
        self.inner.list()
    }
    fn meta(&self, doc: &DocId) -> Result<Option<DocMeta>, StoreError> {
        self.inner.meta(doc)
    }
    fn close(&self) {
        self.open_gate();
        self.inner.close()
    }
    fn health(&self) -> Result<(), &'static str> {
        self.inner.health()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bytes_sent_while_a_document_loads_are_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let inner = Arc::new(SqliteStore::open(dir.path()).unwrap());
    let store = Arc::new(GatedStore { inner: inner.clone(), open: Mutex::new(false), opened: Condvar::new() });
    let limits = Limits { max_pending_bytes: 16 << 10, ..Limits::default() };
    let server = TestServer::start_on(store.clone(), inner, Settings { limits, ..Settings::default() }).await;
    let doc = doc_id("early");
    let mut patient = Client::open(&server.ws_url(&doc)).await;
    patient.send(protocol::encode_update(&fresh_update(CONTENT, &"p".repeat(8 << 10)))).await;
    let mut flood = Client::open(&server.ws_url(&doc)).await;
    for _ in 0..3 {
        flood.try_send(protocol::encode_update(&fresh_update(CONTENT, &"f".repeat(8 << 10)))).await;
    }
    assert_eq!(flood.until_closed().await, Ended::Closed(close::TOO_BIG));

    store.open_gate();
    patient.sync().await;
    assert_eq!(patient.text(), "p".repeat(8 << 10));
    assert_eq!(exceeded(&scrape(&server).await, "pending_bytes"), 1.0);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_document_larger_than_a_message_reaches_a_new_client_in_pieces_within_the_cap() {
    const CAP: usize = 4096;
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path(), Limits { max_message_bytes: CAP, ..Limits::default() }).await;
    let doc = doc_id("pieces");
    // Twenty sessions (each a Yjs client of its own) write 1 KiB each.
    let mut last = Client::connect(&server.ws_url(&doc)).await;
    for i in 0..20 {
        let mut session = Client::connect(&server.ws_url(&doc)).await;
        session.append(&format!("[{i}:{}]", "w".repeat(1024))).await;
        let n = session.request_ack().await;
        session.pump_until(|c| c.acked(n)).await;
        last.pump_until(|c| c.text().contains(&format!("[{i}:"))).await;
    }
    let mut fresh = Client::open(&server.ws_url(&doc)).await;
    fresh.send(protocol::encode_sync_step1(&[0])).await;
    let mut sizes = Vec::new();
    loop {
        let frame = fresh.next_frame().await.expect("open");
        sizes.push(frame.len());
        let done = matches!(protocol::Inbound::decode(&frame), Ok(protocol::Inbound::SyncStep2(_)));
        fresh.apply(&frame).await;
        if done {
            break;
        }
    }
    assert!(sizes.len() > 3, "{sizes:?}");
    assert!(sizes.iter().all(|&s| s <= CAP), "{sizes:?}");
    assert!(last.text().len() > 5 * CAP);
    assert_eq!(fresh.text(), last.text());
    server.stop().await;
}
