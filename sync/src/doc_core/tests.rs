//! The core's unit tests: frames in, outcomes and replicas out.

use super::*;
use yrs::{Text, WriteTxn};

fn edit(doc: &yrs::Doc, s: &str) -> Bytes {
    let mut txn = doc.transact_mut();
    let text = txn.get_or_insert_text(crate::document::CONTENT);
    text.insert(&mut txn, 0, s);
    Bytes::from(protocol::encode_update(&txn.encode_update_v1()))
}

#[test]
fn an_update_is_relayed_as_is_stored_and_answered_in_sync_step2() {
    let mut core = DocCore::default();
    let frame = edit(&crate::document::new_doc(), "hello");
    let out = core.handle(&frame).unwrap();
    assert_eq!(out.broadcast.as_ref(), Some(&frame));
    assert!(out.persist.is_some() && out.reply.is_empty());
    assert_eq!(crate::document::content(core.doc()), "hello");

    let step1 = Bytes::from(protocol::encode_sync_step1(&[0]));
    let reply = core.handle(&step1).unwrap().reply.remove(0);
    let Ok(Inbound::SyncStep2(update)) = Inbound::decode(&reply) else { panic!("not a SyncStep2") };
    let replica = DocCore::from_updates([update]).unwrap();
    assert_eq!(crate::document::content(replica.doc()), "hello");
}

#[test]
fn empty_updates_are_neither_relayed_nor_stored() {
    let mut core = DocCore::default();
    let out = core.handle(&Bytes::from(protocol::encode_sync_step2(&[0, 0]))).unwrap();
    assert!(out.broadcast.is_none() && out.persist.is_none());
}

#[test]
fn two_replicas_converge_through_the_core() {
    let (a, b) = (crate::document::new_doc(), crate::document::new_doc());
    let mut core = DocCore::default();
    let from_a = core.handle(&edit(&a, "a😀")).unwrap().broadcast.unwrap();
    let from_b = core.handle(&edit(&b, "b")).unwrap().broadcast.unwrap();
    for (doc, frame) in [(&a, from_b), (&b, from_a)] {
        let Ok(Inbound::Update(u)) = Inbound::decode(&frame) else { panic!() };
        doc.transact_mut().apply_update(Update::decode_v1(u).unwrap()).unwrap();
    }
    let server = crate::document::content(core.doc());
    assert_eq!(crate::document::content(&a), server);
    assert_eq!(crate::document::content(&b), server);
}

/// An awareness frame with `(client id, clock, state JSON)` entries.
fn awareness(entries: &[(u64, u32, &str)]) -> Bytes {
    Bytes::from(protocol::encode_awareness(&crate::testing::awareness_update(entries)))
}

#[test]
fn awareness_changes_are_reported_per_client_id() {
    let mut core = DocCore::default();
    let out = core.handle(&awareness(&[(7, 1, "{\"a\":1}"), (8, 1, "null")])).unwrap();
    assert_eq!(out.awareness, AwarenessDelta { set: vec![7], cleared: vec![8] });
    assert!(core.greeting().len() == 2, "newcomers get the live state");
    assert!(core.remove_awareness(&[7]).is_some());
    assert_eq!(core.greeting().len(), 1);
}

#[test]
fn the_states_a_sender_introduced_go_with_it_and_no_others() {
    let mut core = DocCore::default();
    core.handle_from(5, &awareness(&[(7, 1, "{\"a\":1}"), (9, 1, "{\"b\":1}")])).unwrap();
    core.handle_from(6, &awareness(&[(8, 1, "{\"c\":1}")])).unwrap();
    assert!(core.remove_awareness_of(5).is_some(), "its removal is told to everyone");
    let greeting = core.greeting();
    let Some(Ok(Inbound::Awareness(left))) = greeting.get(1).map(|f| Inbound::decode(f)) else { panic!("no awareness left") };
    use yrs::updates::decoder::Decode;
    let left = yrs::sync::AwarenessUpdate::decode_v1(left).unwrap();
    let live: Vec<u64> = left.clients.iter().filter(|(_, e)| &*e.json != "null").map(|(id, _)| id.get()).collect();
    assert_eq!(live, [8], "only the other sender's state is left");
    assert!(core.remove_awareness_of(5).is_none(), "nothing more to remove");
}

