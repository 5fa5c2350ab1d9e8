//! Attachments in the PostgreSQL store: written by the writer in seq order
//! with the document's other writes, read on the reader connection, deleted
//! with the document's other rows when it is deleted for good.

use crate::store::{Attachment, ImageType};
use postgres::{Client, Transaction};
use tandem_sync::DocId;

/// Stores `attachment` of `doc` unless it has it (inside the writer's transaction).
pub(super) fn insert(tx: &mut Transaction<'_>, doc: &DocId, attachment: &Attachment, at: i64) -> Result<(), postgres::Error> {
    tx.execute(
        "INSERT INTO attachments (doc_id, id, content_type, bytes, created_at, size) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (doc_id, id) DO NOTHING",
        &[
            &doc.as_str(),
            &attachment.id,
            &attachment.content_type.mime(),
            &attachment.bytes.as_ref(),
            &at,
            &(attachment.bytes.len() as i64),
        ],
    )?;
    Ok(())
}

/// Attachment `id` of `doc`. One stored with a type this build does not
/// serve (none is written) reads as absent.
pub(super) fn read(client: &mut Client, doc: &DocId, id: &str) -> Result<Option<Attachment>, postgres::Error> {
    let row = client.query_opt("SELECT content_type, bytes FROM attachments WHERE doc_id = $1 AND id = $2", &[&doc.as_str(), &id])?;
    let Some(row) = row else { return Ok(None) };
    let (mime, bytes): (String, Vec<u8>) = (row.try_get(0)?, row.try_get(1)?);
    Ok(ImageType::from_mime(&mime).map(|content_type| Attachment { id: id.to_owned(), content_type, bytes: bytes.into() }))
}
