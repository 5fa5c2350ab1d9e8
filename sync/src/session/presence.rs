//! This page's own awareness entry: the clock that orders its announcements.
//!
//! The server and every peer apply an awareness state only if its clock is
//! newer than the one they hold for that client (or equal, for a removal).
//! When a connection closes, the server removes the states it introduced and
//! raises their clocks by one, and every peer that hears of it does the same.
//! So our clock lives as long as the session, never restarting at 1 (a new
//! entry would be ignored as old news), steps over that removal whenever the
//! socket is lost, and jumps past any clock of ours that someone reports.

use std::collections::HashMap;
use yrs::ClientID;
use yrs::sync::AwarenessUpdate;
use yrs::sync::awareness::AwarenessUpdateEntry;
use yrs::updates::decoder::Decode;
use yrs::updates::encoder::Encode;

/// The JSON of a removed awareness state.
const REMOVED: &str = "null";

/// Our awareness client id and the clock of our last announcement.
#[derive(Debug)]
pub(super) struct OwnPresence {
    client_id: ClientID,
    /// The clock of our last announcement, or higher (see [`OwnPresence::lost`]).
    clock: u32,
}

impl OwnPresence {
    /// Nothing announced yet by `client_id` (the document's client id, as others know us).
    pub(super) fn new(client_id: ClientID) -> Self {
        OwnPresence { client_id, clock: 0 }
    }

    /// The awareness update announcing `state` (JSON), newer than anything before it.
    pub(super) fn announce(&mut self, state: &str) -> Vec<u8> {
        self.clock = self.clock.saturating_add(1);
        let entry = AwarenessUpdateEntry { clock: self.clock, json: state.into() };
        AwarenessUpdate { clients: HashMap::from([(self.client_id, entry)]) }.encode_v1()
    }

    /// The socket is gone: the server removes our state with our clock plus
    /// one, so the next announcement must be newer than that.
    pub(super) fn lost(&mut self) {
        self.clock = self.clock.saturating_add(1);
    }

    /// Takes in an awareness update from the server; `true` if it removes our
    /// state or holds a newer one than ours (a connection of ours the server
    /// closed late), so that we must announce ourselves again to be seen.
    pub(super) fn overruled_by(&mut self, update: &[u8]) -> bool {
        let Ok(update) = AwarenessUpdate::decode_v1(update) else { return false };
        let Some(entry) = update.clients.get(&self.client_id) else { return false };
        let removal = &*entry.json == REMOVED;
        if entry.clock > self.clock || (entry.clock == self.clock && removal) {
            self.clock = entry.clock;
            return true;
        }
        false
    }
}
