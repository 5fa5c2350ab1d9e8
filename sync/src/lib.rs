//! Tandem's sync vocabulary, shared by the server, the browser and the tools:
//! no Leptos, no tokio, no web-sys — bytes in, bytes out.
//!
//! # Layout
//!
//! - [`protocol`]: the y-websocket wire protocol (framing, tags, encoders).
//! - [`doc_id`]: validated document identifiers ([`DocId`]).
//! - [`document`]: the shape of a document (root text names, UTF-16 offsets).
//! - [`doc_core`]: the sans-IO core — what one document does with one message
//!   (not on the browser's target).
//! - [`owners`]: which sender introduced each awareness state; only it may change
//!   or clear that state (with the core, not on the browser's target).
//! - [`chunks`]: a large document's state split into several sync messages.
//! - [`history`]: versions — what one stores, rebuilding one, the edit that
//!   restores one, and line diffs between texts.
//! - [`compaction`]: which stored updates a snapshot already holds (not on
//!   the browser's target).
//! - [`close`]: the WebSocket close codes and which one a rejected message earns.
//! - [`role`]: what a person may do with a document (viewer, editor, owner).
//! - [`session`]: the browser session's sync state machine — acknowledgements,
//!   the journal's bookkeeping, deferred remote updates, reconnect backoff.
//! - `testing` (feature `testing`): the core's invariants and fixtures for
//!   other crates' tests and the fuzz targets.

pub mod chunks;
pub mod close;
#[cfg(not(all(target_family = "wasm", target_os = "unknown")))]
pub mod compaction;
// The core stamps awareness states with the system clock, which the browser's
// wasm target does not have; the browser never runs a document core.
#[cfg(not(all(target_family = "wasm", target_os = "unknown")))]
pub mod doc_core;
pub mod doc_id;
pub mod document;
pub mod history;
#[cfg(not(all(target_family = "wasm", target_os = "unknown")))]
pub mod owners;
pub mod protocol;
pub mod role;
pub mod session;
#[cfg(all(feature = "testing", not(all(target_family = "wasm", target_os = "unknown"))))]
pub mod testing;

#[cfg(not(all(target_family = "wasm", target_os = "unknown")))]
pub use doc_core::DocCore;
pub use doc_id::DocId;
pub use role::Role;
