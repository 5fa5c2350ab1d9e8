//! The sans-IO sync core: what one document does with one protocol message.
//!
//! [`DocCore`] takes a frame and returns an [`Outcome`]: what to answer, what
//! to relay, what to store. It owns no sockets, timers or database, so it is
//! tested with plain byte vectors and in-memory replicas.

use crate::close::{self, CloseReason};
use crate::owners::{Owners, Sender};
use crate::protocol::{self, Inbound, ProtocolError};
use bytes::Bytes;
use std::panic::{AssertUnwindSafe, catch_unwind};
use yrs::sync::{Awareness, AwarenessUpdate};
use yrs::updates::decoder::Decode;
use yrs::updates::encoder::Encode;
use yrs::{ReadTxn, StateVector, Transact, Update};

/// The v1 encoding of an update that changes nothing.
const EMPTY_UPDATE: &[u8] = &[0, 0];
/// The JSON text of a removed awareness state.
const NULL_STATE: &str = "null";

/// Why a message was rejected. The sender is disconnected; the document is unchanged.
#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    /// The frame is not a protocol message.
    #[error(transparent)]
    Protocol(#[from] ProtocolError),
    /// The update or state vector does not decode or apply.
    #[error("invalid update: {0}")]
    BadUpdate(String),
    /// The awareness update does not decode.
    #[error("invalid awareness update: {0}")]
    BadAwareness(String),
    /// A message a client must not send (auth).
    #[error("unexpected {0} message from a client")]
    Unexpected(&'static str),
    /// The update would make the document larger than its limit; it was not applied.
    #[error("the document would exceed {limit} bytes")]
    DocTooLarge {
        /// The configured limit.
        limit: usize,
    },
    /// An awareness state is larger than its limit; nothing was applied.
    #[error("an awareness state exceeds {limit} bytes")]
    AwarenessTooLarge {
        /// The configured limit.
        limit: usize,
    },
    /// The update was faulty, but the CRDT library had integrated part of it
    /// before it found the fault (it does not roll back). Memory now holds
    /// what storage and the other replicas do not, and that part is not known
    /// to be a valid update on its own: the document must be reloaded from
    /// storage, as after a panic.
    #[error("invalid update, partly applied: {0}")]
    PartlyApplied(String),
    /// The CRDT library panicked while applying an update; the document may be
    /// inconsistent in memory and must be reloaded from storage.
    #[error("internal error while applying an update")]
    Panicked,
}

impl CoreError {
    /// The close code and reason the sender of a rejected message gets.
    pub fn close_reason(&self) -> CloseReason {
        match self {
            CoreError::Protocol(ProtocolError::UnknownTag(_)) | CoreError::Unexpected(_) => {
                (close::UNSUPPORTED, "unsupported message")
            }
            CoreError::Protocol(_) => (close::PROTOCOL_ERROR, "malformed message"),
            CoreError::BadUpdate(_) | CoreError::BadAwareness(_) => (close::INVALID_PAYLOAD, "invalid update"),
            CoreError::DocTooLarge { .. } => (close::TOO_BIG, "document too large"),
            CoreError::AwarenessTooLarge { .. } => (close::TOO_BIG, "awareness state too large"),
            CoreError::Panicked | CoreError::PartlyApplied(_) => (close::INTERNAL_ERROR, "internal error"),
        }
    }
}

/// Awareness client ids whose state a message set or cleared.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct AwarenessDelta {
    /// Ids that now have a state.
    pub set: Vec<u64>,
    /// Ids whose state was removed.
    pub cleared: Vec<u64>,
}

/// What to do after a message was handled.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Frames for the sender only, in order.
    pub reply: Vec<Bytes>,
    /// A frame for every other connection of the document.
    pub broadcast: Option<Bytes>,
    /// A v1 update to append to storage.
    pub persist: Option<Bytes>,
    /// A frame to send back once everything the sender sent so far is durable.
    pub ack: Option<Bytes>,
    /// Awareness changes the sender introduced.
    pub awareness: AwarenessDelta,
}

/// What a sender may do with the document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rights {
    /// Change the document.
    Write,
    /// Only read it: an update that would change it is answered with the
    /// permission-denied message and neither applied, stored nor relayed.
    /// Awareness, state vectors and updates that change nothing are handled
    /// as for a writer (a stock client's handshake always sends a `SyncStep2`).
    Read,
}

