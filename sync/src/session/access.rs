//! Whether the server lets this connection change the document.
//!
//! The server says so with auth messages: permission denied when a read-only
//! connection joins, when it refuses an update, or when the person's role is
//! lowered; permission granted when the role is raised again. Without either,
//! a connection may write.
//!
//! A page can start read-only (its role said so when it loaded), and a read-only
//! state outlives a lost connection. It is then only presumed on the next
//! connection, until the server restates it: the server sends its join-time
//! denial before it answers our `SyncStep1`, so a connection whose sync
//! completes without a denial may write (the role was raised meanwhile).

/// The connection's permission to write.
#[derive(Debug, Default)]
pub(super) struct Access {
    /// Whether local changes are withheld from the server.
    read_only: bool,
    /// Whether `read_only` is carried over and the server has not yet restated it.
    presumed: bool,
    /// The server's state vector as its last `SyncStep1` gave it (v1): a lower
    /// bound of what it holds, so that what was withheld can be sent once allowed.
    server_sv: Option<Vec<u8>>,
}

impl Access {
    /// Read-only from the start, until a connection's sync says otherwise.
    pub(super) fn presumed_read_only() -> Self {
        Access { read_only: true, presumed: true, server_sv: None }
    }

    /// Whether local changes are withheld from the server.
    pub(super) fn read_only(&self) -> bool {
        self.read_only
    }

    /// A new connection opened: a read-only state is presumed until restated.
    pub(super) fn opened(&mut self) {
        self.presumed = self.read_only;
    }

    /// The server's state vector, from its `SyncStep1`.
    pub(super) fn server_has(&mut self, sv: &[u8]) {
        self.server_sv = Some(sv.to_vec());
    }

    /// The state vector of what the server is known to hold, if it said.
    pub(super) fn server_sv(&self) -> Option<&[u8]> {
        self.server_sv.as_deref()
    }

    /// The server denied permission; `true` if the connection just became read-only.
    pub(super) fn denied(&mut self) -> bool {
        self.presumed = false;
        !std::mem::replace(&mut self.read_only, true)
    }

    /// The server granted permission; `true` if the connection just became writable.
    pub(super) fn granted(&mut self) -> bool {
        self.presumed = false;
        std::mem::replace(&mut self.read_only, false)
    }

    /// The connection's sync completed; `true` if it lifted a presumed
    /// read-only state (the server did not restate it).
    pub(super) fn synced(&mut self) -> bool {
        std::mem::take(&mut self.presumed) && self.granted()
    }
}
