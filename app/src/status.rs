//! Connection and saving states, as the pages show them (`data-state` values).

/// The state of the connection to the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnState {
    /// Connecting for the first time since the page loaded.
    Connecting,
    /// The connection was lost; trying again with backoff.
    Reconnecting,
    /// Connected and in sync.
    Connected,
    /// The browser is offline; edits are kept and merged on reconnect.
    Offline,
    /// The server closed the connection for good: the person was signed out.
    SignedOut,
    /// The server closed the connection for good: the person's access was removed.
    NoAccess,
    /// The server closed the connection for good: the document was deleted.
    Deleted,
}

impl ConnState {
    /// The `data-state` value.
    pub fn as_str(self) -> &'static str {
        match self {
            ConnState::Connecting => "connecting",
            ConnState::Reconnecting => "reconnecting",
            ConnState::Connected => "connected",
            ConnState::Offline => "offline",
            ConnState::SignedOut => "signed-out",
            ConnState::NoAccess => "no-access",
            ConnState::Deleted => "deleted",
        }
    }

    /// Words for people.
    pub fn label(self) -> &'static str {
        match self {
            ConnState::Connecting => "Connecting…",
            ConnState::Reconnecting => "Reconnecting…",
            ConnState::Connected => "Connected",
            ConnState::Offline => "Offline",
            ConnState::SignedOut => "You were signed out",
            ConnState::NoAccess => "You no longer have access to this document",
            ConnState::Deleted => "This document was deleted",
        }
    }

    /// Whether the connection ended for good (no reconnecting).
    pub fn ended(self) -> bool {
        matches!(self, ConnState::SignedOut | ConnState::NoAccess | ConnState::Deleted)
    }
}

/// Whether every local change is durably stored on the server: the session
/// core's own state, shown by the page through [`SaveView`].
pub use tandem_sync::session::SaveState;

/// How the page shows a [`SaveState`].
pub trait SaveView {
    /// The `data-state` value.
    fn as_str(self) -> &'static str;
    /// Words for people; `kept` says whether unsaved changes are at least
    /// stored in this browser.
    fn label(self, kept: bool) -> &'static str;
}

impl SaveView for SaveState {
    fn as_str(self) -> &'static str {
        match self {
            SaveState::Saved => "saved",
            SaveState::Saving => "saving",
            SaveState::Offline => "offline",
            SaveState::Withheld => "withheld",
        }
    }

    fn label(self, kept: bool) -> &'static str {
        match (self, kept) {
            (SaveState::Saved, _) => "All changes saved",
            (SaveState::Saving, _) => "Saving…",
            (SaveState::Offline, true) => "Offline · changes kept in this browser",
            (SaveState::Offline, false) => "Offline · changes not saved yet",
            (SaveState::Withheld, true) => "Not saved · view only, changes kept in this browser",
            (SaveState::Withheld, false) => "Not saved · view only",
        }
    }
}
