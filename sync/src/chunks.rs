//! A document's state sent in messages no larger than the message cap.
//!
//! A client gets what it lacks in one `SyncStep2` when that fits in one
//! message. A larger state is split by the clients that made it: each piece
//! is the items of one or a few clients (every browser session is a client of
//! its own, so a long-lived document is made by many), sent as an `Update`;
//! a last `SyncStep2` carries the delete set and marks the client synced once
//! everything arrived. A piece may arrive before the items it refers to; a
//! Yjs client holds it back until they arrive, so it ends with the same state
//! as one `SyncStep2` would give.
//!
//! One client's items are not split further: yrs can cut a client's items at
//! a start clock (a diff), but its snapshot encoding, the only way to cut at an
//! end clock, drops the right origin of a cut item. A single session that
//! wrote more than a message may hold therefore still arrives in one message.

use crate::protocol;
use yrs::{ClientID, Doc, ReadTxn, StateVector, Transact};

/// Bytes a sync message adds around its update: two tags and a length (up to 5 bytes).
const FRAME_OVERHEAD: usize = 8;

/// The frames that bring a client with state vector `sv` up to date, each at
/// most `cap` bytes unless one client's items alone are larger.
pub fn sync_frames(doc: &Doc, sv: &StateVector, cap: usize) -> Vec<Vec<u8>> {
    let txn = doc.transact();
    let diff = txn.encode_state_as_update_v1(sv);
    if diff.len().saturating_add(FRAME_OVERHEAD) <= cap {
        return vec![protocol::encode_sync_step2(&diff)];
    }
    let full = txn.state_vector();
    let budget = cap.saturating_sub(FRAME_OVERHEAD);
    let mut frames: Vec<Vec<u8>> = pieces(&txn, &full, sv, budget).iter().map(|p| protocol::encode_update(p)).collect();
    // Pending updates (waiting for items the server lacks) and the delete set.
    frames.push(protocol::encode_sync_step2(&txn.encode_state_as_update_v1(&full)));
    frames
}

/// Updates that together hold every item `sv` lacks, each holding the items
/// of as many clients as fit in `budget` bytes (one at least).
fn pieces<T: ReadTxn>(txn: &T, full: &StateVector, sv: &StateVector, budget: usize) -> Vec<Vec<u8>> {
    let mut lacking: Vec<(ClientID, u32)> =
        full.iter().filter(|&(c, &end)| sv.get(c) < end).map(|(&c, _)| (c, sv.get(&c))).collect();
    lacking.sort_unstable();
    let mut out = Vec::new();
    let mut group: Vec<(ClientID, u32)> = Vec::new();
    let mut size = 0;
    for lack in lacking {
        let alone = diff_of(txn, full, &[lack]).len();
        if !group.is_empty() && size + alone > budget {
            out.push(diff_of(txn, full, &group));
            group.clear();
            size = 0;
        }
        group.push(lack);
        size += alone;
    }
    if !group.is_empty() {
        out.push(diff_of(txn, full, &group));
    }
    out
}

/// The items of the clients in `group` from their given clocks on (and the delete set).
fn diff_of<T: ReadTxn>(txn: &T, full: &StateVector, group: &[(ClientID, u32)]) -> Vec<u8> {
    let from = |c: &ClientID, clock: u32| group.iter().find(|(g, _)| g == c).map_or(clock, |&(_, f)| f);
    let sv: StateVector = full.iter().map(|(c, &clock)| (*c, from(c, clock))).collect();
    txn.encode_diff_v1(&sv)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::Inbound;
    use yrs::updates::decoder::Decode;
    use yrs::{GetString, Options, Text, Update};

    /// A document edited by forty clients (sessions), with deletions.
    fn edited() -> Doc {
        let doc = crate::document::new_doc();
        for (i, id) in (1u64..=40).enumerate() {
            let editor = Doc::with_options(Options { client_id: ClientID::new(id), ..Options::default() });
            let state = doc.transact().encode_state_as_update_v1(&StateVector::default());
            editor.transact_mut().apply_update(Update::decode_v1(&state).unwrap()).unwrap();
            let text = editor.get_or_insert_text(crate::document::CONTENT);
            for n in 0..20 {
                let mut txn = editor.transact_mut();
                let len = text.len(&txn);
                text.insert(&mut txn, (n * 7 + i as u32) % (len + 1), &format!("<{id}:{n}>"));
                if n % 5 == 0 && len > 10 {
                    text.remove_range(&mut txn, len / 2, 3);
                }
            }
            let update = editor.transact().encode_state_as_update_v1(&doc.transact().state_vector());
            doc.transact_mut().apply_update(Update::decode_v1(&update).unwrap()).unwrap();
        }
        doc
    }

    fn receive(frames: &[Vec<u8>]) -> Doc {
        let doc = crate::document::new_doc();
        for frame in frames {
            let (Ok(Inbound::Update(u)) | Ok(Inbound::SyncStep2(u))) = Inbound::decode(frame) else { panic!() };
            doc.transact_mut().apply_update(Update::decode_v1(u).unwrap()).unwrap();
        }
        doc
    }

    fn text(doc: &Doc) -> String {
        let text = doc.get_or_insert_text(crate::document::CONTENT);
        text.get_string(&doc.transact())
    }

    #[test]
    fn a_large_state_arrives_in_pieces_within_the_cap_and_converges() {
        let doc = edited();
        let whole = doc.transact().encode_state_as_update_v1(&StateVector::default());
        let cap = 1024;
        assert!(whole.len() > 4 * cap, "the document must be larger than several messages");
        let frames = sync_frames(&doc, &StateVector::default(), cap);
        assert!(frames.len() > 4, "{} frames", frames.len());
        assert!(frames.iter().all(|f| f.len() <= cap), "{:?}", frames.iter().map(Vec::len).collect::<Vec<_>>());
        assert!(matches!(Inbound::decode(frames.last().unwrap()), Ok(Inbound::SyncStep2(_))));
        let replica = receive(&frames);
        assert_eq!(text(&replica), text(&doc));
        assert_eq!(replica.transact().state_vector(), doc.transact().state_vector());
    }

    #[test]
    fn a_client_that_has_part_gets_only_the_rest() {
        let doc = edited();
        let half = receive(&sync_frames(&doc, &StateVector::default(), usize::MAX));
        let frames = sync_frames(&doc, &half.transact().state_vector(), 1024);
        assert_eq!(frames.len(), 1);
    }
}
