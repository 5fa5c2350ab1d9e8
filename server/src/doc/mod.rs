//! Loaded documents: each document in memory once, shared by its connections,
//! written through to the store.
//!
//! - [`room`]: one loaded document — its core, its connections, its writes.
//! - [`registry`]: [`Rooms`], which loads each document once and unloads it
//!   when its last user leaves.
//! - [`queue`]: a connection's bounded outbound queue and close signal — the
//!   room's handle on a connection ([`ConnHandle`]) and the connection's end ([`ConnQueue`]).
//! - [`usage`]: the store's content size against `--max-store-bytes`.
//! - [`relay`]: the frames a room hands to the other nodes (clustered mode).

pub mod queue;
pub mod registry;
pub mod relay;
pub mod room;
pub mod usage;

pub use queue::{ConnHandle, ConnId, ConnQueue};
pub use registry::{Listing, LoadError, RoomGuard, Rooms};
pub use relay::Relay;
pub use room::Room;

/// The author of edits nobody signed (open mode, tests, tools), in a document's versions.
pub const ANONYMOUS: &str = "anonymous";
