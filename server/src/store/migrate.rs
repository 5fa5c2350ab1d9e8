//! Moving a whole store between engines (`tandem migrate`): every row of
//! every table — documents and their logs, versions, attachments, accounts,
//! sessions, tokens, invites, access, links, the trash — read from one
//! engine and written to the other in one transaction, then read back from
//! both and compared table by table. The tables are listed once here with
//! their columns ([`TABLES`]); each engine only reads and writes [`Value`]s.

use super::{PgStore, SqliteStore, StoreError};
use std::path::Path;

/// A column's type, as both engines store it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Int,
    Text,
    /// Text that may be NULL.
    MaybeText,
    Bytes,
    /// Bytes that may be NULL.
    MaybeBytes,
    /// A boolean (an integer 0/1 in SQLite).
    Bool,
}

/// One cell, engine-neutral.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Value {
    Null,
    Int(i64),
    Text(String),
    Bytes(Vec<u8>),
    Bool(bool),
}

/// A table and its columns; the first `key` columns identify a row (rows
/// are compared in their order).
pub(super) struct Table {
    pub(super) name: &'static str,
    pub(super) columns: &'static [(&'static str, Kind)],
    pub(super) key: usize,
}

use Kind::{Bool, Bytes, Int, MaybeBytes, MaybeText, Text};


/// Every table of a store, in an order that inserts cleanly.
const TABLES: [Table; 12] = [
    Table {
        name: "docs",
        columns: &[("id", Text), ("title", Text), ("excerpt", Text), ("created_at", Int), ("updated_at", Int), ("snapshot", MaybeBytes), ("snapshot_seq", Int), ("size", Int)],
        key: 1,
    },
    Table { name: "updates", columns: &[("doc_id", Text), ("seq", Int), ("data", Bytes)], key: 2 },
    Table { name: "users", columns: &[("username", Text), ("password_hash", Text), ("admin", Bool), ("created_at", Int)], key: 1 },
    Table { name: "sessions", columns: &[("token_hash", Bytes), ("username", Text), ("created_at", Int), ("expires_at", Int)], key: 1 },
    Table { name: "api_tokens", columns: &[("id", Int), ("token_hash", Bytes), ("username", Text), ("name", Text), ("created_at", Int)], key: 1 },
    Table {
        name: "invites",
        columns: &[("id", Int), ("token_hash", Bytes), ("admin", Bool), ("created_by", Text), ("created_at", Int), ("expires_at", Int)],
        key: 1,
    },
    Table { name: "access", columns: &[("doc", Text), ("owner", MaybeText), ("workspace", Text)], key: 1 },
    Table { name: "members", columns: &[("doc", Text), ("username", Text), ("role", Text)], key: 2 },
    Table { name: "links", columns: &[("id", Int), ("token_hash", Bytes), ("doc", Text), ("role", Text), ("created_at", Int)], key: 1 },
    Table {
        name: "versions",
        columns: &[
            ("id", Int),
            ("doc", Text),
            ("created_at", Int),
            ("kind", Text),
            ("label", MaybeText),
            ("authors", Text),
            ("checkpoint", Bool),
            ("data", Bytes),
            ("state_vector", Bytes),
        ],
        key: 1,
    },
    Table { name: "trash", columns: &[("doc", Text), ("deleted_at", Int), ("deleted_by", Text)], key: 1 },
    Table {
        name: "attachments",
        columns: &[("doc_id", Text), ("id", Text), ("content_type", Text), ("bytes", Bytes), ("created_at", Int), ("size", Int)],
        key: 2,
    },
];

/// Where a store is: a data directory (SQLite) or a PostgreSQL URL.
#[derive(Debug, Clone)]
pub enum Location {
    /// The SQLite store in this data directory.
    Dir(std::path::PathBuf),
    /// The PostgreSQL database at this URL.
    Postgres(String),
}

