//! The shape of a Tandem document, shared by browser and server: two root
//! texts, positions in UTF-16 code units, updates in the v1 encoding.

use yrs::updates::decoder::Decode;
use yrs::{Doc, GetString, OffsetKind, Options, ReadTxn, Text, Transact, Update};

/// Name of the root `Y.Text` that holds a document's Markdown body.
pub const CONTENT: &str = "content";
/// Name of the root `Y.Text` that holds a document's title.
pub const TITLE: &str = "title";

/// A new, empty document that counts text positions in UTF-16 code units, as JavaScript does.
pub fn new_doc() -> Doc {
    Doc::with_options(Options { offset_kind: OffsetKind::Utf16, ..Options::default() })
}

/// The plain text of the root text named `name`, or `""` if the document has none.
pub fn root_text<T: ReadTxn>(txn: &T, name: &str) -> String {
    txn.get_text(name).map(|t| t.get_string(txn)).unwrap_or_default()
}

/// The document's body text.
pub fn content(doc: &Doc) -> String {
    root_text(&doc.transact(), CONTENT)
}

/// The document's title text.
pub fn title(doc: &Doc) -> String {
    root_text(&doc.transact(), TITLE)
}

/// Longest excerpt [`excerpt`] returns, in characters.
pub const EXCERPT_CHARS: usize = 80;

/// What a listing shows for a document without a title: the first line of its
/// body that has text, without a Markdown heading's `#`s, at most
/// [`EXCERPT_CHARS`] characters; `""` for an empty body.
pub fn excerpt(body: &str) -> String {
    let line = body.lines().map(|l| l.trim().trim_start_matches('#').trim_start()).find(|l| !l.is_empty());
    line.unwrap_or_default().chars().take(EXCERPT_CHARS).collect()
}

/// Inserts `text` at UTF-16 offset `index` of the root text `root`, in one
/// transaction, and returns that transaction's v1 update.
pub fn insert(doc: &Doc, root: &str, index: u32, text: &str) -> Vec<u8> {
    let field = doc.get_or_insert_text(root);
    let mut txn = doc.transact_mut();
    field.insert(&mut txn, index, text);
    txn.encode_update_v1()
}

/// The v1 update of a fresh document whose root text `root` holds `text`.
pub fn fresh_update(root: &str, text: &str) -> Vec<u8> {
    insert(&new_doc(), root, 0, text)
}

/// Why an update could not be applied to a document.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    /// The bytes are not a v1 update.
    #[error("update does not decode: {0}")]
    Decode(#[from] yrs::encoding::read::Error),
    /// The update decodes but does not integrate.
    #[error("update does not apply: {0}")]
    Apply(#[from] yrs::error::UpdateError),
}

/// Decodes a v1 update and applies it to `doc`.
pub fn apply_v1(doc: &Doc, update: &[u8]) -> Result<(), ApplyError> {
    let update = Update::decode_v1(update)?;
    Ok(doc.transact_mut().apply_update(update)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fresh_update_rebuilds_its_text_in_utf16_positions() {
        let doc = new_doc();
        apply_v1(&doc, &fresh_update(CONTENT, "a😀c")).unwrap();
        insert(&doc, CONTENT, 3, "b");
        assert_eq!(content(&doc), "a😀bc");
        assert_eq!(title(&doc), "");
    }

    #[test]
    fn the_excerpt_is_the_first_line_with_text() {
        assert_eq!(excerpt("\n  \n## Shopping list  \nmilk"), "Shopping list");
        assert_eq!(excerpt("plain\nsecond"), "plain");
        assert_eq!(excerpt(" \n#\n"), "");
        assert_eq!(excerpt(""), "");
        assert_eq!(excerpt(&"é".repeat(200)).chars().count(), EXCERPT_CHARS);
    }
}
