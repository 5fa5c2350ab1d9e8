//! The integration binary's own helpers beside the server's shared test
//! harness ([`server::testing`]): the `tandem` binary as a child process and
//! an in-memory WebSocket.

pub mod fake_socket;
pub mod process;
pub mod team;

pub use server::testing::*;
