//! The PostgreSQL store's tables and their versioned migrations. The
//! version is kept in `tandem_schema`; the migrations run in one
//! transaction under an advisory lock, so nodes starting together migrate
//! once. A database written by a newer Tandem is refused untouched, and one
//! holding other tables but no `tandem_schema` is refused as not ours.

use crate::store::StoreError;
use postgres::Client;

/// The schema version this build writes.
pub const PG_SCHEMA_VERSION: i32 = 3;

/// The advisory lock key that serializes migrations ("TAND").
const MIGRATION_LOCK: i64 = 0x5441_4E44;

/// Version 1: documents, their logs, accounts, access, versions, the trash
/// and attachments. Usernames are unique without regard to ASCII case (as
/// in the SQLite store); tokens are stored as their SHA-256 hashes only.
/// `docs.head` numbers each document's log (`updates.n`) without gaps.
const V1: &str = "
CREATE TABLE docs (
    id           TEXT PRIMARY KEY,
    title        TEXT NOT NULL DEFAULT '',
    excerpt      TEXT NOT NULL DEFAULT '',
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL,
    snapshot     BYTEA,
    snapshot_seq BIGINT NOT NULL DEFAULT 0,
    size         BIGINT NOT NULL DEFAULT 0,
    head         BIGINT NOT NULL DEFAULT 0
);
CREATE TABLE updates (
    doc_id TEXT NOT NULL,
    n      BIGINT NOT NULL,
    seq    BIGINT NOT NULL,
    data   BYTEA NOT NULL,
    PRIMARY KEY (doc_id, n)
);
CREATE TABLE users (
    username      TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    admin         BOOLEAN NOT NULL DEFAULT false,
    created_at    BIGINT NOT NULL
);
CREATE UNIQUE INDEX users_by_name ON users (lower(username));
CREATE TABLE sessions (
    token_hash BYTEA PRIMARY KEY,
    username   TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_by_user ON sessions (lower(username));
CREATE TABLE api_tokens (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    token_hash BYTEA NOT NULL UNIQUE,
    username   TEXT NOT NULL,
    name       TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE TABLE invites (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    token_hash BYTEA NOT NULL UNIQUE,
    admin      BOOLEAN NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE TABLE access (
    doc       TEXT PRIMARY KEY,
    owner     TEXT,
    workspace TEXT NOT NULL
);
CREATE TABLE members (
    doc      TEXT NOT NULL,
    username TEXT NOT NULL,
    role     TEXT NOT NULL
);
CREATE UNIQUE INDEX members_by_doc ON members (doc, lower(username));
CREATE INDEX members_by_user ON members (lower(username));
CREATE TABLE links (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    token_hash BYTEA NOT NULL UNIQUE,
    doc        TEXT NOT NULL,
    role       TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX links_by_doc ON links (doc);
CREATE TABLE versions (
    id           BIGINT PRIMARY KEY,
    doc          TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    kind         TEXT NOT NULL,
    label        TEXT,
    authors      TEXT NOT NULL,
    checkpoint   BOOLEAN NOT NULL,
    data         BYTEA NOT NULL,
    state_vector BYTEA NOT NULL
);
CREATE INDEX versions_by_doc ON versions (doc, id);
CREATE TABLE trash (
    doc        TEXT PRIMARY KEY,
    deleted_at BIGINT NOT NULL,
    deleted_by TEXT NOT NULL
);
CREATE TABLE attachments (
    doc_id       TEXT NOT NULL,
    id           TEXT NOT NULL,
    content_type TEXT NOT NULL,
    bytes        BYTEA NOT NULL,
    created_at   BIGINT NOT NULL,
    size         BIGINT NOT NULL,
    PRIMARY KEY (doc_id, id)
);
CREATE SEQUENCE store_epochs;
";

/// Version 2: what each snapshot holds (its state vector and delete set),
/// stored beside it so that folding a log never decodes the snapshot; NULL
/// for a snapshot written before, which is then decoded once.
const V2: &str = "ALTER TABLE docs ADD COLUMN snapshot_coverage BYTEA;";

/// Version 3: snapshots and versions are compressed with LZ4 where the
/// server has it (PostgreSQL 14 and later, built with lz4, as Debian's and
/// the official images are) instead of the default pglz, which took half
/// of PostgreSQL's time under a burst of edits: a document's snapshot is
/// written whole at every compaction. Elsewhere nothing changes.
const V3: &str = "
DO $$ BEGIN
    IF EXISTS (SELECT 1 FROM pg_settings WHERE name = 'default_toast_compression' AND 'lz4' = ANY (enumvals)) THEN
        EXECUTE 'ALTER TABLE docs ALTER COLUMN snapshot SET COMPRESSION lz4';
        EXECUTE 'ALTER TABLE versions ALTER COLUMN data SET COMPRESSION lz4';
    END IF;
END $$;
";

/// What turns a database of schema `from` into the next version, in order;
/// version 0 is an empty database.
const MIGRATIONS: [(i32, &str); 3] = [(0, V1), (1, V2), (2, V3)];

/// Brings the database up to [`PG_SCHEMA_VERSION`] if it is older (or
/// empty), then draws this process's epoch for its seqs.
pub(super) fn prepare(client: &mut Client) -> Result<i64, StoreError> {
    let mut tx = client.transaction()?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])?;
    let version = current_version(&mut tx)?;
    if version > PG_SCHEMA_VERSION {
        return Err(StoreError::NotOurs(format!(
            "the database was written by a newer Tandem (schema {version}, this build knows {PG_SCHEMA_VERSION}); refusing to use it"
        )));
    }
    if version == 0 {
        tx.batch_execute("CREATE TABLE tandem_schema (version INTEGER NOT NULL); INSERT INTO tandem_schema VALUES (0);")?;
    }
    for (from, sql) in MIGRATIONS.iter().filter(|(from, _)| *from >= version) {
        tx.batch_execute(sql)?;
        tx.execute("UPDATE tandem_schema SET version = $1", &[&(from + 1)])?;
        tracing::info!(from, to = from + 1, "database schema migrated");
    }
    let epoch: i64 = tx.query_one("SELECT nextval('store_epochs')", &[])?.try_get(0)?;
    tx.commit()?;
    Ok(epoch)
}

/// The schema version of the database: 0 if it has no tables at all;
/// refuses one that has tables but is not a Tandem store.
fn current_version(tx: &mut postgres::Transaction<'_>) -> Result<i32, StoreError> {
    let ours = tx.query_one("SELECT to_regclass('tandem_schema') IS NOT NULL", &[])?.try_get::<_, bool>(0)?;
    if ours {
        return Ok(tx.query_one("SELECT version FROM tandem_schema", &[])?.try_get(0)?);
    }
    let tables: i64 = tx
        .query_one("SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()", &[])?
        .try_get(0)?;
    if tables > 0 {
        return Err(StoreError::NotOurs(
            "the database holds tables of something else (no tandem_schema); refusing to use it".into(),
        ));
    }
    Ok(0)
}
