//! What must hold whatever frames a document's core is fed: shared by the
//! `proptest` properties (`sync/tests/core_props.rs`) and the `core` fuzz target (`fuzz/`).
//!
//! - A rejected frame leaves the document unchanged, or (yrs integrated
//!   part of it) asks for the document to be reloaded from storage.
//! - The document equals a reference yrs document that applied the same
//!   accepted updates, and the stored updates rebuild it.
//! - A client that syncs from the document can still edit it and converge with
//!   it — when every accepted update came from an honest writer and every one
//!   was delivered (a document holding updates back as pending shows text that
//!   a client syncing from it cannot integrate yet). An update
//!   forged to leave a gap in its writer's clocks can be accepted and then
//!   orders text differently in the core and in a client that syncs from it.

use crate::doc_core::{CoreError, DocCore};
use crate::protocol;
use bytes::Bytes;
use yrs::updates::decoder::Decode;
use yrs::{Doc, ReadTxn, StateVector, Text, Transact, Update};

/// What a document looks like from outside: its texts and its state vector.
#[derive(Debug, PartialEq, Eq)]
struct Look {
    content: String,
    title: String,
    state: StateVector,
}

fn look(doc: &Doc) -> Look {
    let txn = doc.transact();
    Look {
        content: crate::document::root_text(&txn, crate::document::CONTENT),
        title: crate::document::root_text(&txn, crate::document::TITLE),
        state: txn.state_vector(),
    }
}

/// Splits fuzzer input into frames, each a little-endian `u16` length and that
/// many bytes (a short last frame takes what is left).
pub fn split_frames(mut data: &[u8]) -> Vec<&[u8]> {
    let mut frames = Vec::new();
    while let [lo, hi, rest @ ..] = data {
        let len = usize::from(u16::from_le_bytes([*lo, *hi])).min(rest.len());
        let (frame, tail) = rest.split_at(len);
        frames.push(frame);
        data = tail;
    }
    frames
}

/// Joins frames in the format [`split_frames`] reads.
pub fn join_frames<'a>(frames: impl IntoIterator<Item = &'a [u8]>) -> Vec<u8> {
    let mut out = Vec::new();
    for frame in frames {
        out.extend_from_slice(&(frame.len() as u16).to_le_bytes());
        out.extend_from_slice(frame);
    }
    out
}

/// Who wrote the frames' updates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Writers {
    /// Real yrs documents: the updates form a causal history (in any order, with repeats).
    Honest,
    /// Anyone: updates may be forged.
    Hostile,
}

/// Feeds `frames` to a fresh core and checks every invariant; panics on a violation.
pub fn check_frames<'a>(frames: impl IntoIterator<Item = &'a [u8]>, writers: Writers) {
    let mut core = DocCore::default();
    let reference = crate::document::new_doc();
    let mut stored: Vec<Bytes> = Vec::new();
    for frame in frames {
        let before = look(core.doc());
        match core.handle(&Bytes::copy_from_slice(frame)) {
            Ok(out) => stored.extend(out.persist.inspect(|update| apply(&reference, update))),
            // The room stops using a document that failed in memory (a panic, or an
            // update yrs applied in part) and reloads it from storage.
            Err(CoreError::Panicked | CoreError::PartlyApplied(_)) => return,
            Err(_) => assert_eq!(look(core.doc()), before, "a rejected frame changed the document"),
        }
    }
    assert_eq!(look(core.doc()), look(&reference), "the core differs from a replica of what it accepted");
    let rebuilt = DocCore::from_updates(stored.iter().map(|u| &u[..])).expect("stored updates rebuild the document");
    assert_eq!(look(rebuilt.doc()), look(core.doc()), "stored updates rebuild a different document");
    if writers == Writers::Honest {
        assert_client_can_edit(&mut core);
    }
}

/// A client that syncs the whole document and appends to it is accepted and converges.
fn assert_client_can_edit(core: &mut DocCore) {
    let client = crate::document::new_doc();
    apply(&client, &core.encode_state());
    let update = {
        let content = client.get_or_insert_text(crate::document::CONTENT);
        let mut txn = client.transact_mut();
        let end = content.len(&txn);
        content.insert(&mut txn, end, "✓😀");
        txn.encode_update_v1()
    };
    let frame = Bytes::from(protocol::encode_update(&update));
    core.handle(&frame).expect("a valid update from a synced client applies");
    assert_eq!(crate::document::content(core.doc()), crate::document::content(&client), "the client and the core diverged");
}

fn apply(doc: &Doc, update: &[u8]) {
    let update = Update::decode_v1(update).expect("an accepted update decodes");
    doc.transact_mut().apply_update(update).expect("an accepted update applies to a replica");
}
