//! Test harness: an in-process server on port 0, the `tandem` binary as a
//! child process, and a y-websocket client built on yrs and tokio-tungstenite.
#![allow(dead_code, missing_docs)]

pub mod fake_socket;
pub mod process;
pub mod scrape;

use tandem_sync::protocol::{self, Inbound};
use futures_util::{SinkExt, StreamExt};
use server::config::{Limits, Settings};
use server::store::{SqliteStore, Store};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use tokio_util::sync::CancellationToken;
use yrs::updates::decoder::Decode;
use yrs::updates::encoder::Encode;
use yrs::{Doc, ReadTxn, StateVector, Text, Transact, Update};

/// Longest wait for anything a test expects to happen.
pub const PATIENCE: Duration = Duration::from_secs(20);

/// A server running inside the test process.
pub struct TestServer {
    pub addr: SocketAddr,
    shutdown: CancellationToken,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl TestServer {
    /// Starts a server on 127.0.0.1:0 over the store in `dir`.
    pub async fn start(dir: &Path, limits: Limits) -> TestServer {
        Self::start_with(dir, Settings { limits, ..Settings::default() }).await
    }

    /// Starts a server with `settings` over the store in `dir`.
    pub async fn start_with(dir: &Path, settings: Settings) -> TestServer {
        let store = SqliteStore::open(dir).expect("open store");
        Self::start_on(Arc::new(store), settings).await
    }

    /// Starts a server with `settings` over `store`.
    pub async fn start_on(store: Arc<dyn Store>, settings: Settings) -> TestServer {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let shutdown = CancellationToken::new();
        let task = tokio::spawn(server::run(listener, store, settings, shutdown.clone()));
        TestServer { addr, shutdown, task }
    }

    /// Shuts down gracefully and waits until everything is stored.
    pub async fn stop(self) {
        self.shutdown.cancel();
        self.task.await.expect("server task").expect("server run");
    }

    pub fn ws_url(&self, doc: &str) -> String {
        format!("ws://{}/ws/{doc}", self.addr)
    }

    pub fn http(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
}

/// A fresh document id for one test.
pub fn doc_id(name: &str) -> String {
    format!("{name}-{}", rand::random::<u32>())
}

/// What a client saw when its connection ended.
#[derive(Debug, PartialEq, Eq)]
pub enum Ended {
    /// A close frame with this code.
    Closed(u16),
    /// The socket ended without a close frame.
    Dropped,
}

/// A y-websocket client: a yrs document kept in sync over one connection.
pub struct Client {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
    pub doc: Doc,
    /// Awareness frames received, in order.
    pub awareness: Vec<Vec<u8>>,
    /// Sync-status payloads echoed by the server, in order.
    pub acks: Vec<Vec<u8>>,
    next_ack: u64,
}

impl Client {
    /// Connects without syncing.
    pub async fn open(url: &str) -> Client {
        Client::try_open(url, &[]).await.expect("connect")
    }

    /// Connects with extra handshake headers, without syncing; a refused
    /// handshake gives the HTTP status and body.
    pub async fn try_open(url: &str, headers: &[(&str, &str)]) -> Result<Client, (u16, Vec<u8>)> {
        use tokio_tungstenite::tungstenite::client::IntoClientRequest;
        let mut request = url.into_client_request().expect("request");
        for (name, value) in headers {
            let name = http_name(name);
            request.headers_mut().insert(name, value.parse().expect("header value"));
        }
        match tokio_tungstenite::connect_async(request).await {
            Ok((ws, _)) => {
                let doc = tandem_sync::document::new_doc();
                Ok(Client { ws, doc, awareness: Vec::new(), acks: Vec::new(), next_ack: 1 })
            }
            Err(tokio_tungstenite::tungstenite::Error::Http(r)) => {
                Err((r.status().as_u16(), r.body().clone().unwrap_or_default()))
            }
            Err(e) => panic!("connect: {e}"),
        }
    }

    /// Connects and completes the sync handshake.
    pub async fn connect(url: &str) -> Client {
        let mut c = Client::open(url).await;
        c.sync().await;
        c
    }

    /// Sends our state vector and waits for the server's `SyncStep2`.
    pub async fn sync(&mut self) {
        assert!(self.try_sync().await, "connection ended before sync");
    }

    /// Like [`Client::sync`]; `false` if the connection ended first.
    pub async fn try_sync(&mut self) -> bool {
        let sv = self.doc.transact().state_vector().encode_v1();
        if !self.try_send(protocol::encode_sync_step1(&sv)).await {
            return false;
        }
        loop {
            let Some(frame) = self.next_frame().await else { return false };
            let synced = matches!(Inbound::decode(&frame), Ok(Inbound::SyncStep2(_)));
            self.apply(&frame).await;
            if synced {
                return true;
            }
        }
    }

    pub async fn send(&mut self, frame: Vec<u8>) {
        assert!(self.try_send(frame).await, "send failed");
    }

    /// Sends a frame; `false` if the connection is gone.
    pub async fn try_send(&mut self, frame: Vec<u8>) -> bool {
        self.ws.send(Message::Binary(frame.into())).await.is_ok()
    }

    pub async fn send_raw(&mut self, msg: Message) -> bool {
        self.ws.send(msg).await.is_ok()
    }

    /// Inserts `s` at `index` (UTF-16) in `content` and sends the update.
    pub async fn insert(&mut self, index: u32, s: &str) {
        assert!(self.try_insert(index, s).await, "send failed");
    }

    /// Inserts and sends; `false` if the connection is gone.
    pub async fn try_insert(&mut self, index: u32, s: &str) -> bool {
        let update = {
            let text = self.doc.get_or_insert_text(tandem_sync::document::CONTENT);
            let mut txn = self.doc.transact_mut();
            text.insert(&mut txn, index, s);
            txn.encode_update_v1()
        };
        self.try_send(protocol::encode_update(&update)).await
    }

    /// Appends `s` to `content` and sends the update.
    pub async fn append(&mut self, s: &str) {
        let len = self.doc.get_or_insert_text(tandem_sync::document::CONTENT).len(&self.doc.transact());
        self.insert(len, s).await;
    }

    /// Length of `content` in UTF-16 code units (cheap, unlike `text()`).
    pub fn text_len(&self) -> u32 {
        self.doc.get_or_insert_text(tandem_sync::document::CONTENT).len(&self.doc.transact())
    }

    pub fn text(&self) -> String {
        tandem_sync::document::content(&self.doc)
    }

    /// Sends a sync-status request and returns its counter.
    pub async fn request_ack(&mut self) -> u64 {
        let n = self.next_ack;
        self.next_ack += 1;
        self.send(protocol::encode_sync_status(&protocol::sync_status_payload(n))).await;
        n
    }

    /// Keepalives received (awareness frames with no entries).
    pub fn keepalives(&self) -> usize {
        self.awareness.iter().filter(|a| a.as_slice() == [0]).count()
    }

    /// Whether the server has echoed sync-status `n`.
    pub fn acked(&self, n: u64) -> bool {
        self.acks.iter().any(|a| *a == protocol::sync_status_payload(n))
    }

    /// The next binary frame, or `None` when the connection ended.
    pub async fn next_frame(&mut self) -> Option<Vec<u8>> {
        loop {
            match tokio::time::timeout(PATIENCE, self.ws.next()).await.expect("no frame in time")? {
                Ok(Message::Binary(b)) => return Some(b.to_vec()),
                Ok(Message::Close(_)) | Err(_) => return None,
                Ok(_) => continue,
            }
        }
    }

    /// Handles one frame as a y-websocket client does.
    pub async fn apply(&mut self, frame: &[u8]) {
        match Inbound::decode(frame).expect("server sent a bad frame") {
            Inbound::SyncStep1(sv) => {
                let sv = StateVector::decode_v1(sv).expect("state vector");
                let diff = self.doc.transact().encode_state_as_update_v1(&sv);
                self.send(protocol::encode_sync_step2(&diff)).await;
            }
            Inbound::SyncStep2(u) | Inbound::Update(u) => {
                let update = Update::decode_v1(u).expect("update");
                self.doc.transact_mut().apply_update(update).expect("apply");
            }
            Inbound::Awareness(a) => self.awareness.push(a.to_vec()),
            Inbound::SyncStatus(p) => self.acks.push(p.to_vec()),
            other => panic!("unexpected message from server: {other:?}"),
        }
    }

    /// Handles frames until `done` holds. Panics if the connection ends first.
    pub async fn pump_until(&mut self, mut done: impl FnMut(&Client) -> bool) {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        while !done(self) {
            let frame = tokio::time::timeout_at(deadline, self.next_frame())
                .await
                .expect("condition not reached in time")
                .expect("connection ended while waiting");
            self.apply(&frame).await;
        }
    }

    /// Handles frames until `done` holds (`true`) or the connection ends (`false`).
    pub async fn try_pump_until(&mut self, mut done: impl FnMut(&Client) -> bool) -> bool {
        while !done(self) {
            match self.next_frame().await {
                Some(frame) => self.apply(&frame).await,
                None => return false,
            }
        }
        true
    }

    /// Reads until the connection ends and reports how it ended.
    pub async fn until_closed(&mut self) -> Ended {
        loop {
            match tokio::time::timeout(PATIENCE, self.ws.next()).await.expect("connection not closed in time") {
                Some(Ok(Message::Close(Some(frame)))) => return Ended::Closed(u16::from(frame.code)),
                Some(Ok(Message::Close(None))) => return Ended::Closed(u16::from(CloseCode::Status)),
                Some(Ok(_)) => continue,
                Some(Err(_)) | None => return Ended::Dropped,
            }
        }
    }

    pub async fn close(mut self) {
        let _ = self.ws.close(None).await;
        while let Some(Ok(_)) = self.ws.next().await {}
    }
}

/// GET `url` and return (status, body).
pub async fn get(url: &str) -> (u16, Vec<u8>) {
    request("GET", url, None).await
}

/// Sends `body` as `application/octet-stream`.
pub async fn request(method: &str, url: &str, body: Option<&[u8]>) -> (u16, Vec<u8>) {
    request_typed(method, url, "application/octet-stream", body.unwrap_or_default()).await
}

/// POSTs a JSON body and parses the JSON answer.
pub async fn post_json(url: &str, body: &str) -> (u16, serde_json::Value) {
    let (status, answer) = request_typed("POST", url, "application/json", body.as_bytes()).await;
    (status, serde_json::from_slice(&answer).unwrap_or(serde_json::Value::Null))
}

fn http_name(name: &str) -> tokio_tungstenite::tungstenite::http::HeaderName {
    name.parse().expect("header name")
}

/// A minimal HTTP/1.1 client (one request per connection), enough for the API.
pub async fn request_typed(method: &str, url: &str, content_type: &str, body: &[u8]) -> (u16, Vec<u8>) {
    let answer = send(method, url, &[("Content-Type", content_type)], body).await;
    (answer.status, answer.body)
}

/// An HTTP answer; header names are lowercase.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Answer {
    /// The first value of header `name` (lowercase).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    /// The body as JSON (`Null` if it is not JSON).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or(serde_json::Value::Null)
    }
}

