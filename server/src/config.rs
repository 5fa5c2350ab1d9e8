//! Command-line configuration: one `clap` struct, every flag with an env fallback.

use crate::conn::admission::ConnectionCaps;
use crate::conn::ConnSettings;
use tandem_sync::doc_core::DocLimits;
use crate::conn::throttle::Rate;
use crate::doc::queue::QueueLimits;
use crate::http::forwarded::TrustedProxies;
use crate::http::public_url::PublicUrl;
use ipnet::IpNet;
use crate::workspace::AccessSettings;
use crate::workspace::history::VersionTiming;
use crate::workspace::retention::Retention;
use clap::{Parser, Subcommand};
use tandem_sync::Role;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// Tandem: write documents together, live.
#[derive(Debug, Clone, Parser)]
#[command(name = "tandem", version = version_line(), about)]
pub struct Config {
    /// Address to listen on.
    #[arg(long, env = "TANDEM_ADDR", default_value = "127.0.0.1:3000")]
    pub addr: SocketAddr,
    /// Directory of the document store (created if missing).
    #[arg(long, env = "TANDEM_DATA_DIR", default_value = "./data", global = true)]
    pub data_dir: PathBuf,
    /// Keep everything in this PostgreSQL database instead of SQLite in
    /// --data-dir (e.g. `postgres://tandem@db.internal/tandem`). One server
    /// per database, or several with --redis-url. Tables are created or
    /// migrated on start.
    #[arg(long, env = "TANDEM_DATABASE_URL", global = true, hide_env_values = true)]
    pub database_url: Option<String>,
    /// Run as one node of several sharing --database-url: live edits,
    /// carets and presence reach the clients of every node through this
    /// Redis (e.g. `redis://redis.internal:6379`).
    #[arg(long, env = "TANDEM_REDIS_URL", hide_env_values = true, requires = "database_url")]
    pub redis_url: Option<String>,
    /// Log as JSON lines instead of text.
    #[arg(long, env = "TANDEM_LOG_JSON")]
    pub log_json: bool,
    /// Address of a second listener that serves only `/metrics`, to anyone
    /// who reaches it (e.g. `127.0.0.1:9464`); off unless set. On the main
    /// address `/metrics` answers administrators only.
    #[arg(long, env = "TANDEM_METRICS_ADDR")]
    pub metrics_addr: Option<SocketAddr>,
    /// Limits that protect the server.
    #[command(flatten)]
    pub limits: Limits,
    /// Who may talk to the server from a browser.
    #[command(flatten)]
    pub security: Security,
    /// Who may use the server.
    #[command(flatten)]
    pub access: AccessFlags,
    /// When versions are recorded.
    #[command(flatten)]
    pub history: HistoryFlags,
    /// Something to do instead of serving.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// What `tandem --version` prints after the name: the release and the store
/// schema it writes (it opens stores of that schema and older ones).
pub fn version_line() -> &'static str {
    static LINE: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        format!("{} (store schema {})", env!("CARGO_PKG_VERSION"), crate::store::SCHEMA_VERSION)
    });
    &LINE
}

/// What `tandem` does instead of serving when given a subcommand.
#[derive(Debug, Clone, Subcommand)]
pub enum Command {
    /// Copy the store in --data-dir to a single file while a server keeps serving it.
    Backup(crate::commands::BackupArgs),
    /// Install a backup as the store in --data-dir; no server may be running on it.
    Restore(crate::commands::RestoreArgs),
    /// Manage accounts in the store (--data-dir, where no server may be running, or --database-url).
    User(crate::commands::UserArgs),
    /// Move the whole store between a data directory and a PostgreSQL database (either way), verified; stop the servers first.
    Migrate(crate::commands::MigrateArgs),
}

impl Config {
    /// What [`crate::run`] needs from the configuration.
    pub fn settings(&self) -> Settings {
        let history = self.history.timing();
        let redis_url = self.redis_url.clone();
        Settings { limits: self.limits.clone(), security: self.security.clone(), access: self.access.settings(), history, redis_url }
    }
}

