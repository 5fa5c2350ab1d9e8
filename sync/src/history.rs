//! A document's history, without I/O: what a version stores, how a
//! version's document is rebuilt, the edit that brings a document back to a
//! version, and the line diff between two texts.
//!
//! A version stores the changes since the version before it (a v1 update
//! against that version's state vector: the blocks inserted since, and the
//! delete set as it is now), or the whole state (a checkpoint) once the
//! changes stored since the last checkpoint are as large as the state, or
//! after [`MAX_DELTAS`] of them ([`checkpoint_due`]). A version's document is
//! its last checkpoint with the deltas after it applied in order: storage
//! stays within about twice what changed, and opening one applies at most
//! [`MAX_DELTAS`] updates.

use crate::document::{self, ApplyError, CONTENT, TITLE};
use similar::{ChangeTag, TextDiff};
use yrs::updates::decoder::Decode;
use yrs::updates::encoder::Encode;
use yrs::{Doc, ReadTxn, StateVector, Text, Transact, TransactionMut};

/// Most versions stored as changes in a row: opening any version applies at most this many.
pub const MAX_DELTAS: u32 = 256;

/// Whether the next version is stored whole, after `deltas` versions of
/// `delta_bytes` stored as changes since the last checkpoint, for a document
/// whose state is `state_bytes`.
pub fn checkpoint_due(deltas: u32, delta_bytes: u64, state_bytes: u64) -> bool {
    deltas + 1 >= MAX_DELTAS || delta_bytes >= state_bytes
}

/// What a version stores.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    /// A v1 update: the whole state (a checkpoint) or the changes since the previous version.
    pub data: Vec<u8>,
    /// The document's state vector at this version (v1), what the next delta starts from.
    pub state_vector: Vec<u8>,
    /// Whether `data` is the whole state.
    pub checkpoint: bool,
}

/// The version of `doc` as it is now: the changes since the version whose
/// state vector is `previous`, or the whole state without one (or when
/// `checkpoint` is asked for).
pub fn record(doc: &Doc, previous: Option<&[u8]>, checkpoint: bool) -> Recorded {
    let txn = doc.transact();
    let since = match previous {
        Some(sv) if !checkpoint => StateVector::decode_v1(sv).ok(),
        _ => None,
    };
    let data = txn.encode_state_as_update_v1(since.as_ref().unwrap_or(&StateVector::default()));
    Recorded { data, state_vector: txn.state_vector().encode_v1(), checkpoint: since.is_none() }
}

/// A version's document, from its chain: a checkpoint, then the deltas after it in order.
pub fn rebuild<'a>(chain: impl IntoIterator<Item = &'a [u8]>) -> Result<Doc, ApplyError> {
    let doc = document::new_doc();
    for update in chain {
        document::apply_v1(&doc, update)?;
    }
    Ok(doc)
}

/// Turns `field`'s text, `current`, into `target` with the fewest
/// characters removed and inserted (a character diff), inside `txn`:
/// unchanged text keeps its identity, so concurrent edits elsewhere merge.
pub fn rewrite(txn: &mut TransactionMut<'_>, field: &yrs::TextRef, current: &str, target: &str) {
    // Back to front, so the offsets of changes still to make do not move.
    for (at, removed, inserted) in edits(current, target).into_iter().rev() {
        if removed > 0 {
            field.remove_range(txn, at, removed);
        }
        if !inserted.is_empty() {
            field.insert(txn, at, &inserted);
        }
    }
}

/// Makes `doc`'s title and body `title` and `text` in one transaction; its
/// v1 update, or `None` if they already were.
pub fn restore(doc: &Doc, title: &str, text: &str) -> Option<Vec<u8>> {
    let (current_title, current_text) = (document::title(doc), document::content(doc));
    if current_title == title && current_text == text {
        return None;
    }
    let (title_field, body) = (doc.get_or_insert_text(TITLE), doc.get_or_insert_text(CONTENT));
    let mut txn = doc.transact_mut();
    rewrite(&mut txn, &title_field, &current_title, title);
    rewrite(&mut txn, &body, &current_text, text);
    Some(txn.encode_update_v1())
}

/// The changes from `old` to `new`, in order: (UTF-16 offset in `old`,
/// UTF-16 units removed, text inserted there). Offsets count UTF-16 code
/// units, as the document's positions do.
pub fn edits(old: &str, new: &str) -> Vec<(u32, u32, String)> {
    let diff = TextDiff::from_chars(old, new);
    let mut out: Vec<(u32, u32, String)> = Vec::new();
    let mut at = 0u32;
    for change in diff.iter_all_changes() {
        let units = change.value().encode_utf16().count() as u32;
        match change.tag() {
            ChangeTag::Equal => at += units,
            ChangeTag::Delete => {
                match out.last_mut() {
                    Some((start, removed, inserted)) if *start + *removed == at && inserted.is_empty() => *removed += units,
                    _ => out.push((at, units, String::new())),
                }
                at += units;
            }
            ChangeTag::Insert => match out.last_mut() {
                Some((start, removed, inserted)) if *start + *removed == at => inserted.push_str(change.value()),
                _ => out.push((at, 0, change.value().to_owned())),
            },
        }
    }
    out
}

