//! Credentials at the edge: the session cookie, `Authorization: Bearer`, and
//! `?token=` on a WebSocket; the [`Caller`] extractor; the session cookie's
//! `Set-Cookie`; the redirect of signed-out page views to `/signin`.

use crate::http::error::ApiError;
use crate::http::public_url::PublicUrl;
use crate::http::state::AppState;
use crate::workspace::people::SESSION_LIFETIME;
use crate::workspace::{Caller, Presented};
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use cookie::{Cookie, SameSite};

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "tandem_session";

/// The credentials in `headers`, with a `?token=` from the URL if there is one.
pub fn presented(headers: &HeaderMap, query_token: Option<String>) -> Presented {
    let session = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == SESSION_COOKIE)
        .map(|c| c.value().to_owned());
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|t| t.trim().to_owned())
        .or(query_token);
    Presented { session, bearer }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, Self::Rejection> {
        Ok(app.workspace.people().caller(presented(&parts.headers, None)).await?)
    }
}

/// `Set-Cookie` for a new session with `token` (empty and expired: signing out).
pub fn session_cookie(token: &str, public: Option<&PublicUrl>) -> HeaderValue {
    let max_age = if token.is_empty() { 0 } else { SESSION_LIFETIME.as_secs() as i64 };
    let path = match public.map(PublicUrl::base) {
        Some(base) if !base.is_empty() => base.to_owned(),
        _ => "/".to_owned(),
    };
    let cookie = Cookie::build((SESSION_COOKIE, token.to_owned()))
        .path(path)
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(public.is_some_and(PublicUrl::https))
        .max_age(cookie::time::Duration::seconds(max_age))
        .build();
    HeaderValue::from_str(&cookie.to_string()).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// Whether `path` is a page that needs a signed-in member.
fn needs_member(path: &str) -> bool {
    matches!(path, "/" | "/account" | "/admin") || path.starts_with("/d/")
}

/// Sends a page view without a valid session to `/signin?next=PATH` (accounts mode).
pub async fn pages_guard(State(app): State<AppState>, request: Request, next: Next) -> Response {
    if app.workspace.people().settings().open || !needs_member(request.uri().path()) {
        return next.run(request).await;
    }
    match app.workspace.people().caller(presented(request.headers(), None)).await {
        Ok(Caller::Member(_)) => next.run(request).await,
        Ok(_) => {
            let target = request.uri().path_and_query().map_or("/", |p| p.as_str());
            let next = url_encode(target);
            Redirect::to(&format!("{}/signin?next={next}", app.prefix())).into_response()
        }
        Err(e) => ApiError::from(e).into_response(),
    }
}

/// Percent-encodes `raw` for a query value.
fn url_encode(raw: &str) -> String {
    percent_encoding::utf8_percent_encode(raw, percent_encoding::NON_ALPHANUMERIC).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_session_comes_from_its_cookie_and_a_token_from_bearer_or_the_url() {
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, HeaderValue::from_static("theme=dark; tandem_session=abc; x=1"));
        headers.insert(header::AUTHORIZATION, HeaderValue::from_static("Bearer tok"));
        let p = presented(&headers, None);
        assert_eq!((p.session.as_deref(), p.bearer.as_deref()), (Some("abc"), Some("tok")));
        let p = presented(&HeaderMap::new(), Some("q".into()));
        assert_eq!((p.session, p.bearer.as_deref()), (None, Some("q")));
    }

    #[test]
    fn the_session_cookie_is_http_only_lax_and_secure_over_https() {
        let set = session_cookie("t", None);
        let set = set.to_str().unwrap();
        assert!(set.starts_with("tandem_session=t;") && set.contains("HttpOnly") && set.contains("SameSite=Lax"), "{set}");
        assert!(!set.contains("Secure") && set.contains("Path=/;"), "{set}");
        let https = PublicUrl::parse("https://notes.example/team").unwrap();
        let set = session_cookie("t", Some(&https));
        assert!(set.to_str().unwrap().contains("Secure") && set.to_str().unwrap().contains("Path=/team"), "{set:?}");
        assert!(session_cookie("", None).to_str().unwrap().contains("Max-Age=0"));
    }

    #[test]
    fn only_workspace_pages_need_a_member() {
        for path in ["/", "/d/x", "/account", "/admin"] {
            assert!(needs_member(path), "{path}");
        }
        for path in ["/signin", "/setup", "/s/t", "/invite/t", "/pkg/tandem.js", "/favicon.svg", "/healthz"] {
            assert!(!needs_member(path), "{path}");
        }
        assert_eq!(url_encode("/d/a b?x=1"), "%2Fd%2Fa%20b%3Fx%3D1");
    }
}
