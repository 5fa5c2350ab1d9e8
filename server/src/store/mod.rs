//! Durable storage behind a small trait.
//!
//! A [`Store`] keeps, per document, a snapshot and a log of updates appended
//! since. Writes are queued and committed in order by one writer; every queued
//! operation gets a sequence number ([`Seq`]), and [`Store::durable`] publishes
//! the highest one that is durably stored (every lower one is durable too).
//!
//! - `writer`: the write queue and its thread (group commit, retries, the
//!   durable seq), shared by the engines; an engine only says how a batch commits.
//! - `sqlite`: [`SqliteStore`], the embedded store — the writer over one
//!   connection, one reader, and (in `sqlite/backup.rs`) online backup and verified restore.
//! - `pg`: [`PgStore`], the same writer over a PostgreSQL database
//!   (`--database-url`).
//! - `migrate`: a whole store moved between the engines (`tandem migrate`),
//!   verified by reading both back.
//! - `accounts`: the [`Accounts`] and [`Access`] traits — people, sessions,
//!   tokens, invites; who may see each document — and what they store.
//! - `sqlite/accounts.rs`, `sqlite/access.rs`: those traits on the SQLite store.
//! - `versions`: what a document's versions are stored as; `sqlite/versions.rs` reads them.
//! - `attachments`: a document's images and their formats; `sqlite/attachments.rs` stores them.
//! - `monitor`: what the writer reports while it works, for `/readyz` and
//!   `/metrics`, and whether the store takes new writes ([`Intake`]).
//!
//! When commits fail (a full disk, an I/O error, a read-only file system) the
//! store keeps what it queued and retries; its [`Intake`] turns from `Open` to
//! `Failing` and the layers above stop handing it new updates until it is
//! `Open` again, so a failing disk costs no memory and loses nothing.

mod accounts;
mod attachments;
mod migrate;
mod monitor;
mod pg;
mod sqlite;
mod versions;
mod writer;

pub use accounts::{Access, AccessRow, Accounts, InviteInfo, LinkInfo, NewUser, StoredUser, TokenHash, TokenInfo, Trashed, UserInfo};
pub use attachments::{Attachment, ImageType};
pub use migrate::{Location, MigrateError, Moved, migrate};
pub use pg::{PG_SCHEMA_VERSION, PgStore, Sharing, claim, redacted};
pub use sqlite::{Copied, Restored, SCHEMA_VERSION, SqliteStore};
pub use versions::{ChainEnd, NewVersion, VersionKind, VersionMeta};

use tandem_sync::DocId;
use bytes::Bytes;
use serde::Serialize;
use prometheus_client::registry::Registry;
use tokio::sync::watch;

/// Position in the store's single write queue; strictly increasing.
pub type Seq = u64;

/// What the store knows about a document, for listings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DocMeta {
    /// The document id.
    pub id: DocId,
    /// The title as of the last snapshot.
    pub title: String,
    /// The body's first line as of the last snapshot ([`tandem_sync::document::excerpt`]).
    pub excerpt: String,
    /// Unix time in milliseconds of the last stored change.
    pub updated_at: i64,
    /// Bytes stored for the document (snapshot plus log, and its attachments).
    pub size: u64,
}

/// What a snapshot records of a document for listings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Headline {
    /// The title.
    pub title: String,
    /// The body's first line ([`tandem_sync::document::excerpt`]).
    pub excerpt: String,
}

impl Headline {
    /// The headline of `doc` as it is now.
    pub fn of(doc: &yrs::Doc) -> Self {
        let title = tandem_sync::document::title(doc);
        let excerpt = tandem_sync::document::excerpt(&tandem_sync::document::content(doc));
        Headline { title, excerpt }
    }
}

/// A snapshot to fold a document's log into: its bytes, and what it holds
/// ([`tandem_sync::compaction::Coverage`], encoded), which lets an engine
/// shared by several nodes fold away only the log rows it holds without
/// decoding it.
#[derive(Debug, Clone, Default)]
pub struct NewSnapshot {
    /// The whole state, as a v1 update.
    pub bytes: Vec<u8>,
    /// What it holds, encoded.
    pub coverage: Vec<u8>,
}

