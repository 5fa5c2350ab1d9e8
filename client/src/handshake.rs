//! The handshake stock providers do, without a replica: send `SyncStep1`
//! with our state vector, answer the server's `SyncStep1` with a
//! `SyncStep2`, and count as synced once the server's `SyncStep2` has
//! arrived. The frames are kept as they came, undecoded beyond their tags,
//! so that a client receiving many of them keeps up with the server.

use super::{Connection, Error};
use crate::replica::answer_step1;
use bytes::Bytes;
use std::time::Duration;
use tandem_sync::protocol::{self, Inbound};
use yrs::updates::encoder::Encode;
use yrs::{Doc, ReadTxn, Transact};

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

impl Connection {
    /// Connects to `url` and syncs an empty document, all within `timeout`.
    pub async fn join(url: &str, timeout: Duration) -> Result<(Connection, Synced), Error> {
        let doc = tandem_sync::document::new_doc();
        let joining = async {
            let mut client = Connection::open(url).await?;
            let synced = client.handshake(&doc).await?;
            Ok((client, synced))
        };
        tokio::time::timeout(timeout, joining).await.map_err(|_| Error::Timeout("the handshake"))?
    }

    /// Sends our `SyncStep1` for `doc` and waits for the server's `SyncStep2`.
    pub async fn handshake(&mut self, doc: &Doc) -> Result<Synced, Error> {
        let sv = doc.transact().state_vector().encode_v1();
        self.tx.send(protocol::encode_sync_step1(&sv)).await?;
        self.await_step2(doc).await
    }

    /// Reads until the server's `SyncStep2`, answering its `SyncStep1` from
    /// `doc` on the way and keeping the `Update` frames that come before.
    pub async fn await_step2(&mut self, doc: &Doc) -> Result<Synced, Error> {
        let mut early = Vec::new();
        loop {
            let frame = self.rx.recv().await?.ok_or(Error::Closed)?;
            match Inbound::decode(&frame)? {
                Inbound::SyncStep1(sv) => self.tx.send(answer_step1(doc, sv)?).await?,
                Inbound::SyncStep2(_) => return Ok(Synced { step2: frame, early }),
                Inbound::Update(_) => early.push(frame),
                _ => {}
            }
        }
    }

    /// Flushes what was sent, sends our state vector for `doc` and waits
    /// (within `timeout`) for the answer: once it is here, the server has
    /// read everything sent before. Writers use it as flow control.
    pub async fn barrier(&mut self, doc: &Doc, timeout: Duration) -> Result<(), Error> {
        self.tx.flush().await?;
        let waiting = async {
            self.handshake(doc).await?;
            Ok(())
        };
        tokio::time::timeout(timeout, waiting).await.map_err(|_| Error::Timeout("a barrier's SyncStep2"))?
    }
}

/// The update a `SyncStep2` or `Update` frame carries; `None` for other messages.
pub fn update_of(frame: &[u8]) -> Result<Option<&[u8]>, Error> {
    match Inbound::decode(frame)? {
        Inbound::SyncStep2(u) | Inbound::Update(u) => Ok(Some(u)),
        _ => Ok(None),
    }
}

/// Applies the update in `frame` (if it carries one) to `doc`.
pub fn apply(doc: &Doc, frame: &[u8]) -> Result<(), Error> {
    if let Some(update) = update_of(frame)? {
        tandem_sync::document::apply_v1(doc, update)?;
    }
    Ok(())
}

/// The body text of a fresh document after applying `frames` in order.
pub fn text_of<'a>(frames: impl IntoIterator<Item = &'a Bytes>) -> Result<String, Error> {
    let doc = tandem_sync::document::new_doc();
    for frame in frames {
        apply(&doc, frame)?;
    }
    Ok(tandem_sync::document::content(&doc))
}
