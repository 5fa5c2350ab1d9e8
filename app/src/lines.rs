//! Where lines start in a UTF-16 text, kept up to date across edits without
//! rescanning the text: the editor's mirror uses it to touch only the lines an
//! edit changed.

/// The newline, in UTF-16.
const NEWLINE: u16 = b'\n' as u16;

/// The start offset of every line of a text, in UTF-16 units.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineIndex {
    /// Ascending; never empty (an empty text has one empty line at 0).
    starts: Vec<usize>,
}

/// The lines an edit replaced and what replaced them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineEdit {
    /// The first line replaced.
    pub first: usize,
    /// How many old lines were replaced (`first..first + replaced`).
    pub replaced: usize,
    /// The UTF-16 range of the new text that the replacing lines cover (newlines between them included).
    pub region: std::ops::Range<usize>,
}

impl LineIndex {
    /// The index of `text`.
    pub fn new(text: &[u16]) -> Self {
        LineIndex { starts: starts_in(0, text) }
    }

    /// How many lines there are.
    pub fn len(&self) -> usize {
        self.starts.len()
    }

    /// Always false: a text has at least one line.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// Where line `line` starts, if there is such a line.
    pub fn start(&self, line: usize) -> Option<usize> {
        self.starts.get(line).copied()
    }

    /// The line holding `offset`, and `offset`'s column in it.
    pub fn locate(&self, offset: usize) -> (usize, usize) {
        let line = self.starts.partition_point(|&s| s <= offset).saturating_sub(1);
        (line, offset - self.starts[line])
    }

    /// Follows an edit that replaced `removed` units at `start` by `inserted`
    /// units; `text` is the text after it.
    pub fn splice(&mut self, text: &[u16], start: usize, removed: usize, inserted: usize) -> LineEdit {
        let old_len = text.len() + removed - inserted;
        let (first, _) = self.locate(start);
        let (last, _) = self.locate(start + removed);
        let old_end = self.starts.get(last + 1).map_or(old_len, |next| next - 1);
        let region = self.starts[first]..old_end + inserted - removed;
        let fresh = starts_in(region.start, &text[region.clone()]);
        let tail: Vec<usize> = self.starts[last + 1..].iter().map(|&s| s + inserted - removed).collect();
        self.starts.truncate(first);
        self.starts.extend(fresh);
        self.starts.extend(tail);
        LineEdit { first, replaced: last + 1 - first, region }
    }
}

/// The starts of the lines of `text`, which begins at offset `base`.
fn starts_in(base: usize, text: &[u16]) -> Vec<usize> {
    let newlines = text.iter().enumerate().filter(|&(_, &u)| u == NEWLINE).map(|(i, _)| base + i + 1);
    std::iter::once(base).chain(newlines).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utf16(s: &str) -> Vec<u16> {
        s.encode_utf16().collect()
    }

    #[test]
    fn locates_offsets_in_lines() {
        let index = LineIndex::new(&utf16("ab\n\ncd"));
        assert_eq!(index.len(), 3);
        assert_eq!(index.locate(0), (0, 0));
        assert_eq!(index.locate(2), (0, 2));
        assert_eq!(index.locate(3), (1, 0));
        assert_eq!(index.locate(4), (2, 0));
        assert_eq!(index.locate(6), (2, 2));
    }

    #[test]
    fn an_edit_touches_only_its_lines() {
        let before = utf16("one\ntwo\nthree\nfour");
        let mut index = LineIndex::new(&before);
        // "two\nthree" becomes "2\n2b\n3"
        let after = utf16("one\n2\n2b\n3\nfour");
        let edit = index.splice(&after, 4, 9, 6);
        assert_eq!(edit, LineEdit { first: 1, replaced: 2, region: 4..10 });
        assert_eq!(index, LineIndex::new(&after));
    }

    #[test]
    fn random_edits_keep_the_index_equal_to_a_fresh_one() {
        let mut seed = 42u64;
        let mut next = |n: usize| {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            ((seed >> 33) as usize) % n.max(1)
        };
        let mut text = utf16("start\n");
        let mut index = LineIndex::new(&text);
        for _ in 0..2000 {
            let start = next(text.len() + 1);
            let removed = next(text.len() - start + 1).min(5);
            let pieces = ["x", "\n", "ab\ncd", "", "\n\n", "é😀"];
            let inserted = utf16(pieces[next(pieces.len())]);
            let n = inserted.len();
            text.splice(start..start + removed, inserted);
            let edit = index.splice(&text, start, removed, n);
            assert_eq!(index, LineIndex::new(&text));
            assert!(edit.region.end <= text.len());
        }
    }
}
