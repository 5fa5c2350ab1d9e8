//! Attachments in the SQLite store: written by the writer thread in seq order
//! with the document's other writes, read on the reader connection, deleted
//! with the document's other rows when it is deleted for good.

use crate::store::{Attachment, ImageType};
use rusqlite::{Connection, OptionalExtension, Transaction, params};
use tandem_sync::DocId;

/// The attachments table (schema 6). A table with a rowid, not `WITHOUT
/// ROWID`: its rows are large (an image each), which SQLite stores better
/// in a rowid table; `(doc_id, id)` is unique, so an image uploaded twice to
/// one document is stored once.
pub(super) const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS attachments (
    doc_id       TEXT NOT NULL,
    id           TEXT NOT NULL,
    content_type TEXT NOT NULL,
    bytes        BLOB NOT NULL,
    created_at   INTEGER NOT NULL,
    size         INTEGER NOT NULL,
    UNIQUE (doc_id, id)
);
";

/// Stores `attachment` of `doc` unless it has it (inside the writer's transaction).
pub(super) fn insert(tx: &Transaction<'_>, doc: &DocId, attachment: &Attachment, at: i64) -> rusqlite::Result<()> {
    tx.prepare_cached(
        "INSERT INTO attachments (doc_id, id, content_type, bytes, created_at, size) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (doc_id, id) DO NOTHING",
    )?
    .execute(params![
        doc.as_str(),
        attachment.id,
        attachment.content_type.mime(),
        attachment.bytes.as_ref(),
        at,
        attachment.bytes.len() as i64
    ])?;
    Ok(())
}

/// Attachment `id` of `doc`. One stored with a type this build does not
/// serve (none is written) reads as absent.
pub(super) fn read(conn: &mut Connection, doc: &DocId, id: &str) -> rusqlite::Result<Option<Attachment>> {
    let row = conn
        .prepare_cached("SELECT content_type, bytes FROM attachments WHERE doc_id = ?1 AND id = ?2")?
        .query_row(params![doc.as_str(), id], |r| Ok((r.get::<_, String>(0)?, r.get::<_, Vec<u8>>(1)?)))
        .optional()?;
    Ok(row.and_then(|(mime, bytes)| {
        let content_type = ImageType::from_mime(&mime)?;
        Some(Attachment { id: id.to_owned(), content_type, bytes: bytes.into() })
    }))
}
