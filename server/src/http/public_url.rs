//! The URL people use to reach the server (`--public-url`), and the check
//! that every request was sent to it.
//!
//! Behind a reverse proxy the server cannot see the scheme or the name people
//! typed; `--public-url https://notes.example.com[/sub/path]` says them. With
//! it set, a request whose `Host` is another name is answered `421
//! Misdirected Request`: a page on another site that rebinds its own DNS name
//! to this server's address (DNS rebinding) then reaches nothing, because its
//! requests carry its own name. `/healthz` and `/readyz` answer on any host, for
//! probes that address the server by its IP.

use crate::http::error::ApiError;
use axum::extract::{Request, State};
use axum::http::{StatusCode, Uri, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::fmt;

/// A parsed `--public-url`: scheme, host and port, and an optional path prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicUrl {
    /// Whether the scheme is `https`.
    https: bool,
    /// `host[:port]`, lowercase, without the scheme's default port.
    authority: String,
    /// The path prefix without a trailing slash: `""` or `/sub/path`.
    base: String,
}

impl PublicUrl {
    /// Parses `http[s]://host[:port][/path]`; user info, a query or a
    /// fragment is refused.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let bad = |why: &str| format!("{raw:?} is not a public URL: {why}");
        let uri: axum::http::Uri = raw.trim().parse().map_err(|e| bad(&format!("{e}")))?;
        let https = match uri.scheme_str() {
            Some("https") => true,
            Some("http") => false,
            _ => return Err(bad("use http:// or https://")),
        };
        let authority = uri.authority().ok_or_else(|| bad("no host"))?;
        if authority.as_str().contains('@') {
            return Err(bad("no user info"));
        }
        if uri.query().is_some() || raw.contains('#') {
            return Err(bad("no query or fragment"));
        }
        let base = uri.path().trim_end_matches('/').to_owned();
        Ok(PublicUrl { https, authority: normalize(authority.as_str(), https), base })
    }

    /// Whether people reach the server over https (cookies are `Secure`, HSTS is sent).
    pub fn https(&self) -> bool {
        self.https
    }

    /// The origin browsers send from the server's pages: `scheme://host[:port]`.
    pub fn origin(&self) -> String {
        format!("{}://{}", if self.https { "https" } else { "http" }, self.authority)
    }

    /// The path prefix: `""`, or `/sub/path` without a trailing slash.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// Whether a request's `Host` (or `:authority`) names this server.
    pub fn accepts_host(&self, host: &str) -> bool {
        normalize(host, self.https) == self.authority
    }

    /// Whether a browser's `Origin` is this server's own.
    pub fn accepts_origin(&self, origin: &str) -> bool {
        let (scheme, authority) = origin.split_once("://").unwrap_or(("", origin));
        let https = scheme.eq_ignore_ascii_case("https");
        https == self.https && normalize(authority, https) == self.authority
    }
}

impl fmt::Display for PublicUrl {
    /// The URL as given, normalized: `https://notes.example.com/sub`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.origin(), self.base)
    }
}

/// `host[:port]` in lowercase, without the port that is the scheme's default.
fn normalize(authority: &str, https: bool) -> String {
    let lower = authority.trim().to_ascii_lowercase();
    let default = if https { ":443" } else { ":80" };
    match lower.strip_suffix(default) {
        Some(bare) => bare.to_owned(),
        None => lower,
    }
}

/// Takes `prefix` (`/notes`) off the front of `uri`'s path when it is there
/// as whole segments: `/notes/d/abc?x` becomes `/d/abc?x`, `/notes` becomes `/`.
pub fn strip_prefix(prefix: &str, uri: &mut Uri) {
    let Some(rest) = app::base::under(prefix, uri.path()) else { return };
    let rest = match uri.query() {
        Some(query) => format!("{rest}?{query}"),
        None => rest.to_owned(),
    };
    let mut parts = uri.clone().into_parts();
    if let Ok(path_and_query) = rest.parse() {
        parts.path_and_query = Some(path_and_query);
        if let Ok(stripped) = Uri::from_parts(parts) {
            *uri = stripped;
        }
    }
}

/// Paths that answer on any host: health probes address the server by IP.
fn any_host(path: &str) -> bool {
    matches!(path, "/healthz" | "/readyz")
}

/// Middleware: with a public URL set, refuses a request sent to another host with 421.
pub async fn guard(State(public): State<Option<PublicUrl>>, request: Request, next: Next) -> Response {
    let Some(public) = public else { return next.run(request).await };
    let host = request.headers().get(header::HOST).and_then(|h| h.to_str().ok());
    let host = host.or_else(|| request.uri().authority().map(|a| a.as_str()));
    if any_host(request.uri().path()) || host.is_some_and(|h| public.accepts_host(h)) {
        return next.run(request).await;
    }
    tracing::warn!(host = host.unwrap_or("-"), path = %request.uri().path(), "request for another host refused");
    let message = format!("this server answers only at {public}");
    ApiError::new(StatusCode::MISDIRECTED_REQUEST, "wrong_host", message).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_public_url_is_scheme_host_port_and_an_optional_path() {
        let url = PublicUrl::parse("https://Notes.Example.com:443/team/notes/").unwrap();
        assert!(url.https());
        assert_eq!(url.origin(), "https://notes.example.com");
        assert_eq!(url.base(), "/team/notes");
        assert_eq!(url.to_string(), "https://notes.example.com/team/notes");
        let plain = PublicUrl::parse("http://10.0.0.5:8080").unwrap();
        assert_eq!((plain.https(), plain.origin(), plain.base()), (false, "http://10.0.0.5:8080".into(), ""));
        for bad in ["notes.example.com", "ftp://x.example", "https://u@x.example", "https://x.example/?a=1", "https://x.example/#a"] {
            assert!(PublicUrl::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_prefix_comes_off_whole_segments_only() {
        let stripped = |raw: &str| {
            let mut uri: Uri = raw.parse().unwrap();
            strip_prefix("/team", &mut uri);
            uri.to_string()
        };
        assert_eq!(stripped("/team/d/abc?x=1"), "/d/abc?x=1");
        assert_eq!(stripped("/team"), "/");
        assert_eq!(stripped("/team/"), "/");
        assert_eq!(stripped("/teamwork/x"), "/teamwork/x");
        assert_eq!(stripped("/d/abc"), "/d/abc");
    }

    #[test]
    fn only_its_own_host_and_origin_are_accepted() {
        let url = PublicUrl::parse("https://notes.example.com/sub").unwrap();
        assert!(url.accepts_host("notes.example.com"));
        assert!(url.accepts_host("NOTES.example.com:443"));
        assert!(!url.accepts_host("notes.example.com:8443"));
        assert!(!url.accepts_host("attacker.example"));
        assert!(!url.accepts_host("127.0.0.1:3000"));
        assert!(url.accepts_origin("https://notes.example.com"));
        assert!(url.accepts_origin("https://notes.example.com:443"));
        assert!(!url.accepts_origin("http://notes.example.com"), "the scheme counts");
        assert!(!url.accepts_origin("https://evil.example"));
    }
}
