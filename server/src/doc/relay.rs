//! What a room hands to the other nodes in the clustered mode: the frames
//! its own clients sent, queued for the cluster layer, which talks to
//! them. A room without a relay serves one node alone.

use crate::store::Seq;
use bytes::Bytes;
use tandem_sync::DocId;
use tokio::sync::mpsc;

/// A frame for the other nodes.
pub struct Outgoing {
    /// The document.
    pub doc: DocId,
    /// The y-websocket frame, as this node's clients got it.
    pub frame: Bytes,
    /// For an update: the store seq that must be durable before it is
    /// relayed; `None` for awareness, relayed at once.
    pub after: Option<Seq>,
}

/// Where rooms queue their frames for the other nodes.
#[derive(Clone)]
pub struct Relay {
    /// Unbounded: what waits here is bounded by what waits for the store
    /// (updates are relayed once durable, and the store takes no more while
    /// its queue is full or failing) plus awareness frames, which are
    /// published as fast as they come.
    tx: mpsc::UnboundedSender<Outgoing>,
}

impl Relay {
    /// A relay and the queue it fills.
    pub fn channel() -> (Relay, mpsc::UnboundedReceiver<Outgoing>) {
        let (tx, rx) = mpsc::unbounded_channel();
        (Relay { tx }, rx)
    }

    /// Relays a frame holding a document update once `seq` is durable.
    pub fn update(&self, doc: &DocId, seq: Seq, frame: Bytes) {
        let _ = self.tx.send(Outgoing { doc: doc.clone(), frame, after: Some(seq) });
    }

    /// Relays an awareness frame now.
    pub fn awareness(&self, doc: &DocId, frame: Bytes) {
        let _ = self.tx.send(Outgoing { doc: doc.clone(), frame, after: None });
    }
}
