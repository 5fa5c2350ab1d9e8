//! What other crates' tests and the fuzz targets share about the sync core
//! (feature `testing`; never in a production build).

pub mod invariants;

use yrs::encoding::write::Write;

/// An encoded awareness update with `(client id, clock, state JSON)` entries,
/// as a client sends it inside an awareness message (any JSON, valid or not).
pub fn awareness_update(entries: &[(u64, u32, &str)]) -> Vec<u8> {
    let mut update = Vec::new();
    update.write_var(entries.len() as u32);
    for &(id, clock, json) in entries {
        update.write_var(id);
        update.write_var(clock);
        update.write_string(json);
    }
    update
}
