//! A replica: a yrs document kept in sync with the server frame by frame,
//! as a y-websocket client keeps it, and what else the server sent it.

use super::Error;
use tandem_sync::document::{self, ApplyError, CONTENT};
use tandem_sync::protocol::{self, Inbound};
use yrs::updates::decoder::Decode;
use yrs::updates::encoder::Encode;
use yrs::{Doc, ReadTxn, StateVector, Text, Transact};

/// A yrs document kept in sync, with the awareness updates and sync-status
/// answers that came with it.
pub struct Replica {
    doc: Doc,
    /// Awareness updates received, in order (the bytes inside the message).
    pub awareness: Vec<Vec<u8>>,
    /// Sync-status payloads the server echoed, in order.
    pub acks: Vec<Vec<u8>>,
    /// The counter of the next sync-status request.
    next_ack: u64,
    /// Permission messages received, in order: `false` denied (read-only), `true` granted.
    pub permissions: Vec<bool>,
}

/// What a frame from the server was, once a replica handled it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Handled<'a> {
    /// The server's `SyncStep1`: send this `SyncStep2` back.
    Answer(Vec<u8>),
    /// A `SyncStep2`, applied: the replica is synced.
    Synced,
    /// An `Update`, applied.
    Updated,
    /// An awareness update, also kept in [`Replica::awareness`].
    Awareness(&'a [u8]),
    /// A sync-status answer, also kept in [`Replica::acks`].
    Acked(&'a [u8]),
    /// A permission message (`true`: granted), also kept in [`Replica::permissions`].
    Permission(bool),
}

impl Default for Replica {
    fn default() -> Self {
        Replica::with_doc(document::new_doc())
    }
}

impl Replica {
    /// A replica of an empty document.
    pub fn new() -> Replica {
        Replica::default()
    }

    /// A replica built on `doc` (e.g. one with a chosen client id).
    pub fn with_doc(doc: Doc) -> Replica {
        Replica { doc, awareness: Vec::new(), acks: Vec::new(), next_ack: 1, permissions: Vec::new() }
    }

    /// The document.
    pub fn doc(&self) -> &Doc {
        &self.doc
    }

    /// The body text.
    pub fn text(&self) -> String {
        document::content(&self.doc)
    }

    /// Length of the body in UTF-16 code units (cheap, unlike [`Replica::text`]).
    pub fn text_len(&self) -> u32 {
        self.doc.get_or_insert_text(CONTENT).len(&self.doc.transact())
    }

    /// Our `SyncStep1`: the frame that starts a handshake.
    pub fn sync_step1(&self) -> Vec<u8> {
        protocol::encode_sync_step1(&self.doc.transact().state_vector().encode_v1())
    }

    /// Inserts `text` at UTF-16 offset `index` of the body; returns the `Update` frame to send.
    pub fn insert(&self, index: u32, text: &str) -> Vec<u8> {
        protocol::encode_update(&document::insert(&self.doc, CONTENT, index, text))
    }

    /// Appends `text` to the body; returns the `Update` frame to send.
    pub fn append(&self, text: &str) -> Vec<u8> {
        self.insert(self.text_len(), text)
    }

    /// A sync-status request with the next counter: the counter and the frame to send.
    pub fn ack_request(&mut self) -> (u64, Vec<u8>) {
        let n = self.next_ack;
        self.next_ack += 1;
        (n, protocol::encode_sync_status(&protocol::sync_status_payload(n)))
    }

    /// Whether the server has echoed sync-status request `n`.
    pub fn acked(&self, n: u64) -> bool {
        self.acks.iter().any(|a| *a == protocol::sync_status_payload(n))
    }

    /// Keepalives received (awareness updates with no entries).
    pub fn keepalives(&self) -> usize {
        self.awareness.iter().filter(|a| a.as_slice() == [0]).count()
    }

    /// Handles one frame from the server as a y-websocket client does.
    pub fn handle<'a>(&mut self, frame: &'a [u8]) -> Result<Handled<'a>, Error> {
        Ok(match Inbound::decode(frame)? {
            Inbound::SyncStep1(sv) => Handled::Answer(answer_step1(&self.doc, sv)?),
            Inbound::SyncStep2(u) => {
                document::apply_v1(&self.doc, u)?;
                Handled::Synced
            }
            Inbound::Update(u) => {
                document::apply_v1(&self.doc, u)?;
                Handled::Updated
            }
            Inbound::Awareness(a) => {
                self.awareness.push(a.to_vec());
                Handled::Awareness(a)
            }
            Inbound::SyncStatus(p) => {
                self.acks.push(p.to_vec());
                Handled::Acked(p)
            }
            Inbound::Auth(sub) => {
                let granted = sub == protocol::AUTH_PERMISSION_GRANTED;
                self.permissions.push(granted);
                Handled::Permission(granted)
            }
            other => return Err(Error::Unexpected(format!("{other:?}"))),
        })
    }
}

/// The `SyncStep2` that answers a `SyncStep1` carrying `state_vector`: what `doc` has beyond it.
pub(crate) fn answer_step1(doc: &Doc, state_vector: &[u8]) -> Result<Vec<u8>, Error> {
    let sv = StateVector::decode_v1(state_vector).map_err(ApplyError::from)?;
    Ok(protocol::encode_sync_step2(&doc.transact().encode_state_as_update_v1(&sv)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_replica_answers_applies_and_keeps_what_else_arrives() {
        let (mut a, mut b) = (Replica::new(), Replica::new());
        let update = a.insert(0, "hi 😀");
        assert_eq!(b.handle(&update).unwrap(), Handled::Updated);
        assert_eq!(b.text(), "hi 😀");
        let Handled::Answer(step2) = b.handle(&Replica::new().sync_step1()).unwrap() else { panic!("no answer") };
        assert_eq!(a.handle(&step2).unwrap(), Handled::Synced);
        assert_eq!(a.handle(&protocol::encode_keepalive()).unwrap(), Handled::Awareness(&[0]));
        let (n, request) = a.ack_request();
        let Ok(Inbound::SyncStatus(payload)) = Inbound::decode(&request) else { panic!("not a sync status") };
        a.handle(&protocol::encode_sync_status(payload)).unwrap();
        assert!(a.acked(n) && !a.acked(n + 1) && a.keepalives() == 1);
        assert!(matches!(a.handle(&[protocol::MSG_QUERY_AWARENESS as u8]), Err(Error::Unexpected(_))));
    }
}
