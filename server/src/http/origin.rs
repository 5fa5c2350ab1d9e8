//! The `Origin` check against cross-site WebSocket hijacking and cross-site
//! requests: a page of another site must not open a socket or change
//! anything with the visitor's browser.
//!
//! Browsers send `Origin` with every WebSocket handshake and every
//! state-changing request; it is allowed when it names the server itself (its
//! host and port equal the request's `Host`) or one of the configured origins.
//! Requests without `Origin` come from programs, not from pages (the stock
//! y-websocket client in Node, `curl`), which a hostile page cannot drive:
//! they are allowed.

use crate::config::{AllowedOrigin, Security};
use crate::http::error::ApiError;
use crate::http::public_url::PublicUrl;
use crate::metrics::Metrics;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use std::sync::Arc;

/// Which browser origins may open sockets and change things.
#[derive(Debug, Clone)]
pub struct OriginPolicy {
    allowed: Arc<[AllowedOrigin]>,
    /// With a public URL, the server's own origin is its origin, scheme included.
    public: Option<PublicUrl>,
    metrics: Arc<Metrics>,
}

impl OriginPolicy {
    /// The policy of `security`; refusals are counted in `metrics`.
    pub fn new(security: &Security, metrics: Arc<Metrics>) -> Self {
        OriginPolicy { allowed: security.allowed_origins.clone().into(), public: security.public_url.clone(), metrics }
    }

    /// Whether a request with these headers may go on.
    pub fn permits(&self, headers: &HeaderMap, authority: Option<&str>) -> bool {
        let Some(origin) = headers.get(header::ORIGIN) else { return true };
        let Ok(origin) = origin.to_str() else { return false };
        let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).or(authority);
        let own = match &self.public {
            Some(public) => public.accepts_origin(origin),
            None => same_origin(origin, host),
        };
        own || self.allowed.iter().any(|a| a.as_str().eq_ignore_ascii_case(origin))
    }
}

/// Whether `origin` (`scheme://host[:port]`) names the host the request was sent to.
/// The scheme is not compared: behind a TLS proxy the server cannot know it.
fn same_origin(origin: &str, host: Option<&str>) -> bool {
    let Some(host) = host else { return false };
    let Some((_, authority)) = origin.split_once("://") else { return false };
    authority.eq_ignore_ascii_case(host)
}

/// Whether the check applies: WebSocket handshakes and every method that may
/// change something (all but GET, HEAD, OPTIONS and TRACE).
fn guarded(request: &Request) -> bool {
    let websocket = request
        .headers()
        .get(header::UPGRADE)
        .is_some_and(|u| u.as_bytes().eq_ignore_ascii_case(b"websocket"));
    websocket || !request.method().is_safe()
}

/// Middleware: refuses a guarded request from a foreign origin with 403.
pub async fn guard(State(policy): State<OriginPolicy>, request: Request, next: Next) -> Response {
    if !guarded(&request) || policy.permits(request.headers(), request.uri().authority().map(|a| a.as_str())) {
        return next.run(request).await;
    }
    let shown = |name| request.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or("-");
    tracing::warn!(
        origin = shown(header::ORIGIN),
        host = shown(header::HOST),
        method = %request.method(),
        path = %request.uri().path(),
        "request from a foreign origin refused"
    );
    policy.metrics.origin_refused.inc();
    axum::response::IntoResponse::into_response(ApiError::new(
        StatusCode::FORBIDDEN,
        "origin_not_allowed",
        "requests from this origin are not allowed",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn policy(allowed: &[&str]) -> OriginPolicy {
        let allowed_origins = allowed.iter().map(|a| AllowedOrigin::parse(a).unwrap()).collect();
        OriginPolicy::new(&Security { allowed_origins, ..Security::default() }, Arc::default())
    }

    fn headers(origin: Option<&str>, host: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::HOST, HeaderValue::from_str(host).unwrap());
        if let Some(o) = origin {
            h.insert(header::ORIGIN, HeaderValue::from_str(o).unwrap());
        }
        h
    }

    #[test]
    fn same_origin_and_no_origin_pass_foreign_origins_do_not() {
        let p = policy(&[]);
        assert!(p.permits(&headers(None, "127.0.0.1:3000"), None));
        assert!(p.permits(&headers(Some("http://127.0.0.1:3000"), "127.0.0.1:3000"), None));
        assert!(p.permits(&headers(Some("https://Notes.Example"), "notes.example"), None));
        assert!(!p.permits(&headers(Some("http://127.0.0.1:3001"), "127.0.0.1:3000"), None));
        assert!(!p.permits(&headers(Some("https://evil.example"), "notes.example"), None));
        assert!(!p.permits(&headers(Some("null"), "notes.example"), None));
    }

    #[test]
    fn configured_origins_pass() {
        let p = policy(&["https://app.example/", "http://localhost:8080"]);
        assert!(p.permits(&headers(Some("https://app.example"), "tandem.internal:3000"), None));
        assert!(p.permits(&headers(Some("http://LOCALHOST:8080"), "tandem.internal:3000"), None));
        assert!(!p.permits(&headers(Some("http://app.example"), "tandem.internal:3000"), None));
    }

    #[test]
    fn with_a_public_url_its_origin_is_the_own_one_scheme_included() {
        let public_url = Some(PublicUrl::parse("https://notes.example").unwrap());
        let p = OriginPolicy::new(&Security { public_url, ..Security::default() }, Arc::default());
        assert!(p.permits(&headers(Some("https://notes.example"), "notes.example"), None));
        assert!(!p.permits(&headers(Some("http://notes.example"), "notes.example"), None));
        assert!(p.permits(&headers(None, "notes.example"), None));
    }

    #[test]
    fn an_allowed_origin_must_be_bare() {
        assert!(AllowedOrigin::parse("https://a.example/path").is_err());
        assert!(AllowedOrigin::parse("a.example").is_err());
        assert!(AllowedOrigin::parse("https://user@a.example").is_err());
        assert_eq!(AllowedOrigin::parse(" HTTPS://A.example:8443/ ").unwrap().as_str(), "https://a.example:8443");
    }
}
