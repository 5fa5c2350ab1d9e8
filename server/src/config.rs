//! Command-line configuration: one `clap` struct, every flag with an env fallback.

use crate::conn::ConnSettings;
use crate::peer::QueueLimits;
use clap::Parser;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// Tandem: write documents together, live.
#[derive(Debug, Clone, Parser)]
#[command(name = "tandem", version, about)]
pub struct Config {
    /// Address to listen on.
    #[arg(long, env = "TANDEM_ADDR", default_value = "127.0.0.1:3000")]
    pub addr: SocketAddr,
    /// Directory of the document store (created if missing).
    #[arg(long, env = "TANDEM_DATA_DIR", default_value = "./data")]
    pub data_dir: PathBuf,
    /// Log as JSON lines instead of text.
    #[arg(long, env = "TANDEM_LOG_JSON")]
    pub log_json: bool,
    /// Limits that protect the server.
    #[command(flatten)]
    pub limits: Limits,
    /// Who may talk to the server from a browser.
    #[command(flatten)]
    pub security: Security,
}

impl Config {
    /// What [`crate::run`] needs from the configuration.
    pub fn settings(&self) -> Settings {
        Settings { limits: self.limits.clone(), security: self.security.clone() }
    }
}

/// The settings a running server uses: its limits and its web security.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    /// Limits that protect the server.
    pub limits: Limits,
    /// Who may talk to the server from a browser.
    pub security: Security,
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
/// /api/docs/{id}/update`, capped by `--max-message-bytes`): API JSON and the
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
        }
    }
}
