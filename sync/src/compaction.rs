//! Which stored updates a snapshot already holds, decided from the bytes
//! alone (no document is built): what lets a store fold a document's log
//! into a snapshot written by any node, deleting only the rows the snapshot
//! holds. Pure.

use std::panic::{AssertUnwindSafe, catch_unwind};
use yrs::Update;
use yrs::updates::decoder::Decode;

/// A snapshot (an update holding a whole document), decoded once to be
/// asked about many updates.
pub struct Snapshot(Update);

impl Snapshot {
    /// The snapshot in `bytes`; `None` if they do not decode.
    pub fn decode(bytes: &[u8]) -> Option<Snapshot> {
        decode(bytes).map(Snapshot)
    }

    /// Whether everything `update` holds is in the snapshot: each block it
    /// inserts is within the snapshot's state vector, and each deletion it
    /// carries is in the snapshot's delete set. `false` for bytes that do
    /// not decode (they are kept, never folded away).
    pub fn holds(&self, update: &[u8]) -> bool {
        let Some(update) = decode(update) else { return false };
        let known = self.0.state_vector();
        let inserts = update.insertions(true).iter().all(|(client, ranges)| ranges.iter().all(|r| r.end <= known.get(client)));
        inserts && update.delete_set().diff(self.0.delete_set()).is_empty()
    }
}

/// `bytes` as a v1 update; `None` for anything else (yrs may panic on garbage).
fn decode(bytes: &[u8]) -> Option<Update> {
    catch_unwind(AssertUnwindSafe(|| Update::decode_v1(bytes))).ok()?.ok()
}

#[cfg(test)]
mod tests {
    use super::Snapshot;
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
        let snapshot = Snapshot::decode(&snapshot_of(&doc)).unwrap();
        assert!(snapshot.holds(&first) && snapshot.holds(&second));
        let later = insert(&doc, CONTENT, 0, ">");
        assert!(!snapshot.holds(&later), "an insertion after the snapshot");
    }

    #[test]
    fn a_deletion_after_the_snapshot_is_not_held() {
        let doc = new_doc();
        insert(&doc, CONTENT, 0, "hello");
        let snapshot = Snapshot::decode(&snapshot_of(&doc)).unwrap();
        let before = doc.transact().state_vector();
        {
            let text = doc.get_or_insert_text(CONTENT);
            text.remove_range(&mut doc.transact_mut(), 0, 2);
        }
        let deletion = doc.transact().encode_state_as_update_v1(&before);
        assert!(!snapshot.holds(&deletion), "a deletion inserts nothing, yet it is not in the snapshot");
        assert!(Snapshot::decode(&snapshot_of(&doc)).unwrap().holds(&deletion));
    }

    #[test]
    fn garbage_is_never_held() {
        let doc = new_doc();
        let snapshot = Snapshot::decode(&snapshot_of(&doc)).unwrap();
        assert!(!snapshot.holds(b"\xff\xff\xff"));
        assert!(Snapshot::decode(b"\xff\xff\xff").is_none());
    }
}
