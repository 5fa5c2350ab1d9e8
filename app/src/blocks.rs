//! The preview's blocks: the text cut into its top-level Markdown blocks
//! (paragraphs, headings, lists, code blocks, tables, …), each rendered on
//! its own by [`crate::markdown`], and kept up to date by rendering again only
//! the blocks an edit touched.
//!
//! After an edit, the blocks from the one before the change up to the first
//! one after it are parsed again, as a slice of the text; the slice grows
//! until its last block comes out exactly as before (then everything after it
//! is as before too: Markdown blocks depend only on what precedes them). A text
//! with link reference definitions, whose effect reaches across blocks, is
//! always rendered whole.

use crate::markdown;
use std::ops::Range;

/// One top-level block of the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    /// Where it starts in the text (bytes). It reaches to the next block's
    /// start (the blank lines after it are its own), the last one to the end.
    pub start: usize,
    /// Its first line, counting from 0.
    pub line: u32,
    /// Its HTML.
    pub html: String,
}

/// What changed in the list of blocks: `removed` blocks at `first` were
/// replaced by `inserted`; the blocks after them only moved.
#[derive(Debug, PartialEq, Eq)]
pub struct Patch {
    /// The index of the first block replaced.
    pub first: usize,
    /// How many blocks were replaced.
    pub removed: usize,
    /// The blocks in their place.
    pub inserted: Vec<Block>,
}

/// The blocks of a text, followed through its edits.
#[derive(Debug, Default)]
pub struct Blocks {
    text: String,
    blocks: Vec<Block>,
    /// The share link's token of a page opened by one (see [`markdown::render_blocks`]).
    link: Option<String>,
}

impl Blocks {
    /// No blocks yet, rendered for a page opened by the share link `link`, if any.
    pub fn for_link(link: Option<String>) -> Self {
        Blocks { link, ..Blocks::default() }
    }

    /// The blocks, in order.
    pub fn blocks(&self) -> &[Block] {
        &self.blocks
    }

    /// The index of the block holding line `line` (0-based).
    pub fn at_line(&self, line: u32) -> usize {
        self.blocks.partition_point(|b| b.line <= line).saturating_sub(1)
    }

    /// Follows the text to `text`; what changed in the blocks.
    pub fn update(&mut self, text: &str) -> Patch {
        if text == self.text && !self.blocks.is_empty() {
            return Patch { first: 0, removed: 0, inserted: Vec::new() };
        }
        let patch = if self.blocks.is_empty() || has_reference_definitions(text) {
            Patch { first: 0, removed: self.blocks.len(), inserted: parse(text, 0, 0, self.link.as_deref()) }
        } else {
            self.patch(text)
        };
        let old_end = patch.first + patch.removed;
        let moved = self.moved(text, old_end);
        self.blocks.splice(patch.first..old_end, patch.inserted.iter().cloned());
        for (block, (start, line)) in self.blocks[patch.first + patch.inserted.len()..].iter_mut().zip(moved) {
            (block.start, block.line) = (start, line);
        }
        self.text = text.to_owned();
        patch
    }

    /// Where the blocks from `old_from` on start in `text`: they are
    /// unchanged, moved by the change's length in bytes and lines.
    fn moved(&self, text: &str, old_from: usize) -> Vec<(usize, u32)> {
        let bytes = text.len() as isize - self.text.len() as isize;
        let lines = i64::from(line_count(text)) - i64::from(line_count(&self.text));
        self.blocks[old_from..].iter().map(|b| ((b.start as isize + bytes) as usize, (i64::from(b.line) + lines) as u32)).collect()
    }

    /// The blocks `text` changed, found by parsing a growing slice around the change.
    fn patch(&self, text: &str) -> Patch {
        let change = changed(&self.text, text);
        let delta = text.len() as isize - self.text.len() as isize;
        let holding = |at: usize| self.blocks.partition_point(|b| b.start <= at).saturating_sub(1);
        // One block before the change: an edit at a block's start may join it to the one before.
        let first = holding(change.start).saturating_sub(1);
        let start = self.blocks[first].start;
        let line = self.blocks[first].line;
        // The first old block wholly after the change, and then ever more of them.
        let after = self.blocks.partition_point(|b| b.start < change.end.max(change.start + 1));
        let mut extra = 1;
        loop {
            let last = after + extra - 1;
            if last + 1 >= self.blocks.len() {
                let inserted = parse(&text[start..], start, line, self.link.as_deref());
                return Patch { first, removed: self.blocks.len() - first, inserted };
            }
            let end = (self.blocks[last + 1].start as isize + delta) as usize;
            let mut inserted = parse(&text[start..end], start, line, self.link.as_deref());
            let old = &self.blocks[last];
            let same = inserted.last().is_some_and(|b| b.html == old.html && b.start as isize == old.start as isize + delta);
            if same {
                inserted.pop();
                return Patch { first, removed: last - first, inserted };
            }
            extra *= 2;
        }
    }
}

