//! A minimal y-websocket client: connect, handshake, send, receive.
//!
//! The handshake is what stock providers do: send `SyncStep1` with our state
//! vector, answer the server's `SyncStep1` with a `SyncStep2`, and count as
//! synced once the server's `SyncStep2` has arrived. The framing is
//! [`tandem_sync::protocol`]'s, the one the server itself speaks.

use super::BenchError;
use tandem_sync::protocol::{self, Inbound};
use bytes::Bytes;
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use std::time::{Duration, Instant};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use tokio_util::sync::CancellationToken;
use yrs::updates::decoder::Decode;
use yrs::updates::encoder::Encode;
use yrs::{Doc, ReadTxn, StateVector, Transact, Update};

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// One open connection, split so that one task may send while another receives.
pub struct Client {
    /// The sending half.
    pub tx: Sender,
    /// The receiving half.
    pub rx: Receiver,
}

/// The sending half of a connection.
pub struct Sender(SplitSink<Ws, Message>);

/// The receiving half of a connection.
pub struct Receiver(SplitStream<Ws>);

/// What the server sent up to and including its `SyncStep2`.
#[derive(Debug, Clone)]
pub struct Synced {
    /// The `SyncStep2` frame.
    pub step2: Bytes,
    /// `Update` frames that came before it (a large state arrives in pieces,
    /// and other clients may write meanwhile).
    pub early: Vec<Bytes>,
}

impl Synced {
    /// Every frame in arrival order: the early updates, then the `SyncStep2`.
    pub fn frames(&self) -> impl Iterator<Item = &Bytes> {
        self.early.iter().chain(std::iter::once(&self.step2))
    }

    /// Bytes of the updates received, framing excluded.
    pub fn update_bytes(&self) -> usize {
        self.frames().filter_map(|f| update_of(f).ok().flatten()).map(<[u8]>::len).sum()
    }
}

impl Client {
    /// Opens a WebSocket to `url`.
    pub async fn connect(url: &str) -> Result<Client, BenchError> {
        let (ws, _) = tokio_tungstenite::connect_async(url)
            .await
            .map_err(|e| BenchError::Connect { url: url.to_owned(), source: Box::new(e) })?;
        let (tx, rx) = ws.split();
        Ok(Client { tx: Sender(tx), rx: Receiver(rx) })
    }

    /// Connects to `url` and syncs an empty document, all within `timeout`.
    pub async fn join(url: &str, timeout: Duration) -> Result<(Client, Synced), BenchError> {
        let doc = tandem_sync::document::new_doc();
        let joining = async {
            let mut client = Client::connect(url).await?;
            let synced = client.handshake(&doc).await?;
            Ok((client, synced))
        };
        tokio::time::timeout(timeout, joining).await.map_err(|_| BenchError::Timeout("the handshake"))?
    }

    /// Sends our `SyncStep1` for `doc` and waits for the server's `SyncStep2`.
    pub async fn handshake(&mut self, doc: &Doc) -> Result<Synced, BenchError> {
        let sv = doc.transact().state_vector().encode_v1();
        self.tx.send(protocol::encode_sync_step1(&sv)).await?;
        self.await_step2(doc).await
    }

    /// Reads until the server's `SyncStep2`, answering its `SyncStep1` from
    /// `doc` on the way and keeping the `Update` frames that come before.
    pub async fn await_step2(&mut self, doc: &Doc) -> Result<Synced, BenchError> {
        let mut early = Vec::new();
        loop {
            let frame = self.rx.recv().await?.ok_or(BenchError::Closed)?;
            match Inbound::decode(&frame)? {
                Inbound::SyncStep1(sv) => {
                    let sv = StateVector::decode_v1(sv).map_err(|e| BenchError::Update(e.to_string()))?;
                    let diff = doc.transact().encode_state_as_update_v1(&sv);
                    self.tx.send(protocol::encode_sync_step2(&diff)).await?;
                }
                Inbound::SyncStep2(_) => return Ok(Synced { step2: frame, early }),
                Inbound::Update(_) => early.push(frame),
                _ => {}
            }
        }
    }