/// A unified diff of `old` and `new` by lines (`-` removed, `+` added, three
/// lines of context), with `from` and `to` as the file names in its header.
pub fn unified(old: &str, new: &str, from: &str, to: &str) -> String {
    TextDiff::from_lines(old, new).unified_diff().context_radius(3).header(from, to).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc_with(title: &str, text: &str) -> Doc {
        let doc = document::new_doc();
        document::insert(&doc, TITLE, 0, title);
        document::insert(&doc, CONTENT, 0, text);
        doc
    }

    fn set_text(doc: &Doc, text: &str) {
        let body = doc.get_or_insert_text(CONTENT);
        let current = document::content(doc);
        let mut txn = doc.transact_mut();
        rewrite(&mut txn, &body, &current, text);
    }

    #[test]
    fn a_chain_of_deltas_rebuilds_every_version() {
        let doc = doc_with("Plan", "one\ntwo\n");
        let mut chain = vec![record(&doc, None, false)];
        let mut texts = vec![document::content(&doc)];
        for step in ["one\ntwo\nthree 😀\n", "two\nthree 😀\n", "two\nthree 😀\nfour\n"] {
            set_text(&doc, step);
            let previous = chain.last().unwrap().state_vector.clone();
            chain.push(record(&doc, Some(&previous), false));
            texts.push(step.to_owned());
        }
        assert!(chain[0].checkpoint && chain[1..].iter().all(|r| !r.checkpoint));
        for k in 0..chain.len() {
            let version = rebuild(chain[..=k].iter().map(|r| r.data.as_slice())).unwrap();
            assert_eq!(document::content(&version), texts[k], "version {k}");
            assert_eq!(document::title(&version), "Plan");
        }
        // A checkpoint alone rebuilds its version.
        let whole = record(&doc, Some(&chain[2].state_vector), true);
        assert!(whole.checkpoint);
        assert_eq!(document::content(&rebuild([whole.data.as_slice()]).unwrap()), texts[3]);
    }

    #[test]
    fn a_checkpoint_comes_once_the_changes_weigh_as_much_as_the_state() {
        assert!(!checkpoint_due(3, 10_000, 200_000));
        assert!(checkpoint_due(3, 200_000, 200_000));
        assert!(checkpoint_due(MAX_DELTAS - 1, 0, 200_000));
    }

    #[test]
    fn a_delta_costs_what_changed_not_the_documents_size() {
        let big = "lorem ipsum dolor sit amet\n".repeat(4000);
        let doc = doc_with("", &big);
        let first = record(&doc, None, false);
        set_text(&doc, &format!("{}{}", &big[..50_000], &big[50_100..]));
        let delta = record(&doc, Some(&first.state_vector), false);
        assert!(first.data.len() > 100_000);
        assert!(delta.data.len() < 200, "{} bytes", delta.data.len());
    }

    #[test]
    fn restoring_changes_only_what_differs_and_merges_with_concurrent_edits() {
        let doc = doc_with("Old title", "keep this\nvandalized\nand this\n");
        let offline = document::new_doc();
        document::apply_v1(&offline, &doc.transact().encode_state_as_update_v1(&StateVector::default())).unwrap();
        let update = restore(&doc, "New title", "keep this\nrestored\nand this\n").unwrap();
        assert_eq!(document::content(&doc), "keep this\nrestored\nand this\n");
        assert_eq!(document::title(&doc), "New title");
        assert!(restore(&doc, "New title", "keep this\nrestored\nand this\n").is_none(), "nothing left to change");
        // Someone offline added a line at the end meanwhile: both survive.
        let appended = document::insert(&offline, CONTENT, "keep this\nvandalized\nand this\n".encode_utf16().count() as u32, "theirs\n");
        document::apply_v1(&doc, &appended).unwrap();
        document::apply_v1(&offline, &update).unwrap();
        assert_eq!(document::content(&doc), "keep this\nrestored\nand this\ntheirs\n");
        assert_eq!(document::content(&offline), document::content(&doc));
    }

    #[test]
    fn edits_count_utf16_units() {
        assert_eq!(edits("a😀b", "a😀cb"), vec![(3, 0, "c".to_owned())]);
        assert_eq!(edits("a😀b", "ab"), vec![(1, 2, String::new())]);
        assert_eq!(edits("same", "same"), vec![]);
    }

    #[test]
    fn the_unified_diff_marks_removed_and_added_lines() {
        let diff = unified("a\nb\nc\n", "a\nB\nc\n", "v1", "current");
        assert!(diff.starts_with("--- v1\n+++ current\n"), "{diff}");
        assert!(diff.contains("-b\n") && diff.contains("+B\n"), "{diff}");
    }
}
