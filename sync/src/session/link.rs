//! The connection's life: down, opening, open; the reconnect backoff; and
//! the silence after which a socket is taken for dead.

use std::time::Duration;

/// First reconnect delay, in milliseconds; it doubles per failed attempt.
pub const BACKOFF_START_MS: f64 = 250.0;
/// Longest reconnect delay, in milliseconds.
pub const BACKOFF_CAP_MS: f64 = 10_000.0;
/// A socket that has heard nothing for this long (in milliseconds) is taken
/// for dead (the server speaks at least every 10 s) and replaced; a half-open
/// TCP connection can otherwise look open for many minutes.
pub const SILENCE_LIMIT_MS: f64 = 30_000.0;

/// Where the socket is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Socket {
    /// None: not yet opened, or lost.
    Down,
    /// Asked for, not yet open.
    Opening,
    /// Open: frames can be sent.
    Open,
    /// Closed by the server for good (signed out, access removed): never reopened.
    Ended,
}

/// The connection's state between events.
#[derive(Debug)]
pub(super) struct Link {
    socket: Socket,
    /// Consecutive failed connection attempts, for the backoff.
    failures: u32,
    /// When the socket last heard from the server (or was asked for), in ms.
    heard_at: f64,
}

impl Link {
    /// No socket yet.
    pub(super) fn new() -> Self {
        Link { socket: Socket::Down, failures: 0, heard_at: 0.0 }
    }

    /// Whether a socket is open or opening.
    pub(super) fn is_live(&self) -> bool {
        matches!(self.socket, Socket::Opening | Socket::Open)
    }

    /// Whether the server closed the socket for good.
    pub(super) fn is_ended(&self) -> bool {
        self.socket == Socket::Ended
    }

    /// Whether frames can be sent.
    pub(super) fn is_open(&self) -> bool {
        self.socket == Socket::Open
    }

    /// Asks for a socket at `now` unless one is live; `true` if one is to be opened.
    pub(super) fn connect(&mut self, now: f64) -> bool {
        if self.socket != Socket::Down {
            return false;
        }
        self.socket = Socket::Opening;
        self.heard_at = now;
        true
    }

    /// The socket opened at `now`.
    pub(super) fn opened(&mut self, now: f64) {
        self.socket = Socket::Open;
        self.failures = 0;
        self.heard_at = now;
    }

    /// The server was heard from at `now`.
    pub(super) fn heard(&mut self, now: f64) {
        self.heard_at = now;
    }

    /// Whether a live socket has been silent too long at `now` (a socket still
    /// opening counts too: a handshake the server never answers hangs as long).
    pub(super) fn is_silent(&self, now: f64) -> bool {
        self.is_live() && now - self.heard_at > SILENCE_LIMIT_MS
    }

    /// The server closed the socket for good: no socket is asked for again.
    pub(super) fn end(&mut self) {
        self.socket = Socket::Ended;
    }

    /// The socket is gone (or could not be made): the wait before the next
    /// attempt, scaled by `jitter` (in `[0, 1)`).
    pub(super) fn lost(&mut self, jitter: f64) -> Duration {
        if self.socket != Socket::Ended {
            self.socket = Socket::Down;
        }
        let n = self.failures;
        self.failures = n.saturating_add(1);
        backoff(n, jitter)
    }
}

/// The wait after `failures` consecutive failed attempts: doubling from
/// [`BACKOFF_START_MS`] up to [`BACKOFF_CAP_MS`], then cut to between half
/// and all of it by `jitter` (in `[0, 1)`), so that clients a server restart
/// dropped together do not all come back at once.
pub fn backoff(failures: u32, jitter: f64) -> Duration {
    let delay = (BACKOFF_START_MS * 2f64.powi(failures.min(16) as i32)).min(BACKOFF_CAP_MS);
    let jittered = delay * (0.5 + jitter * 0.5);
    Duration::from_millis(jittered as u64)
}