    /// Flushes what was sent, sends our state vector for `doc` and waits
    /// (within `timeout`) for the answer: once it is here, the server has
    /// read everything sent before. Writers use it as flow control.
    pub async fn barrier(&mut self, doc: &Doc, timeout: Duration) -> Result<(), BenchError> {
        self.tx.flush().await?;
        let waiting = async {
            self.handshake(doc).await?;
            Ok(())
        };
        tokio::time::timeout(timeout, waiting).await.map_err(|_| BenchError::Timeout("a barrier's SyncStep2"))?
    }

    /// Closes the connection politely; errors are of no interest any more.
    pub async fn close(mut self) {
        let _ = self.tx.0.close().await;
    }
}

impl Sender {
    /// Sends one frame and flushes it.
    pub async fn send(&mut self, frame: Vec<u8>) -> Result<(), BenchError> {
        Ok(self.0.send(Message::Binary(frame.into())).await?)
    }

    /// Queues one frame; it leaves once the write buffer fills or on [`Sender::flush`].
    pub async fn feed(&mut self, frame: Bytes) -> Result<(), BenchError> {
        Ok(self.0.feed(Message::Binary(frame)).await?)
    }

    /// Writes every queued frame.
    pub async fn flush(&mut self) -> Result<(), BenchError> {
        Ok(self.0.flush().await?)
    }
}

impl Receiver {
    /// The next binary frame, or `None` once the connection has ended.
    pub async fn recv(&mut self) -> Result<Option<Bytes>, BenchError> {
        loop {
            match self.0.next().await {
                Some(Ok(Message::Binary(b))) => return Ok(Some(b)),
                Some(Ok(Message::Close(_))) | None => return Ok(None),
                Some(Ok(_)) => continue,
                Some(Err(e)) => return Err(e.into()),
            }
        }
    }

    /// Keeps every `Update` frame with its arrival time, until `expected` have
    /// arrived, the connection ends, or `stop` fires. Frames are not decoded
    /// beyond their tags here, so receiving keeps up with the server.
    pub async fn collect_updates(mut self, expected: u64, stop: CancellationToken) -> Vec<(Instant, Bytes)> {
        let mut got = Vec::new();
        while (got.len() as u64) < expected {
            let frame = tokio::select! {
                biased;
                _ = stop.cancelled() => break,
                frame = self.recv() => frame,
            };
            let Ok(Some(frame)) = frame else { break };
            if matches!(Inbound::decode(&frame), Ok(Inbound::Update(_))) {
                got.push((Instant::now(), frame));
            }
        }
        got
    }

    /// Reads and drops frames until the connection ends (a writer's echoes).
    pub async fn drain(mut self) {
        while let Ok(Some(_)) = self.recv().await {}
    }
}

/// The update a `SyncStep2` or `Update` frame carries; `None` for other messages.
pub fn update_of(frame: &[u8]) -> Result<Option<&[u8]>, BenchError> {
    match Inbound::decode(frame)? {
        Inbound::SyncStep2(u) | Inbound::Update(u) => Ok(Some(u)),
        _ => Ok(None),
    }
}

/// Applies the update in `frame` (if it carries one) to `doc`.
pub fn apply(doc: &Doc, frame: &[u8]) -> Result<(), BenchError> {
    if let Some(update) = update_of(frame)? {
        let update = Update::decode_v1(update).map_err(|e| BenchError::Update(e.to_string()))?;
        doc.transact_mut().apply_update(update).map_err(|e| BenchError::Update(e.to_string()))?;
    }
    Ok(())
}

/// The body text of a fresh document after applying `frames` in order.
pub fn text_of<'a>(frames: impl IntoIterator<Item = &'a Bytes>) -> Result<String, BenchError> {
    let doc = tandem_sync::document::new_doc();
    for frame in frames {
        apply(&doc, frame)?;
    }
    Ok(tandem_sync::document::content(&doc))
}
