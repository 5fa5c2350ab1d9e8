//! State shared by every request handler.

use crate::conn::admission::Admission;
use crate::config::Limits;
use crate::metrics::Metrics;
use crate::http::origin::OriginPolicy;
use crate::http::forwarded::TrustedProxies;
use crate::http::public_url::PublicUrl;
use crate::http::rate::RateLimits;
use crate::http::streams::Streams;
use crate::workspace::Workspace;
use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use prometheus_client::registry::Registry;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// Everything a handler may need; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    /// Settings for server-side rendering and static files.
    pub leptos: LeptosOptions,
    /// The documents, through the one service every route uses.
    pub workspace: Workspace,
    /// Counts open WebSocket connections against their caps.
    pub admission: Arc<Admission>,
    /// Per-client rates of document creation, uploads, imports and sign-ins.
    pub rates: Arc<RateLimits>,
    /// Counts open event streams against their caps.
    pub streams: Arc<Streams>,
    /// The configured limits.
    pub limits: Arc<Limits>,
    /// Cancelled once on Ctrl-C or SIGTERM; every connection watches it.
    pub shutdown: CancellationToken,
    /// Every WebSocket connection task (and documents kept loaded for a page),
    /// so shutdown can wait for them.
    pub tasks: TaskTracker,
    /// Which browser origins may open sockets and change things.
    pub origins: OriginPolicy,
    /// The URL people reach the server at, if configured: the only host it answers.
    pub public_url: Option<PublicUrl>,
    /// The reverse proxies whose forwarding headers name the client.
    pub proxies: TrustedProxies,
    /// The server's metrics (also reachable from every room).
    pub metrics: Arc<Metrics>,
    /// Every metric, the store's included, for `/metrics`. Filled before the
    /// server starts and only read afterwards, so it needs no lock.
    pub registry: Arc<Registry>,
}

impl AppState {
    /// The path prefix of the public URL: `""` or `/notes`.
    pub fn prefix(&self) -> &str {
        self.public_url.as_ref().map_or("", PublicUrl::base)
    }
}

impl FromRef<AppState> for OriginPolicy {
    fn from_ref(state: &AppState) -> Self {
        state.origins.clone()
    }
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos.clone()
    }
}
