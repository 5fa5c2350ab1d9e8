//! A unified diff (the server's `text/x-diff`: hunks of ` `, `-` and `+`
//! lines) laid back over the text it starts from, so that a whole old
//! version can be shown with what differs from another text marked line by
//! line, and inside a changed line, word by word.

use similar::algorithms::{DiffHook, myers};
use std::ops::Range;

/// What a shown line is, against the diff's other side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineKind {
    /// In both texts.
    Same,
    /// Only in the text the diff starts from (`-`).
    Removed,
    /// Only in the text the diff goes to (`+`).
    Added,
}

/// One shown line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiffLine {
    /// Which side it is on.
    pub kind: LineKind,
    /// Its text, without the line break.
    pub text: String,
    /// Byte ranges of `text` that differ from the line it replaces or is
    /// replaced by (empty for a line with no counterpart: all of it differs).
    pub words: Vec<Range<usize>>,
}

impl DiffLine {
    /// `text` cut into pieces, each with whether it is a changed word.
    pub fn pieces(&self) -> Vec<(&str, bool)> {
        let mut pieces = Vec::with_capacity(self.words.len() * 2 + 1);
        let mut at = 0;
        for word in &self.words {
            pieces.push((&self.text[at..word.start], false));
            pieces.push((&self.text[word.clone()], true));
            at = word.end;
        }
        pieces.push((&self.text[at..], false));
        pieces.retain(|(text, _)| !text.is_empty());
        pieces
    }
}

/// One hunk: where it starts in the old text, how many old lines it covers, its lines.
struct Hunk<'a> {
    old_start: usize,
    old_len: usize,
    lines: Vec<(LineKind, &'a str)>,
}

/// Every line of `old`, with `diff` (from `old` to another text) laid over
/// it: the lines the other text lacks marked removed, its own lines added
/// where they stand. A diff with no hunks shows `old` unchanged.
pub fn overlay(old: &str, diff: &str) -> Vec<DiffLine> {
    let old: Vec<&str> = old.lines().collect();
    let mut shown = Vec::with_capacity(old.len());
    let mut next = 0; // the first old line not shown yet
    for hunk in hunks(diff) {
        // A hunk that removes nothing is placed after its start line, not on it.
        let before = if hunk.old_len == 0 { hunk.old_start } else { hunk.old_start.saturating_sub(1) };
        let start = before.clamp(next, old.len());
        shown.extend(old[next..start].iter().map(|t| line(LineKind::Same, t)));
        let consumed = hunk.lines.iter().filter(|(kind, _)| *kind != LineKind::Added).count();
        shown.extend(hunk.lines.into_iter().map(|(kind, t)| line(kind, t)));
        next = (start + consumed).min(old.len());
    }
    shown.extend(old[next..].iter().map(|t| line(LineKind::Same, t)));
    mark_words(&mut shown);
    shown
}

fn line(kind: LineKind, text: &str) -> DiffLine {
    DiffLine { kind, text: text.to_owned(), words: Vec::new() }
}

/// Pairs each run of removed lines with the added lines right after it, line
/// by line, and marks the words that differ within each pair.
fn mark_words(lines: &mut [DiffLine]) {
    let mut at = 0;
    while at < lines.len() {
        let removed = run(lines, at, LineKind::Removed);
        let added = run(lines, at + removed, LineKind::Added);
        for i in 0..removed.min(added) {
            let (old, new) = lines.split_at_mut(at + removed);
            let (old, new) = (&mut old[at + i], &mut new[i]);
            (old.words, new.words) = changed_words(&old.text, &new.text);
        }
        at += (removed + added).max(1);
    }
}

/// How many lines from `start` on are of `kind`.
fn run(lines: &[DiffLine], start: usize, kind: LineKind) -> usize {
    lines.get(start..).map_or(0, |rest| rest.iter().take_while(|l| l.kind == kind).count())
}

/// The byte ranges of `old` and of `new` that a word diff between them
/// deletes and inserts; neighbouring ranges are joined. Only Myers' algorithm
/// over the words is used: `similar`'s `TextDiff` brings every algorithm and
/// tokenizer along, about 100 KB (gzip) of the browser's bundle.
fn changed_words(old: &str, new: &str) -> (Vec<Range<usize>>, Vec<Range<usize>>) {
    let (old_words, new_words) = (words(old), words(new));
    let mut marks = WordMarks {
        old_at: starts(&old_words),
        new_at: starts(&new_words),
        in_old: Vec::new(),
        in_new: Vec::new(),
    };
    let _ = myers::diff(&mut marks, &old_words[..], 0..old_words.len(), &new_words[..], 0..new_words.len());
    (marks.in_old, marks.in_new)
}

/// `text` cut into words and the runs of white space between them.
fn words(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut space = None;
    for (i, c) in text.char_indices() {
        let is_space = c.is_whitespace();
        if space.is_some_and(|s| s != is_space) {
            out.push(&text[start..i]);
            start = i;
        }
        space = Some(is_space);
    }
    if start < text.len() {
        out.push(&text[start..]);
    }
    out
}

/// Where each of `words` starts, and where the last one ends.
fn starts(words: &[&str]) -> Vec<usize> {
    let mut at = vec![0];
    for w in words {
        at.push(at[at.len() - 1] + w.len());
    }
    at
}

/// Collects the byte ranges a word diff deletes and inserts.
struct WordMarks {
    old_at: Vec<usize>,
    new_at: Vec<usize>,
    in_old: Vec<Range<usize>>,
    in_new: Vec<Range<usize>>,
}

