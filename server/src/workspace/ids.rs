//! New document ids.

use rand::distr::{Alphanumeric, SampleString};
use tandem_sync::DocId;

/// Length of generated document ids: 62^12 ≈ 3·10^21 possibilities.
const NEW_ID_LEN: usize = 12;

/// A fresh random document id.
pub fn new_id() -> DocId {
    let raw = Alphanumeric.sample_string(&mut rand::rng(), NEW_ID_LEN);
    DocId::parse(&raw).unwrap_or_else(|_| unreachable!("alphanumeric ids are valid"))
}
