//! Online backup and verified restore of the SQLite store.
//!
//! A backup reads the live database through its own read-only connection and
//! never touches the data directory's lock file, so it runs beside a serving
//! server. SQLite's backup API copies every page in one step, that is inside
//! one read transaction: the copy is the database as of one commit. (Copied in
//! pieces, the backup would start over whenever the server commits between
//! two pieces, which under steady editing might be never.) In WAL mode that
//! read blocks neither the server's writer nor its readers.

use super::{DB_FILE, SqliteStore, check_ours, io_err, lock_dir};
use crate::store::StoreError;
use rusqlite::backup::{Backup, StepResult};
use rusqlite::{Connection, OpenFlags};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::thread::sleep;
use std::time::{Duration, Instant};
use tempfile::TempPath;

/// How long a copy waits for a lock the source database holds (a server
/// recovering its WAL, say) before giving up.
const BUSY_PATIENCE: Duration = Duration::from_secs(30);

/// What a finished, verified copy of a store holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Copied {
    /// Documents in the copy.
    pub documents: u64,
    /// Size of the copy in bytes.
    pub bytes: u64,
}

/// What a restore did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Restored {
    /// The installed database.
    pub copied: Copied,
    /// Where the database it replaced was kept, if there was one.
    pub aside: Option<PathBuf>,
}

impl SqliteStore {
    /// Copies the store in `data_dir` to a new self-contained file `dest`
    /// while a server may be writing it; the copy is verified and synced
    /// before it appears at `dest`. An existing `dest` is refused unless
    /// `replace` is set.
    pub fn backup(data_dir: &Path, dest: &Path, replace: bool) -> Result<Copied, StoreError> {
        let source = open_checked(&data_dir.join(DB_FILE))?;
        let temp = temp_beside(dest)?;
        let copied = copy_into(&source, &temp)?;
        drop(source);
        install(temp, dest, replace)?;
        Ok(copied)
    }

    /// Installs the backup `from` as the store in `data_dir`, keeping the
    /// database it replaces beside it. Refuses a damaged or foreign backup
    /// before touching `data_dir`, and a `data_dir` a server is using.
    pub fn restore(from: &Path, data_dir: &Path) -> Result<Restored, StoreError> {
        let source = open_checked(from)?;
        std::fs::create_dir_all(data_dir).map_err(io_err(format!("cannot create {}", data_dir.display())))?;
        // Held until the new database is in place: no server starts meanwhile.
        let _lock = lock_dir(data_dir)?;
        let db = data_dir.join(DB_FILE);
        let temp = temp_beside(&db)?;
        let copied = copy_into(&source, &temp)?;
        drop(source);
        let aside = set_aside(&db)?;
        install(temp, &db, true)?;
        Ok(Restored { copied, aside })
    }
}

/// Copies the store `conn` holds open at `db`, about to be upgraded to schema
/// `to`, to `tandem.db.before-schema-TO` beside it: verified and synced
/// before it gets that name. Where an earlier upgrade (or one cut short) left
/// that name, the new copy gets the time appended instead; nothing is replaced.
pub(super) fn keep_before_upgrade(conn: &Connection, db: &Path, to: i64) -> Result<PathBuf, StoreError> {
    let temp = temp_beside(db)?;
    copy_into(conn, &temp)?;
    let name = with_suffix(db, &format!(".before-schema-{to}"));
    let dest = if name.exists() { with_suffix(&name, &format!("-{}", timestamp())) } else { name };
    install(temp, &dest, false)?;
    Ok(dest)
}

/// Opens `path` read-only after checking that it is an undamaged Tandem store.
fn open_checked(path: &Path) -> Result<Connection, StoreError> {
    if !path.is_file() {
        return Err(StoreError::NotOurs(format!("{}: no Tandem store there", path.display())));
    }
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    conn.busy_timeout(BUSY_PATIENCE)?;
    check_ours(&conn, path)?;
    Ok(conn)
}

/// A fresh, empty file in `dest`'s directory, removed again unless installed.
fn temp_beside(dest: &Path) -> Result<TempPath, StoreError> {
    let dir = parent(dest);
    let file = tempfile::Builder::new()
        .prefix(".tandem-copy-")
        .tempfile_in(dir)
        .map_err(io_err(format!("cannot create a file in {}", dir.display())))?;
    // Closed at once: SQLite alone has the file open while it writes.
    Ok(file.into_temp_path())
}

