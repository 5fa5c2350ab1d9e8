//! Who introduced each awareness client id. A connection may set and clear
//! only the states it introduced (and new ones, which become its own): it
//! cannot move, rename or remove someone else's caret.

use std::collections::HashMap;
use yrs::sync::AwarenessUpdate;

/// Identifies the sender of a message within one document (the server uses its connection id).
pub type Sender = u64;

/// The owner of each awareness client id that has a state.
#[derive(Debug, Default)]
pub struct Owners(HashMap<u64, Sender>);

impl Owners {
    /// Drops from `update` every entry for a client id another sender owns;
    /// returns whether any was dropped.
    pub fn keep_own(&self, sender: Sender, update: &mut AwarenessUpdate) -> bool {
        let before = update.clients.len();
        update.clients.retain(|id, _| self.0.get(&id.get()).is_none_or(|owner| *owner == sender));
        update.clients.len() != before
    }

    /// The client ids whose states `sender` introduced.
    pub fn owned_by(&self, sender: Sender) -> Vec<u64> {
        self.0.iter().filter(|(_, owner)| **owner == sender).map(|(id, _)| *id).collect()
    }

    /// Records the states `sender` set (now its own) and cleared (owned by no one).
    pub fn record(&mut self, sender: Sender, set: &[u64], cleared: &[u64]) {
        self.0.extend(set.iter().map(|&id| (id, sender)));
        for id in cleared {
            self.0.remove(id);
        }
    }

    /// Forgets the owners of `ids` (their states were removed).
    pub fn release(&mut self, ids: &[u64]) {
        for id in ids {
            self.0.remove(id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use yrs::sync::awareness::AwarenessUpdateEntry;

    fn update(ids: &[u64]) -> AwarenessUpdate {
        let entry = || AwarenessUpdateEntry { clock: 1, json: "{}".into() };
        AwarenessUpdate { clients: ids.iter().map(|&id| (yrs::ClientID::new(id), entry())).collect() }
    }

    #[test]
    fn a_sender_keeps_only_its_own_and_new_ids() {
        let mut owners = Owners::default();
        owners.record(1, &[10], &[]);
        let mut mixed = update(&[10, 20]);
        assert!(owners.keep_own(2, &mut mixed), "sender 2 may not touch 10");
        assert_eq!(mixed.clients.keys().map(|id| id.get()).collect::<Vec<_>>(), [20]);
        let mut own = update(&[10]);
        assert!(!owners.keep_own(1, &mut own));
        owners.record(1, &[], &[10]);
        assert!(!owners.keep_own(2, &mut update(&[10])), "a cleared id is free again");
        owners.record(2, &[10], &[]);
        owners.release(&[10]);
        assert!(!owners.keep_own(3, &mut update(&[10])), "a released id is free again");
    }
}
