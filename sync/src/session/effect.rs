//! What the core asks of the browser around it, and the states it reports.

use std::time::Duration;

/// One thing for the shell to do. The core returns them in the order they
/// are to be done.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Open a socket to the server; report [`super::SessionCore::opened`]
    /// when it opens, or [`super::SessionCore::open_failed`] if it cannot be made.
    Open,
    /// Close the socket and let go of it: it is dead, or the browser went offline.
    Close,
    /// Call [`super::SessionCore::connect`] again after this long.
    RetryIn(Duration),
    /// Send this frame to the server (the socket is open).
    Send(Vec<u8>),
    /// Keep this local update in the browser's journal, after the ones kept before.
    Keep(Vec<u8>),
    /// Drop the journal's oldest `n` records: the server has stored them durably.
    Forget(usize),
    /// Call [`super::SessionCore::flush`] at the next frame, or soon if frames are paused.
    FlushSoon,
    /// Updates from elsewhere changed the texts: others' carets are to be placed again.
    TextChanged,
    /// The document has been received from the server.
    Synced,
    /// An awareness update from the server, for presence.
    Awareness(Vec<u8>),
    /// Forget everyone else's presence (once connected, the server resends who is here).
    ForgetPeers,
    /// Announce this person's presence with [`super::SessionCore::announce`]:
    /// the socket has just opened, or the server dropped or overruled our state.
    PublishPresence,
    /// The connection is now in this state.
    Link(LinkState),
    /// The saving state is now this.
    Save(SaveState),
    /// The server now lets this connection change the document (`false`) or
    /// not (`true`): the fields are to be read-only while it does not.
    ReadOnly(bool),
    /// Something went wrong that only a developer needs to know: log it.
    Warn(String),
}

/// The connection, as the page shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkState {
    /// Open and speaking the protocol.
    Connected,
    /// Lost while the browser is online: trying again with backoff.
    Reconnecting,
    /// Lost while the browser is offline.
    Offline,
    /// Closed by the server for good: the person was signed out or their
    /// credential revoked. No reconnecting.
    SignedOut,
    /// Closed by the server for good: the person's access was removed. No reconnecting.
    NoAccess,
    /// Closed by the server for good: the document was deleted. No reconnecting.
    Deleted,
}

/// Whether this session's changes are durably stored on the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SaveState {
    /// Every local change is acknowledged as durable.
    Saved,
    /// Some local changes are on their way over an open connection.
    Saving,
    /// Some local changes wait for the connection to come back.
    Offline,
    /// Some local changes are withheld: the server does not let this
    /// connection write (they stay in the browser's journal).
    Withheld,
}

impl SaveState {
    /// The state of a session with (or without) `unsaved` changes over a
    /// connection that is (or is not) `connected`.
    pub fn of(unsaved: bool, connected: bool) -> Self {
        match (unsaved, connected) {
            (false, _) => SaveState::Saved,
            (true, true) => SaveState::Saving,
            (true, false) => SaveState::Offline,
        }
    }
}
