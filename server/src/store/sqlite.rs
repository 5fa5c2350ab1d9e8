//! The embedded SQLite store: one writer thread with group commit, one reader.

use super::monitor::Monitor;
use super::{Attachment, ChainEnd, DocMeta, Failure, Headline, Intake, NewVersion, Seq, Store, StoreError, StoredDoc, VersionMeta};
use tandem_sync::DocId;
use bytes::Bytes;
use rusqlite::{Connection, OpenFlags, OptionalExtension, Transaction, params};
use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::path::Path;
use std::sync::{Mutex, mpsc};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio::sync::watch;

mod access;
mod accounts;
mod attachments;
mod backup;
mod versions;

pub use backup::{Copied, Restored};

/// The database file inside the data directory.
const DB_FILE: &str = "tandem.db";
/// `PRAGMA application_id` of a Tandem store: "TAND" in ASCII.
const APP_ID: i64 = 0x5441_4E44;
/// The schema version this build writes (`PRAGMA user_version`).
pub const SCHEMA_VERSION: i64 = 6;
/// Most operations committed in one transaction; more wait for the next commit.
const MAX_BATCH: usize = 4096;
/// First pause after a failed commit; it doubles on each failure in a row.
const FIRST_RETRY_DELAY: Duration = Duration::from_millis(50);
/// Longest pause between retries of a failed commit (disk full, I/O error):
/// a disk that has room again is noticed within this long.
const MAX_RETRY_DELAY: Duration = Duration::from_secs(5);
/// Bytes the write queue holds before the store stops taking updates
/// ([`Intake::Backlogged`]) until commits catch up. It bounds the memory a
/// slow disk costs, and what must fit on the disk in one go once a full one
/// has room again. While commits fail the store takes nothing new at all
/// ([`Intake::Failing`]), so the queue holds at most this, plus the one
/// message each connection may have had in flight when the intake closed.
/// A single write larger than this (a big snapshot, a large image
/// attachment) is still queued.
const MAX_QUEUED_BYTES: usize = 8 << 20;
/// What an operation counts for in the queue's bytes beyond its payload
/// (its row, its index entry), so that many small operations are bounded too.
const OP_OVERHEAD_BYTES: usize = 128;

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

/// One queued write, in [`Seq`] order.
enum Op {
    Append { seq: Seq, doc: DocId, data: Bytes, at: i64 },
    Compact { seq: Seq, doc: DocId, snapshot: Vec<u8>, upto: Seq, headline: Headline, at: i64 },
    Create { seq: Seq, doc: DocId, at: i64 },
    Version { seq: Seq, doc: DocId, version: Box<NewVersion>, at: i64 },
    Purge { seq: Seq, doc: DocId },
    Thin { seq: Seq, doc: DocId, ids: Vec<i64> },
    Attach { seq: Seq, doc: DocId, attachment: Box<Attachment>, at: i64 },
}

impl Op {
    /// What it counts for against [`MAX_QUEUED_BYTES`].
    fn bytes(&self) -> usize {
        OP_OVERHEAD_BYTES
            + match self {
                Op::Append { data, .. } => data.len(),
                Op::Compact { snapshot, .. } => snapshot.len(),
                Op::Version { version, .. } => version.recorded.data.len() + version.recorded.state_vector.len(),
                Op::Attach { attachment, .. } => attachment.bytes.len(),
                Op::Create { .. } | Op::Purge { .. } | Op::Thin { .. } => 0,
            }
    }

    fn doc(&self) -> &DocId {
        match self {
            Op::Append { doc, .. } | Op::Compact { doc, .. } | Op::Create { doc, .. } | Op::Version { doc, .. }
            | Op::Purge { doc, .. }
            | Op::Thin { doc, .. }
            | Op::Attach { doc, .. } => doc,
        }
    }

    fn seq(&self) -> Seq {
        match self {
            Op::Append { seq, .. } | Op::Compact { seq, .. } | Op::Create { seq, .. } | Op::Version { seq, .. }
            | Op::Purge { seq, .. }
            | Op::Thin { seq, .. }
            | Op::Attach { seq, .. } => *seq,
        }
    }
}