/// The reason in the permission-denied message a read-only sender's update gets.
pub const READ_ONLY: &str = "read-only";

/// What one document accepts.
#[derive(Debug, Clone, Copy)]
pub struct DocLimits {
    /// Largest encoded state; an update that would pass it is refused.
    pub max_doc_bytes: usize,
    /// Largest JSON of one awareness state; a larger one is refused.
    pub max_awareness_bytes: usize,
    /// Largest message a client accepts from us (our own inbound cap): a
    /// larger `SyncStep2` is sent in several messages.
    pub max_message_bytes: usize,
}

impl Default for DocLimits {
    /// No limits (documents rebuilt in tests and tools).
    fn default() -> Self {
        DocLimits { max_doc_bytes: usize::MAX, max_awareness_bytes: usize::MAX, max_message_bytes: usize::MAX }
    }
}

/// One document in memory, with its awareness states.
pub struct DocCore {
    awareness: Awareness,
    /// Which sender introduced each awareness state.
    owners: Owners,
    /// `SyncStep2` frames with the whole document, shared by every joiner
    /// until the next change (a new client's state vector is empty).
    full_state: Option<Vec<Bytes>>,
    limits: DocLimits,
    /// Bytes of the encoded state: measured when the document is loaded or
    /// nears its limit, grown by each applied update's size in between (an
    /// update never adds more to the state than its own encoding, give or take
    /// a few bytes of headers, so this stays close to an upper bound).
    size: usize,
}

impl Default for DocCore {
    fn default() -> Self {
        let awareness = Awareness::new(crate::document::new_doc());
        DocCore { awareness, owners: Owners::default(), full_state: None, limits: DocLimits::default(), size: 0 }
    }
}