#[test]
fn a_sync_status_request_is_echoed_byte_for_byte_as_an_ack() {
    let mut core = DocCore::default();
    let frame = Bytes::from(protocol::encode_sync_status(&protocol::sync_status_payload(300)));
    assert_eq!(core.handle(&frame).unwrap().ack, Some(frame));
}

/// An update of client 2 from `clock`: `good` strings into the text, then
/// one string under client 2's first item (an item that cannot be a parent),
/// which yrs refuses only after it integrated the ones before.
fn faulty_update(clock: u32, good: &[&str]) -> Vec<u8> {
    use yrs::encoding::write::Write;
    let mut u = Vec::new();
    u.write_var(1u32); // one client
    u.write_var(good.len() as u32 + 1);
    u.write_var(2u64); // client 2
    u.write_var(clock);
    for s in good {
        u.write_u8(4); // a string, no origins: the parent follows
        u.write_var(1u32); // the parent is a root type, by name
        u.write_string(crate::document::CONTENT);
        u.write_string(s);
    }
    u.write_u8(4);
    u.write_var(0u32); // the parent is an item, by id
    u.write_var(2u64);
    u.write_var(0u32); // client 2's first string: not a type
    u.write_string("bad");
    u.write_var(0u32); // no deletions
    u
}

#[test]
fn a_faulty_update_that_yrs_applied_in_part_asks_for_a_reload() {
    let mut core = DocCore::default();
    let frame = Bytes::from(protocol::encode_update(&faulty_update(0, &["ok"])));
    assert!(matches!(core.handle(&frame), Err(CoreError::PartlyApplied(_))));
}

#[test]
fn a_faulty_update_that_changed_nothing_is_refused_as_invalid() {
    let mut core = DocCore::default();
    let _ = core.handle(&Bytes::from(protocol::encode_update(&faulty_update(0, &["ok"]))));
    let before = core.encode_state();
    let result = core.handle(&Bytes::from(protocol::encode_update(&faulty_update(2, &[]))));
    assert!(matches!(result, Err(CoreError::BadUpdate(_))), "{result:?}");
    assert_eq!(core.encode_state(), before);
}

#[test]
fn each_rejection_earns_its_close_code() {
    assert_eq!(CoreError::DocTooLarge { limit: 1 }.close_reason(), (close::TOO_BIG, "document too large"));
    assert_eq!(CoreError::Protocol(ProtocolError::UnknownTag(9)).close_reason().0, close::UNSUPPORTED);
    assert_eq!(CoreError::Protocol(ProtocolError::TrailingBytes(1)).close_reason().0, close::PROTOCOL_ERROR);
    assert_eq!(CoreError::Panicked.close_reason().0, close::INTERNAL_ERROR);
}


#[test]
fn an_awareness_state_that_is_not_a_json_object_is_refused_and_not_kept() {
    let entry = |json: &str| awareness(&[(9, 1, json)]);
    let mut core = DocCore::default();
    for bad in ["{\"name\": ", "not json", "42", "[1]", "\"a string\"", "", "{} trailing"] {
        assert!(matches!(core.handle(&entry(bad)), Err(CoreError::BadAwareness(_))), "{bad:?} was taken");
        assert_eq!(core.greeting().len(), 1, "{bad:?} was kept");
    }
    for good in ["{}", " {\"user\": {\"name\": \"Ada\"}}", "null"] {
        assert!(core.handle(&entry(good)).is_ok(), "{good:?} was refused");
    }
}


