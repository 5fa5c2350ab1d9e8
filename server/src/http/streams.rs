//! Caps on open event streams (`GET /api/events`): each holds a connection
//! and a task for as long as the client keeps it, so their number is bounded
//! in total and per client, like WebSockets.
//!
//! Each open stream holds a [`StreamSlot`]; dropping it (the stream ended or
//! its client went away) gives the slot back.

use crate::http::client::ClientKey;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Most event streams open at once.
#[derive(Debug, Clone, Copy)]
pub struct StreamCaps {
    /// In total; past it: 503.
    pub total: usize,
    /// From one client; past it: 429.
    pub per_client: usize,
}

/// Which cap refused a stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamRefused {
    /// The server has `total` streams open.
    Total,
    /// This client has `per_client` streams open.
    PerClient,
}

impl StreamRefused {
    /// The limit's name in metrics and error codes.
    pub fn name(self) -> &'static str {
        match self {
            StreamRefused::Total => "event_streams",
            StreamRefused::PerClient => "event_streams_per_ip",
        }
    }
}

#[derive(Debug, Default)]
struct Counts {
    total: usize,
    /// Entries are removed at zero: only clients with open streams are kept,
    /// so the map holds at most `total` entries.
    per_client: HashMap<ClientKey, usize>,
}

/// The event stream counter of one server.
#[derive(Debug)]
pub struct Streams {
    caps: StreamCaps,
    /// std mutex: a few map operations per stream opened or closed, never across `.await`.
    counts: Mutex<Counts>,
}

/// One open stream's slot; released on drop.
#[derive(Debug)]
pub struct StreamSlot {
    streams: Arc<Streams>,
    client: Option<ClientKey>,
}

impl Streams {
    /// A counter enforcing `caps`.
    pub fn new(caps: StreamCaps) -> Arc<Self> {
        Arc::new(Streams { caps, counts: Mutex::default() })
    }

    fn counts(&self) -> std::sync::MutexGuard<'_, Counts> {
        self.counts.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Takes a slot for a stream from `client`, or says which cap is reached.
    pub fn open(self: &Arc<Self>, client: Option<ClientKey>) -> Result<StreamSlot, StreamRefused> {
        let mut counts = self.counts();
        if counts.total >= self.caps.total {
            return Err(StreamRefused::Total);
        }
        if client.is_some_and(|key| counts.per_client.get(&key).copied().unwrap_or(0) >= self.caps.per_client) {
            return Err(StreamRefused::PerClient);
        }
        if let Some(key) = client {
            *counts.per_client.entry(key).or_default() += 1;
        }
        counts.total += 1;
        Ok(StreamSlot { streams: self.clone(), client })
    }
}

impl Drop for StreamSlot {
    fn drop(&mut self) {
        let mut counts = self.streams.counts();
        counts.total -= 1;
        if let Some(key) = self.client
            && let Some(n) = counts.per_client.get_mut(&key)
        {
            *n -= 1;
            if *n == 0 {
                counts.per_client.remove(&key);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(last: u8) -> Option<ClientKey> {
        Some(ClientKey::of([10, 0, 0, last].into()))
    }

    #[test]
    fn each_cap_refuses_and_a_dropped_slot_frees_it() {
        let streams = Streams::new(StreamCaps { total: 3, per_client: 2 });
        let a1 = streams.open(key(1)).unwrap();
        let _a2 = streams.open(key(1)).unwrap();
        assert_eq!(streams.open(key(1)).unwrap_err(), StreamRefused::PerClient);
        let _b1 = streams.open(key(2)).unwrap();
        assert_eq!(streams.open(key(3)).unwrap_err(), StreamRefused::Total);
        drop(a1);
        let _a3 = streams.open(key(1)).unwrap();
        drop((_a2, _a3, _b1));
        let counts = streams.counts();
        assert!(counts.total == 0 && counts.per_client.is_empty());
    }
}
