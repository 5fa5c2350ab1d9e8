//! Versions in the PostgreSQL store: written by the writer in seq order
//! with the updates they follow, read on the reader connection.

use crate::store::{ChainEnd, NewVersion, VersionKind, VersionMeta};
use postgres::{Client, Row, Transaction};
use tandem_sync::DocId;

/// The columns [`meta_row`] reads, in order.
const META_COLUMNS: &str = "id, created_at, label, kind, authors";

fn meta_row(r: &Row) -> Result<VersionMeta, postgres::Error> {
    let authors: String = r.try_get(4)?;
    Ok(VersionMeta {
        id: r.try_get(0)?,
        created_at: r.try_get(1)?,
        label: r.try_get(2)?,
        kind: VersionKind::parse(&r.try_get::<_, String>(3)?),
        // Written by us as a JSON array of names; anything else reads as none.
        authors: serde_json::from_str(&authors).unwrap_or_default(),
    })
}

/// Stores `version` of `doc` with id `seq` (inside the writer's transaction);
/// a no-op if it is stored already (a commit retried after its answer was lost).
pub(super) fn insert(tx: &mut Transaction<'_>, seq: u64, doc: &DocId, version: &NewVersion, at: i64) -> Result<(), postgres::Error> {
    let authors = serde_json::to_string(&version.authors).unwrap_or_else(|_| "[]".into());
    let recorded = &version.recorded;
    tx.execute(
        "INSERT INTO versions (id, doc, created_at, kind, label, authors, checkpoint, data, state_vector)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (id) DO NOTHING",
        &[
            &(seq as i64),
            &doc.as_str(),
            &at,
            &version.kind.as_str(),
            &version.label,
            &authors,
            &recorded.checkpoint,
            &recorded.data,
            &recorded.state_vector,
        ],
    )?;
    Ok(())
}

/// The versions of `doc`, newest first.
pub(super) fn list(client: &mut Client, doc: &DocId) -> Result<Vec<VersionMeta>, postgres::Error> {
    let sql = format!("SELECT {META_COLUMNS} FROM versions WHERE doc = $1 ORDER BY id DESC");
    client.query(&sql, &[&doc.as_str()])?.iter().map(meta_row).collect()
}

/// Version `id` of `doc` and its chain: its last checkpoint and every version after it, up to it.
pub(super) fn chain(client: &mut Client, doc: &DocId, id: i64) -> Result<Option<(VersionMeta, Vec<Vec<u8>>)>, postgres::Error> {
    let mut tx = client.build_transaction().read_only(true).isolation_level(postgres::IsolationLevel::RepeatableRead).start()?;
    let sql = format!("SELECT {META_COLUMNS} FROM versions WHERE doc = $1 AND id = $2");
    let Some(row) = tx.query_opt(&sql, &[&doc.as_str(), &id])? else { return Ok(None) };
    let meta = meta_row(&row)?;
    let start: i64 = tx
        .query_one("SELECT coalesce(max(id), 0) FROM versions WHERE doc = $1 AND id <= $2 AND checkpoint", &[&doc.as_str(), &id])?
        .try_get(0)?;
    let rows = tx.query("SELECT data FROM versions WHERE doc = $1 AND id >= $2 AND id <= $3 ORDER BY id", &[&doc.as_str(), &start, &id])?;
    let data = rows.iter().map(|r| r.try_get(0)).collect::<Result<_, _>>()?;
    tx.commit()?;
    Ok(Some((meta, data)))
}

/// Where `doc`'s chain ends: its last version's state vector and how many
/// versions since its last checkpoint.
pub(super) fn chain_end(client: &mut Client, doc: &DocId) -> Result<Option<ChainEnd>, postgres::Error> {
    let mut tx = client.build_transaction().read_only(true).isolation_level(postgres::IsolationLevel::RepeatableRead).start()?;
    let last = tx.query_opt("SELECT id, state_vector FROM versions WHERE doc = $1 ORDER BY id DESC LIMIT 1", &[&doc.as_str()])?;
    let Some(last) = last else { return Ok(None) };
    let (last, state_vector): (i64, Vec<u8>) = (last.try_get(0)?, last.try_get(1)?);
    let row = tx.query_one(
        "SELECT count(*), coalesce(sum(length(data)), 0)::BIGINT FROM versions WHERE doc = $1 AND id <= $2
         AND id > (SELECT coalesce(max(id), 0) FROM versions WHERE doc = $1 AND checkpoint)",
        &[&doc.as_str(), &last],
    )?;
    let (since, bytes): (i64, i64) = (row.try_get(0)?, row.try_get(1)?);
    tx.commit()?;
    Ok(Some(ChainEnd { state_vector, since_checkpoint: since.max(0) as u32, bytes_since_checkpoint: bytes.max(0) as u64 }))
}

/// Every document with versions.
pub(super) fn docs(client: &mut Client) -> Result<Vec<String>, postgres::Error> {
    client.query("SELECT DISTINCT doc FROM versions", &[])?.iter().map(|r| r.try_get(0)).collect()
}

/// Removes versions `ids` of `doc`, oldest first, each merged into the next
/// (which becomes a checkpoint if the removed one was). A version with none
/// after it, or whose data does not merge, is kept.
pub(super) fn thin(tx: &mut Transaction<'_>, doc: &DocId, ids: &[i64]) -> Result<(), postgres::Error> {
    let mut ids = ids.to_vec();
    ids.sort_unstable();
    for id in ids {
        let row = tx.query_opt("SELECT data, checkpoint FROM versions WHERE doc = $1 AND id = $2", &[&doc.as_str(), &id])?;
        let Some(row) = row else { continue };
        let (data, checkpoint): (Vec<u8>, bool) = (row.try_get(0)?, row.try_get(1)?);
        let next = tx.query_opt(
            "SELECT id, data, checkpoint FROM versions WHERE doc = $1 AND id > $2 ORDER BY id LIMIT 1",
            &[&doc.as_str(), &id],
        )?;
        let Some(next) = next else { continue };
        let (next_id, next_data, next_checkpoint): (i64, Vec<u8>, bool) = (next.try_get(0)?, next.try_get(1)?, next.try_get(2)?);
        let merged = if next_checkpoint { Ok(next_data) } else { yrs::merge_updates_v1([data.as_slice(), next_data.as_slice()]) };
        let Ok(merged) = merged else {
            tracing::warn!(doc = %doc, version = id, "a version's changes did not merge; it is kept");
            continue;
        };
        tx.execute("UPDATE versions SET data = $2, checkpoint = $3 WHERE id = $1", &[&next_id, &merged, &(checkpoint || next_checkpoint)])?;
        tx.execute("DELETE FROM versions WHERE id = $1", &[&id])?;
    }
    Ok(())
}
