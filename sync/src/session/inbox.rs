//! Remote updates waiting to be applied: they are applied together once per
//! frame (a large text costs a layout per change shown, however small), and
//! held back during an input method composition, which rewriting the field
//! would break.

/// Remote updates not yet applied, and when they may be.
#[derive(Debug, Default)]
pub(super) struct Inbox {
    /// Remote updates in arrival order.
    held: Vec<Vec<u8>>,
    /// Whether an input method (IME) composition is in progress in a field.
    composing: bool,
    /// Whether a flush is scheduled.
    due: bool,
}

impl Inbox {
    /// Holds `update`; `true` if a flush is to be scheduled (none is, and no
    /// composition holds updates back).
    pub(super) fn push(&mut self, update: &[u8]) -> bool {
        self.held.push(update.to_vec());
        !self.composing && !std::mem::replace(&mut self.due, true)
    }

    /// Notes whether a composition is in progress.
    pub(super) fn set_composing(&mut self, composing: bool) {
        self.composing = composing;
    }

    /// The updates to apply now: none during a composition.
    pub(super) fn take(&mut self) -> Vec<Vec<u8>> {
        self.due = false;
        if self.composing {
            return Vec::new();
        }
        std::mem::take(&mut self.held)
    }
}
