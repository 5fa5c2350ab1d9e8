//! The PostgreSQL store (`--database-url`): the same writer as the SQLite
//! store (group commit, retries, an acknowledgement only after the commit)
//! over one connection, reads on a second, accounts and access on a third.
//! A snapshot folds away only the log rows it holds (decided from its
//! stored coverage: [`tandem_sync::compaction`]), so servers sharing the database (the
//! clustered mode) may compact one document in any order. Seqs never repeat
//! across processes, and each document's log rows are numbered without
//! gaps (`updates.n`).
//!
//! A connection that breaks (PostgreSQL restarted, a network cut) is opened
//! again at its next use; until then commits fail and are retried, reads
//! answer [`StoreError::Postgres`], and `/readyz` says why.

use super::monitor::Monitor;
use super::writer::{Commit, Op, Queued, Writer, writer_methods};
use super::{Attachment, ChainEnd, DocMeta, Failure, Headline, Intake, NewSnapshot, NewVersion, Seq, Store, StoreError, StoredDoc, VersionMeta};
use bytes::Bytes;
use postgres::{Client, NoTls, Row, Statement, ToStatement, Transaction};
use std::collections::HashMap;
use std::sync::Mutex;
use tandem_sync::DocId;
use tandem_sync::compaction::Coverage;
use tokio::sync::watch;

mod access;
mod accounts;
mod attachments;
mod claim;
pub(super) mod copy;
mod schema;
mod versions;

pub use claim::{Sharing, claim};
pub use schema::PG_SCHEMA_VERSION;

/// Seqs of one process are `epoch << SEQ_BITS` and up, where `epoch` is
/// drawn from a database sequence when the store opens: they never repeat
/// across processes sharing the database or across restarts, and version
/// ids (which are seqs) grow with time on each process. 2^36 writes per
/// process run (two years at 1,000 writes a second); ids stay below 2^53
/// (exact in JavaScript) for 2^17 process starts.
const SEQ_BITS: u32 = 36;

/// Runs `f` where the blocking client may block: on this thread, or on a
/// thread of its own when this one runs async tasks (the client drives a
/// runtime of its own, which cannot start inside another). Reads are meant
/// for `spawn_blocking` anyway; this keeps a call from an async context —
/// a startup, a test, an overlooked path — from panicking.
fn off_runtime<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    if tokio::runtime::Handle::try_current().is_err() {
        return f();
    }
    std::thread::scope(|scope| match scope.spawn(f).join() {
        Ok(value) => value,
        Err(panic) => std::panic::resume_unwind(panic),
    })
}

/// Runs `f` on a connection of its own to `url`, closed afterwards.
pub(super) fn with_client<T: Send>(url: &str, f: impl FnOnce(&mut Client) -> Result<T, postgres::Error> + Send) -> Result<T, StoreError> {
    off_runtime(|| {
        let mut client = Client::connect(url, NoTls)?;
        Ok(f(&mut client)?)
    })
}

/// One connection, opened again at its next use once it has broken.
pub(super) struct Conn {
    url: String,
    client: Option<Client>,
    /// Statements prepared on `client`, by their SQL: a statement run on
    /// every commit is parsed and planned once per connection, not each
    /// time (a round trip and PostgreSQL's planning saved). Emptied with a
    /// new connection, whose session does not know them.
    prepared: HashMap<&'static str, Statement>,
}

impl Conn {
    /// Connects to `url` now.
    fn open(url: &str) -> Result<Self, postgres::Error> {
        let client = Client::connect(url, NoTls)?;
        Ok(Conn { url: url.to_owned(), client: Some(client), prepared: HashMap::new() })
    }

    /// The client, connecting again if the last one broke.
    pub(super) fn client(&mut self) -> Result<&mut Client, postgres::Error> {
        if self.client.as_ref().is_none_or(Client::is_closed) {
            self.client = None;
            self.prepared.clear();
            self.client = Some(Client::connect(&self.url, NoTls)?);
        }
        Ok(self.client.as_mut().expect("connected just above"))
    }

    /// `sql` prepared on the current connection (once per connection).
    fn prepared(&mut self, sql: &'static str) -> Result<Statement, postgres::Error> {
        // First, so that a new connection's emptied cache is what is read.
        self.client()?;
        if let Some(statement) = self.prepared.get(sql) {
            return Ok(statement.clone());
        }
        let statement = self.client()?.prepare(sql)?;
        self.prepared.insert(sql, statement.clone());
        Ok(statement)
    }
}