impl DiffHook for WordMarks {
    type Error = std::convert::Infallible;

    fn delete(&mut self, old_index: usize, old_len: usize, _new_index: usize) -> Result<(), Self::Error> {
        push_joined(&mut self.in_old, self.old_at[old_index]..self.old_at[old_index + old_len]);
        Ok(())
    }

    fn insert(&mut self, _old_index: usize, new_index: usize, new_len: usize) -> Result<(), Self::Error> {
        push_joined(&mut self.in_new, self.new_at[new_index]..self.new_at[new_index + new_len]);
        Ok(())
    }
}

fn push_joined(ranges: &mut Vec<Range<usize>>, range: Range<usize>) {
    match ranges.last_mut() {
        Some(last) if last.end == range.start => last.end = range.end,
        _ => ranges.push(range),
    }
}

/// The hunks of `diff`, skipping its file headers.
fn hunks(diff: &str) -> Vec<Hunk<'_>> {
    let mut hunks: Vec<Hunk<'_>> = Vec::new();
    for text in diff.lines() {
        if let Some(header) = text.strip_prefix("@@") {
            if let Some((old_start, old_len)) = old_range(header) {
                hunks.push(Hunk { old_start, old_len, lines: Vec::new() });
            }
            continue;
        }
        let Some(hunk) = hunks.last_mut() else { continue }; // `---`/`+++` headers
        let kind = match text.chars().next() {
            Some(' ') | None => LineKind::Same,
            Some('-') => LineKind::Removed,
            Some('+') => LineKind::Added,
            _ => continue, // "\ No newline at end of file"
        };
        hunk.lines.push((kind, text.get(1..).unwrap_or("")));
    }
    hunks
}

/// The old range of a hunk header's rest (` -a,b +c,d @@`): its start and length (1 if not given).
fn old_range(header: &str) -> Option<(usize, usize)> {
    let old = header.split_whitespace().next()?.strip_prefix('-')?;
    let (start, len) = old.split_once(',').unwrap_or((old, "1"));
    Some((start.parse().ok()?, len.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn marked(lines: &[DiffLine]) -> Vec<String> {
        let sign = |k| match k {
            LineKind::Same => ' ',
            LineKind::Removed => '-',
            LineKind::Added => '+',
        };
        lines.iter().map(|l| format!("{}{}", sign(l.kind), l.text)).collect()
    }

    #[test]
    fn a_changed_line_is_shown_in_the_whole_text() {
        let old = "a\nb\nc\nd\ne\nf\ng\nh\n";
        let diff = "--- v1\n+++ current\n@@ -3,3 +3,3 @@\n c\n-d\n+D\n e\n";
        assert_eq!(marked(&overlay(old, diff)), [" a", " b", " c", "-d", "+D", " e", " f", " g", " h"]);
    }

    #[test]
    fn insertions_at_the_start_and_removals_at_the_end() {
        assert_eq!(marked(&overlay("", "@@ -0,0 +1,2 @@\n+x\n+y\n")), ["+x", "+y"]);
        let diff = "@@ -1,3 +1,2 @@\n a\n b\n-c\n\\ No newline at end of file\n";
        assert_eq!(marked(&overlay("a\nb\nc", diff)), [" a", " b", "-c"]);
        assert_eq!(marked(&overlay("a\nb", "@@ -1,0 +2 @@\n+z\n")), [" a", "+z", " b"]);
    }

    #[test]
    fn several_hunks_and_lines_that_look_like_headers() {
        let old: String = (1..=20).map(|n| format!("{n}\n")).collect();
        let diff = "@@ -2 +2 @@\n-2\n+two\n@@ -18,2 +18 @@\n 18\n---19\n";
        let shown = marked(&overlay(&old, diff));
        assert_eq!(&shown[..3], [" 1", "-2", "+two"]);
        assert_eq!(&shown[shown.len() - 3..], [" 18", "---19", " 20"]);
        assert_eq!(shown.len(), 21);
    }

    #[test]
    fn inside_a_changed_line_only_the_changed_words_are_marked() {
        let shown = overlay("the quick brown fox\nstays\n", "@@ -1 +1 @@\n-the quick brown fox\n+the slow brown cat\n");
        let changed = |l: &DiffLine| l.pieces().into_iter().filter(|p| p.1).map(|p| p.0.to_owned()).collect::<Vec<_>>();
        assert_eq!(changed(&shown[0]), ["quick", "fox"]);
        assert_eq!(changed(&shown[1]), ["slow", "cat"]);
        assert_eq!(shown[1].pieces().iter().map(|p| p.0).collect::<String>(), "the slow brown cat");
        assert!(shown[2].words.is_empty());
    }

    #[test]
    fn lines_without_a_counterpart_have_no_word_marks() {
        let shown = overlay("a\nb\n", "@@ -1,2 +1,3 @@\n-a\n-b\n+A 😀\n+x\n+y\n");
        assert_eq!(shown.iter().map(|l| l.words.len()).collect::<Vec<_>>(), [1, 1, 1, 1, 0]);
        assert_eq!(shown[2].pieces(), [("A 😀", true)], "neighbouring changes are one mark");
    }

    #[test]
    fn no_diff_shows_the_text_as_it_is() {
        assert_eq!(marked(&overlay("a\nb\n", "")), [" a", " b"]);
    }
}
