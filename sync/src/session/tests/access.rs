//! Read-only connections and connections the server ends for good: what is
//! withheld, what is kept, and when writing resumes.

use super::harness::Net;
use crate::close;
use crate::protocol::{self, Inbound};
use crate::session::{Effect, LinkState, SaveState, SessionCore};

/// Whether `frames` hold an update for the server.
fn any_update(frames: &[Vec<u8>]) -> bool {
    frames.iter().any(|f| matches!(Inbound::decode(f), Ok(Inbound::Update(_) | Inbound::SyncStep2(_))))
}

#[test]
fn a_denial_makes_the_session_read_only_and_a_grant_lifts_it() {
    let mut core = SessionCore::new(crate::document::new_doc());
    core.connect(0.0);
    core.opened(0.0);
    let denied = core.receive(&protocol::encode_permission_denied("read-only"), 1.0);
    assert_eq!(denied, [Effect::ReadOnly(true), Effect::Save(SaveState::Saved)]);
    assert!(core.read_only());
    let again = core.receive(&protocol::encode_permission_denied("read-only"), 2.0);
    assert!(!again.contains(&Effect::ReadOnly(true)), "said once");
    let granted = core.receive(&protocol::encode_permission_granted("read-write"), 3.0);
    assert_eq!(granted, [Effect::ReadOnly(false), Effect::Save(SaveState::Saved)]);
    assert!(!core.read_only());
    assert!(core.receive(&protocol::encode_permission_granted("read-write"), 4.0).is_empty(), "already writable");
}

#[test]
fn an_edit_the_server_refused_stays_in_the_journal() {
    let mut net = Net::new(1);
    net.connect(0);
    net.refused_without_notice(0);
    net.replicas[0].type_at(0, "typed");
    net.pump(); // the server refuses the update and says so, then echoes the request
    net.commit();
    let r = &net.replicas[0];
    assert!(r.read_only);
    assert_eq!(net.server_body(), "");
    assert_eq!((r.journal.len(), r.forgotten), (1, 0), "the echo of a void request forgets nothing");
    assert_eq!(r.save, Some(SaveState::Withheld));
    assert!(r.core.unsaved());
}

#[test]
fn nothing_is_sent_while_read_only_not_even_after_a_reconnect() {
    let mut net = Net::new(1);
    net.connect(0);
    net.lower(0);
    net.replicas[0].type_at(0, "held");
    assert!(!any_update(&net.replicas[0].outbox), "a change is not sent");
    assert_eq!(net.replicas[0].journal.len(), 1, "but it is kept");
    net.drop_link(0, true);
    net.connect(0);
    let r = &net.replicas[0];
    assert!(r.read_only && r.synced, "the server restated it at join");
    assert_eq!(net.server_body(), "", "the sync after the reconnect withheld it too");
    assert_eq!(r.journal.len(), 1);
}

#[test]
fn a_grant_sends_what_was_withheld_and_it_is_saved() {
    let mut net = Net::new(2);
    net.connect(0);
    net.connect(1);
    net.lower(0);
    net.replicas[0].type_at(0, "late");
    net.raise(0);
    assert!(!net.replicas[0].read_only);
    assert_eq!(net.server_body(), "late");
    net.commit();
    net.frame();
    let r = &net.replicas[0];
    assert_eq!((r.save, r.journal.len()), (Some(SaveState::Saved), 0));
    assert_eq!(net.replicas[1].body(), "late", "everyone else has it too");
}

#[test]
fn a_read_only_state_carried_over_is_lifted_by_a_sync_without_denial() {
    let mut net = Net::new(1);
    net.connect(0);
    net.lower(0);
    net.replicas[0].type_at(0, "kept");
    net.drop_link(0, true);
    net.raise_quietly(0); // the role was raised while the page was away
    net.connect(0);
    let r = &net.replicas[0];
    assert!(!r.read_only, "the server did not restate it");
    assert_eq!(net.server_body(), "kept");
    net.commit();
    assert_eq!(net.replicas[0].journal.len(), 0);
}

#[test]
fn a_page_that_loaded_as_a_viewer_starts_read_only() {
    let mut net = Net::new(1);
    let r = &mut net.replicas[0];
    r.core = SessionCore::new(r.doc.clone()).presumed_read_only();
    r.read_only = true;
    net.refused_without_notice(0);
    net.connect(0);
    assert!(net.replicas[0].read_only && net.replicas[0].synced);
    assert!(net.replicas[0].core.read_only());
}

#[test]
fn signed_out_and_access_removed_end_the_session_for_good() {
    for (code, state) in [(close::SIGNED_OUT, LinkState::SignedOut), (close::ACCESS_REMOVED, LinkState::NoAccess), (close::DELETED, LinkState::Deleted)] {
        let mut core = SessionCore::new(crate::document::new_doc());
        core.connect(0.0);
        core.opened(0.0);
        let effects = core.closed_with(code, true, 0.0);
        assert_eq!(effects[..3], [Effect::Close, Effect::ForgetPeers, Effect::Link(state)]);
        assert!(!effects.iter().any(|e| matches!(e, Effect::RetryIn(_))), "no retry after {code}");
        assert!(core.connect(1.0).is_empty(), "never reopened after {code}");
        assert!(core.tick(1e9, true, 0.0).is_empty());
        assert!(core.closed(true, 0.0).is_empty(), "a late close event changes nothing");
    }
}

#[test]
fn other_close_codes_reconnect() {
    let mut core = SessionCore::new(crate::document::new_doc());
    core.connect(0.0);
    core.opened(0.0);
    let effects = core.closed_with(close::GOING_AWAY, true, 0.0);
    assert!(effects.iter().any(|e| matches!(e, Effect::RetryIn(_))));
    assert!(effects.contains(&Effect::Link(LinkState::Reconnecting)));
    assert_eq!(core.connect(1.0), [Effect::Open]);
}
