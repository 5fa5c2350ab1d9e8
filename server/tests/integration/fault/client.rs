//! A simulated editor: a yrs document that edits at random, online or offline,
//! speaks y-websocket over a socket it can lose in several ways, and keeps
//! track of which of its markers the server acknowledged as durable.

use super::text::{self, Layout};
use tandem_sync::protocol::{self, Inbound};
use futures_util::{FutureExt, SinkExt, StreamExt};
use rand::Rng;
use std::collections::VecDeque;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::Frame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use yrs::updates::decoder::Decode;
use yrs::updates::encoder::Encode;
use yrs::{ClientID, Doc, OffsetKind, Options, ReadTxn, StateVector, Text, Transact, Update};

/// How a connection is lost.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Loss {
    /// A close handshake, as a tab that is closed.
    Clean,
    /// The socket is dropped between messages.
    Abrupt,
    /// Half of an update's WebSocket frame is written to the TCP socket, then it is dropped.
    HalfFrame,
    /// An update is queued but never flushed, then the socket is dropped.
    Unflushed,
}

/// A live connection.
struct Conn {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
    /// Sync-status requests not yet answered: payload, and how many of our
    /// markers the request covers.
    pending: VecDeque<(Vec<u8>, usize)>,
}

/// One simulated editor.
pub struct SimClient {
    index: usize,
    pub doc: Doc,
    conn: Option<Conn>,
    next_request: u64,
    /// Every marker this client wrote, in order.
    pub markers: Vec<String>,
    /// `markers[..acked]` are acknowledged as durable.
    pub acked: usize,
    /// Edits made while offline.
    pub offline_edits: usize,
}

impl SimClient {
    /// Client number `index` whose yrs client id is `id`.
    pub fn new(index: usize, id: u64) -> SimClient {
        let options = Options { client_id: ClientID::new(id), offset_kind: OffsetKind::Utf16, ..Options::default() };
        let doc = Doc::with_options(options);
        SimClient { index, doc, conn: None, next_request: 1, markers: Vec::new(), acked: 0, offline_edits: 0 }
    }

    /// Whether a connection is open (as far as this client knows).
    pub fn online(&self) -> bool {
        self.conn.is_some()
    }

    /// The body text.
    pub fn text(&self) -> String {
        tandem_sync::document::content(&self.doc)
    }

    /// The markers the server acknowledged as durable.
    pub fn acked_markers(&self) -> &[String] {
        &self.markers[..self.acked]
    }

    /// Opens a connection and completes the handshake: our `SyncStep1`, the
    /// server's `SyncStep1` answered with everything it lacks (offline edits
    /// included), and its `SyncStep2`.
    pub async fn connect(&mut self, url: &str) {
        let (ws, _) = tokio_tungstenite::connect_async(url).await.expect("connect to a live server");
        self.conn = Some(Conn { ws, pending: VecDeque::new() });
        let sv = self.doc.transact().state_vector().encode_v1();
        self.send(protocol::encode_sync_step1(&sv)).await;
        let (mut answered, mut synced) = (false, false);
        while !(answered && synced) {
            let frame = self.next_frame().await.expect("the server ended the handshake");
            match Inbound::decode(&frame) {
                Ok(Inbound::SyncStep1(_)) => answered = true,
                Ok(Inbound::SyncStep2(_)) => synced = true,
                _ => {}
            }
            self.handle(&frame).await;
        }
    }

    /// Makes one random edit (a marker, filler, or a deletion of filler) and
    /// sends it if online.
    pub async fn edit(&mut self, rng: &mut impl Rng) {
        let update = self.local_edit(rng);
        if self.online() {
            self.send(protocol::encode_update(&update)).await;
        } else {
            self.offline_edits += 1;
        }
    }

    /// Edits the document; returns the v1 update.
    fn local_edit(&mut self, rng: &mut impl Rng) -> Vec<u8> {
        let layout = Layout::of(&self.text());
        let content = self.doc.get_or_insert_text(tandem_sync::document::CONTENT);
        let mut txn = self.doc.transact_mut();
        match rng.random_range(0..10) {
            0..3 => {
                let marker = text::marker(self.index, self.markers.len());
                content.insert(&mut txn, layout.insert_at(rng), &marker);
                self.markers.push(marker);
            }
            3..7 => content.insert(&mut txn, layout.insert_at(rng), &text::filler(rng)),
            _ => match layout.delete_range(rng) {
                Some((start, len)) => content.remove_range(&mut txn, start, len),
                None => content.insert(&mut txn, layout.insert_at(rng), &text::filler(rng)),
            },
        }
        txn.encode_update_v1()
    }

