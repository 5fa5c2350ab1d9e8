//! The wire decoder: no input panics, and whatever decodes re-encodes to a
//! frame that decodes to the same message.
#![no_main]

use tandem_sync::protocol::{self, Inbound};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|frame: &[u8]| {
    let Ok(message) = Inbound::decode(frame) else { return };
    let again = encode(message);
    assert_eq!(Inbound::decode(&again), Ok(message), "re-encoded {message:?} decodes differently");
});

/// The frame an encoder builds for `message` (an auth message with an empty reason).
fn encode(message: Inbound<'_>) -> Vec<u8> {
    match message {
        Inbound::SyncStep1(p) => protocol::encode_sync_step1(p),
        Inbound::SyncStep2(p) => protocol::encode_sync_step2(p),
        Inbound::Update(p) => protocol::encode_update(p),
        Inbound::Awareness(p) => protocol::encode_awareness(p),
        Inbound::SyncStatus(p) => protocol::encode_sync_status(p),
        Inbound::QueryAwareness => vec![protocol::MSG_QUERY_AWARENESS as u8],
        Inbound::Auth => vec![protocol::MSG_AUTH as u8, 0, 0],
    }
}