impl Location {
    /// A `postgres://` or `postgresql://` URL, else a directory.
    pub fn parse(raw: &str) -> Self {
        if raw.starts_with("postgres://") || raw.starts_with("postgresql://") {
            Location::Postgres(raw.to_owned())
        } else {
            Location::Dir(raw.into())
        }
    }
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Location::Dir(dir) => write!(f, "{}", dir.display()),
            Location::Postgres(url) => f.write_str(&super::redacted(url)),
        }
    }
}

/// What was moved: rows per table, in [`TABLES`] order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Moved(pub Vec<(&'static str, usize)>);

impl Moved {
    /// Rows of `table`.
    pub fn rows(&self, table: &str) -> usize {
        self.0.iter().find(|(t, _)| *t == table).map_or(0, |(_, n)| *n)
    }
}

/// Why a migration did not happen (nothing is written to `to` then, or its
/// one transaction is rolled back).
#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    /// A store could not be opened or read or written.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The destination already holds documents or accounts.
    #[error("{0} is not empty; migrate into a new data directory or an empty database")]
    NotEmpty(String),
    /// Source and destination are the same kind and place.
    #[error("--from and --to name the same store")]
    Same,
    /// Read back, the destination differs from the source (a bug; it says where).
    #[error("the copy differs from {from} in table {table}; the copy in {to} is not to be used")]
    Differs {
        /// The source.
        from: String,
        /// The destination.
        to: String,
        /// The first table that differs.
        table: &'static str,
    },
}

/// Copies every row of the store at `from` into the empty store at `to`,
/// then compares both, table by table. No server may use either meanwhile
/// (a SQLite store's lock keeps one off; for PostgreSQL, stop the servers).
pub fn migrate(from: &Location, to: &Location) -> Result<Moved, MigrateError> {
    if matches!((from, to), (Location::Dir(a), Location::Dir(b)) if a == b) || matches!((from, to), (Location::Postgres(a), Location::Postgres(b)) if a == b) {
        return Err(MigrateError::Same);
    }
    // Opening each store creates or migrates its tables and (SQLite) takes its lock.
    let source = Engine::open(from)?;
    let destination = Engine::open(to)?;
    if !destination.is_empty()? {
        return Err(MigrateError::NotEmpty(to.to_string()));
    }
    let tables = source.read_all()?;
    destination.write_all(&tables)?;
    let copied = destination.read_all()?;
    for (table, (ours, theirs)) in TABLES.iter().zip(tables.iter().zip(&copied)) {
        if ours != theirs {
            return Err(MigrateError::Differs { from: from.to_string(), to: to.to_string(), table: table.name });
        }
    }
    Ok(Moved(TABLES.iter().zip(&tables).map(|(t, rows)| (t.name, rows.len())).collect()))
}

/// Rows of one table, ordered by its key.
pub(super) type Rows = Vec<Vec<Value>>;

/// An opened store, read and written table by table through connections
/// of its own. The store itself is held open meanwhile: its tables are
/// created or migrated, and a SQLite store's lock keeps a server off it.
struct Engine<'a> {
    _open: Box<dyn super::Store>,
    at: &'a Location,
}

impl<'a> Engine<'a> {
    fn open(at: &'a Location) -> Result<Self, StoreError> {
        let open: Box<dyn super::Store> = match at {
            Location::Dir(dir) => Box::new(SqliteStore::open(dir)?),
            Location::Postgres(url) => Box::new(PgStore::open(url)?),
        };
        Ok(Engine { _open: open, at })
    }

    /// Whether it holds no document, account or version.
    fn is_empty(&self) -> Result<bool, StoreError> {
        let sql = "SELECT (SELECT count(*) FROM docs) + (SELECT count(*) FROM users) + (SELECT count(*) FROM versions)";
        let n: i64 = match self.at {
            Location::Dir(dir) => sqlite_connection(dir)?.query_row(sql, [], |r| r.get(0))?,
            Location::Postgres(url) => super::pg::with_client(url, |c| c.query_one(sql, &[])?.try_get(0))?,
        };
        Ok(n == 0)
    }

