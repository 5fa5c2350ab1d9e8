//! Presence across reconnects: each page's own awareness entry, numbered by
//! the core, through the server's own [`crate::DocCore`].

use super::harness::Net;

/// Two connected pages that see each other.
fn two_pages() -> Net {
    let mut net = Net::new(2);
    net.connect(0);
    net.connect(1);
    assert!(net.presence_of(1, 0).is_some() && net.presence_of(0, 1).is_some(), "each sees the other");
    net
}

#[test]
fn a_page_that_reconnects_is_seen_again() {
    let mut net = two_pages();
    net.drop_link(0, true);
    assert_eq!(net.presence_of(1, 0), None, "the server told page 1 that page 0 left");
    net.connect(0);
    assert_eq!(net.presence_of(1, 0).as_deref(), Some(net.replicas[0].presence.as_str()));
    assert!(net.presence_of(0, 1).is_some(), "page 0 sees page 1 again");
}

#[test]
fn every_reconnect_is_seen_and_later_announcements_follow() {
    let mut net = two_pages();
    for round in 0..3 {
        net.drop_link(0, true);
        net.connect(0);
        assert_eq!(net.presence_of(1, 0).as_deref(), Some(net.replicas[0].presence.as_str()), "round {round}");
        let moved = format!(r#"{{"user":{{"name":"page 0"}},"cursor":{round}}}"#);
        net.replicas[0].presence = moved.clone();
        let effects = net.replicas[0].core.announce(&moved);
        net.replicas[0].run(effects);
        net.pump();
        assert_eq!(net.presence_of(1, 0), Some(moved), "round {round}");
    }
}

#[test]
fn a_removal_of_our_state_that_comes_late_is_answered() {
    // Page 0 reconnected before the server noticed its old connection end:
    // the server removes the state the new connection announced, and tells
    // everyone, page 0 included, which announces itself again.
    let mut net = two_pages();
    let effects = net.replicas[0].core.closed(true, 0.0);
    net.replicas[0].run(effects);
    net.connect(0);
    assert!(net.presence_of(1, 0).is_some());
    net.server_closes(0);
    assert_eq!(net.presence_of(1, 0).as_deref(), Some(net.replicas[0].presence.as_str()));
}

#[test]
fn nothing_is_announced_while_the_socket_is_down() {
    let mut net = two_pages();
    net.drop_link(0, false);
    assert_eq!(net.replicas[0].core.announce("{}"), []);
}
