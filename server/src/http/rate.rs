//! Per-client rates of what a client can start over HTTP: creating
//! documents, uploading updates, importing, and password checks. A request
//! over its client's rate gets 429 with `Retry-After` and is counted in
//! `tandem_limits_exceeded_total`; nothing it asked for is done.
//!
//! Each action has a token bucket per client ([`ClientKey`]): `N` a minute in
//! the long run, up to `N` at once. The hand-written bucket (rather than a
//! crate such as `governor`) keeps the key table bounded (see
//! [`MAX_CLIENTS`]) and runs on tokio's clock, which tests can pause.

use crate::http::client::{ClientAddr, ClientKey};
use crate::http::error::ApiError;
use crate::http::state::AppState;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;
use tokio::time::Instant;

/// Most clients one action's table tracks at once (an entry is about 64
/// bytes, so a full table is a few MiB). When it is full, clients whose
/// bucket has refilled are forgotten (a full bucket is what an unknown client
/// gets anyway); if every entry is still in use, the clients that do not fit
/// share one overflow bucket: a flood from many addresses is then limited as
/// if it came from one, and tracked clients keep their own rate.
pub const MAX_CLIENTS: usize = 50_000;

/// Shortest time between two sweeps of a full table, so that a flood of new
/// clients costs one sweep a second, not one per request.
const SWEEP_INTERVAL: Duration = Duration::from_secs(1);

/// What a client can start over HTTP, each with a rate of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Creating a document: `POST /api/docs` or the pages' `create_doc`.
    Create,
    /// Uploading an update or an attachment: `POST /api/docs/{id}/update`,
    /// `POST /api/docs/{id}/attachments`.
    Upload,
    /// Importing a Markdown file: `POST /api/docs/import`.
    Import,
    /// A password check: sign-in, setup, joining, a password change.
    SignIn,
}

impl Action {
    /// The action a request starts, if it is one of the limited ones.
    pub fn of(method: &Method, path: &str) -> Option<Action> {
        if *method == Method::PUT && path == "/api/me/password" {
            return Some(Action::SignIn);
        }
        if *method != Method::POST {
            return None;
        }
        match path {
            "/api/docs" => Some(Action::Create),
            "/api/docs/import" => Some(Action::Import),
            "/api/session" | "/api/setup" | "/api/join" => Some(Action::SignIn),
            _ if path.starts_with("/_fn/create_doc") => Some(Action::Create),
            _ if path.starts_with("/api/docs/") && (path.ends_with("/update") || path.ends_with("/attachments")) => Some(Action::Upload),
            _ => None,
        }
    }

    /// Its name in metrics (`limit` label) and error codes.
    pub fn name(self) -> &'static str {
        match self {
            Action::Create => "creates_per_min",
            Action::Upload => "uploads_per_min",
            Action::Import => "imports_per_min",
            Action::SignIn => "sign_ins_per_min",
        }
    }
}

/// Requests per minute per client, by action; 0 turns an action's limit off.
#[derive(Debug, Clone, Copy, Default)]
pub struct ClientRates {
    /// Document creations.
    pub creates: u32,
    /// Update and attachment uploads.
    pub uploads: u32,
    /// Imports.
    pub imports: u32,
    /// Password checks.
    pub sign_ins: u32,
}

/// One client's tokens for one action.
#[derive(Debug, Clone, Copy)]
struct Bucket {
    /// Tokens left, fractional between refills.
    tokens: f64,
    last: Instant,
}

impl Bucket {
    /// The bucket refilled to `now` at `per_min`, capped at `per_min`.
    fn refilled(self, per_min: u32, now: Instant) -> Bucket {
        let refill = now.saturating_duration_since(self.last).as_secs_f64() * f64::from(per_min) / 60.0;
        Bucket { tokens: (self.tokens + refill).min(f64::from(per_min)), last: now }
    }

    /// Takes a token, or says how long until there is one (taking none).
    fn take(&mut self, per_min: u32) -> Result<(), Duration> {
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            return Ok(());
        }
        Err(Duration::from_secs_f64((1.0 - self.tokens) * 60.0 / f64::from(per_min)))
    }
}

/// The buckets of one action.
#[derive(Debug)]
struct Table {
    per_min: u32,
    /// std mutex: a map lookup per request, never held across `.await`.
    state: Mutex<TableState>,
}

#[derive(Debug)]
struct TableState {
    /// At most [`MAX_CLIENTS`] entries.
    clients: HashMap<ClientKey, Bucket>,
    /// Shared by the clients that do not fit in `clients`.
    overflow: Bucket,
    last_sweep: Option<Instant>,
}

impl Table {
    fn new(per_min: u32, now: Instant) -> Self {
        let full = Bucket { tokens: f64::from(per_min), last: now };
        let state = TableState { clients: HashMap::new(), overflow: full, last_sweep: None };
        Table { per_min, state: Mutex::new(state) }
    }

    fn take(&self, key: ClientKey, now: Instant) -> Result<(), Duration> {
        if self.per_min == 0 {
            return Ok(());
        }
        let mut guard = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let st = &mut *guard;
        let per_min = self.per_min;
        if !st.clients.contains_key(&key) && st.clients.len() >= MAX_CLIENTS {
            sweep(st, per_min, now);
        }
        let full = Bucket { tokens: f64::from(per_min), last: now };
        let bucket = if st.clients.len() < MAX_CLIENTS || st.clients.contains_key(&key) {
            st.clients.entry(key).or_insert(full)
        } else {
            &mut st.overflow
        };
        *bucket = bucket.refilled(per_min, now);
        bucket.take(per_min)
    }
}