/// What went wrong, in words: the server's message and code for an error
/// PostgreSQL reported, else the error and its causes ("error connecting to
/// server: Connection refused").
pub(super) fn describe(error: &postgres::Error) -> String {
    if let Some(db) = error.as_db_error() {
        return format!("{} ({})", db.message(), db.code().code());
    }
    let mut words = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        words = format!("{words}: {cause}");
        source = cause.source();
    }
    words
}

/// `url` (a `postgres://` URL or a `key=value` connection string) without
/// its password, for logs and errors.
pub fn redacted(url: &str) -> String {
    if let Some((scheme, rest)) = url.split_once("://") {
        if let Some((userinfo, host)) = rest.split_once('@') {
            let user = userinfo.split_once(':').map_or(userinfo, |(user, _)| user);
            return format!("{scheme}://{user}@{host}");
        }
        return url.to_owned();
    }
    let words = url.split_whitespace().map(|w| if w.starts_with("password=") { "password=***" } else { w });
    words.collect::<Vec<_>>().join(" ")
}

impl Drop for Conn {
    /// Closing a client blocks on its runtime too: done where that may happen.
    fn drop(&mut self) {
        if let Some(client) = self.client.take() {
            off_runtime(move || drop(client));
        }
    }
}

/// A Tandem store in a PostgreSQL database.
pub struct PgStore {
    /// The write queue and its thread, committing through [`Engine`].
    writer: Writer,
    /// The read connection; std mutex because it is used only inside
    /// `spawn_blocking`, for one query or read transaction at a time.
    reader: Mutex<Conn>,
    /// The accounts connection: account and access writes are rare and must
    /// report their outcome, so each is one synchronous transaction here.
    /// Std mutex: used only inside `spawn_blocking` or a command.
    accounts: Mutex<Conn>,
}

impl PgStore {
    /// Connects to the database at `url`, creating Tandem's tables in an
    /// empty one or bringing an older schema up to date; refuses a database
    /// written by a newer Tandem.
    pub fn open(url: &str) -> Result<Self, StoreError> {
        off_runtime(|| Self::connect(url))
    }

    fn connect(url: &str) -> Result<Self, StoreError> {
        let mut conn = Conn::open(url)?;
        let epoch = schema::prepare(conn.client()?)?;
        let last = u64::try_from(epoch).unwrap_or(0) << SEQ_BITS;
        Ok(PgStore {
            writer: Writer::start(Engine(conn), last)?,
            reader: Mutex::new(Conn::open(url)?),
            accounts: Mutex::new(Conn::open(url)?),
        })
    }

    /// Runs `f` on the read connection.
    fn read<T: Send>(&self, f: impl FnOnce(&mut Client) -> Result<T, postgres::Error> + Send) -> Result<T, StoreError> {
        off_runtime(|| {
            let mut conn = self.reader.lock().unwrap_or_else(|p| p.into_inner());
            Ok(f(conn.client()?)?)
        })
    }

    /// Runs `f` on the accounts connection.
    pub(super) fn accounts<T: Send>(&self, f: impl FnOnce(&mut Client) -> Result<T, StoreError> + Send) -> Result<T, StoreError> {
        off_runtime(|| {
            let mut conn = self.accounts.lock().unwrap_or_else(|p| p.into_inner());
            f(conn.client()?)
        })
    }

    /// Test-only fault: the writer thread panics at its next commit.
    #[cfg(feature = "testing")]
    pub fn panic_writer_at_next_commit(&self) {
        self.writer.monitor().panic_next_commit();
    }
}

/// The writer thread's connection: commits a batch in one transaction.
struct Engine(Conn);

impl Commit for Engine {
    type Error = postgres::Error;

    fn commit(&mut self, batch: &[Queued], monitor: &Monitor) -> Result<(), postgres::Error> {
        monitor.injected_faults();
        let statements = Appending { grow: self.0.prepared(GROW_DOC)?, insert: self.0.prepared(INSERT_UPDATES)? };
        let mut tx = self.0.client()?.transaction()?;
        // Runs of appends go in one statement per run (a few per document
        // and one insert), not two round trips each; other ops in order.
        let mut appends = Vec::new();
        for (_, op) in batch {
            match op {
                Op::Append { seq, doc, data, at } => appends.push((doc, data, *seq, *at)),
                other => {
                    append_all(&mut tx, &statements, &mut appends)?;
                    apply_op(&mut tx, &statements, other)?;
                }
            }
        }
        append_all(&mut tx, &statements, &mut appends)?;
        tx.commit()
    }