impl NewSnapshot {
    /// The snapshot of `doc` as it is now.
    pub fn of(doc: &yrs::Doc) -> Self {
        use yrs::{ReadTxn, Transact};
        let bytes = doc.transact().encode_state_as_update_v1(&yrs::StateVector::default());
        NewSnapshot { bytes, coverage: tandem_sync::compaction::Coverage::of(doc).encode() }
    }
}

/// A document as stored: the updates that rebuild it, snapshot first.
#[derive(Debug, Default)]
pub struct StoredDoc {
    /// v1 updates to apply in order; the first is the snapshot if there is one.
    pub updates: Vec<Vec<u8>>,
    /// Number of log entries after the snapshot.
    pub log_len: usize,
    /// Bytes in the log after the snapshot.
    pub log_bytes: usize,
}

/// Whether the store takes new writes now; published as a `watch` by [`Store::intake`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Intake {
    /// Writes are committed as they come: take more.
    Open,
    /// The write queue holds as much as it may: take more once commits catch up.
    Backlogged,
    /// Commits are failing and are retried with backoff: take more once one succeeds.
    Failing(Failure),
    /// The writer has stopped (closed, or crashed): nothing more will be stored.
    Stopped,
}

/// Why commits are failing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// The disk (or the file system's quota) is full.
    DiskFull,
    /// The database or its directory cannot be written.
    ReadOnly,
    /// Any other I/O or database error.
    Io,
    /// The database server (PostgreSQL) does not answer.
    Unreachable,
}

impl Intake {
    /// Whether new updates may be queued now.
    pub fn takes_writes(self) -> bool {
        self == Intake::Open
    }

    /// Why writes are not being stored, for `/readyz` and error answers;
    /// `None` while they are (a backlog that is draining is not a failure).
    pub fn problem(self) -> Option<&'static str> {
        match self {
            Intake::Open | Intake::Backlogged => None,
            Intake::Failing(Failure::DiskFull) => Some("the disk is full: new edits are paused until it has room"),
            Intake::Failing(Failure::ReadOnly) => Some("the data directory is read-only: new edits are paused"),
            Intake::Failing(Failure::Io) => Some("the last store commit failed; retrying"),
            Intake::Failing(Failure::Unreachable) => Some("the database does not answer: new edits wait until it does"),
            Intake::Stopped => Some("the store writer has stopped"),
        }
    }
}

/// Why a storage operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database reported an error.
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// PostgreSQL reported an error, or could not be reached.
    #[error("PostgreSQL: {}", pg::describe(.0))]
    Postgres(#[from] postgres::Error),
    /// A file-system operation on the data directory failed.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The data directory holds something that is not a Tandem store, or a damaged one.
    #[error("{0}")]
    NotOurs(String),
    /// The database stayed locked by another connection for too long.
    #[error("the database stayed locked; try again")]
    Busy,
    /// Another server uses the database in a way this one cannot share.
    #[error("{0}")]
    InUse(String),
    /// A stored document id no longer validates.
    #[error("stored document id {0:?} is invalid")]
    BadId(String),
    /// An account with this name exists already.
    #[error("user {0} already exists")]
    NameTaken(String),
}

