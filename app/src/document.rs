//! The shape of a Tandem document, shared by browser and server.

use yrs::{Doc, GetString, OffsetKind, Options, ReadTxn, Transact};

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
