//! Which stored updates a snapshot already holds, decided without building
//! a document: what lets a store fold a document's log into a snapshot
//! written by any node, deleting only the rows the snapshot holds. A
//! snapshot's [`Coverage`] (its state vector and delete set) is small and is
//! stored beside it, so that folding never decodes a whole snapshot again.
//! Pure.

use std::panic::{AssertUnwindSafe, catch_unwind};
use yrs::updates::decoder::{Decode, DecoderV1};
use yrs::updates::encoder::{Encode, Encoder, EncoderV1};
use yrs::{Doc, IdSet, ReadTxn, StateVector, Transact, Update};

/// What a document state holds: every block below its state vector, and
/// every deletion in its delete set.
#[derive(Debug, Clone, PartialEq)]
pub struct Coverage {
    state_vector: StateVector,
    deleted: IdSet,
}

impl Coverage {
    /// What `doc` holds now (cheap: no encoding of its content).
    pub fn of(doc: &Doc) -> Coverage {
        let txn = doc.transact();
        Coverage { state_vector: txn.state_vector(), deleted: txn.snapshot().delete_set }
    }

    /// What the update (or snapshot) in `bytes` holds; `None` if they do not decode.
    pub fn of_update(bytes: &[u8]) -> Option<Coverage> {
        let update = decode(bytes)?;
        Some(Coverage { state_vector: update.state_vector(), deleted: update.delete_set().clone() })
    }

    /// The bytes stored beside a snapshot.
    pub fn encode(&self) -> Vec<u8> {
        let mut encoder = EncoderV1::new();
        self.state_vector.encode(&mut encoder);
        self.deleted.encode(&mut encoder);
        encoder.to_vec()
    }

    /// The coverage in `bytes` (as [`Coverage::encode`] wrote it); `None` for anything else.
    pub fn decode(bytes: &[u8]) -> Option<Coverage> {
        catch_unwind(|| {
            let mut decoder = DecoderV1::from(bytes);
            let state_vector = StateVector::decode(&mut decoder).ok()?;
            let deleted = IdSet::decode(&mut decoder).ok()?;
            Some(Coverage { state_vector, deleted })
        })
        .ok()?
    }

    /// Whether everything `update` holds is held here: each block it inserts
    /// is below the state vector, and each deletion it carries is in the
    /// delete set. `false` for bytes that do not decode (they are kept,
    /// never folded away).
    pub fn holds(&self, update: &[u8]) -> bool {
        let Some(update) = decode(update) else { return false };
        // Each inserted range, not the update's own state vector: that one
        // counts a client's blocks only from clock 0 on.
        let inserts = update.insertions(true).iter().all(|(client, ranges)| ranges.iter().all(|r| r.end <= self.state_vector.get(client)));
        inserts && update.delete_set().diff(&self.deleted).is_empty()
    }

    /// Whether everything `other` covers is covered here (both of whole
    /// states: snapshots, or documents).
    pub fn holds_all(&self, other: &Coverage) -> bool {
        other.state_vector.iter().all(|(client, clock)| *clock <= self.state_vector.get(client)) && other.deleted.diff(&self.deleted).is_empty()
    }
}

/// `bytes` as a v1 update; `None` for anything else (yrs may panic on garbage).
fn decode(bytes: &[u8]) -> Option<Update> {
    catch_unwind(AssertUnwindSafe(|| Update::decode_v1(bytes))).ok()?.ok()
}

#[cfg(test)]
mod tests {
    use super::Coverage;
    use crate::document::{CONTENT, insert, new_doc};
    use yrs::{ReadTxn, StateVector, Text, Transact};

    fn snapshot_of(doc: &yrs::Doc) -> Vec<u8> {
        doc.transact().encode_state_as_update_v1(&StateVector::default())
    }

    #[test]
    fn a_snapshot_holds_the_updates_it_was_made_from_and_not_later_ones() {
        let doc = new_doc();
        let first = insert(&doc, CONTENT, 0, "hello");
        let second = insert(&doc, CONTENT, 5, " world");
        let coverage = Coverage::of(&doc);
        assert!(coverage.holds(&first) && coverage.holds(&second));
        assert_eq!(Coverage::of_update(&snapshot_of(&doc)).unwrap().encode(), coverage.encode(), "the same, from the snapshot's bytes");
        let later = insert(&doc, CONTENT, 0, ">");
        assert!(!coverage.holds(&later), "an insertion after the snapshot");
        assert!(Coverage::of(&doc).holds_all(&coverage) && !coverage.holds_all(&Coverage::of(&doc)));
    }

    #[test]
    fn a_deletion_after_the_snapshot_is_not_held() {
        let doc = new_doc();
        insert(&doc, CONTENT, 0, "hello");
        let coverage = Coverage::of(&doc);
        let before = doc.transact().state_vector();
        {
            let text = doc.get_or_insert_text(CONTENT);
            text.remove_range(&mut doc.transact_mut(), 0, 2);
        }
        let deletion = doc.transact().encode_state_as_update_v1(&before);
        assert!(!coverage.holds(&deletion), "a deletion inserts nothing, yet it is not in the snapshot");
        assert!(Coverage::of(&doc).holds(&deletion));
        assert!(!coverage.holds_all(&Coverage::of(&doc)), "the later state has a deletion this lacks");
    }

    #[test]
    fn a_coverage_reads_back_and_garbage_is_never_held() {
        let doc = new_doc();
        insert(&doc, CONTENT, 0, "hello");
        let coverage = Coverage::of(&doc);
        assert_eq!(Coverage::decode(&coverage.encode()), Some(coverage.clone()));
        assert!(!coverage.holds(b"\xff\xff\xff"));
        assert!(Coverage::of_update(b"\xff\xff\xff").is_none());
    }
}
