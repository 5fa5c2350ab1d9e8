//! A document's message handling (`server::core::DocCore::handle`): the input
//! is a sequence of frames (each a little-endian `u16` length and its bytes);
//! no frame may panic, a rejected frame changes nothing, the document equals a
//! replica of what it accepted, and its stored updates rebuild it. The same checks run as `proptest` properties in
//! `server/tests/props.rs`.
#![no_main]

#[path = "../../server/tests/props/invariants.rs"]
mod invariants;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    invariants::check_frames(invariants::split_frames(data), invariants::Writers::Hostile);
});