/// An op and when it was queued (for the append latency).
type Queued = (Instant, Op);

/// The write queue: seqs are handed out and ops sent under one lock, so the
/// writer receives them in seq order. The lock is held only for the send
/// (a non-blocking channel), never across I/O or `.await`. The channel's type
/// has no bound; its bytes are bounded by [`MAX_QUEUED_BYTES`] through the
/// [`Intake`] the layers above obey (see [`Monitor`]).
struct Queue {
    next: Seq,
    /// `None` once the store is closed.
    tx: Option<mpsc::Sender<Queued>>,
    /// The last seq queued per document, for [`Store::last_queued_for`].
    /// Entries already durable are swept when the map has doubled since
    /// the last sweep, so it holds about the documents written lately.
    pending: HashMap<DocId, Seq>,
    /// The map's size after the last sweep.
    swept: usize,
}

/// A Tandem store in one SQLite database (`tandem.db`) inside the data directory.
pub struct SqliteStore {
    queue: Mutex<Queue>,
    /// The highest durable seq. Only the writer thread holds the sender, so
    /// when it ends (closed, or panicked) every wait for durability ends too.
    durable: watch::Receiver<Seq>,
    /// The read connection; std mutex because it is used only inside
    /// `spawn_blocking`, for one query or read transaction at a time.
    reader: Mutex<Connection>,
    /// The accounts connection: account writes are rare and must report
    /// their outcome (a name already taken), so each is one synchronous
    /// transaction here rather than a queued document write. Std mutex: used
    /// only inside `spawn_blocking` or a command, one transaction at a time.
    accounts: Mutex<Connection>,
    writer: Mutex<Option<JoinHandle<()>>>,
    /// The writer's health and timings.
    monitor: Monitor,
    /// Held open for the store's life: its exclusive lock keeps a second server off this directory.
    _lock: File,
}

fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
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
                        (SELECT coalesce(max(snapshot_seq), 0) FROM docs))",
            [],
            |r| r.get::<_, i64>(0),
        )? as Seq;
        let reader = Connection::open_with_flags(&path, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
        reader.busy_timeout(Duration::from_secs(10))?;
        let accounts = Connection::open(&path)?;
        accounts.execute_batch("PRAGMA synchronous = FULL;")?;
        accounts.busy_timeout(Duration::from_secs(10))?;
        let (tx, rx) = mpsc::channel();
        let (durable_tx, durable) = watch::channel(last);
        let monitor = Monitor::new(MAX_QUEUED_BYTES);
        let writer = spawn_writer(conn, rx, durable_tx, monitor.clone())?;
        Ok(SqliteStore {
            queue: Mutex::new(Queue { next: last + 1, tx: Some(tx), pending: HashMap::new(), swept: 0 }),
            durable,
            reader: Mutex::new(reader),
            accounts: Mutex::new(accounts),
            writer: Mutex::new(Some(writer)),
            monitor,
            _lock: lock,
        })
    }

    fn enqueue(&self, make: impl FnOnce(Seq) -> Op) -> Seq {
        let mut q = self.queue.lock().unwrap_or_else(|p| p.into_inner());
        let seq = q.next;
        q.next += 1;
        let op = make(seq);
        let bytes = op.bytes();
        self.remember(&mut q, op.doc(), seq);
        match &q.tx {
            Some(tx) if tx.send((Instant::now(), op)).is_ok() => self.monitor.queued(bytes),
            _ => tracing::error!(seq, "write queued after the store stopped; it is not stored"),
        }
        seq
    }

    /// Records `seq` as `doc`'s last queued write, sweeping durable entries now and then.
    fn remember(&self, q: &mut Queue, doc: &DocId, seq: Seq) {
        if !q.pending.contains_key(doc) && q.pending.len() >= 2 * q.swept + 64 {
            let durable = *self.durable.borrow();
            q.pending.retain(|_, s| *s > durable);
            q.swept = q.pending.len();
        }
        q.pending.insert(doc.clone(), seq);
    }

    /// Test-only fault: the writer thread panics at its next commit, as a
    /// bug in it would; what it had not committed is never acknowledged.
    #[cfg(feature = "testing")]
    pub fn panic_writer_at_next_commit(&self) {
        self.monitor.panic_next_commit();
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
        StoreError::NotOurs(format!("{} is in use by another Tandem server", dir.display()))
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

fn spawn_writer(
    conn: Connection,
    rx: mpsc::Receiver<Queued>,
    durable: watch::Sender<Seq>,
    monitor: Monitor,
) -> Result<JoinHandle<()>, StoreError> {
    std::thread::Builder::new()
        .name("tandem-store".into())
        .spawn(move || write_loop(conn, rx, durable, monitor))
        .map_err(io_err("cannot start the store writer".into()))
}

/// Commits queued ops in batches (group commit): whatever arrived while the
/// previous commit was syncing goes into the next transaction. Ends when the
/// store closes, after storing everything queued, or giving up on it if
/// commits keep failing then.
fn write_loop(mut conn: Connection, rx: mpsc::Receiver<Queued>, durable: watch::Sender<Seq>, monitor: Monitor) {
    let _running = monitor.running();
    while let Ok(first) = rx.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(op) => batch.push(op),
                Err(_) => break,
            }
        }
        let unstored = commit_with_retry(&mut conn, &batch, &durable, &monitor);
        if !unstored.is_empty() {
            return give_up(unstored.iter().chain(rx.try_iter().collect::<Vec<_>>().iter()), &monitor);
        }
    }
}