/// Sends one request with `headers` (besides Host, Connection and Content-Length).
pub async fn send(method: &str, url: &str, headers: &[(&str, &str)], body: &[u8]) -> Answer {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let rest = url.strip_prefix("http://").expect("http url");
    let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let mut stream = TcpStream::connect(host).await.expect("connect http");
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).await.expect("write head");
    stream.write_all(body).await.expect("write body");
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.expect("read response");
    parse_response(&raw)
}

fn parse_response(raw: &[u8]) -> Answer {
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").expect("response head");
    let head = String::from_utf8_lossy(&raw[..split]).to_string();
    let status = head.split(' ').nth(1).and_then(|s| s.parse().ok()).expect("status");
    let headers: Vec<(String, String)> = head
        .lines()
        .skip(1)
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let mut body = raw[split + 4..].to_vec();
    if headers.iter().any(|(n, v)| n == "transfer-encoding" && v.eq_ignore_ascii_case("chunked")) {
        body = dechunk(&body);
    }
    Answer { status, headers, body }
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let line_end = data.windows(2).position(|w| w == b"\r\n").expect("chunk size");
        let size = usize::from_str_radix(std::str::from_utf8(&data[..line_end]).expect("hex").trim(), 16).expect("size");
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&data[line_end + 2..line_end + 2 + size]);
        data = &data[line_end + 2 + size + 2..];
    }
}

/// The plain text of a document via the API.
pub async fn api_text(server_http: &str) -> String {
    let (status, body) = get(server_http).await;
    assert_eq!(status, 200, "GET {server_http}");
    String::from_utf8(body).expect("utf-8")
}

/// Checks `text` contains every marker.
pub fn contains_all(text: &str, markers: &[String]) -> bool {
    markers.iter().all(|m| text.contains(m.as_str()))
}

/// Text of a doc built from one v1 update.
pub fn text_of_update(update: &[u8]) -> String {
    let doc = tandem_sync::document::new_doc();
    doc.transact_mut().apply_update(Update::decode_v1(update).expect("decode")).expect("apply");
    tandem_sync::document::content(&doc)
}