#[test]
fn a_sender_cannot_change_or_clear_a_state_another_introduced() {
    let mut core = DocCore::default();
    let own = awareness(&[(7, 1, "{\"name\":\"Ada\"}")]);
    assert_eq!(core.handle_from(1, &own).unwrap().broadcast, Some(own.clone()));
    let forged = core.handle_from(2, &awareness(&[(7, 5, "null"), (8, 1, "{\"name\":\"Bob\"}")])).unwrap();
    assert_eq!(forged.awareness, AwarenessDelta { set: vec![8], cleared: vec![] });
    assert_eq!(forged.broadcast, Some(awareness(&[(8, 1, "{\"name\":\"Bob\"}")])), "only its own entry is relayed");
    let only_foreign = core.handle_from(2, &awareness(&[(7, 6, "{\"name\":\"Eve\"}")])).unwrap();
    assert_eq!((only_foreign.broadcast, only_foreign.awareness), (None, AwarenessDelta::default()));
    let states = core.awareness.iter().filter_map(|(id, s)| Some((id.get(), s.data?.to_string()))).collect::<Vec<_>>();
    assert!(states.contains(&(7, "{\"name\":\"Ada\"}".to_owned())), "{states:?}");
    // Once its connection is gone, the id is free for whoever comes back with it.
    assert!(core.remove_awareness(&[7]).is_some());
    assert!(core.handle_from(2, &awareness(&[(7, 9, "{\"name\":\"Ada\"}")])).unwrap().broadcast.is_some());
}

/// The whole state of `doc` as a `SyncStep2`, as a stock client answers our `SyncStep1`.
fn full_step2(doc: &yrs::Doc) -> Bytes {
    let state = doc.transact().encode_state_as_update_v1(&StateVector::default());
    Bytes::from(protocol::encode_sync_step2(&state))
}

#[test]
fn a_readers_change_is_denied_in_its_reply_and_neither_applied_stored_nor_relayed() {
    let mut core = DocCore::default();
    let out = core.handle_as(1, Rights::Read, &edit(&crate::document::new_doc(), "vandal")).unwrap();
    assert_eq!(out.reply, vec![Bytes::from(protocol::encode_permission_denied(READ_ONLY))]);
    assert!(out.broadcast.is_none() && out.persist.is_none());
    assert_eq!(crate::document::content(core.doc()), "");
}

#[test]
fn a_readers_handshake_that_changes_nothing_passes_silently() {
    let writer = crate::document::new_doc();
    let mut core = DocCore::default();
    core.handle(&edit(&writer, "hello world")).unwrap();
    // A deletion, so the reader's state carries a delete set like a stock client's.
    let deletion = {
        let mut txn = writer.transact_mut();
        let text = txn.get_or_insert_text(crate::document::CONTENT);
        text.remove_range(&mut txn, 0, 6);
        Bytes::from(protocol::encode_update(&txn.encode_update_v1()))
    };
    core.handle(&deletion).unwrap();
    for frame in [Bytes::from(protocol::encode_sync_step2(EMPTY_UPDATE)), full_step2(&writer)] {
        let out = core.handle_as(2, Rights::Read, &frame).unwrap();
        assert!(out.reply.is_empty() && out.broadcast.is_none() && out.persist.is_none());
    }
    assert_eq!(crate::document::content(core.doc()), "world");
    // A reader that also deleted something is refused, though it inserts nothing new.
    let reader = crate::document::new_doc();
    reader.transact_mut().apply_update(Update::decode_v1(&core.encode_state()).unwrap()).unwrap();
    {
        let mut txn = reader.transact_mut();
        let text = txn.get_or_insert_text(crate::document::CONTENT);
        text.remove_range(&mut txn, 0, 1);
    }
    let out = core.handle_as(2, Rights::Read, &full_step2(&reader)).unwrap();
    assert_eq!(out.reply.len(), 1, "denied");
    assert_eq!(crate::document::content(core.doc()), "world");
}

#[test]
fn a_reader_still_syncs_shares_presence_and_gets_acks() {
    let mut core = DocCore::default();
    core.handle(&edit(&crate::document::new_doc(), "text")).unwrap();
    let step1 = Bytes::from(protocol::encode_sync_step1(&[0]));
    assert!(!core.handle_as(3, Rights::Read, &step1).unwrap().reply.is_empty());
    let out = core.handle_as(3, Rights::Read, &awareness(&[(9, 1, "{\"user\":{}}")])).unwrap();
    assert!(out.broadcast.is_some());
    let ack = Bytes::from(protocol::encode_sync_status(&protocol::sync_status_payload(4)));
    assert_eq!(core.handle_as(3, Rights::Read, &ack).unwrap().ack, Some(ack));
}
