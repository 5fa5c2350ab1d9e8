//! The embedded SQLite store: one writer thread with group commit, one reader.

use super::monitor::Monitor;
use super::writer::{Commit, Op, Queued, Writer, writer_methods};
use super::{Attachment, ChainEnd, DocMeta, Failure, Headline, Intake, NewSnapshot, NewVersion, Seq, Store, StoreError, StoredDoc, VersionMeta};
use tandem_sync::DocId;
use bytes::Bytes;
use rusqlite::{Connection, OpenFlags, OptionalExtension, Transaction, params};
use std::fs::File;
use std::path::Path;
use std::sync::Mutex;
use std::time::Duration;
use tokio::sync::watch;

pub(super) use super::writer::now_ms;

mod access;
mod accounts;
mod attachments;
mod backup;
mod versions;

pub use backup::{Copied, Restored};

/// The database file inside the data directory.
pub(super) const DB_FILE: &str = "tandem.db";
/// `PRAGMA application_id` of a Tandem store: "TAND" in ASCII.
const APP_ID: i64 = 0x5441_4E44;
/// The schema version this build writes (`PRAGMA user_version`).
pub const SCHEMA_VERSION: i64 = 6;
const SCHEMA: &str = "
CREATE TABLE docs (
    id           TEXT PRIMARY KEY NOT NULL,
    title        TEXT NOT NULL DEFAULT '',
    excerpt      TEXT NOT NULL DEFAULT '',
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    snapshot     BLOB,
    snapshot_seq INTEGER NOT NULL DEFAULT 0,
    size         INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE TABLE updates (
    seq    INTEGER PRIMARY KEY NOT NULL,
    doc_id TEXT NOT NULL,
    data   BLOB NOT NULL
);
CREATE INDEX updates_by_doc ON updates (doc_id, seq);
CREATE TABLE users (
    username      TEXT PRIMARY KEY NOT NULL COLLATE NOCASE,
    password_hash TEXT NOT NULL,
    admin         INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL
) WITHOUT ROWID;
";

/// Sessions, API tokens, invites and who may see each document (schema 4).
/// Every token is stored as its SHA-256 hash only. A document without an
/// `access` row (one written before accounts, or created in open mode) is
/// owned by the first administrator and has the server's default workspace
/// access; `owner` is NULL once its owner's account is deleted (the same).
const ACCESS_SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS sessions (
    token_hash BLOB PRIMARY KEY NOT NULL,
    username   TEXT NOT NULL COLLATE NOCASE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS sessions_by_user ON sessions (username);
CREATE TABLE IF NOT EXISTS api_tokens (
    id         INTEGER PRIMARY KEY,
    token_hash BLOB NOT NULL UNIQUE,
    username   TEXT NOT NULL COLLATE NOCASE,
    name       TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS invites (
    id         INTEGER PRIMARY KEY,
    token_hash BLOB NOT NULL UNIQUE,
    admin      INTEGER NOT NULL,
    created_by TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS access (
    doc       TEXT PRIMARY KEY NOT NULL,
    owner     TEXT COLLATE NOCASE,
    workspace TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS members (
    doc      TEXT NOT NULL,
    username TEXT NOT NULL COLLATE NOCASE,
    role     TEXT NOT NULL,
    PRIMARY KEY (doc, username)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS members_by_user ON members (username);
CREATE TABLE IF NOT EXISTS links (
    id         INTEGER PRIMARY KEY,
    token_hash BLOB NOT NULL UNIQUE,
    doc        TEXT NOT NULL,
    role       TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS links_by_doc ON links (doc);
";

/// A document's versions (schema 5): each the changes since the one before
/// it, or (`checkpoint`) the whole state; `id` is the store seq that wrote it.
/// And the trash: documents deleted, not yet deleted for good.
const VERSIONS_SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS versions (
    id           INTEGER PRIMARY KEY,
    doc          TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    kind         TEXT NOT NULL,
    label        TEXT,
    authors      TEXT NOT NULL,
    checkpoint   INTEGER NOT NULL,
    data         BLOB NOT NULL,
    state_vector BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS versions_by_doc ON versions (doc, id);
CREATE TABLE IF NOT EXISTS trash (
    doc        TEXT PRIMARY KEY NOT NULL,
    deleted_at INTEGER NOT NULL,
    deleted_by TEXT NOT NULL
) WITHOUT ROWID;
";

/// What turns a store of schema `version` into the next one; applied in
/// order when an older store opens. A store written before version 2 lists
/// its documents without an excerpt until each is next snapshotted; version 3
/// adds accounts, version 4 sessions, tokens and access, version 5 versions,
/// version 6 attachments.
const MIGRATIONS: [(i64, &str); 5] = [
    (1, "ALTER TABLE docs ADD COLUMN excerpt TEXT NOT NULL DEFAULT '';"),
    (
        2,
        "CREATE TABLE IF NOT EXISTS users (
            username TEXT PRIMARY KEY NOT NULL COLLATE NOCASE, password_hash TEXT NOT NULL,
            admin INTEGER NOT NULL DEFAULT 0, created_at INTEGER NOT NULL) WITHOUT ROWID;",
    ),
    (3, ACCESS_SCHEMA),
    (4, VERSIONS_SCHEMA),
    (5, attachments::SCHEMA),
];

/// A Tandem store in one SQLite database (`tandem.db`) inside the data directory.
pub struct SqliteStore {
    /// The write queue and its thread, committing through [`Engine`].
    writer: Writer,
    /// The read connection; std mutex because it is used only inside
    /// `spawn_blocking`, for one query or read transaction at a time.
    reader: Mutex<Connection>,
    /// The accounts connection: account writes are rare and must report
    /// their outcome (a name already taken), so each is one synchronous
    /// transaction here rather than a queued document write. Std mutex: used
    /// only inside `spawn_blocking` or a command, one transaction at a time.
    accounts: Mutex<Connection>,
    /// Held open for the store's life: its exclusive lock keeps a second server off this directory.
    _lock: File,
}

fn io_err(context: String) -> impl FnOnce(std::io::Error) -> StoreError {
    move |source| StoreError::Io { context, source }
}

impl SqliteStore {
    /// Opens (or creates) the store in `dir`. Refuses, without writing, a
    /// database that is damaged or belongs to something else.
    pub fn open(dir: &Path) -> Result<Self, StoreError> {
        std::fs::create_dir_all(dir).map_err(io_err(format!("cannot create {}", dir.display())))?;
        let lock = lock_dir(dir)?;
        let path = dir.join(DB_FILE);
        let conn = Connection::open(&path)?;
        check_or_init(&conn, &path)?;
        // secure_delete: a document deleted for good leaves no readable trace in the file.
        conn.execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA secure_delete = ON;")?;
        conn.busy_timeout(Duration::from_secs(10))?;
        let last: Seq = conn.query_row(
            "SELECT max((SELECT coalesce(max(seq), 0) FROM updates),
                        (SELECT coalesce(max(snapshot_seq), 0) FROM docs),
                        (SELECT coalesce(max(id), 0) FROM versions))",
            [],
            |r| r.get::<_, i64>(0),
        )? as Seq;
        let reader = Connection::open_with_flags(&path, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
        reader.busy_timeout(Duration::from_secs(10))?;
        let accounts = Connection::open(&path)?;
        accounts.execute_batch("PRAGMA synchronous = FULL;")?;
        accounts.busy_timeout(Duration::from_secs(10))?;
        Ok(SqliteStore {
            writer: Writer::start(Engine(conn), last)?,
            reader: Mutex::new(reader),
            accounts: Mutex::new(accounts),
            _lock: lock,
        })
    }

    /// Test-only fault: the writer thread panics at its next commit, as a
    /// bug in it would; what it had not committed is never acknowledged.
    #[cfg(feature = "testing")]
    pub fn panic_writer_at_next_commit(&self) {
        self.writer.monitor().panic_next_commit();
    }

    fn read<T>(&self, f: impl FnOnce(&mut Connection) -> rusqlite::Result<T>) -> Result<T, StoreError> {
        let mut conn = self.reader.lock().unwrap_or_else(|p| p.into_inner());
        Ok(f(&mut conn)?)
    }
}

fn lock_dir(dir: &Path) -> Result<File, StoreError> {
    let path = dir.join("tandem.lock");
    let file = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(io_err(format!("cannot open {}", path.display())))?;
    file.try_lock().map_err(|_| {
        StoreError::InUse(format!("{} is in use by another Tandem server", dir.display()))
    })?;
    Ok(file)
}

/// Accepts an existing Tandem database (after an integrity check) or an empty
/// file; anything else is refused before a single byte is written.
fn check_or_init(conn: &Connection, path: &Path) -> Result<(), StoreError> {
    if !is_blank(conn) {
        check_ours(conn, path)?;
        return migrate(conn, path);
    }
    conn.execute_batch(&format!(
        "BEGIN; {SCHEMA} {ACCESS_SCHEMA} {VERSIONS_SCHEMA} {} PRAGMA application_id = {APP_ID}; \
         PRAGMA user_version = {SCHEMA_VERSION}; COMMIT;",
        attachments::SCHEMA
    ))?;
    Ok(())
}

/// Brings the store at `path`, of an older schema, up to [`SCHEMA_VERSION`],
/// one version per transaction, after keeping a verified copy of it as it was
/// beside it (see [`backup::keep_before_upgrade`]).
fn migrate(conn: &Connection, path: &Path) -> Result<(), StoreError> {
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if version >= SCHEMA_VERSION {
        return Ok(());
    }
    let kept = backup::keep_before_upgrade(conn, path, SCHEMA_VERSION)?;
    tracing::info!(from = version, to = SCHEMA_VERSION, copy = %kept.display(), "store schema upgrade: kept a copy of the store as it was");
    for (from, sql) in MIGRATIONS.iter().filter(|(from, _)| *from >= version) {
        conn.execute_batch(&format!("BEGIN; {sql} PRAGMA user_version = {}; COMMIT;", from + 1))?;
        tracing::info!(from, to = from + 1, "store schema migrated");
    }
    Ok(())
}

/// Whether `conn` is a readable database with no tables and no application id.
fn is_blank(conn: &Connection) -> bool {
    let app_id = conn.query_row("PRAGMA application_id", [], |r| r.get::<_, i64>(0));
    let tables = conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get::<_, i64>(0));
    matches!((app_id, tables), (Ok(0), Ok(0)))
}

/// Refuses anything but an undamaged Tandem database this build can read.
fn check_ours(conn: &Connection, path: &Path) -> Result<(), StoreError> {
    let shown = path.display();
    let not_ours = |why: String| StoreError::NotOurs(format!("{shown}: {why}; refusing to use it"));
    let app_id: i64 = conn
        .query_row("PRAGMA application_id", [], |r| r.get(0))
        .map_err(|e| not_ours(format!("not a readable SQLite database ({e})")))?;
    if app_id != APP_ID {
        return Err(not_ours(format!("a database of another application (application_id {app_id:#x})")));
    }
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if version > SCHEMA_VERSION {
        return Err(not_ours(format!("written by a newer Tandem (schema {version})")));
    }
    let check: String = conn
        .query_row("PRAGMA quick_check", [], |r| r.get(0))
        .map_err(|e| not_ours(format!("damaged database ({e})")))?;
    if check != "ok" {
        return Err(not_ours(format!("damaged database ({check})")));
    }
    Ok(())
}

/// What kind of failure a failed commit is. SQLite reports a full disk as
/// `SQLITE_FULL` only on some paths (a write of the log may give a plain I/O
/// error), so an I/O error is put to the file system itself: see [`probe`].
fn failure_of(e: &rusqlite::Error, conn: &Connection) -> Failure {
    use rusqlite::ErrorCode;
    match e.sqlite_error_code() {
        Some(ErrorCode::DiskFull) => Failure::DiskFull,
        Some(ErrorCode::ReadOnly) => Failure::ReadOnly,
        _ => conn.path().and_then(|db| Path::new(db).parent()).map_or(Failure::Io, probe),
    }
}

/// The file written (and removed) to ask the file system why writes fail.
const PROBE_FILE: &str = "tandem.probe";
/// What the probe writes: a file system with less room than this counts as
/// full (a commit writes whole pages of the log, often many at once).
const PROBE_BYTES: usize = 1 << 20;

/// Whether the file system of `dir` is full or read-only: it is asked to take
/// [`PROBE_BYTES`] beside the database. Only after a failed commit, so at
/// most once per retry.
fn probe(dir: &Path) -> Failure {
    let path = dir.join(PROBE_FILE);
    let written = std::fs::write(&path, vec![0u8; PROBE_BYTES]).and_then(|()| File::open(&path)?.sync_all());
    let _ = std::fs::remove_file(&path);
    match written.map_err(|e| e.kind()) {
        Err(std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded) => Failure::DiskFull,
        Err(std::io::ErrorKind::ReadOnlyFilesystem) => Failure::ReadOnly,
        _ => Failure::Io,
    }
}

/// The writer thread's connection: commits a batch in one transaction.
struct Engine(Connection);

impl Commit for Engine {
    type Error = rusqlite::Error;

    fn commit(&mut self, batch: &[Queued], monitor: &Monitor) -> rusqlite::Result<()> {
        commit(&mut self.0, batch, monitor)
    }

    fn failure(&mut self, error: &rusqlite::Error) -> Failure {
        failure_of(error, &self.0)
    }
}

fn commit(conn: &mut Connection, batch: &[Queued], monitor: &Monitor) -> rusqlite::Result<()> {
    monitor.injected_faults();
    let tx = conn.transaction()?;
    for (_, op) in batch {
        apply_op(&tx, op)?;
    }
    tx.commit()?;
    if batch.iter().any(|(_, op)| matches!(op, Op::Purge { .. })) {
        // Copy the overwritten pages into the database file and empty the
        // log, so what was deleted for good is in neither.
        // The batch is committed by now, so a failure here must not fail it
        // (a retry would apply it twice): readers are waited for (the busy
        // timeout), and a log that still could not be emptied is logged and
        // left to the next checkpoint.
        match conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |row| row.get::<_, i64>(0)) {
            Ok(0) => {}
            Ok(_) => tracing::warn!("a reader kept the log from being emptied after a deletion for good"),
            Err(error) => tracing::warn!(%error, "the log could not be emptied after a deletion for good"),
        }
    }
    Ok(())
}

fn apply_op(tx: &Transaction<'_>, op: &Op) -> rusqlite::Result<()> {
    match op {
        Op::Append { seq, doc, data, at } => {
            upsert_doc(tx, doc, *at, data.len())?;
            tx.prepare_cached("INSERT INTO updates (seq, doc_id, data) VALUES (?1, ?2, ?3)")?
                .execute(params![*seq as i64, doc.as_str(), data.as_ref()])?;
        }
        Op::Compact { doc, snapshot: NewSnapshot { bytes: snapshot, .. }, upto, headline, at, .. } => {
            upsert_doc(tx, doc, *at, 0)?;
            let current: i64 = tx
                .prepare_cached("SELECT snapshot_seq FROM docs WHERE id = ?1")?
                .query_row([doc.as_str()], |r| r.get(0))?;
            if current >= *upto as i64 {
                return Ok(()); // a newer snapshot is already stored
            }
            tx.prepare_cached("DELETE FROM updates WHERE doc_id = ?1 AND seq <= ?2")?
                .execute(params![doc.as_str(), *upto as i64])?;
            let log: i64 = tx
                .prepare_cached("SELECT coalesce(sum(length(data)), 0) FROM updates WHERE doc_id = ?1")?
                .query_row([doc.as_str()], |r| r.get(0))?;
            tx.prepare_cached(
                "UPDATE docs SET snapshot = ?2, snapshot_seq = ?3, title = ?4, excerpt = ?5, size = ?6 WHERE id = ?1",
            )?
            .execute(params![
                doc.as_str(),
                snapshot,
                *upto as i64,
                headline.title,
                headline.excerpt,
                snapshot.len() as i64 + log
            ])?;
        }
        Op::Create { doc, at, .. } => upsert_doc(tx, doc, *at, 0)?,
        Op::Version { seq, doc, version, at } => versions::insert(tx, *seq, doc, version, *at)?,
        Op::Purge { doc, .. } => purge(tx, doc)?,
        Op::Thin { doc, ids, .. } => versions::thin(tx, doc, ids)?,
        Op::Attach { doc, attachment, at, .. } => {
            upsert_doc(tx, doc, *at, 0)?;
            attachments::insert(tx, doc, attachment, *at)?;
        }
    }
    Ok(())
}

/// Deletes every row of `doc`. The store runs with `secure_delete`, so the
/// freed pages are overwritten, not just unlinked.
fn purge(tx: &Transaction<'_>, doc: &DocId) -> rusqlite::Result<()> {
    for table in ["updates WHERE doc_id", "docs WHERE id", "versions WHERE doc", "access WHERE doc", "members WHERE doc", "links WHERE doc", "trash WHERE doc", "attachments WHERE doc_id"] {
        tx.prepare_cached(&format!("DELETE FROM {table} = ?1"))?.execute([doc.as_str()])?;
    }
    Ok(())
}

fn upsert_doc(tx: &Transaction<'_>, doc: &DocId, at: i64, added: usize) -> rusqlite::Result<()> {
    tx.prepare_cached(
        "INSERT INTO docs (id, created_at, updated_at, size) VALUES (?1, ?2, ?2, ?3)
         ON CONFLICT (id) DO UPDATE SET updated_at = max(updated_at, ?2), size = size + ?3",
    )?
    .execute(params![doc.as_str(), at, added as i64])?;
    Ok(())
}

/// A listing row as read: id, title, excerpt, updated_at, size.
type MetaRow = (String, String, String, i64, i64);

fn meta_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<MetaRow> {
    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
}

fn to_meta((id, title, excerpt, updated_at, size): MetaRow) -> Result<DocMeta, StoreError> {
    let id = DocId::parse(&id).map_err(|_| StoreError::BadId(id))?;
    Ok(DocMeta { id, title, excerpt, updated_at, size: size.max(0) as u64 })
}

/// A document's size in a listing counts its attachments too (so
/// `--max-store-bytes`, measured from listings, counts them).
const META_COLUMNS: &str = "SELECT id, title, excerpt, updated_at,
    size + coalesce((SELECT sum(a.size) FROM attachments a WHERE a.doc_id = docs.id), 0) FROM docs";

impl Store for SqliteStore {
    writer_methods!();

    fn attachment(&self, doc: &DocId, id: &str) -> Result<Option<Attachment>, StoreError> {
        self.read(|conn| attachments::read(conn, doc, id))
    }

    fn versioned_docs(&self) -> Result<Vec<DocId>, StoreError> {
        let raw: Vec<String> = self.read(|conn| versions::docs(conn))?;
        raw.into_iter().map(super::accounts::stored_doc_id).collect()
    }

    fn versions(&self, doc: &DocId) -> Result<Vec<VersionMeta>, StoreError> {
        self.read(|conn| versions::list(conn, doc))
    }

    fn version(&self, doc: &DocId, id: i64) -> Result<Option<(VersionMeta, Vec<Vec<u8>>)>, StoreError> {
        self.read(|conn| versions::chain(conn, doc, id))
    }

    fn chain_end(&self, doc: &DocId) -> Result<Option<ChainEnd>, StoreError> {
        self.read(|conn| versions::chain_end(conn, doc))
    }

    fn load(&self, doc: &DocId) -> Result<Option<StoredDoc>, StoreError> {
        self.read(|conn| {
            let tx = conn.transaction()?;
            let snapshot: Option<Option<Vec<u8>>> = tx
                .prepare_cached("SELECT snapshot FROM docs WHERE id = ?1")?
                .query_row([doc.as_str()], |r| r.get(0))
                .optional()?;
            let Some(snapshot) = snapshot else { return Ok(None) };
            let mut stored = StoredDoc::default();
            stored.updates.extend(snapshot);
            let mut stmt = tx.prepare_cached("SELECT data FROM updates WHERE doc_id = ?1 ORDER BY seq")?;
            for data in stmt.query_map([doc.as_str()], |r| r.get::<_, Vec<u8>>(0))? {
                let data = data?;
                stored.log_len += 1;
                stored.log_bytes += data.len();
                stored.updates.push(data);
            }
            Ok(Some(stored))
        })
    }

    fn list(&self) -> Result<Vec<DocMeta>, StoreError> {
        let rows = self.read(|conn| {
            let mut stmt = conn.prepare_cached(&format!("{META_COLUMNS} ORDER BY updated_at DESC, id"))?;
            stmt.query_map([], meta_row)?.collect::<rusqlite::Result<Vec<_>>>()
        })?;
        rows.into_iter().map(to_meta).collect()
    }

    fn meta(&self, doc: &DocId) -> Result<Option<DocMeta>, StoreError> {
        let row = self.read(|conn| {
            conn.prepare_cached(&format!("{META_COLUMNS} WHERE id = ?1"))?
                .query_row([doc.as_str()], meta_row)
                .optional()
        })?;
        row.map(to_meta).transpose()
    }
}

impl Drop for SqliteStore {
    fn drop(&mut self) {
        self.close();
    }
}
