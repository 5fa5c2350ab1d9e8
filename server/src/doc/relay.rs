//! What a room hands to the other nodes in the clustered mode: the frames
//! its own clients sent, queued for the cluster layer, which talks to
//! them. A room without a relay serves one node alone.

use crate::store::Seq;
use bytes::Bytes;
use tandem_sync::DocId;
use tokio::sync::mpsc;

/// What a room or the listing hands to the other nodes.
pub enum Outgoing {
    /// A frame of a document.
    Frame {
        /// The document.
        doc: DocId,
        /// The y-websocket frame, as this node's clients got it.
        frame: Bytes,
        /// For an update: the store seq that must be durable before it is
        /// relayed; `None` for awareness, relayed at once.
        after: Option<Seq>,
    },
    /// The workspace listing changed (a document appeared or was renamed).
    Listing,
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
        let _ = self.tx.send(Outgoing::Frame { doc: doc.clone(), frame, after: Some(seq) });
    }

    /// Relays an awareness frame now.
    pub fn awareness(&self, doc: &DocId, frame: Bytes) {
        let _ = self.tx.send(Outgoing::Frame { doc: doc.clone(), frame, after: None });
    }

    /// Tells the other nodes the listing changed.
    pub fn listing(&self) {
        let _ = self.tx.send(Outgoing::Listing);
    }
}
