//! The fuzzers' checked-in seed corpus (`fuzz/corpus/<target>/`): valid frames
//! of every kind for `decode`, short valid conversations for `core`. Built
//! here from real edits with a fixed client id, so the bytes never change.

use tandem_sync::protocol;
use tandem_sync::testing::invariants::join_frames;
use yrs::updates::encoder::Encode;
use yrs::{ClientID, Doc, OffsetKind, Options, ReadTxn, StateVector, Text, Transact};

/// Every corpus file: target, file name, bytes.
pub fn files() -> Vec<(&'static str, &'static str, Vec<u8>)> {
    let seeds = frames();
    let mut files: Vec<_> = seeds.iter().map(|(name, frame)| ("decode", *name, frame.clone())).collect();
    let join = |names: &[&str]| {
        join_frames(names.iter().map(|n| seeds.iter().find(|(name, _)| name == n).expect("a seed frame").1.as_slice()))
    };
    files.push(("core", "handshake", join(&["sync_step1_empty", "sync_step2", "awareness", "sync_status"])));
    files.push(("core", "edits", join(&["update_hello", "update_emoji", "sync_step1_after", "query_awareness"])));
    files.push(("core", "out_of_order", join(&["update_emoji", "update_hello", "sync_status"])));
    files
}

/// Named valid frames of every kind, from two real edits.
fn frames() -> Vec<(&'static str, Vec<u8>)> {
    let doc = Doc::with_options(Options { client_id: ClientID::new(12345), offset_kind: OffsetKind::Utf16, ..Options::default() });
    let content = doc.get_or_insert_text(tandem_sync::document::CONTENT);
    let edit = |at: u32, s: &str| {
        let mut txn = doc.transact_mut();
        content.insert(&mut txn, at, s);
        txn.encode_update_v1()
    };
    let hello = edit(0, "hello");
    let emoji = edit(5, " 😀 漢");
    let state = doc.transact().encode_state_as_update_v1(&StateVector::default());
    let after = doc.transact().state_vector().encode_v1();
    vec![
        ("sync_step1_empty", protocol::encode_sync_step1(&[0])),
        ("sync_step1_after", protocol::encode_sync_step1(&after)),
        ("sync_step2", protocol::encode_sync_step2(&state)),
        ("update_hello", protocol::encode_update(&hello)),
        ("update_emoji", protocol::encode_update(&emoji)),
        ("awareness", protocol::encode_awareness(&awareness())),
        ("query_awareness", vec![protocol::MSG_QUERY_AWARENESS as u8]),
        ("sync_status", protocol::encode_sync_status(&protocol::sync_status_payload(1))),
    ]
}

/// One awareness entry: client 12345, clock 1, a presence state.
fn awareness() -> Vec<u8> {
    tandem_sync::testing::awareness_update(&[(12345, 1, r##"{"user":{"name":"Ada","color":"#e66"}}"##)])
}