impl DocCore {
    /// Rebuilds a document from stored updates (snapshot first).
    pub fn from_updates<'a>(updates: impl IntoIterator<Item = &'a [u8]>) -> Result<Self, CoreError> {
        let mut core = DocCore::default();
        for update in updates {
            core.apply(update)?;
        }
        Ok(core)
    }

    /// Enforces `limits` from now on (a stored document over them still loads).
    pub fn with_limits(mut self, limits: DocLimits) -> Self {
        self.limits = limits;
        self
    }

    /// The estimated size of the encoded state, in bytes.
    pub fn size(&self) -> usize {
        self.size
    }

    /// The document.
    pub fn doc(&self) -> &yrs::Doc {
        self.awareness.doc()
    }

    /// The frames a new connection receives first: our `SyncStep1`, then every awareness state.
    pub fn greeting(&self) -> Vec<Bytes> {
        let sv = self.doc().transact().state_vector().encode_v1();
        let mut frames = vec![Bytes::from(protocol::encode_sync_step1(&sv))];
        frames.extend(self.awareness_frame());
        frames
    }

    /// The whole document as one v1 update (pending updates included).
    pub fn encode_state(&self) -> Vec<u8> {
        self.doc().transact().encode_state_as_update_v1(&StateVector::default())
    }

    /// Handles one frame from the document's only sender (tests, replays).
    pub fn handle(&mut self, frame: &Bytes) -> Result<Outcome, CoreError> {
        self.handle_from(0, frame)
    }

    /// Handles one frame from `sender`, which may set and clear only the
    /// awareness states it introduced (see [`crate::owners`]).
    pub fn handle_from(&mut self, sender: Sender, frame: &Bytes) -> Result<Outcome, CoreError> {
        self.handle_as(sender, Rights::Write, frame)
    }

    /// Handles one frame from `sender`, which has `rights` on the document.
    pub fn handle_as(&mut self, sender: Sender, rights: Rights, frame: &Bytes) -> Result<Outcome, CoreError> {
        let mut out = Outcome::default();
        match Inbound::decode(frame)? {
            Inbound::SyncStep2(update) | Inbound::Update(update) if rights == Rights::Read => {
                if !self.changes_nothing(update)? {
                    out.reply.push(Bytes::from(protocol::encode_permission_denied(READ_ONLY)));
                }
            }
            Inbound::SyncStep1(sv) => out.reply = self.sync_step2_for(sv)?,
            Inbound::SyncStep2(update) => {
                if self.apply_limited(update)? {
                    out.broadcast = Some(Bytes::from(protocol::encode_update(update)));
                    out.persist = Some(frame.slice_ref(update));
                }
            }
            Inbound::Update(update) => {
                if self.apply_limited(update)? {
                    out.broadcast = Some(frame.clone());
                    out.persist = Some(frame.slice_ref(update));
                }
            }
            Inbound::Awareness(update) => (out.awareness, out.broadcast) = self.apply_awareness(sender, frame, update)?,
            Inbound::QueryAwareness => out.reply.extend(self.awareness_frame()),
            Inbound::SyncStatus(_) => out.ack = Some(frame.clone()),
            Inbound::Auth(_) => return Err(CoreError::Unexpected("auth")),
        }
        Ok(out)
    }

    /// Applies a v1 update. Returns `false` for an update that is empty.
    pub fn apply(&mut self, update: &[u8]) -> Result<bool, CoreError> {
        if update == EMPTY_UPDATE {
            return Ok(false);
        }
        let decoded = catch_unwind(|| Update::decode_v1(update))
            .map_err(|_| CoreError::BadUpdate("undecodable".into()))?
            .map_err(|e| CoreError::BadUpdate(e.to_string()))?;
        let doc = self.awareness.doc();
        let before = doc.transact().state_vector();
        let applied = catch_unwind(AssertUnwindSafe(|| doc.transact_mut().apply_update(decoded)))
            .map_err(|_| CoreError::Panicked)?;
        if let Err(e) = applied {
            return Err(self.refusal(&before, e.to_string()));
        }
        self.full_state = None;
        self.size += update.len();
        Ok(true)
    }

    /// Whether `update` holds nothing the document lacks: every block it
    /// inserts is known and every deletion it carries is applied.
    fn changes_nothing(&self, update: &[u8]) -> Result<bool, CoreError> {
        if update == EMPTY_UPDATE {
            return Ok(true);
        }
        let decoded = catch_unwind(|| Update::decode_v1(update))
            .map_err(|_| CoreError::BadUpdate("undecodable".into()))?
            .map_err(|e| CoreError::BadUpdate(e.to_string()))?;
        let txn = self.doc().transact();
        let known = txn.state_vector();
        let inserts_known = decoded
            .insertions(true)
            .iter()
            .all(|(client, ranges)| ranges.iter().all(|range| range.end <= known.get(client)));
        // A stock client sends its whole delete set with every `SyncStep2`;
        // the document's own is computed only when there is one to compare.
        let deletes_known =
            inserts_known && (decoded.delete_set().is_empty() || decoded.delete_set().diff(&txn.snapshot().delete_set).is_empty());
        Ok(inserts_known && deletes_known)
    }

    /// The error for an update yrs refused: nothing changed, or its blocks
    /// were integrated up to the fault. (Deletions come after all blocks in
    /// yrs, so a refused update that added no block deleted nothing either.)
    fn refusal(&self, before: &StateVector, reason: String) -> CoreError {
        if self.awareness.doc().transact().state_vector() == *before {
            CoreError::BadUpdate(reason)
        } else {
            CoreError::PartlyApplied(reason)
        }
    }

    /// Applies a v1 update from a client, unless it would make the document
    /// larger than its limit. Returns `false` for an update that is empty.
    pub fn apply_limited(&mut self, update: &[u8]) -> Result<bool, CoreError> {
        let limit = self.limits.max_doc_bytes;
        if self.size.saturating_add(update.len()) > limit {
            // The estimate only grows; measure before refusing.
            self.size = self.encode_state().len();
            if self.size.saturating_add(update.len()) > limit && update != EMPTY_UPDATE {
                return Err(CoreError::DocTooLarge { limit });
            }
        }
        self.apply(update)
    }

    /// Removes every awareness state `sender` introduced (a sender that is
    /// gone: another server that stopped answering) and returns the frame
    /// that tells everyone else.
    pub fn remove_awareness_of(&mut self, sender: Sender) -> Option<Bytes> {
        let ids = self.owners.owned_by(sender);
        self.remove_awareness(&ids)
    }

    /// Removes the awareness states of `ids` (a closed connection's) and
    /// returns the frame that tells everyone else.
    pub fn remove_awareness(&mut self, ids: &[u64]) -> Option<Bytes> {
        self.owners.release(ids);
        let ids: Vec<_> = ids.iter().map(|&id| yrs::ClientID::new(id)).collect();
        for &id in &ids {
            self.awareness.remove_state(id);
        }
        let update = self.awareness.update_with_clients(ids).ok()?;
        (!update.clients.is_empty()).then(|| Bytes::from(protocol::encode_awareness(&update.encode_v1())))
    }

    /// What a client with state vector `sv` lacks: one `SyncStep2`, or, for a
    /// state larger than a message may be, several messages (see [`crate::chunks`]).
    fn sync_step2_for(&mut self, sv: &[u8]) -> Result<Vec<Bytes>, CoreError> {
        let sv = catch_unwind(|| StateVector::decode_v1(sv))
            .map_err(|_| CoreError::BadUpdate("undecodable state vector".into()))?
            .map_err(|e| CoreError::BadUpdate(format!("state vector: {e}")))?;
        if !sv.is_empty() {
            return Ok(self.sync_step2_frames(&sv));
        }
        if let Some(frames) = &self.full_state {
            return Ok(frames.clone());
        }
        let frames = self.sync_step2_frames(&sv);
        self.full_state = Some(frames.clone());
        Ok(frames)
    }

    fn sync_step2_frames(&self, sv: &StateVector) -> Vec<Bytes> {
        let cap = self.limits.max_message_bytes;
        crate::chunks::sync_frames(self.doc(), sv, cap).into_iter().map(Bytes::from).collect()
    }

    /// Applies `sender`'s awareness update (`bytes`, inside `frame`), less its
    /// entries for states another sender introduced. Returns what changed and
    /// the frame to relay: `frame` itself, or — when entries were dropped — one
    /// of what was applied (none if nothing was left).
    fn apply_awareness(
        &mut self,
        sender: Sender,
        frame: &Bytes,
        bytes: &[u8],
    ) -> Result<(AwarenessDelta, Option<Bytes>), CoreError> {
        let mut update = catch_unwind(|| AwarenessUpdate::decode_v1(bytes))
            .map_err(|_| CoreError::BadAwareness("undecodable".into()))?
            .map_err(|e| CoreError::BadAwareness(e.to_string()))?;
        let limit = self.limits.max_awareness_bytes;
        if update.clients.values().any(|entry| entry.json.len() > limit) {
            return Err(CoreError::AwarenessTooLarge { limit });
        }
        if !update.clients.values().all(|entry| is_state(&entry.json)) {
            return Err(CoreError::BadAwareness("a state that is not a JSON object or null".into()));
        }
        let relay = if !self.owners.keep_own(sender, &mut update) {
            Some(frame.clone())
        } else if update.clients.is_empty() {
            None
        } else {
            Some(Bytes::from(protocol::encode_awareness(&update.encode_v1())))
        };
        let mut delta = AwarenessDelta::default();
        for (id, entry) in &update.clients {
            let list = if &*entry.json == NULL_STATE { &mut delta.cleared } else { &mut delta.set };
            list.push(id.get());
        }
        self.awareness.apply_update(update).map_err(|e| CoreError::BadAwareness(e.to_string()))?;
        self.owners.record(sender, &delta.set, &delta.cleared);
        Ok((delta, relay))
    }

    fn awareness_frame(&self) -> Option<Bytes> {
        let update = self.awareness.update().ok()?;
        (!update.clients.is_empty()).then(|| Bytes::from(protocol::encode_awareness(&update.encode_v1())))
    }
}

/// Whether `json` is an awareness state stock clients can take: a JSON object,
/// or `null` for a removal. Anything else makes every stock Yjs client in the
/// document throw in `applyAwarenessUpdate`, so it is never relayed. Checked
/// without building the value.
fn is_state(json: &str) -> bool {
    json == NULL_STATE
        || (json.trim_start().starts_with('{') && serde_json::from_str::<serde::de::IgnoredAny>(json).is_ok())
}

#[cfg(test)]
mod tests;
