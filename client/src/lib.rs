//! A y-websocket client kit over tokio and tokio-tungstenite, speaking the
//! protocol through [`tandem_sync::protocol`]: what the load benchmark, the
//! server's integration tests and its fault simulation share.
//!
//! # Layout
//!
//! - [`connection`]: opening a [`Connection`] (a refused upgrade keeps its
//!   HTTP status and body), closing it, and dropping it in the middle of a frame.
//! - [`halves`]: its [`Sender`] (frames, or any raw WebSocket message) and its
//!   [`Receiver`] (binary frames, close codes), usable from two tasks.
//! - [`handshake`]: the stock handshake without a replica — the server's
//!   `SyncStep2` and any updates before it kept as frames, cheap enough for a
//!   benchmark — and barriers for flow control.
//! - [`replica`]: [`Replica`], a yrs document kept in sync frame by frame,
//!   with the awareness updates, keepalives and sync-status answers it saw.

pub mod connection;
pub mod halves;
pub mod handshake;
pub mod replica;

pub use connection::Connection;
pub use halves::{Ended, Event, Receiver, Sender};
pub use handshake::Synced;
pub use replica::{Handled, Replica};

use tokio_tungstenite::tungstenite;

/// Why talking to a server failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The WebSocket connection could not be opened.
    #[error("cannot connect to {url}: {source}")]
    Connect {
        /// The URL tried.
        url: String,
        /// What the WebSocket client said.
        source: Box<tungstenite::Error>,
    },
    /// The server answered the upgrade request with an HTTP status instead.
    #[error("cannot connect to {url}: HTTP error: {status}")]
    Refused {
        /// The URL tried.
        url: String,
        /// The answer's status.
        status: tungstenite::http::StatusCode,
        /// The answer's body.
        body: Vec<u8>,
    },
    /// Sending or receiving on an open connection failed.
    #[error("connection failed: {0}")]
    Socket(#[from] Box<tungstenite::Error>),
    /// The server closed the connection while the client still expected something.
    #[error("the server closed the connection")]
    Closed,
    /// Nothing expected arrived in time.
    #[error("timed out waiting for {0}")]
    Timeout(&'static str),
    /// The server sent a frame that is not a y-websocket message.
    #[error("bad frame from the server: {0}")]
    Protocol(#[from] tandem_sync::protocol::ProtocolError),
    /// The server sent an update or state vector yrs cannot decode or apply.
    #[error("bad update from the server: {0}")]
    Update(#[from] tandem_sync::document::ApplyError),
    /// The server sent a message only clients send (`QueryAwareness`, `Auth`).
    #[error("unexpected message from the server: {0}")]
    Unexpected(String),
}

impl From<tungstenite::Error> for Error {
    fn from(e: tungstenite::Error) -> Self {
        Error::Socket(Box::new(e))
    }
}
