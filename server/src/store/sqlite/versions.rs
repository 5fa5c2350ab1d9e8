//! Versions in the SQLite store: written by the writer thread in seq order
//! with the updates they follow, read on the reader connection.

use crate::store::{ChainEnd, NewVersion, VersionKind, VersionMeta};
use rusqlite::{Connection, OptionalExtension, Row, Transaction, params};
use tandem_sync::DocId;

/// The columns [`meta_row`] reads, in order.
const META_COLUMNS: &str = "id, created_at, label, kind, authors";

fn meta_row(r: &Row<'_>) -> rusqlite::Result<VersionMeta> {
    let authors: String = r.get(4)?;
    Ok(VersionMeta {
        id: r.get(0)?,
        created_at: r.get(1)?,
        label: r.get(2)?,
        kind: VersionKind::parse(&r.get::<_, String>(3)?),
        // Written by us as a JSON array of names; anything else reads as none.
        authors: serde_json::from_str(&authors).unwrap_or_default(),
    })
}

/// Stores `version` of `doc` with id `seq` (inside the writer's transaction).
pub(super) fn insert(tx: &Transaction<'_>, seq: u64, doc: &DocId, version: &NewVersion, at: i64) -> rusqlite::Result<()> {
    let authors = serde_json::to_string(&version.authors).unwrap_or_else(|_| "[]".into());
    let recorded = &version.recorded;
    tx.prepare_cached(
        "INSERT INTO versions (id, doc, created_at, kind, label, authors, checkpoint, data, state_vector)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![
        seq as i64,
        doc.as_str(),
        at,
        version.kind.as_str(),
        version.label,
        authors,
        recorded.checkpoint,
        recorded.data,
        recorded.state_vector
    ])?;
    Ok(())
}

/// The versions of `doc`, newest first.
pub(super) fn list(conn: &mut Connection, doc: &DocId) -> rusqlite::Result<Vec<VersionMeta>> {
    let mut stmt = conn.prepare_cached(&format!("SELECT {META_COLUMNS} FROM versions WHERE doc = ?1 ORDER BY id DESC"))?;
    stmt.query_map([doc.as_str()], meta_row)?.collect()
}

/// Version `id` of `doc` and its chain: its last checkpoint and every version after it, up to it.
pub(super) fn chain(conn: &mut Connection, doc: &DocId, id: i64) -> rusqlite::Result<Option<(VersionMeta, Vec<Vec<u8>>)>> {
    let tx = conn.transaction()?;
    let sql = format!("SELECT {META_COLUMNS} FROM versions WHERE doc = ?1 AND id = ?2");
    let Some(meta) = tx.prepare_cached(&sql)?.query_row(params![doc.as_str(), id], meta_row).optional()? else {
        return Ok(None);
    };
    let start: i64 = tx
        .prepare_cached("SELECT coalesce(max(id), 0) FROM versions WHERE doc = ?1 AND id <= ?2 AND checkpoint")?
        .query_row(params![doc.as_str(), id], |r| r.get(0))?;
    let mut stmt = tx.prepare_cached("SELECT data FROM versions WHERE doc = ?1 AND id >= ?2 AND id <= ?3 ORDER BY id")?;
    let data = stmt.query_map(params![doc.as_str(), start, id], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
    drop(stmt);
    Ok(Some((meta, data)))
}

/// Where `doc`'s chain ends: its last version's state vector and how many
/// versions since its last checkpoint.
pub(super) fn chain_end(conn: &mut Connection, doc: &DocId) -> rusqlite::Result<Option<ChainEnd>> {
    let tx = conn.transaction()?;
    let last = tx
        .prepare_cached("SELECT id, state_vector FROM versions WHERE doc = ?1 ORDER BY id DESC LIMIT 1")?
        .query_row([doc.as_str()], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, Vec<u8>>(1)?)))
        .optional()?;
    let Some((last, state_vector)) = last else { return Ok(None) };
    let (since, bytes): (i64, i64) = tx
        .prepare_cached(
            "SELECT count(*), coalesce(sum(length(data)), 0) FROM versions WHERE doc = ?1 AND id <= ?2
             AND id > (SELECT coalesce(max(id), 0) FROM versions WHERE doc = ?1 AND checkpoint)",
        )?
        .query_row(params![doc.as_str(), last], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(Some(ChainEnd { state_vector, since_checkpoint: since.max(0) as u32, bytes_since_checkpoint: bytes.max(0) as u64 }))
}

/// Every document with versions.
pub(super) fn docs(conn: &mut Connection) -> rusqlite::Result<Vec<String>> {
    let mut stmt = conn.prepare_cached("SELECT DISTINCT doc FROM versions")?;
    stmt.query_map([], |r| r.get(0))?.collect()
}

/// Removes versions `ids` of `doc`, oldest first, each merged into the next
/// (which becomes a checkpoint if the removed one was). A version with none
/// after it, or whose data does not merge, is kept.
pub(super) fn thin(tx: &Transaction<'_>, doc: &DocId, ids: &[i64]) -> rusqlite::Result<()> {
    let mut ids = ids.to_vec();
    ids.sort_unstable();
    for id in ids {
        let row = tx
            .prepare_cached("SELECT data, checkpoint FROM versions WHERE doc = ?1 AND id = ?2")?
            .query_row(params![doc.as_str(), id], |r| Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, bool>(1)?)))
            .optional()?;
        let Some((data, checkpoint)) = row else { continue };
        let next = tx
            .prepare_cached("SELECT id, data, checkpoint FROM versions WHERE doc = ?1 AND id > ?2 ORDER BY id LIMIT 1")?
            .query_row(params![doc.as_str(), id], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, Vec<u8>>(1)?, r.get::<_, bool>(2)?)))
            .optional()?;
        let Some((next_id, next_data, next_checkpoint)) = next else { continue };
        let merged = if next_checkpoint { Ok(next_data) } else { yrs::merge_updates_v1([data.as_slice(), next_data.as_slice()]) };
        let Ok(merged) = merged else {
            tracing::warn!(doc = %doc, version = id, "a version's changes did not merge; it is kept");
            continue;
        };
        tx.prepare_cached("UPDATE versions SET data = ?2, checkpoint = ?3 WHERE id = ?1")?
            .execute(params![next_id, merged, checkpoint || next_checkpoint])?;
        tx.prepare_cached("DELETE FROM versions WHERE id = ?1")?.execute([id])?;
    }
    Ok(())
}
