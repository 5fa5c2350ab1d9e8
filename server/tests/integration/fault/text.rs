//! Where a random edit may go: UTF-16 character boundaries outside marker tokens.
//!
//! Each marker token is inserted in one transaction and never touched again:
//! inserts land outside markers and deletes remove only filler, so every
//! marker a client wrote must survive to the end, byte for byte.

use rand::Rng;
use rand::seq::IndexedRandom;

/// A marker token opens with this character; filler never contains it.
const OPEN: char = '[';
/// A marker token closes with this character.
const CLOSE: char = ']';
/// Filler: ASCII, a newline, accents, CJK, and emoji outside the BMP (two
/// UTF-16 code units each), so a position counted in bytes would corrupt them.
const FILLER: &[&str] = &["a", "b", "z", " ", "\n", "#", "é", "漢", "😀", "🎉", "👩‍💻"];
/// Most filler characters one delete removes.
const MAX_DELETE: usize = 6;

/// The marker token `n` of client `client`.
pub fn marker(client: usize, n: usize) -> String {
    format!("{OPEN}c{client}.{n}{CLOSE}")
}

/// A short random run of filler.
pub fn filler(rng: &mut impl Rng) -> String {
    let len = rng.random_range(1..=4);
    (0..len).map(|_| *FILLER.choose(rng).expect("filler")).collect()
}

/// A text seen as UTF-16 offsets.
pub struct Layout {
    /// Positions where an insert keeps every marker whole.
    inserts: Vec<u32>,
    /// Runs of filler, each as the character boundaries from its start to its end.
    runs: Vec<Vec<u32>>,
}

impl Layout {
    /// Scans `text`.
    pub fn of(text: &str) -> Layout {
        let (mut inserts, mut runs, mut run) = (Vec::new(), Vec::new(), vec![0]);
        let (mut pos, mut inside) = (0u32, false);
        for ch in text.chars() {
            if !inside {
                inserts.push(pos);
            }
            inside = (inside || ch == OPEN) && ch != CLOSE;
            pos += ch.len_utf16() as u32;
            if ch == OPEN || ch == CLOSE {
                runs.push(std::mem::replace(&mut run, vec![pos]));
            } else if !inside {
                run.push(pos);
            }
        }
        inserts.push(pos);
        runs.push(run);
        runs.retain(|r| r.len() > 1);
        Layout { inserts, runs }
    }

    /// A random position for an insert.
    pub fn insert_at(&self, rng: &mut impl Rng) -> u32 {
        *self.inserts.choose(rng).expect("the end is always a position")
    }

    /// A random filler range `(start, len)` to delete, if there is any filler.
    pub fn delete_range(&self, rng: &mut impl Rng) -> Option<(u32, u32)> {
        let run = self.runs.choose(rng)?;
        let from = rng.random_range(0..run.len() - 1);
        let to = rng.random_range(from + 1..=(from + MAX_DELETE).min(run.len() - 1));
        Some((run[from], run[to] - run[from]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn inserts_and_deletes_keep_markers_and_surrogate_pairs_whole() {
        let text = format!("a😀{}b{}", marker(1, 2), marker(3, 4));
        let layout = Layout::of(&text);
        // a(1) 😀(2) [c1.2](6) b(1) [c3.4](6)
        assert_eq!(layout.inserts, vec![0, 1, 3, 9, 10, 16]);
        assert_eq!(layout.runs, vec![vec![0, 1, 3], vec![9, 10]]);
        let mut rng = rand::rngs::StdRng::seed_from_u64(1);
        for _ in 0..50 {
            let (start, len) = layout.delete_range(&mut rng).unwrap();
            assert!((start == 0 && (len == 1 || len == 3)) || (start == 1 && len == 2) || (start, len) == (9, 1));
        }
    }
}