/// Commits `batch` in order, publishing each durable seq. A failed commit
/// is retried with backoff (capped at [`MAX_RETRY_DELAY`]), each time with
/// the first half of what is left (down to one op), so that a disk with
/// a little room again takes what fits instead of failing on the whole
/// batch forever. Acknowledgements wait meanwhile; nothing is dropped. Once
/// the store is closing a failure ends the retries: what is left is returned.
fn commit_with_retry<'a>(conn: &mut Connection, batch: &'a [Queued], durable: &watch::Sender<Seq>, monitor: &Monitor) -> &'a [Queued] {
    let (mut rest, mut take, mut delay) = (batch, batch.len(), FIRST_RETRY_DELAY);
    while !rest.is_empty() {
        let (part, after) = rest.split_at(take);
        let started = Instant::now();
        match commit(conn, part, monitor) {
            Ok(()) => {
                let bytes = part.iter().map(|(_, op)| op.bytes()).sum();
                monitor.committed(started.elapsed(), bytes, part.iter().map(|(at, _)| *at));
                durable.send_replace(part[part.len() - 1].1.seq());
                (rest, take, delay) = (after, after.len(), FIRST_RETRY_DELAY);
            }
            Err(e) => {
                monitor.commit_failed(failure_of(&e, conn));
                if monitor.is_closing() {
                    return rest;
                }
                tracing::error!(error = %e, ops = part.len(), queued = rest.len(), "store commit failed; retrying");
                // Woken early by `close`, which then gets one more attempt.
                std::thread::park_timeout(delay);
                (take, delay) = ((take / 2).max(1), (delay * 2).min(MAX_RETRY_DELAY));
            }
        }
    }
    rest
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

