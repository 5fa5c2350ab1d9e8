//! The core on its own: the connection's life, backoff, silence and bad frames.

use crate::session::link::{SILENCE_LIMIT_MS, backoff};
use crate::session::{Effect, LinkState, SaveState, SessionCore};
use std::time::Duration;

fn core() -> SessionCore {
    SessionCore::new(crate::document::new_doc())
}

fn retry(effects: &[Effect]) -> Option<Duration> {
    effects.iter().find_map(|e| match e {
        Effect::RetryIn(after) => Some(*after),
        _ => None,
    })
}

#[test]
fn backoff_doubles_up_to_its_cap_and_jitter_takes_up_to_half() {
    let full: Vec<u64> = (0..8).map(|n| backoff(n, 1.0).as_millis() as u64).collect();
    assert_eq!(full, [250, 500, 1000, 2000, 4000, 8000, 10_000, 10_000]);
    assert_eq!(backoff(0, 0.0), Duration::from_millis(125));
    assert_eq!(backoff(u32::MAX, 0.0), Duration::from_millis(5000));
}

#[test]
fn failures_lengthen_the_wait_and_an_open_socket_resets_it() {
    let mut core = core();
    assert_eq!(core.connect(0.0), [Effect::Open]);
    assert_eq!(retry(&core.open_failed(1.0)), Some(Duration::from_millis(250)));
    assert_eq!(core.connect(1.0), [Effect::Open]);
    assert_eq!(retry(&core.closed(true, 1.0)), Some(Duration::from_millis(500)));
    core.connect(2.0);
    core.opened(3.0);
    assert_eq!(retry(&core.closed(true, 1.0)), Some(Duration::from_millis(250)));
}

#[test]
fn a_live_socket_is_never_opened_twice() {
    let mut core = core();
    assert_eq!(core.connect(0.0), [Effect::Open]);
    assert!(core.connect(1.0).is_empty(), "opening");
    core.opened(2.0);
    assert!(core.connect(3.0).is_empty(), "open");
}

#[test]
fn opening_greets_the_server_and_reports_the_state() {
    let mut core = core();
    core.connect(0.0);
    let effects = core.opened(0.0);
    let step1 = crate::protocol::encode_sync_step1(&[0]);
    let link = Effect::Link(LinkState::Connected);
    assert_eq!(effects, [link, Effect::Send(step1), Effect::PublishPresence, Effect::Save(SaveState::Saved)]);
}

#[test]
fn thirty_seconds_of_silence_is_taken_for_death() {
    let mut core = core();
    assert!(core.tick(1e9, true, 0.0).is_empty(), "no socket, nothing to watch");
    core.connect(0.0);
    assert!(core.tick(SILENCE_LIMIT_MS, true, 0.0).is_empty(), "an opening socket has its 30 s");
    core.opened(1_000.0);
    core.receive(&crate::protocol::encode_keepalive(), 20_000.0);
    assert!(core.tick(20_000.0 + SILENCE_LIMIT_MS, true, 0.0).is_empty());
    let effects = core.tick(20_001.0 + SILENCE_LIMIT_MS, true, 0.0);
    assert!(matches!(effects[0], Effect::Warn(_)));
    assert_eq!(effects[1..4], [Effect::Close, Effect::ForgetPeers, Effect::Link(LinkState::Reconnecting)]);
    assert!(core.tick(1e9, true, 0.0).is_empty(), "lost: nothing left to watch");
}

#[test]
fn going_offline_closes_only_a_live_socket() {
    let mut core = core();
    assert!(core.disconnect(false, 0.0).is_empty());
    core.connect(0.0);
    let effects = core.disconnect(false, 0.0);
    assert_eq!(effects[..3], [Effect::Close, Effect::ForgetPeers, Effect::Link(LinkState::Offline)]);
}

#[test]
fn a_bad_frame_is_logged_and_changes_nothing() {
    let mut core = core();
    core.connect(0.0);
    core.opened(0.0);
    let effects = core.receive(&[0, 7, 0], 1.0);
    assert!(matches!(effects.as_slice(), [Effect::Warn(_)]), "{effects:?}");
    assert!(core.receive(&crate::protocol::encode_sync_status(&[1]), 1.0).is_empty(), "an echo never asked for");
}