/// The settings a running server uses: its limits, web security and access.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Limits that protect the server.
    pub limits: Limits,
    /// Who may talk to the server from a browser.
    pub security: Security,
    /// Who may use the server.
    pub access: AccessSettings,
    /// When automatic versions are recorded.
    pub history: VersionTiming,
    /// The Redis that joins this node to the others (clustered mode).
    pub redis_url: Option<String>,
}

impl Default for Settings {
    /// Default limits in open mode: what tests and embedders start from. The
    /// `tandem` binary starts from its flags instead, in accounts mode.
    fn default() -> Self {
        let history = HistoryFlags::parse_from(["tandem"]).timing();
        Settings { limits: Limits::default(), security: Security::default(), access: AccessSettings::open(), history, redis_url: None }
    }
}

/// When a document's versions are recorded.
#[derive(Debug, Clone, Parser)]
pub struct HistoryFlags {
    /// Seconds editing must pause before an automatic version is recorded.
    #[arg(long, env = "TANDEM_VERSION_IDLE_SECS", default_value_t = 120, value_parser = clap::value_parser!(u64).range(1..))]
    pub version_idle_secs: u64,
    /// Most seconds between automatic versions while editing goes on.
    #[arg(long, env = "TANDEM_VERSION_INTERVAL_SECS", default_value_t = 600, value_parser = clap::value_parser!(u64).range(1..))]
    pub version_interval_secs: u64,
    /// Hours every automatic version is kept; after that, the newest of each hour.
    #[arg(long, env = "TANDEM_KEEP_ALL_VERSIONS_HOURS", default_value_t = 24, value_parser = clap::value_parser!(u64).range(1..))]
    pub keep_all_versions_hours: u64,
    /// Days the newest automatic version of each hour is kept; after that, the newest of each day.
    #[arg(long, env = "TANDEM_KEEP_HOURLY_VERSIONS_DAYS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..))]
    pub keep_hourly_versions_days: u64,
    /// Days a deleted document stays in the trash before it is deleted for good.
    #[arg(long, env = "TANDEM_TRASH_DAYS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=36_500))]
    pub trash_days: u64,
}

impl HistoryFlags {
    /// The timing these flags set.
    pub fn timing(&self) -> VersionTiming {
        VersionTiming {
            idle: Duration::from_secs(self.version_idle_secs),
            interval: Duration::from_secs(self.version_interval_secs),
            trash: Duration::from_secs(self.trash_days * 86_400),
            retention: Retention {
                keep_all: Duration::from_secs(self.keep_all_versions_hours * 3600),
                keep_hourly: Duration::from_secs(self.keep_hourly_versions_days * 86_400),
            },
        }
    }
}

/// Who may use the server: accounts (the default) or open mode.
#[derive(Debug, Clone, Parser)]
pub struct AccessFlags {
    /// Open mode: no accounts; everyone who reaches the server may read and
    /// edit everything. For a personal instance on loopback.
    #[arg(long, env = "TANDEM_OPEN")]
    pub open: bool,
    /// What every member may do with a new document: none, viewer or editor
    /// (its owner can change it in the Share dialog).
    #[arg(long, env = "TANDEM_DEFAULT_WORKSPACE_ACCESS", default_value = "editor", value_parser = parse_workspace_access)]
    pub default_workspace_access: WorkspaceAccess,
}

/// Workspace access as a flag value: `None` is `none`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorkspaceAccess(pub Option<Role>);

fn parse_workspace_access(raw: &str) -> Result<WorkspaceAccess, String> {
    crate::workspace::sharing::parse_workspace(raw).map(WorkspaceAccess).map_err(|e| e.to_string())
}

impl AccessFlags {
    /// The access settings these flags make.
    pub fn settings(&self) -> AccessSettings {
        AccessSettings { open: self.open, default_workspace: self.default_workspace_access.0 }
    }
}