/// Forgets the clients whose bucket is full again, at most once a [`SWEEP_INTERVAL`].
fn sweep(st: &mut TableState, per_min: u32, now: Instant) {
    if st.last_sweep.is_some_and(|last| now.saturating_duration_since(last) < SWEEP_INTERVAL) {
        return;
    }
    st.last_sweep = Some(now);
    st.clients.retain(|_, b| b.refilled(per_min, now).tokens < f64::from(per_min));
}

/// Every action's buckets; one per server.
#[derive(Debug)]
pub struct RateLimits {
    creates: Table,
    uploads: Table,
    imports: Table,
    sign_ins: Table,
}

impl RateLimits {
    /// Buckets enforcing `rates`.
    pub fn new(rates: ClientRates) -> Self {
        let now = Instant::now();
        RateLimits {
            creates: Table::new(rates.creates, now),
            uploads: Table::new(rates.uploads, now),
            imports: Table::new(rates.imports, now),
            sign_ins: Table::new(rates.sign_ins, now),
        }
    }

    /// Takes a token for `action` by client `key` at `now`, or says how long
    /// until it may try again.
    pub fn take(&self, action: Action, key: ClientKey, now: Instant) -> Result<(), Duration> {
        let table = match action {
            Action::Create => &self.creates,
            Action::Upload => &self.uploads,
            Action::Import => &self.imports,
            Action::SignIn => &self.sign_ins,
        };
        table.take(key, now)
    }
}

/// Refuses a limited request over its client's rate with 429 and `Retry-After`.
pub async fn guard(State(app): State<AppState>, request: Request, next: Next) -> Response {
    let action = Action::of(request.method(), request.uri().path());
    let key = ClientAddr::of(request.extensions()).key();
    let (Some(action), Some(key)) = (action, key) else { return next.run(request).await };
    match app.rates.take(action, key, Instant::now()) {
        Ok(()) => next.run(request).await,
        Err(wait) => {
            app.metrics.limit_exceeded(action.name());
            too_many(action, wait)
        }
    }
}

/// 429 with the whole seconds to wait in `Retry-After`.
fn too_many(action: Action, wait: Duration) -> Response {
    let secs = wait.as_secs_f64().ceil().max(1.0) as u64;
    let message = format!("too many requests of this kind from your address; try again in {secs} s");
    let mut response = ApiError::new(StatusCode::TOO_MANY_REQUESTS, action.name(), message).into_response();
    response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(i: u32) -> ClientKey {
        ClientKey::of(std::net::Ipv4Addr::from(i).into())
    }

    #[test]
    fn requests_are_classified_by_method_and_path() {
        assert_eq!(Action::of(&Method::POST, "/api/docs"), Some(Action::Create));
        assert_eq!(Action::of(&Method::GET, "/api/docs"), None);
        assert_eq!(Action::of(&Method::POST, "/_fn/create_doc12345"), Some(Action::Create));
        assert_eq!(Action::of(&Method::POST, "/api/docs/abc/update"), Some(Action::Upload));
        assert_eq!(Action::of(&Method::POST, "/api/docs/abc/attachments"), Some(Action::Upload));
        assert_eq!(Action::of(&Method::GET, "/api/docs/abc/attachments/x"), None);
        assert_eq!(Action::of(&Method::POST, "/api/docs/import"), Some(Action::Import));
        assert_eq!(Action::of(&Method::POST, "/api/session"), Some(Action::SignIn));
        assert_eq!(Action::of(&Method::PUT, "/api/me/password"), Some(Action::SignIn));
        assert_eq!(Action::of(&Method::DELETE, "/api/session"), None);
    }

    #[test]
    fn a_burst_passes_then_the_client_waits_and_others_are_not_affected() {
        let now = Instant::now();
        let table = Table::new(6, now);
        assert!((0..6).all(|_| table.take(key(1), now).is_ok()));
        let wait = table.take(key(1), now).unwrap_err();
        assert_eq!(wait, Duration::from_secs(10), "6 a minute: one every 10 s");
        assert!(table.take(key(2), now).is_ok());
        assert!(table.take(key(1), now + Duration::from_secs(10)).is_ok());
        assert!(table.take(key(1), now + Duration::from_secs(10)).is_err());
    }

    #[test]
    fn a_full_table_forgets_refilled_clients_then_shares_one_overflow_bucket() {
        let now = Instant::now();
        let table = Table::new(2, now);
        for i in 0..MAX_CLIENTS as u32 {
            table.take(key(i), now).unwrap();
        }
        // Every entry is in use: newcomers share one bucket of 2.
        let newcomer = MAX_CLIENTS as u32;
        assert!(table.take(key(newcomer), now).is_ok() && table.take(key(newcomer + 1), now).is_ok());
        assert!(table.take(key(newcomer + 2), now).is_err());
        // A minute later every bucket is full again: the sweep makes room.
        let later = now + Duration::from_secs(60);
        assert!(table.take(key(newcomer + 2), later).is_ok());
        let st = table.state.lock().unwrap();
        assert_eq!(st.clients.len(), 1, "only the newcomer is tracked");
    }

    #[test]
    fn a_zero_rate_is_no_limit() {
        let table = Table::new(0, Instant::now());
        assert!((0..1000).all(|_| table.take(key(1), Instant::now()).is_ok()));
    }
}