    /// Asks the server to acknowledge, once durable, everything sent so far.
    pub async fn request_ack(&mut self) {
        let Some(conn) = &mut self.conn else { return };
        let payload = protocol::sync_status_payload(self.next_request);
        self.next_request += 1;
        conn.pending.push_back((payload.clone(), self.markers.len()));
        self.send(protocol::encode_sync_status(&payload)).await;
    }

    /// Handles every frame that has already arrived, without waiting.
    pub async fn drain(&mut self) {
        while let Some(conn) = &mut self.conn {
            let Some(next) = conn.ws.next().now_or_never() else { return };
            match received(next) {
                Some(frame) => self.handle(&frame).await,
                None => self.conn = None,
            }
        }
    }

    /// Waits until every sync-status request is answered or the connection ends.
    pub async fn settle(&mut self) {
        while self.conn.as_ref().is_some_and(|c| !c.pending.is_empty()) {
            if let Some(frame) = self.next_frame().await {
                self.handle(&frame).await;
            }
        }
    }

    /// Loses the connection in the way `loss` says.
    pub async fn lose(&mut self, loss: Loss, rng: &mut impl Rng) {
        let Some(mut conn) = self.conn.take() else { return };
        match loss {
            Loss::Clean => {
                let _ = conn.ws.close(None).await;
            }
            Loss::Abrupt => {}
            Loss::HalfFrame => {
                let update = self.local_edit(rng);
                let mut frame = Frame::message(protocol::encode_update(&update), OpCode::Data(Data::Binary), true);
                frame.header_mut().mask = Some(rng.random());
                let mut bytes = Vec::new();
                frame.format(&mut bytes).expect("format a frame");
                let cut = rng.random_range(1..bytes.len());
                if let MaybeTlsStream::Plain(tcp) = conn.ws.get_mut() {
                    let _ = tcp.write_all(&bytes[..cut]).await;
                }
            }
            Loss::Unflushed => {
                let update = self.local_edit(rng);
                let _ = conn.ws.feed(Message::Binary(protocol::encode_update(&update).into())).await;
            }
        }
    }

    /// Sends a frame; a failure means the connection is gone.
    async fn send(&mut self, frame: Vec<u8>) {
        let Some(conn) = &mut self.conn else { return };
        if conn.ws.send(Message::Binary(frame.into())).await.is_err() {
            self.conn = None;
        }
    }

    /// The next binary frame; `None` (and offline) when the connection ended.
    async fn next_frame(&mut self) -> Option<Vec<u8>> {
        let conn = self.conn.as_mut()?;
        let next = tokio::time::timeout(crate::common::PATIENCE, conn.ws.next()).await;
        let frame = received(next.expect("the server went silent"));
        if frame.is_none() {
            self.conn = None;
        }
        frame
    }

    /// Handles one frame from the server as a y-websocket client does.
    async fn handle(&mut self, frame: &[u8]) {
        match Inbound::decode(frame).expect("the server sent a malformed frame") {
            Inbound::SyncStep1(sv) => {
                let sv = StateVector::decode_v1(sv).expect("the server's state vector");
                let diff = self.doc.transact().encode_state_as_update_v1(&sv);
                self.send(protocol::encode_sync_step2(&diff)).await;
            }
            Inbound::SyncStep2(update) | Inbound::Update(update) => {
                let update = Update::decode_v1(update).expect("the server relayed a bad update");
                self.doc.transact_mut().apply_update(update).expect("apply a relayed update");
            }
            Inbound::SyncStatus(payload) => self.acknowledged(payload),
            Inbound::Awareness(_) => {}
            other => panic!("unexpected message from the server: {other:?}"),
        }
    }

    /// Records the answer to a sync-status request (answers come in order).
    fn acknowledged(&mut self, payload: &[u8]) {
        let conn = self.conn.as_mut().expect("online");
        let (expected, covered) = conn.pending.pop_front().expect("an answer to no request");
        assert_eq!(payload, expected, "sync-status answers out of order");
        self.acked = self.acked.max(covered);
    }
}

/// A binary frame from a stream item; `None` for the end of the connection.
fn received(item: Option<Result<Message, tokio_tungstenite::tungstenite::Error>>) -> Option<Vec<u8>> {
    match item {
        Some(Ok(Message::Binary(b))) => Some(b.to_vec()),
        Some(Ok(Message::Close(_))) | Some(Err(_)) | None => None,
        Some(Ok(_)) => Some(protocol::encode_keepalive()),
    }
}