/// Web security settings.
#[derive(Debug, Clone, Default, Parser)]
pub struct Security {
    /// Origins (`scheme://host[:port]`, comma-separated) whose pages may open
    /// WebSockets and send state-changing requests, besides the server's own
    /// origin. Requests from any other page are refused with 403; requests
    /// without an `Origin` header (non-browser clients) are allowed.
    #[arg(long, env = "TANDEM_ALLOWED_ORIGINS", value_delimiter = ',', value_parser = AllowedOrigin::parse)]
    pub allowed_origins: Vec<AllowedOrigin>,
    /// The URL people use to reach the server (`https://notes.example.com`,
    /// optionally with a path). Requests for any other host get 421; with
    /// https, session cookies are `Secure` and HSTS is sent.
    #[arg(long, env = "TANDEM_PUBLIC_URL", value_parser = PublicUrl::parse)]
    pub public_url: Option<PublicUrl>,
    /// Reverse proxies (addresses or networks, comma-separated: `127.0.0.1,10.0.0.0/8`)
    /// whose `Forwarded` / `X-Forwarded-For` headers name the client; from
    /// any other peer those headers are ignored.
    #[arg(long, env = "TANDEM_TRUSTED_PROXIES", value_delimiter = ',', value_parser = TrustedProxies::parse_network)]
    pub trusted_proxies: Vec<IpNet>,
}

/// A browser origin allowed besides the server's own, normalized to
/// lowercase `scheme://host[:port]` as browsers send it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowedOrigin(String);

impl AllowedOrigin {
    /// Parses `scheme://host[:port]` (a trailing `/` is accepted); anything
    /// with a path, query or user info is refused.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let trimmed = raw.trim().trim_end_matches('/');
        let uri: axum::http::Uri = trimmed.parse().map_err(|e| format!("{raw:?} is not an origin: {e}"))?;
        let (Some(scheme), Some(authority)) = (uri.scheme_str(), uri.authority()) else {
            return Err(format!("{raw:?} is not an origin: use scheme://host[:port]"));
        };
        let bare = uri.path_and_query().is_none_or(|p| p.as_str() == "/");
        if !bare || authority.as_str().contains('@') {
            return Err(format!("{raw:?} is not an origin: no path, query or user info"));
        }
        Ok(AllowedOrigin(format!("{scheme}://{authority}").to_ascii_lowercase()))
    }

    /// The normalized origin.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Largest body of any HTTP request but an update upload (`POST
/// /api/docs/{id}/update`, capped by `--max-message-bytes`), an import (the
/// same) and an attachment (`--max-attachment-bytes`): API JSON and the
/// pages' server functions are small. A larger body gets 413.
pub const MAX_FORM_BYTES: usize = 64 * 1024;