/// `block` as the preview shows it: in an element of its own.
pub fn wrap(block: &Block) -> String {
    format!("<div class=\"md-block\">{}</div>", block.html)
}

/// The preview of `text`, block by block, as the browser's preview keeps
/// it; `link` as in [`Blocks::for_link`].
pub fn preview_html(text: &str, link: Option<&str>) -> String {
    parse(text, 0, 0, link).iter().map(wrap).collect()
}

/// The range of `old` an edit replaced, in bytes on char boundaries: it
/// starts where the texts first differ and ends where they agree to the end.
fn changed(old: &str, new: &str) -> Range<usize> {
    let prefix = old.bytes().zip(new.bytes()).take_while(|(a, b)| a == b).count();
    let mut start = prefix.min(old.len()).min(new.len());
    while !old.is_char_boundary(start) || !new.is_char_boundary(start) {
        start -= 1;
    }
    let room = old.len().min(new.len()) - start;
    let suffix = old.bytes().rev().zip(new.bytes().rev()).take(room).take_while(|(a, b)| a == b).count();
    let mut end = old.len() - suffix;
    while !old.is_char_boundary(end) {
        end += 1;
    }
    start..end
}

/// The blocks of `slice`, which starts at byte `offset` and line `line` of
/// the text; `link` as in [`Blocks::for_link`].
fn parse(slice: &str, offset: usize, line: u32, link: Option<&str>) -> Vec<Block> {
    let mut blocks: Vec<Block> = Vec::new();
    let mut lines = line;
    let mut counted = 0;
    for (start, html) in markdown::render_blocks(slice, link) {
        lines += line_count(&slice[counted..start]);
        counted = start;
        blocks.push(Block { start: offset + start, line: lines, html });
    }
    if let Some(first) = blocks.first_mut() {
        // The first block reaches back to the slice's start (blank lines before it are its own).
        first.start = offset;
        first.line = line;
    }
    blocks
}

/// The number of line breaks in `s`.
fn line_count(s: &str) -> u32 {
    s.bytes().filter(|&b| b == b'\n').count() as u32
}

