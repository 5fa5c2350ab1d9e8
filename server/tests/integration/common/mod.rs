//! The integration binary's own helpers beside the server's shared test
//! harness ([`server::testing`]): the `tandem` binary as a child process, an
//! in-memory WebSocket, a writer that runs ahead of its acknowledgements, and
//! a TCP proxy a test can cut.

pub mod cut;
pub mod fake_socket;
pub mod process;
pub mod team;
pub mod writer;

pub use server::testing::*;

/// Whether `marker` is in any of the store's files under `dir` (the
/// database and its write-ahead log): what "deleted for good" tests look for.
pub fn stored_anywhere(dir: &std::path::Path, marker: &str) -> bool {
    ["tandem.db", "tandem.db-wal"].iter().any(|file| {
        std::fs::read(dir.join(file)).is_ok_and(|bytes| bytes.windows(marker.len()).any(|w| w == marker.as_bytes()))
    })
}