/// Limits, each with a default that suits a laptop or a small server.
#[derive(Debug, Clone, Parser)]
pub struct Limits {
    /// Largest WebSocket message or HTTP update body accepted, in bytes; a
    /// larger WebSocket message closes its connection with 1009.
    #[arg(long, env = "TANDEM_MAX_MESSAGE_BYTES", default_value_t = 32 << 20)]
    pub max_message_bytes: usize,
    /// Most frames waiting to be sent to one connection; past it the
    /// connection is closed with 1013 and its client resyncs on reconnect.
    #[arg(long, env = "TANDEM_MAX_QUEUE_FRAMES", default_value_t = 16_384)]
    pub max_queue_frames: usize,
    /// Most bytes waiting to be sent to one connection; past it, as above.
    #[arg(long, env = "TANDEM_MAX_QUEUE_BYTES", default_value_t = 64 << 20)]
    pub max_queue_bytes: usize,
    /// Seconds of silence after which the server sends a keepalive message.
    #[arg(long, env = "TANDEM_KEEPALIVE_SECS", default_value_t = 10)]
    pub keepalive_secs: u64,
    /// Seconds of silence from a client after which it is disconnected.
    #[arg(long, env = "TANDEM_IDLE_TIMEOUT_SECS", default_value_t = 60)]
    pub idle_timeout_secs: u64,
    /// Seconds an HTTP request (not a WebSocket) may take, body upload
    /// included, before it is answered with 408; the answer of a streaming
    /// route (events) counts until its headers.
    #[arg(long, env = "TANDEM_HTTP_TIMEOUT_SECS", default_value_t = 30)]
    pub http_timeout_secs: u64,
    /// Largest stored state of one document, in bytes (estimated from the
    /// updates applied since it was last measured). An update that would pass
    /// it is refused: the WebSocket sender is closed with 1009, an HTTP upload
    /// gets 413.
    #[arg(long, env = "TANDEM_MAX_DOC_BYTES", default_value_t = 64 << 20)]
    pub max_doc_bytes: usize,
    /// Most WebSocket connections open at once; past it the upgrade gets 503.
    #[arg(long, env = "TANDEM_MAX_CONNECTIONS", default_value_t = 10_000)]
    pub max_connections: usize,
    /// Most WebSocket connections open at once from one client address (an
    /// IPv6 /64 counts as one address); past it the upgrade gets 429.
    #[arg(long, env = "TANDEM_MAX_CONNECTIONS_PER_IP", default_value_t = 256)]
    pub max_connections_per_ip: usize,
    /// Most WebSocket connections open at once to one document; past it the
    /// upgrade gets 503.
    #[arg(long, env = "TANDEM_MAX_CONNECTIONS_PER_DOC", default_value_t = 1_000)]
    pub max_connections_per_doc: usize,
    /// Messages per second one connection may send in the long run; a faster
    /// client is throttled (its socket is not read until it is within the
    /// rate again), never disconnected and never loses a message.
    #[arg(long, env = "TANDEM_MAX_MESSAGES_PER_SEC", default_value_t = 500)]
    pub max_messages_per_sec: u32,
    /// Messages a connection may send at once, above the rate, before it is throttled.
    #[arg(long, env = "TANDEM_MESSAGE_BURST", default_value_t = 1_000)]
    pub message_burst: u32,
    /// Seconds a client may take to send its HTTP request headers (the
    /// connection is dropped), and a WebSocket client its first message after
    /// the upgrade (closed with 1008).
    #[arg(long, env = "TANDEM_HANDSHAKE_TIMEOUT_SECS", default_value_t = 10)]
    pub handshake_timeout_secs: u64,
    /// Bytes of messages buffered from one connection while its document is
    /// still loading; past it the connection is closed with 1009.
    #[arg(long, env = "TANDEM_MAX_PENDING_BYTES", default_value_t = 8 << 20)]
    pub max_pending_bytes: usize,
    /// Largest awareness state (the JSON of one client's cursor, name and
    /// color), in bytes; a larger one closes its connection with 1009 and is
    /// not relayed.
    #[arg(long, env = "TANDEM_MAX_AWARENESS_BYTES", default_value_t = 64 << 10)]
    pub max_awareness_bytes: usize,
    /// Documents one client address may create per minute (API, pages and
    /// imports together), up to as many at once; past it: 429 with `Retry-After`.
    /// 0 turns the limit off.
    #[arg(long, env = "TANDEM_MAX_CREATES_PER_MIN", default_value_t = 60)]
    pub max_creates_per_min: u32,
    /// Uploads of updates and attachments (`POST /api/docs/{id}/update`,
    /// `POST /api/docs/{id}/attachments`, counted together) one client
    /// address may send per minute, up to as many at once; past it: 429. 0: no limit.
    #[arg(long, env = "TANDEM_MAX_UPLOADS_PER_MIN", default_value_t = 600)]
    pub max_uploads_per_min: u32,
    /// Markdown imports one client address may send per minute, up to as
    /// many at once; past it: 429. 0: no limit.
    #[arg(long, env = "TANDEM_MAX_IMPORTS_PER_MIN", default_value_t = 30)]
    pub max_imports_per_min: u32,
    /// Password checks (sign-in, setup, joining, password change) one client
    /// address may ask for per minute, on top of the per-name failure limit;
    /// past it: 429. 0: no limit.
    #[arg(long, env = "TANDEM_MAX_SIGN_INS_PER_MIN", default_value_t = 20)]
    pub max_sign_ins_per_min: u32,
    /// Most event streams (`GET /api/events`) open at once; past it: 503.
    #[arg(long, env = "TANDEM_MAX_EVENT_STREAMS", default_value_t = 1_000)]
    pub max_event_streams: usize,
    /// Most event streams open at once from one client address (one per open
    /// workspace tab); past it: 429.
    #[arg(long, env = "TANDEM_MAX_EVENT_STREAMS_PER_IP", default_value_t = 16)]
    pub max_event_streams_per_ip: usize,
    /// Most documents one account may own, in the trash included; creating
    /// one more gets 507 `too_many_documents`. Not applied in open mode (one
    /// person; `--max-store-bytes` bounds it). 0: no limit.
    #[arg(long, env = "TANDEM_MAX_DOCS_PER_USER", default_value_t = 10_000)]
    pub max_docs_per_user: u64,
    /// Most bytes of document content the store may hold (snapshots and
    /// logs; versions and accounts are not counted). Past it, creating a
    /// document or uploading an update gets 507 `store_full`, a WebSocket
    /// update is refused like one over `--max-doc-bytes` (1009); reads keep
    /// working. 0 (the default): no limit but the disk.
    #[arg(long, env = "TANDEM_MAX_STORE_BYTES", default_value_t = 0)]
    pub max_store_bytes: u64,
    /// Largest image attachment (`POST /api/docs/{id}/attachments`), in
    /// bytes; a larger body gets 413 `attachment_too_large` and nothing is
    /// stored. The body limit of that route alone is raised to this.
    #[arg(long, env = "TANDEM_MAX_ATTACHMENT_BYTES", default_value_t = 10 << 20)]
    pub max_attachment_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits::parse_from(["tandem"])
    }
}