/// Copies `source` into the empty file `path` as one self-contained database,
/// syncs it and reads it back.
fn copy_into(source: &Connection, path: &Path) -> Result<Copied, StoreError> {
    write_copy(source, path)?;
    sync(path)?;
    verify(path)
}

fn write_copy(source: &Connection, path: &Path) -> Result<(), StoreError> {
    let mut dest = Connection::open(path)?;
    dest.busy_timeout(BUSY_PATIENCE)?;
    copy_all(&Backup::new(source, &mut dest)?)?;
    // The pages carry the source's WAL mode; a copy needs no `-wal` beside it.
    dest.query_row("PRAGMA journal_mode = DELETE", [], |_| Ok(()))?;
    dest.close().map_err(|(_, e)| StoreError::from(e))
}

/// Checks the copy on disk as a server does on start (application id,
/// schema version, `quick_check`) and counts its documents.
fn verify(path: &Path) -> Result<Copied, StoreError> {
    let conn = open_checked(path)?;
    let documents: i64 = conn.query_row("SELECT count(*) FROM docs", [], |r| r.get(0))?;
    drop(conn);
    let bytes = std::fs::metadata(path).map_err(io_err(format!("cannot read {}", path.display())))?.len();
    Ok(Copied { documents: documents.max(0) as u64, bytes })
}

/// Copies every page in one step (see the module notes), retrying while the
/// source is locked.
fn copy_all(backup: &Backup<'_, '_>) -> Result<(), StoreError> {
    let deadline = Instant::now() + BUSY_PATIENCE;
    loop {
        match backup.step(-1)? {
            StepResult::Done => return Ok(()),
            _ if Instant::now() < deadline => sleep(Duration::from_millis(20)),
            _ => return Err(StoreError::Busy),
        }
    }
}

/// Moves `temp` to `dest` atomically (refusing an existing `dest` unless
/// `replace`) and syncs the directory so that the new name is durable.
fn install(temp: TempPath, dest: &Path, replace: bool) -> Result<(), StoreError> {
    let context = || format!("cannot write {}", dest.display());
    let persisted = if replace { temp.persist(dest) } else { temp.persist_noclobber(dest) };
    persisted.map_err(|e| StoreError::Io { context: context(), source: e.error })?;
    sync(parent(dest))
}

/// Keeps the database at `db`, with its WAL and shared-memory files, under a
/// timestamped name. The database itself is linked, not moved: it stays at
/// `db` until [`install`] replaces it in one step, so a restore cut short
/// never leaves the directory without a database.
fn set_aside(db: &Path) -> Result<Option<PathBuf>, StoreError> {
    let aside = with_suffix(db, &format!(".before-restore-{}", timestamp()));
    let mut kept = false;
    for companion in ["-wal", "-shm"] {
        let from = with_suffix(db, companion);
        if from.exists() {
            // A WAL holds the old database's last commits (a server's
            // read-only connection may leave it behind): it goes with that
            // database, never to the new one.
            link(&from, &with_suffix(&aside, companion))?;
            std::fs::remove_file(&from).map_err(io_err(format!("cannot remove {}", from.display())))?;
            kept = true;
        }
    }
    if db.exists() {
        link(db, &aside)?;
        kept = true;
    }
    Ok(kept.then_some(aside))
}

/// A second name for `from`; refuses to replace an existing `to`.
fn link(from: &Path, to: &Path) -> Result<(), StoreError> {
    std::fs::hard_link(from, to).map_err(io_err(format!("cannot keep {} as {}", from.display(), to.display())))
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// The current UTC time as `20250102T030405Z`, sortable and safe in a file name.
fn timestamp() -> String {
    let format = time::macros::format_description!("[year][month][day]T[hour][minute][second]Z");
    time::OffsetDateTime::now_utc().format(&format).unwrap_or_else(|_| "unknown-time".into())
}

fn parent(path: &Path) -> &Path {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    }
}

/// Flushes a file or a directory to disk.
fn sync(path: &Path) -> Result<(), StoreError> {
    File::open(path)
        .and_then(|f| f.sync_all())
        .map_err(io_err(format!("cannot sync {}", path.display())))
}
