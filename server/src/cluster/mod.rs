//! The clustered mode (`--redis-url`): several nodes over one PostgreSQL
//! database share live traffic through Redis. Redis is the fast path, never
//! the source of truth: a node publishes a document update only once it is
//! committed, and a node that may have missed messages (a gap in a sender's
//! numbering, a reconnect to Redis) reads each loaded document from the
//! database again and relays what its clients lack.
//!
//! # Layout
//!
//! - this module: [`start`], which gives the rooms a [`Relay`] and runs the tasks.
//! - [`wire`]: the messages, and how a gap is noticed (pure).
//! - `merge`: a run of one document's committed updates published as one (pure).
//! - `bus`: the tasks — ordering (updates wait for the store), publishing
//!   (numbered, with heartbeats), subscribing (catching up on a gap, a
//!   reconnect, or a node falling silent).

mod bus;
mod merge;
pub mod wire;

use crate::doc::Relay;
use crate::store::Store;
use crate::workspace::Workspace;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

/// The one Redis channel every node publishes to and listens on.
const CHANNEL: &str = "tandem:docs";

/// Connects this node to the others through Redis at `url`: the rooms and
/// the workspace relay from now on, and the publishing and subscribing
/// tasks run until `shutdown`. Fails only on a URL Redis cannot use; an
/// unreachable Redis is retried in the background.
pub fn start(url: &str, workspace: &Workspace, store: Arc<dyn Store>, shutdown: CancellationToken) -> Result<(), redis::RedisError> {
    let client = redis::Client::open(url)?;
    // This node's id in the messages, and the awareness sender its clients'
    // states have on the other nodes: the top bit keeps it apart from their
    // own connections' ids (small counters).
    let node = rand::random::<u64>() | 1 << 63;
    let (relay, frames) = Relay::channel();
    workspace.rooms().set_relay(relay);
    // Unbounded: one notice per revocation, deletion or access change, each
    // made by a person through the API; published as they come.
    let (notices_tx, notices) = tokio::sync::mpsc::unbounded_channel();
    workspace.people().live().tell_others(notices_tx);
    // Unbounded: fed by `order`, which waits for the store, from the relay's
    // queue (bounded as its comment says); drained as fast as Redis takes it.
    let (ready_tx, ready) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(bus::order(frames, ready_tx, store));
    tokio::spawn(bus::publish(client.clone(), node, ready, notices, shutdown.clone()));
    tokio::spawn(bus::subscribe(client, node, workspace.clone(), shutdown));
    Ok(())
}
