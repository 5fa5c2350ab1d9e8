//! `tandem migrate` on the PostgreSQL side: every table read in one
//! snapshot, or written in one transaction, as engine-neutral values. The
//! columns only PostgreSQL has are derived as they are written: each
//! document's log numbers (`updates.n`, `docs.head`), the identity counters
//! of tokens, invites and links, and the seq epoch (so that seqs and version
//! ids written later stay above every copied one).

use super::SEQ_BITS;
use crate::store::migrate::{Kind, Rows, Table, Value, select};
use postgres::types::ToSql;
use postgres::{Client, Row, Transaction};

/// Every table's rows, in `tables` order, from one snapshot.
pub(in crate::store) fn read(client: &mut Client, tables: &[Table]) -> Result<Vec<Rows>, postgres::Error> {
    let mut tx = client.build_transaction().read_only(true).isolation_level(postgres::IsolationLevel::RepeatableRead).start()?;
    let mut all = Vec::new();
    for table in tables {
        let rows = tx.query(&select(table), &[])?;
        all.push(rows.iter().map(|row| values(row, table)).collect::<Result<Rows, _>>()?);
    }
    tx.commit()?;
    Ok(all)
}

fn values(row: &Row, table: &Table) -> Result<Vec<Value>, postgres::Error> {
    table.columns.iter().enumerate().map(|(i, (_, kind))| value(row, i, *kind)).collect()
}

fn value(row: &Row, i: usize, kind: Kind) -> Result<Value, postgres::Error> {
    Ok(match kind {
        Kind::Int => Value::Int(row.try_get(i)?),
        Kind::Text => Value::Text(row.try_get(i)?),
        Kind::MaybeText => row.try_get::<_, Option<String>>(i)?.map_or(Value::Null, Value::Text),
        Kind::Bytes => Value::Bytes(row.try_get(i)?),
        Kind::MaybeBytes => row.try_get::<_, Option<Vec<u8>>>(i)?.map_or(Value::Null, Value::Bytes),
        Kind::Bool => Value::Bool(row.try_get(i)?),
    })
}

/// Inserts every table's rows (`tables` order) in one transaction.
pub(in crate::store) fn write(client: &mut Client, tables: &[Table], rows: &[Rows]) -> Result<(), postgres::Error> {
    let mut tx = client.transaction()?;
    for (table, rows) in tables.iter().zip(rows) {
        insert(&mut tx, table, rows)?;
    }
    derive_counters(&mut tx)?;
    tx.commit()?;
    Ok(())
}

/// Tables whose ids PostgreSQL generates: copied ids are kept.
const IDENTITY_TABLES: [&str; 3] = ["api_tokens", "invites", "links"];

fn insert(tx: &mut Transaction<'_>, table: &Table, rows: &Rows) -> Result<(), postgres::Error> {
    let mut columns: Vec<&str> = table.columns.iter().map(|(c, _)| *c).collect();
    let numbered = table.name == "updates";
    if numbered {
        columns.push("n");
    }
    let marks: Vec<String> = (1..=columns.len()).map(|i| format!("${i}")).collect();
    let overriding = if IDENTITY_TABLES.contains(&table.name) { " OVERRIDING SYSTEM VALUE" } else { "" };
    let sql = format!("INSERT INTO {} ({}){overriding} VALUES ({})", table.name, columns.join(", "), marks.join(", "));
    let statement = tx.prepare(&sql)?;
    // The log's rows come in (doc_id, seq) order: each document's are numbered 1, 2, …
    let (mut doc, mut n) = (None::<&Value>, 0i64);
    for row in rows {
        let mut params: Vec<Box<dyn ToSql + Sync>> = row.iter().map(param).collect();
        if numbered {
            n = if doc == row.first() { n + 1 } else { 1 };
            doc = row.first();
            params.push(Box::new(n));
        }
        let refs: Vec<&(dyn ToSql + Sync)> = params.iter().map(|p| p.as_ref()).collect();
        tx.execute(&statement, &refs)?;
    }
    Ok(())
}

fn param(value: &Value) -> Box<dyn ToSql + Sync> {
    match value {
        Value::Null => Box::new(None::<String>),
        Value::Int(n) => Box::new(*n),
        Value::Text(s) => Box::new(s.clone()),
        Value::Bytes(b) => Box::new(b.clone()),
        Value::Bool(b) => Box::new(*b),
    }
}

/// After the copy: each document's log head, the identity counters, and a
/// seq epoch above every copied seq and version id.
fn derive_counters(tx: &mut Transaction<'_>) -> Result<(), postgres::Error> {
    tx.execute("UPDATE docs SET head = coalesce((SELECT max(n) FROM updates WHERE doc_id = docs.id), 0)", &[])?;
    for table in IDENTITY_TABLES {
        let sql = format!("SELECT setval(pg_get_serial_sequence('{table}', 'id'), coalesce(max(id), 0) + 1, false) FROM {table}");
        tx.execute(&sql, &[])?;
    }
    let highest: i64 = tx
        .query_one(
            "SELECT greatest((SELECT coalesce(max(seq), 0) FROM updates), (SELECT coalesce(max(snapshot_seq), 0) FROM docs),
                             (SELECT coalesce(max(id), 0) FROM versions))",
            &[],
        )?
        .try_get(0)?;
    let epoch = (highest >> SEQ_BITS) + 1;
    tx.execute("SELECT setval('store_epochs', $1)", &[&epoch])?;
    Ok(())
}