impl Limits {
    /// The per-connection settings these limits imply.
    pub fn conn_settings(&self) -> ConnSettings {
        ConnSettings {
            queue: QueueLimits { frames: self.max_queue_frames, bytes: self.max_queue_bytes },
            keepalive: Duration::from_secs(self.keepalive_secs),
            idle_timeout: Duration::from_secs(self.idle_timeout_secs),
            handshake_timeout: self.handshake_timeout(),
            rate: Rate { per_sec: self.max_messages_per_sec, burst: self.message_burst },
            max_pending_bytes: self.max_pending_bytes,
        }
    }

    /// The time a client has to send its request headers, or its first WebSocket message.
    pub fn handshake_timeout(&self) -> Duration {
        Duration::from_secs(self.handshake_timeout_secs)
    }

    /// The limits each document enforces.
    pub fn doc_limits(&self) -> DocLimits {
        DocLimits {
            max_doc_bytes: self.max_doc_bytes,
            max_awareness_bytes: self.max_awareness_bytes,
            max_message_bytes: self.max_message_bytes,
        }
    }

    /// The per-client rates of what a client can start over HTTP.
    pub fn client_rates(&self) -> crate::http::rate::ClientRates {
        crate::http::rate::ClientRates {
            creates: self.max_creates_per_min,
            uploads: self.max_uploads_per_min,
            imports: self.max_imports_per_min,
            sign_ins: self.max_sign_ins_per_min,
        }
    }

    /// The caps on open event streams.
    pub fn stream_caps(&self) -> crate::http::streams::StreamCaps {
        crate::http::streams::StreamCaps { total: self.max_event_streams, per_client: self.max_event_streams_per_ip }
    }

    /// The caps on open WebSocket connections.
    pub fn connection_caps(&self) -> ConnectionCaps {
        ConnectionCaps {
            total: self.max_connections,
            per_ip: self.max_connections_per_ip,
            per_doc: self.max_connections_per_doc,
        }
    }
}
