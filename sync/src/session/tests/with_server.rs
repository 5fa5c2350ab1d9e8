//! Replicas exchanging frames through the server's own [`crate::DocCore`].

use super::harness::{Net, Replica};
use crate::session::{LinkState, SaveState};

/// One connected page that has typed `text`, carried to the server (not yet durable).
fn one_page_typed(text: &str) -> Net {
    let mut net = Net::new(1);
    net.connect(0);
    net.replicas[0].type_at(0, text);
    net.pump();
    net
}

#[test]
fn two_replicas_converge_through_the_server() {
    let mut net = Net::new(2);
    net.connect(0);
    net.connect(1);
    assert!(net.replicas.iter().all(|r| r.synced && r.connected()));
    net.replicas[0].type_at(0, "Grace ");
    net.replicas[1].type_at(0, "Ada");
    net.pump();
    net.frame();
    let [a, b] = [&net.replicas[0], &net.replicas[1]].map(Replica::body);
    assert_eq!(a, b);
    assert_eq!(a, net.server_body());
    assert!(a.contains("Grace ") && a.contains("Ada"), "{a:?}");
}

#[test]
fn remote_updates_are_shown_at_the_next_frame() {
    let mut net = Net::new(2);
    net.connect(0);
    net.connect(1);
    net.frame();
    net.replicas[0].type_at(0, "one");
    net.pump();
    assert_eq!(net.replicas[1].body(), "", "not before the frame");
    assert!(net.replicas[1].flush_due);
    net.replicas[0].type_at(3, " two");
    net.pump();
    net.frame();
    assert_eq!(net.replicas[1].body(), "one two", "both updates at one frame");
}

#[test]
fn a_composition_holds_remote_updates_back_until_it_ends() {
    let mut net = Net::new(2);
    net.connect(0);
    net.connect(1);
    net.frame();
    net.replicas[1].core.composition_started();
    net.replicas[0].type_at(0, "held");
    net.pump();
    assert!(!net.replicas[1].flush_due, "no flush is scheduled during a composition");
    let b = &mut net.replicas[1];
    let effects = b.core.flush();
    b.run(effects);
    assert_eq!(b.body(), "", "a flush during the composition applies nothing");
    let effects = b.core.composition_ended();
    b.run(effects);
    assert_eq!(b.body(), "held");
}

#[test]
fn changes_are_saved_only_once_the_server_has_stored_them() {
    let mut net = Net::new(1);
    net.connect(0);
    assert_eq!(net.replicas[0].save, Some(SaveState::Saved));
    net.replicas[0].type_at(0, "durable");
    net.pump();
    let r = &net.replicas[0];
    assert_eq!(net.server_body(), "durable", "applied on the server");
    assert_eq!((r.save, r.journal.len()), (Some(SaveState::Saving), 1), "not yet durable");
    assert!(r.core.unsaved());
    net.commit();
    let r = &net.replicas[0];
    assert_eq!((r.save, r.journal.len()), (Some(SaveState::Saved), 0));
    assert!(!r.core.unsaved());
}

#[test]
fn an_acknowledgement_of_part_of_the_changes_forgets_nothing() {
    let mut net = one_page_typed("x"); // the server owes the first acknowledgement
    net.replicas[0].type_at(1, "y"); // sent, not yet carried
    net.commit(); // the first acknowledgement covers only "x"; then "y" is carried
    let r = &net.replicas[0];
    assert_eq!((r.save, r.journal.len(), r.forgotten), (Some(SaveState::Saving), 2, 0));
    net.commit();
    let r = &net.replicas[0];
    assert_eq!((r.save, r.journal.len(), r.forgotten), (Some(SaveState::Saved), 0, 2));
}

#[test]
fn records_kept_after_a_request_outlive_its_acknowledgement() {
    let mut net = one_page_typed("x");
    // The journal hands over a record it cannot read, after the request went out:
    // it is counted, not sent, and the acknowledgement does not cover it.
    net.replicas[0].found(vec![vec![0xff]]);
    net.commit();
    let r = &net.replicas[0];
    assert_eq!((r.forgotten, r.journal.len()), (1, 1));
    assert_eq!(r.warnings.len(), 1, "{:?}", r.warnings);
}

#[test]
fn offline_edits_merge_on_reconnect() {
    let mut net = Net::new(2);
    net.connect(0);
    net.connect(1);
    net.drop_link(0, false);
    let a = &mut net.replicas[0];
    assert_eq!((a.link, a.save, a.socket), (Some(LinkState::Offline), Some(SaveState::Saved), false));
    a.type_at(0, "offline ");
    assert!(a.outbox.is_empty(), "nothing is sent without a socket");
    assert_eq!((a.save, a.journal.len()), (Some(SaveState::Offline), 1));
    net.replicas[1].type_at(0, "online");
    net.pump();
    net.connect(0);
    net.frame();
    let [a, b] = [&net.replicas[0], &net.replicas[1]].map(Replica::body);
    assert_eq!(a, b);
    assert!(a.contains("offline ") && a.contains("online"), "{a:?}");
    assert_eq!(net.replicas[0].save, Some(SaveState::Saving));
    net.commit();
    assert_eq!((net.replicas[0].save, net.replicas[0].journal.len()), (Some(SaveState::Saved), 0));
}

#[test]
fn an_acknowledgement_owed_to_a_lost_connection_is_replaced_on_reconnect() {
    let mut net = one_page_typed("kept");
    net.drop_link(0, true); // the server stored it, but could not say so
    assert_eq!(net.replicas[0].link, Some(LinkState::Reconnecting));
    assert_eq!(net.replicas[0].save, Some(SaveState::Offline));
    net.connect(0);
    net.commit();
    let r = &net.replicas[0];
    assert_eq!((r.save, r.journal.len(), r.body()), (Some(SaveState::Saved), 0, "kept".to_owned()));
}

#[test]
fn edits_an_earlier_page_kept_reach_everyone() {
    let mut earlier = Replica::new();
    earlier.type_at(0, "left behind");
    assert_eq!(earlier.save, Some(SaveState::Offline));
    let mut net = Net::new(2);
    net.connect(1);
    net.replicas[0].found(earlier.journal.into());
    assert_eq!(net.replicas[0].body(), "left behind", "merged at once");
    assert_eq!(net.replicas[0].save, Some(SaveState::Offline));
    net.connect(0);
    net.frame();
    assert_eq!(net.replicas[1].body(), "left behind");
    net.commit();
    assert_eq!((net.replicas[0].save, net.replicas[0].journal.len()), (Some(SaveState::Saved), 0));
}
