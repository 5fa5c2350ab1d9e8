//! What other crates' tests and the fuzz targets share about the sync core
//! (feature `testing`; never in a production build).

pub mod invariants;
