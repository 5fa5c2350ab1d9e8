//! Which writer updates a received frame carries, and one receiver's tally.
//!
//! Every writer update inserts `chunk` characters at the end of the writer's
//! own items, so update `k` of a writer holds that writer's clocks
//! `k·chunk .. (k+1)·chunk`. A frame is identified by the clock range it
//! inserts per writer: a server that relays updates one by one, merges several
//! into one frame, or repeats one is counted correctly either way.

use super::BenchError;
use serde::Serialize;
use std::collections::HashMap;
use tandem_client::handshake::update_of;
use tandem_sync::document::ApplyError;
use yrs::updates::decoder::Decode;
use yrs::{ClientID, Update};

/// The writers of a run: their client ids and update shape.
pub struct Writers {
    /// Writer index by client id.
    index: HashMap<ClientID, usize>,
    /// Clock units (characters) each update inserts.
    chunk: u32,
    /// Updates each writer sends.
    per_writer: u32,
}

/// What one receiver got of the writers' updates.
#[derive(Debug, Clone, Default)]
pub struct Tally {
    /// `seen[w][k]`: update `k` of writer `w` has arrived.
    seen: Vec<Vec<bool>>,
    /// Distinct writer updates that arrived.
    pub delivered: u64,
    /// Writer updates that arrived more than once.
    pub duplicates: u64,
}

impl Writers {
    /// Writers with client ids `ids`, each sending `per_writer` updates of `chunk` characters.
    pub fn new(ids: &[ClientID], per_writer: u32, chunk: u32) -> Writers {
        let index = ids.iter().enumerate().map(|(i, id)| (*id, i)).collect();
        Writers { index, chunk, per_writer }
    }

    /// An empty tally for one receiver.
    pub fn tally(&self) -> Tally {
        Tally { seen: vec![vec![false; self.per_writer as usize]; self.index.len()], ..Tally::default() }
    }

    /// Every (writer, update number) that `frame` carries; other clients' items are ignored.
    pub fn carried(&self, frame: &[u8]) -> Result<Vec<(usize, u32)>, BenchError> {
        let Some(update) = update_of(frame)? else { return Ok(Vec::new()) };
        let update = Update::decode_v1(update).map_err(|e| tandem_client::Error::from(ApplyError::from(e)))?;
        let mut out = Vec::new();
        for (client, ranges) in update.insertions(true).iter() {
            let Some(&w) = self.index.get(client) else { continue };
            for r in ranges.iter().filter(|r| r.end > r.start) {
                let last = ((r.end - 1) / self.chunk).min(self.per_writer.saturating_sub(1));
                out.extend((r.start / self.chunk..=last).map(|k| (w, k)));
            }
        }
        Ok(out)
    }
}

impl Tally {
    /// Marks update `k` of writer `w` as arrived; `true` the first time.
    pub fn mark(&mut self, w: usize, k: u32) -> bool {
        let Some(slot) = self.seen.get_mut(w).and_then(|s| s.get_mut(k as usize)) else { return false };
        if *slot {
            self.duplicates += 1;
            return false;
        }
        *slot = true;
        self.delivered += 1;
        true
    }
}

/// Deliveries over all receivers of a run, and whether they converged.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Deliveries {
    /// Deliveries due: each writer update to each of its receivers.
    pub expected: u64,
    /// Deliveries that arrived (each update counted once per receiver).
    pub delivered: u64,
    /// Deliveries that never arrived.
    pub lost: u64,
    /// Deliveries that arrived more than once.
    pub duplicates: u64,
    /// Whether every receiver's text equals what its writers wrote.
    pub converged: bool,
    /// Receivers whose text differs.
    pub mismatched: u64,
}

impl Deliveries {
    /// Adds one receiver: its tally, the deliveries due to it, and whether its text matched.
    pub fn add(&mut self, tally: &Tally, due: u64, text_equal: bool) {
        self.expected += due;
        self.delivered += tally.delivered;
        self.duplicates += tally.duplicates;
        self.mismatched += u64::from(!text_equal);
        self.lost = self.expected - self.delivered;
        self.converged = self.mismatched == 0;
    }

    /// The human line's part: `delivered 10/10 (lost 0)` and `converged` or `2 diverged`.
    pub fn summary(&self) -> (String, String) {
        let counts = format!("delivered {}/{} (lost {})", self.delivered, self.expected, self.lost);
        let converged = if self.converged { "converged".to_string() } else { format!("{} diverged", self.mismatched) };
        (counts, converged)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tandem_client::Replica;

    #[test]
    fn each_update_is_identified_by_its_clock_range() {
        let replica = Replica::new();
        let frames: Vec<Vec<u8>> = (0..3).map(|k| replica.insert(k * 8, &format!("{k:08}"))).collect();
        let writers = Writers::new(&[replica.doc().client_id()], 3, 8);
        assert_eq!(writers.carried(&frames[1]).unwrap(), vec![(0, 1)]);
        let mut tally = writers.tally();
        for f in frames.iter().chain([&frames[2]]) {
            for (w, k) in writers.carried(f).unwrap() {
                tally.mark(w, k);
            }
        }
        assert_eq!((tally.delivered, tally.duplicates), (3, 1));
    }
}