/// Whether `text` may define link references (`[label]: url` at a line's
/// start), which reach across blocks.
fn has_reference_definitions(text: &str) -> bool {
    text.lines().any(|l| {
        let l = l.trim_start();
        l.starts_with('[') && l.contains("]:")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The HTML of the whole text, block by block.
    fn whole(blocks: &Blocks) -> String {
        blocks.blocks().iter().map(|b| b.html.as_str()).collect()
    }

    /// Blocks rendered from scratch for `text`.
    fn fresh(text: &str) -> Blocks {
        let mut b = Blocks::default();
        b.update(text);
        b
    }

    #[test]
    fn each_top_level_block_is_rendered_on_its_own_with_its_line() {
        let b = fresh("# Title\n\nSome *text*.\n\n- a\n- b\n\n```\ncode\n\nmore\n```\n");
        let lines: Vec<u32> = b.blocks().iter().map(|b| b.line).collect();
        assert_eq!(lines, [0, 2, 4, 7]);
        assert_eq!(b.blocks()[0].html, "<h1>Title</h1>\n");
        assert!(b.blocks()[3].html.starts_with("<pre><code>code\n\nmore"), "{:?}", b.blocks()[3]);
        assert_eq!(b.at_line(5), 2);
        assert_eq!(b.at_line(9), 3);
    }

    #[test]
    fn an_edit_inside_one_paragraph_renders_only_that_paragraph() {
        let mut b = fresh("one\n\ntwo\n\nthree\n\nfour\n\nfive\n");
        let patch = b.update("one\n\ntwo\n\nthr-e-e\n\nfour\n\nfive\n");
        assert!(patch.inserted.len() <= 3 && patch.removed == patch.inserted.len(), "{patch:?}");
        assert!(patch.inserted.iter().any(|x| x.html == "<p>thr-e-e</p>\n"));
        assert_eq!(whole(&b), whole(&fresh("one\n\ntwo\n\nthr-e-e\n\nfour\n\nfive\n")));
    }

    #[test]
    fn an_opened_fence_swallows_what_follows_and_a_closed_one_gives_it_back() {
        let text = "a\n\nb\n\nc\n\nd\n\ne\n";
        let mut b = fresh(text);
        b.update("a\n\n```\nb\n\nc\n\nd\n\ne\n");
        assert_eq!(whole(&b), whole(&fresh("a\n\n```\nb\n\nc\n\nd\n\ne\n")));
        b.update("a\n\n```\nb\n```\n\nc\n\nd\n\ne\n");
        assert_eq!(whole(&b), whole(&fresh("a\n\n```\nb\n```\n\nc\n\nd\n\ne\n")));
        assert_eq!(b.blocks(), fresh("a\n\n```\nb\n```\n\nc\n\nd\n\ne\n").blocks());
    }

    #[test]
    fn joining_and_splitting_lists_and_paragraphs_matches_a_fresh_render() {
        let steps = [
            "- a\n\npara\n\n- b\n",
            "- a\n\n- para\n\n- b\n",
            "- a\n- para\n- b\n",
            "- a\n- para\n\nb\n",
            "text\n===\n\nmore\n",
            "text\n\n===\n\nmore\n",
            "> quote\nlazy\n\n> next\n",
            "",
            "just one line",
            "just one line\n\n| a | b |\n|---|---|\n| 1 | 2 |\n",
        ];
        let mut b = Blocks::default();
        for step in steps {
            b.update(step);
            assert_eq!(b.blocks(), fresh(step).blocks(), "after {step:?}");
        }
    }

    #[test]
    fn random_edits_always_match_a_fresh_render() {
        let pieces = ["# h\n", "\n", "- item\n", "1. one\n", "```\n", "> q\n", "para *em*\n", "  indented\n", "---\n", "|a|\n|-|\n", "é😀\n", "x"];
        let mut seed = 12345u64;
        let mut next = |n: usize| {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (seed >> 33) as usize % n
        };
        let mut text = String::new();
        let mut b = Blocks::default();
        let (mut rendered, mut kept) = (0, 0);
        for _ in 0..400 {
            let at = {
                let mut i = next(text.len() + 1);
                while !text.is_char_boundary(i) {
                    i -= 1;
                }
                i
            };
            if next(3) == 0 && !text.is_empty() {
                let mut end = (at + next(12)).min(text.len());
                while !text.is_char_boundary(end) {
                    end += 1;
                }
                text.replace_range(at..end, "");
            } else {
                text.insert_str(at, pieces[next(pieces.len())]);
            }
            let patch = b.update(&text);
            rendered += patch.inserted.len();
            kept += b.blocks().len() - patch.inserted.len();
            assert_eq!(b.blocks(), fresh(&text).blocks(), "text {text:?}");
        }
        assert!(kept > rendered * 3, "edits rendered {rendered} blocks again and kept {kept}");
    }

    #[test]
    fn the_blocks_together_are_the_whole_render() {
        let text = "# T\n\npara\n- a\n- b\n\n> q\n\n```\nx\n```\n\n---\n<b>raw</b>\n\n![pic](https://x.example/p.png)\n";
        assert_eq!(whole(&fresh(text)), markdown::render(text));
    }

    #[test]
    fn reference_links_are_resolved_across_blocks() {
        let mut b = fresh("see [x][r]\n\nmiddle\n\n[r]: https://a.example\n");
        assert!(whole(&b).contains("href=\"https://a.example\""));
        b.update("see [x][r]\n\nmiddle!\n\n[r]: https://b.example\n");
        assert!(whole(&b).contains("href=\"https://b.example\""));
    }

    #[test]
    fn the_changed_range_keeps_to_char_boundaries() {
        assert_eq!(changed("aé", "aè"), 1..3);
        assert_eq!(changed("abc", "abc"), 3..3);
        assert_eq!(changed("abc", "abXc"), 2..2);
        assert_eq!(changed("abXc", "abc"), 2..3);
    }
}