/// Logs, per document, the writes given up at close: none of them was
/// acknowledged (an acknowledgement waits for its commit), so their authors
/// still hold them and send them again when they reconnect.
fn give_up<'a>(ops: impl Iterator<Item = &'a Queued>, monitor: &Monitor) {
    let mut per_doc: BTreeMap<&str, (u64, u64)> = BTreeMap::new();
    for (_, op) in ops {
        let counts = per_doc.entry(op.doc().as_str()).or_default();
        if matches!(op, Op::Append { .. }) { counts.0 += 1 } else { counts.1 += 1 }
    }
    let updates: u64 = per_doc.values().map(|c| c.0).sum();
    let other: u64 = per_doc.values().map(|c| c.1).sum();
    for (doc, (updates, other)) in &per_doc {
        tracing::error!(doc, updates, other_writes = other, "not stored: commits kept failing at shutdown; these updates were never acknowledged");
    }
    tracing::error!(documents = per_doc.len(), updates, other_writes = other, "the store closed with unstored, unacknowledged writes");
    monitor.gave_up(updates + other);
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
        Op::Compact { doc, snapshot, upto, headline, at, .. } => {
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
    fn append(&self, doc: &DocId, update: Bytes) -> Seq {
        let (doc, at) = (doc.clone(), now_ms());
        self.enqueue(|seq| Op::Append { seq, doc, data: update, at })
    }

    fn compact(&self, doc: &DocId, snapshot: Vec<u8>, upto: Seq, headline: Headline) -> Seq {
        let (doc, at) = (doc.clone(), now_ms());
        self.enqueue(|seq| Op::Compact { seq, doc, snapshot, upto, headline, at })
    }

    fn create(&self, doc: &DocId) -> Seq {
        let (doc, at) = (doc.clone(), now_ms());
        self.enqueue(|seq| Op::Create { seq, doc, at })
    }

    fn add_version(&self, doc: &DocId, version: NewVersion) -> Seq {
        let (doc, at) = (doc.clone(), now_ms());
        self.enqueue(|seq| Op::Version { seq, doc, version: Box::new(version), at })
    }

    fn purge(&self, doc: &DocId) -> Seq {
        let doc = doc.clone();
        self.enqueue(|seq| Op::Purge { seq, doc })
    }

    fn thin_versions(&self, doc: &DocId, ids: Vec<i64>) -> Seq {
        let doc = doc.clone();
        self.enqueue(|seq| Op::Thin { seq, doc, ids })
    }

    fn add_attachment(&self, doc: &DocId, attachment: Attachment) -> Seq {
        let (doc, at) = (doc.clone(), now_ms());
        self.enqueue(|seq| Op::Attach { seq, doc, attachment: Box::new(attachment), at })
    }

    fn attachment(&self, doc: &DocId, id: &str) -> Result<Option<Attachment>, StoreError> {
        self.read(|conn| attachments::read(conn, doc, id))
    }

    fn versioned_docs(&self) -> Result<Vec<DocId>, StoreError> {
        let raw: Vec<String> = self.read(|conn| versions::docs(conn))?;
        raw.into_iter().map(|id| DocId::parse(&id).map_err(|_| StoreError::BadId(id))).collect()
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

    fn durable(&self) -> watch::Receiver<Seq> {
        self.durable.clone()
    }

    fn intake(&self) -> watch::Receiver<Intake> {
        self.monitor.intake()
    }

    fn last_queued_for(&self, doc: &DocId) -> Seq {
        let q = self.queue.lock().unwrap_or_else(|p| p.into_inner());
        q.pending.get(doc).copied().unwrap_or(0)
    }

    fn unstored(&self) -> u64 {
        self.monitor.unstored()
    }

    fn last_queued(&self) -> Seq {
        self.queue.lock().unwrap_or_else(|p| p.into_inner()).next - 1
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

    fn close(&self) {
        self.monitor.close();
        self.queue.lock().unwrap_or_else(|p| p.into_inner()).tx = None;
        let handle = self.writer.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(handle) = handle {
            // A writer waiting to retry a failed commit tries once more now.
            handle.thread().unpark();
            if handle.join().is_err() {
                tracing::error!("the store writer panicked");
            }
        }
    }

    fn health(&self) -> Result<(), &'static str> {
        self.monitor.health()
    }

    fn register_metrics(&self, registry: &mut prometheus_client::registry::Registry) {
        self.monitor.register(registry);
    }
}

impl Drop for SqliteStore {
    fn drop(&mut self) {
        self.close();
    }
}