    /// Every table's rows, in [`TABLES`] order, each table's sorted by its
    /// key here (the engines' collations order names differently).
    fn read_all(&self) -> Result<Vec<Rows>, StoreError> {
        let mut tables = match self.at {
            Location::Dir(dir) => sqlite_read(&mut sqlite_connection(dir)?)?,
            Location::Postgres(url) => super::pg::with_client(url, |c| super::pg::copy::read(c, &TABLES))?,
        };
        for (table, rows) in TABLES.iter().zip(&mut tables) {
            rows.sort_by(|a, b| a[..table.key].cmp(&b[..table.key]));
        }
        Ok(tables)
    }

    /// Inserts every table's rows, in one transaction.
    fn write_all(&self, tables: &[Rows]) -> Result<(), StoreError> {
        match self.at {
            Location::Dir(dir) => sqlite_write(&mut sqlite_connection(dir)?, tables),
            Location::Postgres(url) => super::pg::with_client(url, |c| super::pg::copy::write(c, &TABLES, tables)),
        }
    }
}

/// A second connection to the SQLite store in `dir` (its own is the writer's).
fn sqlite_connection(dir: &Path) -> Result<rusqlite::Connection, StoreError> {
    let conn = rusqlite::Connection::open(dir.join(super::sqlite::DB_FILE))?;
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    Ok(conn)
}

/// `SELECT` of a table's columns (both engines' SQL).
pub(super) fn select(table: &Table) -> String {
    let columns: Vec<&str> = table.columns.iter().map(|(c, _)| *c).collect();
    format!("SELECT {} FROM {}", columns.join(", "), table.name)
}

fn sqlite_read(conn: &mut rusqlite::Connection) -> Result<Vec<Rows>, StoreError> {
    let tx = conn.transaction()?;
    let mut tables = Vec::new();
    for table in &TABLES {
        let mut stmt = tx.prepare(&select(table))?;
        let rows = stmt.query_map([], |row| {
            table.columns.iter().enumerate().map(|(i, (_, kind))| sqlite_value(row, i, *kind)).collect::<rusqlite::Result<Vec<_>>>()
        })?;
        tables.push(rows.collect::<rusqlite::Result<Rows>>()?);
    }
    Ok(tables)
}

fn sqlite_value(row: &rusqlite::Row<'_>, i: usize, kind: Kind) -> rusqlite::Result<Value> {
    Ok(match kind {
        Int => Value::Int(row.get(i)?),
        Text => Value::Text(row.get(i)?),
        MaybeText => row.get::<_, Option<String>>(i)?.map_or(Value::Null, Value::Text),
        Bytes => Value::Bytes(row.get(i)?),
        MaybeBytes => row.get::<_, Option<Vec<u8>>>(i)?.map_or(Value::Null, Value::Bytes),
        Bool => Value::Bool(row.get(i)?),
    })
}

fn sqlite_write(conn: &mut rusqlite::Connection, tables: &[Rows]) -> Result<(), StoreError> {
    let tx = conn.transaction()?;
    for (table, rows) in TABLES.iter().zip(tables) {
        let columns: Vec<&str> = table.columns.iter().map(|(c, _)| *c).collect();
        let marks: Vec<String> = (1..=columns.len()).map(|i| format!("?{i}")).collect();
        let sql = format!("INSERT INTO {} ({}) VALUES ({})", table.name, columns.join(", "), marks.join(", "));
        let mut stmt = tx.prepare(&sql)?;
        for row in rows {
            stmt.execute(rusqlite::params_from_iter(row.iter().map(sqlite_param)))?;
        }
    }
    tx.commit()?;
    Ok(())
}

fn sqlite_param(value: &Value) -> rusqlite::types::Value {
    use rusqlite::types::Value as V;
    match value {
        Value::Null => V::Null,
        Value::Int(n) => V::Integer(*n),
        Value::Text(s) => V::Text(s.clone()),
        Value::Bytes(b) => V::Blob(b.clone()),
        Value::Bool(b) => V::Integer(i64::from(*b)),
    }
}
