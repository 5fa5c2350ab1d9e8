//! The test client: a [`Replica`] kept in sync over one [`Connection`] of
//! the client kit; anything a test does not expect panics, and nothing is
//! awaited longer than [`PATIENCE`].

use super::PATIENCE;
use tandem_client::{Connection, Handled, Replica};
use tokio_tungstenite::tungstenite::Message;

pub use tandem_client::Ended;

/// A y-websocket client: a yrs document kept in sync over one connection.
pub struct Client {
    conn: Connection,
    /// The document and what else the server sent (awareness, acknowledgements).
    pub replica: Replica,
}

impl Client {
    /// Connects without syncing.
    pub async fn open(url: &str) -> Client {
        Client::try_open(url, &[]).await.expect("connect")
    }

    /// Connects with extra handshake headers, without syncing; a refused
    /// handshake gives the HTTP status and body.
    pub async fn try_open(url: &str, headers: &[(&str, &str)]) -> Result<Client, (u16, Vec<u8>)> {
        match Connection::open_with(url, headers).await {
            Ok(conn) => Ok(Client { conn, replica: Replica::new() }),
            Err(tandem_client::Error::Refused { status, body, .. }) => Err((status.as_u16(), body)),
            Err(e) => panic!("connect: {e}"),
        }
    }

    /// Connects and completes the sync handshake.
    pub async fn connect(url: &str) -> Client {
        let mut c = Client::open(url).await;
        c.sync().await;
        c
    }

    /// Closes the connection and keeps the document, as a client going offline does.
    pub async fn go_offline(self) -> Replica {
        let Client { conn, replica } = self;
        let Connection { mut tx, rx } = conn;
        tx.close().await;
        rx.drain().await;
        replica
    }

    /// Connects with a document kept offline (edited meanwhile, perhaps) and
    /// syncs: the handshake's `SyncStep2` carries what it did offline.
    pub async fn come_back(url: &str, replica: Replica) -> Client {
        let conn = Connection::open_with(url, &[]).await.expect("connect");
        let mut c = Client { conn, replica };
        c.sync().await;
        c
    }

    /// Sends our state vector and waits for the server's `SyncStep2`.
    pub async fn sync(&mut self) {
        assert!(self.try_sync().await, "connection ended before sync");
    }

    /// Like [`Client::sync`]; `false` if the connection ended first.
    pub async fn try_sync(&mut self) -> bool {
        if !self.try_send(self.replica.sync_step1()).await {
            return false;
        }
        loop {
            let Some(frame) = self.next_frame().await else { return false };
            if self.apply(&frame).await {
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
        self.conn.tx.send(frame).await.is_ok()
    }

    /// Sends any WebSocket message; `false` if the connection is gone.
    pub async fn send_raw(&mut self, msg: Message) -> bool {
        self.conn.tx.send_message(msg).await.is_ok()
    }

    /// Inserts `s` at `index` (UTF-16) in `content` and sends the update.
    pub async fn insert(&mut self, index: u32, s: &str) {
        assert!(self.try_insert(index, s).await, "send failed");
    }

    /// Inserts and sends; `false` if the connection is gone.
    pub async fn try_insert(&mut self, index: u32, s: &str) -> bool {
        let frame = self.replica.insert(index, s);
        self.try_send(frame).await
    }

    /// Appends `s` to `content` and sends the update.
    pub async fn append(&mut self, s: &str) {
        self.insert(self.replica.text_len(), s).await;
    }

    /// The body text.
    pub fn text(&self) -> String {
        self.replica.text()
    }

    /// Length of `content` in UTF-16 code units (cheap, unlike `text()`).
    pub fn text_len(&self) -> u32 {
        self.replica.text_len()
    }

    /// Permission messages received, in order (`false`: denied, read-only; `true`: granted).
    pub fn permissions(&self) -> &[bool] {
        &self.replica.permissions
    }

    /// Keepalives received (awareness frames with no entries).
    pub fn keepalives(&self) -> usize {
        self.replica.keepalives()
    }

    /// Whether the server has echoed sync-status `n`.
    pub fn acked(&self, n: u64) -> bool {
        self.replica.acked(n)
    }

    /// Sends a sync-status request and returns its counter.
    pub async fn request_ack(&mut self) -> u64 {
        let (n, frame) = self.replica.ack_request();
        self.send(frame).await;
        n
    }

    /// The next binary frame, or `None` when the connection ended.
    pub async fn next_frame(&mut self) -> Option<Vec<u8>> {
        let frame = tokio::time::timeout(PATIENCE, self.conn.rx.recv()).await.expect("no frame in time");
        frame.ok().flatten().map(Vec::from)
    }

    /// Handles one frame as a y-websocket client does; `true` for the server's `SyncStep2`.
    pub async fn apply(&mut self, frame: &[u8]) -> bool {
        match self.replica.handle(frame).expect("the server sent a bad frame") {
            Handled::Answer(step2) => self.send(step2).await,
            Handled::Synced => return true,
            Handled::Updated | Handled::Awareness(_) | Handled::Acked(_) | Handled::Permission(_) => {}
        }
        false
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
            };
        }
        true
    }

    /// Reads until the connection ends and reports how it ended.
    pub async fn until_closed(&mut self) -> Ended {
        tokio::time::timeout(PATIENCE, self.conn.rx.until_closed()).await.expect("connection not closed in time")
    }

    /// Closes politely and reads until the server's close arrives.
    pub async fn close(self) {
        let Connection { mut tx, rx } = self.conn;
        tx.close().await;
        rx.drain().await;
    }
}