/// Durable document storage. Queue operations never block; reads may, so call
/// them from a blocking context (`spawn_blocking`).
pub trait Store: Send + Sync + 'static {
    /// Queues `update` for `doc`, creating the document if needed.
    fn append(&self, doc: &DocId, update: Bytes) -> Seq;
    /// Queues a snapshot of `doc` that replaces its log up to and including
    /// `upto`, with the title and excerpt the listing shows until the next one.
    fn compact(&self, doc: &DocId, snapshot: NewSnapshot, upto: Seq, headline: Headline) -> Seq;
    /// Queues the creation of an empty `doc` (a no-op if it exists).
    fn create(&self, doc: &DocId) -> Seq;
    /// Queues the deletion for good of every row of `doc`: content, versions,
    /// attachments, access.
    fn purge(&self, doc: &DocId) -> Seq;
    /// Queues `attachment` of `doc` (a no-op if `doc` has one with its id
    /// already), creating the document if needed.
    fn add_attachment(&self, doc: &DocId, attachment: Attachment) -> Seq;
    /// Attachment `id` of `doc`, if it is stored.
    fn attachment(&self, doc: &DocId, id: &str) -> Result<Option<Attachment>, StoreError>;
    /// Queues a version of `doc`; its id is the returned [`Seq`].
    fn add_version(&self, doc: &DocId, version: NewVersion) -> Seq;
    /// Queues the removal of versions `ids` of `doc`, each merged into the
    /// version after it (so every later version still rebuilds); the newest
    /// version is never removed.
    fn thin_versions(&self, doc: &DocId, ids: Vec<i64>) -> Seq;
    /// Every document that has versions.
    fn versioned_docs(&self) -> Result<Vec<DocId>, StoreError>;
    /// The versions of `doc`, newest first.
    fn versions(&self, doc: &DocId) -> Result<Vec<VersionMeta>, StoreError>;
    /// Version `id` of `doc` and the updates that rebuild it (its last
    /// checkpoint, then every delta up to it), if it exists.
    fn version(&self, doc: &DocId, id: i64) -> Result<Option<(VersionMeta, Vec<Vec<u8>>)>, StoreError>;
    /// Where `doc`'s chain of versions ends, if it has any version.
    fn chain_end(&self, doc: &DocId) -> Result<Option<ChainEnd>, StoreError>;
    /// The highest durable [`Seq`].
    fn durable(&self) -> watch::Receiver<Seq>;
    /// The most recently queued [`Seq`].
    fn last_queued(&self) -> Seq;
    /// Reads a document; `None` if it was never stored.
    fn load(&self, doc: &DocId) -> Result<Option<StoredDoc>, StoreError>;
    /// Lists every stored document, most recently updated first.
    fn list(&self) -> Result<Vec<DocMeta>, StoreError>;
    /// The listing entry of one document.
    fn meta(&self, doc: &DocId) -> Result<Option<DocMeta>, StoreError>;
    /// Commits everything queued and stops the writer; later writes are refused.
    /// If commits are failing it tries once more, then gives up on what is
    /// left, logging it per document ([`Store::unstored`] counts it).
    fn close(&self);
    /// Whether writes are being stored now: `Err` with the reason if the
    /// writer stopped or its last commit failed. Cheap: no I/O.
    fn health(&self) -> Result<(), &'static str>;
    /// Whether the store takes new writes, as a watch that changes when that
    /// does. A store that never refuses is always `Open`.
    fn intake(&self) -> watch::Receiver<Intake> {
        watch::channel(Intake::Open).1
    }
    /// The highest [`Seq`] queued for `doc` that may not be durable yet:
    /// reads of `doc` see every write once that seq is durable.
    fn last_queued_for(&self, doc: &DocId) -> Seq {
        let _ = doc;
        self.last_queued()
    }
    /// Writes (updates, snapshots, versions) given up when the store closed
    /// while its commits kept failing (never acknowledged); 0 when everything
    /// queued was stored.
    fn unstored(&self) -> u64 {
        0
    }
    /// Registers the store's own metrics (commit latency, failures) in `registry`.
    fn register_metrics(&self, registry: &mut Registry) {
        let _ = registry;
    }
}

/// Store writes queued and not yet durable.
pub fn backlog(store: &dyn Store) -> u64 {
    store.last_queued().saturating_sub(*store.durable().borrow())
}

/// Waits until `seq` is durable. Returns `false` if the store closed first.
pub async fn wait_durable(store: &dyn Store, seq: Seq) -> bool {
    let mut rx = store.durable();
    rx.wait_for(|&d| d >= seq).await.is_ok()
}

/// Waits until everything queued so far is durable, so that reads see it.
/// While commits fail it waits no longer: reads then see what is durable
/// (what is queued is not acknowledged yet either). `false` once the store
/// has stopped.
pub async fn settle(store: &dyn Store) -> bool {
    let mut intake = store.intake();
    let failing = async move {
        let failed = intake.wait_for(|i| i.problem().is_some()).await.map(|now| *now);
        match failed {
            Ok(now) => now != Intake::Stopped,
            // A store whose intake never changes never fails.
            Err(_) => std::future::pending().await,
        }
    };
    tokio::select! {
        durable = wait_durable(store, store.last_queued()) => durable,
        settled = failing => settled,
    }
}

/// Waits until every write queued for `doc` is durable, so that a read of
/// `doc` sees it; other documents' writes are not waited for. `false` if the
/// store stopped first.
pub async fn settle_doc(store: &dyn Store, doc: &DocId) -> bool {
    wait_durable(store, store.last_queued_for(doc)).await
}
