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
}

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
