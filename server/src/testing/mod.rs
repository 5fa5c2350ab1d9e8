//! The server's test harness (feature `testing`): an in-process server on
//! port 0, a y-websocket test client, a minimal HTTP client and `/metrics`
//! readers, shared by the server's test binaries and the benchmark's tests.
//! Never part of the production binary: only tests turn the feature on.
//!
//! # Layout
//!
//! - this module: [`TestServer`], [`PATIENCE`] and small text helpers.
//! - [`client`]: [`Client`], a y-websocket client that keeps a yrs document
//!   in sync and panics on anything a test does not expect.
//! - [`http`]: one-request-per-connection HTTP, enough for the API.
//! - [`scrape`]: reading `/metrics`.
//! - [`postgres`]: a real PostgreSQL server in a temporary directory, one
//!   per process ([`postgres::shared`]) or one per test that crashes it.
//! - [`redis`]: a real Redis server on a free port, for the clustered mode.

pub mod client;
pub mod http;
pub mod postgres;
pub mod redis;
pub mod scrape;

pub use client::{Client, Ended};
pub use http::{Answer, get, post_json, request, request_typed, send};

use crate::config::{Limits, Settings};
use crate::store::{SqliteStore, Store};
use crate::workspace::Directory;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// Longest wait for anything a test expects to happen.
pub const PATIENCE: Duration = Duration::from_secs(20);

/// A server running inside the test process.
pub struct TestServer {
    /// The address it listens on.
    pub addr: SocketAddr,
    /// The address of its metrics listener (`--metrics-addr`).
    pub metrics_addr: SocketAddr,
    shutdown: CancellationToken,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl TestServer {
    /// Starts a server on 127.0.0.1:0 over the store in `dir`.
    pub async fn start(dir: &Path, limits: Limits) -> TestServer {
        Self::start_with(dir, Settings { limits, ..Settings::default() }).await
    }

    /// Starts a server with `settings` over the store of `dir` ([`open_store`]).
    pub async fn start_with(dir: &Path, settings: Settings) -> TestServer {
        let (store, directory) = open_store(dir);
        Self::start_on(store, directory, settings).await
    }

    /// Starts a server with `settings` over the SQLite store in `dir`,
    /// whatever [`STORE_ENV`] says: for tests that reach into its files.
    pub async fn start_on_sqlite(dir: &Path, settings: Settings) -> TestServer {
        let store = Arc::new(SqliteStore::open(dir).expect("open store"));
        Self::start_on(store.clone(), store, settings).await
    }

    /// Starts a server with `settings` over `store`, its people and access in `directory`.
    pub async fn start_on(store: Arc<dyn Store>, directory: Arc<dyn Directory>, settings: Settings) -> TestServer {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let metrics = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind metrics");
        let (addr, metrics_addr) = (listener.local_addr().expect("addr"), metrics.local_addr().expect("addr"));
        let shutdown = CancellationToken::new();
        let task = tokio::spawn(crate::run_with_metrics(listener, Some(metrics), store, directory, settings, shutdown.clone()));
        TestServer { addr, metrics_addr, shutdown, task }
    }

    /// Shuts down gracefully and waits until everything is stored.
    pub async fn stop(self) {
        self.shutdown.cancel();
        self.task.await.expect("server task").expect("server run");
    }

    /// The WebSocket URL of document `doc`.
    pub fn ws_url(&self, doc: &str) -> String {
        format!("ws://{}/ws/{doc}", self.addr)
    }

    /// The URL of `/metrics` on the metrics listener.
    pub fn metrics_url(&self) -> String {
        format!("http://{}/metrics", self.metrics_addr)
    }

    /// The HTTP URL of `path` (which starts with `/`).
    pub fn http(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
}

/// Which engine [`open_store`] opens: `TANDEM_TEST_STORE=postgres` runs the
/// tests that start servers through [`TestServer::start_with`] on PostgreSQL.
pub const STORE_ENV: &str = "TANDEM_TEST_STORE";

/// The store of the test directory `dir`, as documents and as directory:
/// SQLite in `dir`, or with [`STORE_ENV`]`=postgres` a database of the shared
/// PostgreSQL server that stands for `dir` — the same one each time `dir` is
/// opened, so a test that restarts its server finds its documents.
pub fn open_store(dir: &Path) -> (Arc<dyn Store>, Arc<dyn Directory>) {
    if std::env::var(STORE_ENV).is_ok_and(|v| v == "postgres") {
        /// The database standing for each test directory. Std mutex: held
        /// for a lookup or one `CREATE DATABASE`, never across an `.await`.
        static DATABASES: std::sync::Mutex<Vec<(std::path::PathBuf, String)>> = std::sync::Mutex::new(Vec::new());
        let url = {
            let mut databases = DATABASES.lock().unwrap_or_else(|p| p.into_inner());
            match databases.iter().find(|(d, _)| d == dir) {
                Some((_, url)) => url.clone(),
                None => {
                    let url = postgres::shared().create_database();
                    databases.push((dir.to_owned(), url.clone()));
                    url
                }
            }
        };
        let store = Arc::new(crate::store::PgStore::open(&url).expect("open the PostgreSQL store"));
        return (store.clone(), store);
    }
    let store = Arc::new(SqliteStore::open(dir).expect("open store"));
    (store.clone(), store)
}

/// A fresh document id for one test.
pub fn doc_id(name: &str) -> String {
    format!("{name}-{}", rand::random::<u32>())
}

/// The plain text of a document via the API.
pub async fn api_text(server_http: &str) -> String {
    let (status, body) = get(server_http).await;
    assert_eq!(status, 200, "GET {server_http}");
    String::from_utf8(body).expect("utf-8")
}

/// Checks `text` contains every marker.
pub fn contains_all(text: &str, markers: &[String]) -> bool {
    markers.iter().all(|m| text.contains(m.as_str()))
}

/// Text of a doc built from one v1 update.
pub fn text_of_update(update: &[u8]) -> String {
    let doc = tandem_sync::document::new_doc();
    tandem_sync::document::apply_v1(&doc, update).expect("a valid update");
    tandem_sync::document::content(&doc)
}
