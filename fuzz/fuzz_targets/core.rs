//! A document's message handling (`tandem_sync::doc_core::DocCore::handle`): the input
//! is a sequence of frames (each a little-endian `u16` length and its bytes);
//! no frame may panic, a rejected frame changes nothing (or, applied in part by
//! yrs, asks for a reload from storage), the document equals a
//! replica of what it accepted, and its stored updates rebuild it. The same checks run as `proptest` properties in
//! `sync/tests/core_props.rs`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tandem_sync::testing::invariants;

fuzz_target!(
    init: {
        // The core catches panics inside yrs (`catch_unwind` in `tandem_sync::doc_core`) and
        // rejects the frame; libfuzzer-sys's hook would abort on those too. With the
        // default hook back, only a panic that escapes the target aborts the run.
        let _ = std::panic::take_hook();
    },
    |data: &[u8]| {
        invariants::check_frames(invariants::split_frames(data), invariants::Writers::Hostile);
    }
);