    fn failure(&mut self, error: &postgres::Error) -> Failure {
        use postgres::error::SqlState;
        // No code: the connection broke or could not be made. Class 08 and
        // the shutdown codes: the server is going away or not up yet.
        let gone = |code: &SqlState| code.code().starts_with("08") || ["57P01", "57P02", "57P03"].contains(&code.code());
        if error.is_closed() || error.code().is_none_or(gone) {
            return Failure::Unreachable;
        }
        match error.code() {
            Some(code) if *code == SqlState::DISK_FULL => Failure::DiskFull,
            Some(code) if *code == SqlState::READ_ONLY_SQL_TRANSACTION => Failure::ReadOnly,
            _ => Failure::Io,
        }
    }

    fn check(&mut self) -> Option<Result<(), postgres::Error>> {
        Some(self.0.client().and_then(|client| client.simple_query("SELECT 1")).map(drop))
    }
}

fn apply_op(tx: &mut Transaction<'_>, statements: &Appending, op: &Op) -> Result<(), postgres::Error> {
    match op {
        Op::Append { seq, doc, data, at } => append_all(tx, statements, &mut vec![(doc, data, *seq, *at)])?,
        Op::Compact { doc, snapshot, upto, headline, at, .. } => compact(tx, doc, snapshot, *upto, headline, *at)?,
        Op::Create { doc, at, .. } => {
            upsert_doc(tx, doc, *at, 0)?;
        }
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

/// Creates `doc` if needed and counts `added` bytes into it; for an update
/// (`added > 0`), also takes the next number of its log and returns it.
fn upsert_doc(tx: &mut Transaction<'_>, doc: &DocId, at: i64, added: usize) -> Result<i64, postgres::Error> {
    grow_doc(tx, GROW_DOC, doc, at, added, 0)
}

/// Creates `doc` if needed, counts `added` bytes into it and takes `rows`
/// more numbers of its log; returns the last one taken (its head).
fn grow_doc<S: ToStatement + ?Sized>(tx: &mut Transaction<'_>, grow: &S, doc: &DocId, at: i64, added: usize, rows: i64) -> Result<i64, postgres::Error> {
    let row = tx.query_one(grow, &[&doc.as_str(), &at, &(added as i64), &rows])?;
    row.try_get(0)
}

/// Creates a document or counts `$3` bytes and `$4` log rows into it; answers its log's head.
const GROW_DOC: &str = "INSERT INTO docs (id, created_at, updated_at, size, head) VALUES ($1, $2, $2, $3, $4)
     ON CONFLICT (id) DO UPDATE SET updated_at = greatest(docs.updated_at, $2), size = docs.size + $3,
         head = docs.head + $4
     RETURNING head";

/// Inserts log rows given as arrays: document ids, log numbers, seqs, bytes.
const INSERT_UPDATES: &str =
    "INSERT INTO updates (doc_id, n, seq, data) SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::bytea[])";

/// The two statements every append runs, prepared on the writer's connection.
struct Appending {
    grow: Statement,
    insert: Statement,
}

/// An update to append: its document, bytes, seq and time.
type Append<'a> = (&'a DocId, &'a Bytes, Seq, i64);

/// Appends `appends` (and empties it): one statement per document to take
/// their log numbers, in order, then one insert of every row.
fn append_all(tx: &mut Transaction<'_>, statements: &Appending, appends: &mut Vec<Append<'_>>) -> Result<(), postgres::Error> {
    if appends.is_empty() {
        return Ok(());
    }
    // Per document, in order of first appearance: rows, bytes, latest time.
    let mut index: std::collections::HashMap<&DocId, usize> = std::collections::HashMap::new();
    let mut per_doc: Vec<(&DocId, i64, usize, i64)> = Vec::new();
    for (doc, data, _, at) in appends.iter() {
        let i = *index.entry(doc).or_insert_with(|| {
            per_doc.push((doc, 0, 0, 0));
            per_doc.len() - 1
        });
        let entry = &mut per_doc[i];
        (entry.1, entry.2, entry.3) = (entry.1 + 1, entry.2 + data.len(), entry.3.max(*at));
    }
    // Each document's first log number, from its head after taking them all.
    let mut next: std::collections::HashMap<&DocId, i64> = std::collections::HashMap::new();
    for (doc, rows, bytes, at) in per_doc {
        let head = grow_doc(tx, &statements.grow, doc, at, bytes, rows)?;
        next.insert(doc, head - rows + 1);
    }
    let (mut ids, mut numbers, mut seqs, mut datas) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (doc, data, seq, _) in appends.drain(..) {
        let n = next.get_mut(doc).expect("numbered above");
        ids.push(doc.as_str());
        numbers.push(*n);
        seqs.push(seq as i64);
        datas.push(data.as_ref());
        *n += 1;
    }
    tx.execute(&statements.insert, &[&ids, &numbers, &seqs, &datas])?;
    Ok(())
}

/// Folds `doc`'s log into `snapshot`, whichever node wrote it: only the
/// log rows the snapshot holds are deleted (another node's newest ones may
/// not be in it yet; they stay until a later snapshot holds them), and a
/// stored snapshot the new one does not hold is merged into it first. So
/// nodes sharing the database may compact one document in any order. What
/// a snapshot holds is read from its stored coverage, not decoded.
fn compact(tx: &mut Transaction<'_>, doc: &DocId, snapshot: &NewSnapshot, upto: Seq, headline: &Headline, at: i64) -> Result<(), postgres::Error> {
    upsert_doc(tx, doc, at, 0)?;
    let row = tx.query_one("SELECT snapshot, snapshot_coverage FROM docs WHERE id = $1 FOR UPDATE", &[&doc.as_str()])?;
    let stored: Option<(Vec<u8>, Option<Vec<u8>>)> = row.try_get::<_, Option<Vec<u8>>>(0)?.map(|bytes| (bytes, row.get(1)));
    let Some((bytes, coverage)) = folded(snapshot, stored) else {
        tracing::warn!(doc = %doc, "a snapshot did not decode; the log is kept as it is");
        return Ok(());
    };
    let rows = tx.query("SELECT n, data FROM updates WHERE doc_id = $1", &[&doc.as_str()])?;
    let mut covered = Vec::new();
    for row in &rows {
        if coverage.holds(row.try_get(1)?) {
            covered.push(row.try_get::<_, i64>(0)?);
        }
    }
    tx.execute("DELETE FROM updates WHERE doc_id = $1 AND n = ANY($2)", &[&doc.as_str(), &covered])?;
    let log: i64 = tx
        .query_one("SELECT coalesce(sum(length(data)), 0)::BIGINT FROM updates WHERE doc_id = $1", &[&doc.as_str()])?
        .try_get(0)?;
    tx.execute(
        "UPDATE docs SET snapshot = $2, snapshot_coverage = $3, snapshot_seq = greatest(snapshot_seq, $4), title = $5, excerpt = $6, size = $7
         WHERE id = $1",
        &[&doc.as_str(), &bytes, &coverage.encode(), &(upto as i64), &headline.title, &headline.excerpt, &(bytes.len() as i64 + log)],
    )?;
    Ok(())
}

/// The snapshot to store and what it holds: `snapshot`, or it merged with
/// the `stored` one (bytes, and coverage if recorded) when it does not hold
/// that (written by a node that had seen more). `None` if a snapshot does
/// not decode or merge.
fn folded(snapshot: &NewSnapshot, stored: Option<(Vec<u8>, Option<Vec<u8>>)>) -> Option<(Vec<u8>, Coverage)> {
    let coverage = Coverage::decode(&snapshot.coverage).or_else(|| Coverage::of_update(&snapshot.bytes))?;
    let Some((stored, stored_coverage)) = stored else { return Some((snapshot.bytes.clone(), coverage)) };
    let stored_coverage = stored_coverage.as_deref().and_then(Coverage::decode).or_else(|| Coverage::of_update(&stored))?;
    if coverage.holds_all(&stored_coverage) {
        return Some((snapshot.bytes.clone(), coverage));
    }
    let merged = yrs::merge_updates_v1([stored.as_slice(), snapshot.bytes.as_slice()]).ok()?;
    let coverage = Coverage::of_update(&merged)?;
    Some((merged, coverage))
}

/// Deletes every row of `doc`.
fn purge(tx: &mut Transaction<'_>, doc: &DocId) -> Result<(), postgres::Error> {
    for table in ["updates WHERE doc_id", "docs WHERE id", "versions WHERE doc", "access WHERE doc", "members WHERE doc", "links WHERE doc", "trash WHERE doc", "attachments WHERE doc_id"] {
        tx.execute(&format!("DELETE FROM {table} = $1"), &[&doc.as_str()])?;
    }
    Ok(())
}

/// A document's size in a listing counts its attachments too (so
/// `--max-store-bytes`, measured from listings, counts them).
const META_COLUMNS: &str = "SELECT id, title, excerpt, updated_at,
    (size + coalesce((SELECT sum(a.size) FROM attachments a WHERE a.doc_id = docs.id), 0))::BIGINT FROM docs";

fn to_meta(row: &Row) -> Result<DocMeta, StoreError> {
    let id: String = row.try_get(0)?;
    let id = DocId::parse(&id).map_err(|_| StoreError::BadId(id))?;
    let size: i64 = row.try_get(4)?;
    Ok(DocMeta { id, title: row.try_get(1)?, excerpt: row.try_get(2)?, updated_at: row.try_get(3)?, size: size.max(0) as u64 })
}

/// `doc`'s snapshot and log, in one read transaction.
fn load(client: &mut Client, doc: &DocId) -> Result<Option<StoredDoc>, postgres::Error> {
    let mut tx = client.build_transaction().read_only(true).isolation_level(postgres::IsolationLevel::RepeatableRead).start()?;
    let Some(row) = tx.query_opt("SELECT snapshot FROM docs WHERE id = $1", &[&doc.as_str()])? else {
        return Ok(None);
    };
    let mut stored = StoredDoc::default();
    stored.updates.extend(row.try_get::<_, Option<Vec<u8>>>(0)?);
    for row in tx.query("SELECT data FROM updates WHERE doc_id = $1 ORDER BY n", &[&doc.as_str()])? {
        let data: Vec<u8> = row.try_get(0)?;
        stored.log_len += 1;
        stored.log_bytes += data.len();
        stored.updates.push(data);
    }
    tx.commit()?;
    Ok(Some(stored))
}

impl Store for PgStore {
    writer_methods!();

    fn attachment(&self, doc: &DocId, id: &str) -> Result<Option<Attachment>, StoreError> {
        self.read(|client| attachments::read(client, doc, id))
    }

    fn versioned_docs(&self) -> Result<Vec<DocId>, StoreError> {
        let raw: Vec<String> = self.read(versions::docs)?;
        raw.into_iter().map(super::accounts::stored_doc_id).collect()
    }

    fn versions(&self, doc: &DocId) -> Result<Vec<VersionMeta>, StoreError> {
        self.read(|client| versions::list(client, doc))
    }

    fn version(&self, doc: &DocId, id: i64) -> Result<Option<(VersionMeta, Vec<Vec<u8>>)>, StoreError> {
        self.read(|client| versions::chain(client, doc, id))
    }

    fn chain_end(&self, doc: &DocId) -> Result<Option<ChainEnd>, StoreError> {
        self.read(|client| versions::chain_end(client, doc))
    }

    fn load(&self, doc: &DocId) -> Result<Option<StoredDoc>, StoreError> {
        self.read(|client| load(client, doc))
    }

    fn list(&self) -> Result<Vec<DocMeta>, StoreError> {
        let rows = self.read(|client| client.query(&format!("{META_COLUMNS} ORDER BY updated_at DESC, id COLLATE \"C\""), &[]))?;
        rows.iter().map(to_meta).collect()
    }

    fn meta(&self, doc: &DocId) -> Result<Option<DocMeta>, StoreError> {
        let row = self.read(|client| client.query_opt(&format!("{META_COLUMNS} WHERE id = $1"), &[&doc.as_str()]))?;
        row.as_ref().map(to_meta).transpose()
    }
}

impl Drop for PgStore {
    fn drop(&mut self) {
        self.close();
    }
}

#[cfg(test)]
mod tests {
    use super::redacted;

    #[test]
    fn a_logged_url_has_no_password() {
        assert_eq!(redacted("postgres://ada:s3cret@db:5432/tandem"), "postgres://ada@db:5432/tandem");
        assert_eq!(redacted("postgres://ada@db/tandem"), "postgres://ada@db/tandem");
        assert_eq!(redacted("host=db user=ada password=s3cret dbname=t"), "host=db user=ada password=*** dbname=t");
    }
}
