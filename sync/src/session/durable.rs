//! What the server has durably stored: the sync-status (`102`) requests and
//! their echoes, the unsaved flag, and which journal records an echo covers.

use crate::protocol;

/// The bookkeeping of acknowledgements and of the journal's records.
#[derive(Debug, Default)]
pub(super) struct Durable {
    /// Whether some local change is not yet acknowledged as durable.
    unsaved: bool,
    /// Counter of the last acknowledgement request sent.
    requested: u64,
    /// Records in the journal not yet known to be durable on the server.
    kept: usize,
    /// `kept` when the last request was sent: the oldest records its echo covers.
    mark: usize,
}

impl Durable {
    /// Whether some local change is not yet acknowledged as durable.
    pub(super) fn unsaved(&self) -> bool {
        self.unsaved
    }

    /// Notes a change the server does not have yet.
    pub(super) fn changed(&mut self) {
        self.unsaved = true;
    }

    /// Notes `n` more records in the journal, after those kept so far.
    pub(super) fn kept(&mut self, n: usize) {
        self.kept += n;
    }

    /// The next request's frame; its echo will cover every record kept so far.
    pub(super) fn request(&mut self) -> Vec<u8> {
        self.requested += 1;
        self.mark = self.kept;
        protocol::encode_sync_status(&protocol::sync_status_payload(self.requested))
    }

    /// Voids the last request: its echo will cover nothing (the server
    /// refused changes it was to cover, and may still echo it).
    pub(super) fn void(&mut self) {
        self.requested += 1;
    }

    /// Takes in an echoed `payload`. Only the echo of the last request counts
    /// (an older one says nothing about the changes sent after it): returns
    /// how many of the journal's oldest records it covers, which may be fewer
    /// than it holds.
    pub(super) fn acknowledged(&mut self, payload: &[u8]) -> Option<usize> {
        if payload != protocol::sync_status_payload(self.requested).as_slice() {
            return None;
        }
        self.unsaved = false;
        let covered = std::mem::take(&mut self.mark);
        self.kept -= covered;
        Some(covered)
    }
}
