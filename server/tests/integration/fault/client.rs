//! A simulated editor: a yrs document that edits at random, online or offline,
//! speaks y-websocket over a socket it can lose in several ways, and keeps
//! track of which of its markers the server acknowledged as durable.

use super::text::{self, Layout};
use futures_util::FutureExt;
use rand::Rng;
use std::collections::VecDeque;
use tandem_client::{Connection, Handled, Replica};
use tandem_sync::protocol;
use yrs::{ClientID, Doc, OffsetKind, Options, Text, Transact};

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
    conn: Connection,
    /// Sync-status requests not yet answered: payload, and how many of our
    /// markers the request covers.
    pending: VecDeque<(Vec<u8>, usize)>,
}

/// One simulated editor.
pub struct SimClient {
    index: usize,
    replica: Replica,
    conn: Option<Conn>,
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
        let replica = Replica::with_doc(Doc::with_options(options));
        SimClient { index, replica, conn: None, markers: Vec::new(), acked: 0, offline_edits: 0 }
    }

    /// Whether a connection is open (as far as this client knows).
    pub fn online(&self) -> bool {
        self.conn.is_some()
    }

    /// The body text.
    pub fn text(&self) -> String {
        self.replica.text()
    }

    /// The markers the server acknowledged as durable.
    pub fn acked_markers(&self) -> &[String] {
        &self.markers[..self.acked]
    }

    /// Opens a connection and completes the handshake: our `SyncStep1`, the
    /// server's `SyncStep1` answered with everything it lacks (offline edits
    /// included), and its `SyncStep2`.
    pub async fn connect(&mut self, url: &str) {
        let conn = Connection::open(url).await.expect("connect to a live server");
        self.conn = Some(Conn { conn, pending: VecDeque::new() });
        self.send(self.replica.sync_step1()).await;
        let (mut answered, mut synced) = (false, false);
        while !(answered && synced) {
            let frame = self.next_frame().await.expect("the server ended the handshake");
            match self.handle(&frame).await {
                Handled::Answer(_) => answered = true,
                Handled::Synced => synced = true,
                _ => {}
            }
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
        let doc = self.replica.doc();
        let content = doc.get_or_insert_text(tandem_sync::document::CONTENT);
        let mut txn = doc.transact_mut();
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
        let (n, frame) = self.replica.ack_request();
        conn.pending.push_back((protocol::sync_status_payload(n), self.markers.len()));
        self.send(frame).await;
    }

    /// Handles every frame that has already arrived, without waiting.
    pub async fn drain(&mut self) {
        while let Some(conn) = &mut self.conn {
            let Some(next) = conn.conn.rx.recv().now_or_never() else { return };
            match next.ok().flatten() {
                Some(frame) => {
                    self.handle(&frame).await;
                }
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
        let Some(Conn { mut conn, .. }) = self.conn.take() else { return };
        match loss {
            Loss::Clean => conn.close().await,
            Loss::Abrupt => {}
            Loss::HalfFrame => {
                let update = protocol::encode_update(&self.local_edit(rng));
                let mask = rng.random();
                conn.drop_mid_frame(update, mask, |len| rng.random_range(1..len)).await;
            }
            Loss::Unflushed => {
                let update = self.local_edit(rng);
                let _ = conn.tx.feed(protocol::encode_update(&update)).await;
            }
        }
    }

    /// Sends a frame; a failure means the connection is gone.
    async fn send(&mut self, frame: Vec<u8>) {
        let Some(conn) = &mut self.conn else { return };
        if conn.conn.tx.send(frame).await.is_err() {
            self.conn = None;
        }
    }

    /// The next binary frame; `None` (and offline) when the connection ended.
    async fn next_frame(&mut self) -> Option<bytes::Bytes> {
        let conn = self.conn.as_mut()?;
        let next = tokio::time::timeout(crate::common::PATIENCE, conn.conn.rx.recv()).await;
        let frame = next.expect("the server went silent").ok().flatten();
        if frame.is_none() {
            self.conn = None;
        }
        frame
    }

    /// Handles one frame from the server as a y-websocket client does; says what it was.
    async fn handle<'a>(&mut self, frame: &'a [u8]) -> Handled<'a> {
        let handled = self.replica.handle(frame).expect("the server sent a bad frame");
        match &handled {
            Handled::Answer(step2) => self.send(step2.clone()).await,
            Handled::Acked(payload) => self.acknowledged(payload),
            Handled::Synced | Handled::Updated | Handled::Awareness(_) | Handled::Permission(_) => {}
        }
        handled
    }

    /// Records the answer to a sync-status request (answers come in order).
    fn acknowledged(&mut self, payload: &[u8]) {
        let conn = self.conn.as_mut().expect("online");
        let (expected, covered) = conn.pending.pop_front().expect("an answer to no request");
        assert_eq!(payload, expected, "sync-status answers out of order");
        self.acked = self.acked.max(covered);
    }
}
