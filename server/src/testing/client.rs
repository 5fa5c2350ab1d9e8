//! A y-websocket test client: a yrs document kept in sync over one
//! connection; anything a test does not expect panics.

use super::PATIENCE;
use futures_util::{SinkExt, StreamExt};
use tandem_sync::protocol::{self, Inbound};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use yrs::updates::decoder::Decode;
use yrs::updates::encoder::Encode;
use yrs::{Doc, ReadTxn, StateVector, Text, Transact, Update};

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
    /// The replica of the document.
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

    /// Sends a frame; panics if the connection is gone.
    pub async fn send(&mut self, frame: Vec<u8>) {
        assert!(self.try_send(frame).await, "send failed");
    }

    /// Sends a frame; `false` if the connection is gone.
    pub async fn try_send(&mut self, frame: Vec<u8>) -> bool {
        self.ws.send(Message::Binary(frame.into())).await.is_ok()
    }

    /// Sends any WebSocket message; `false` if the connection is gone.
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

    /// The body text.
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

    /// Closes politely and reads until the server's close arrives.
    pub async fn close(mut self) {
        let _ = self.ws.close(None).await;
        while let Some(Ok(_)) = self.ws.next().await {}
    }
}


fn http_name(name: &str) -> tokio_tungstenite::tungstenite::http::HeaderName {
    name.parse().expect("header name")
}
