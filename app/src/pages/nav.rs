//! Where pages send people: to sign in and back, and what a page does when a
//! server function says the caller must sign in or may not see the document.

use crate::model::{NOT_FOUND, SIGN_IN};
use leptos::prelude::*;
use leptos_router::hooks::use_location;

/// What a failed page call means for the page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Failure {
    /// No valid sign-in: go to the sign-in page, then come back.
    SignIn,
    /// Nothing the caller may see: show "Not found".
    NotFound,
    /// Anything else: the page says it could not load.
    Other,
}

impl Failure {
    /// The meaning of a server function's error.
    pub(super) fn of(e: &ServerFnError) -> Failure {
        match e {
            ServerFnError::ServerError(text) if text == SIGN_IN => Failure::SignIn,
            ServerFnError::ServerError(text) if text == NOT_FOUND => Failure::NotFound,
            _ => Failure::Other,
        }
    }
}

/// `/signin?next=<this page>`: signing in brings the person back here.
fn signin_path() -> String {
    let location = use_location();
    let (path, search) = (location.pathname.get_untracked(), location.search.get_untracked());
    let path = crate::base::strip(&path);
    let search = search.trim_start_matches('?');
    let here = if search.is_empty() { path } else { format!("{path}?{search}") };
    format!("/signin?next={}", encode_component(&here))
}

/// The sign-in link that brings the person back here, under the site's prefix.
pub(super) fn signin_href() -> String {
    crate::base::url(&signin_path())
}

/// Sends the person to sign in (and back here afterwards): a redirect while
/// the server renders the page, a navigation in the browser.
#[component]
pub(super) fn GoSignIn() -> impl IntoView {
    let path = signin_path();
    let href = crate::base::url(&path);
    #[cfg(feature = "ssr")]
    leptos_axum::redirect(&href);
    Effect::new(move || go(&path));
    view! { <main class="page"><p><a href=href>"Sign in to continue"</a></p></main> }
}

/// Loads the site's `path` as a new page (after a sign-in or sign-out: every
/// page's data changes). Only the browser navigates; on the server this does nothing.
pub(super) fn go(path: &str) {
    #[cfg(feature = "hydrate")]
    let _ = window().location().set_href(&crate::base::url(path));
    #[cfg(not(feature = "hydrate"))]
    let _ = path;
}

/// Where to go after signing in: `next` if it is a path on this site, else `/`.
/// A path starting with `//` or `/\` would be another site to the browser.
pub(super) fn safe_next(next: Option<&str>) -> &str {
    match next {
        Some(next) if next.starts_with('/') && !next.starts_with("//") && !next.starts_with("/\\") => next,
        _ => "/",
    }
}

/// `s` percent-encoded for a URL's query or path segment (every byte but the unreserved ones).
pub fn encode_component(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{encode_component, safe_next};

    #[test]
    fn only_paths_on_this_site_are_followed_after_signing_in() {
        assert_eq!(safe_next(Some("/d/abc?x=1")), "/d/abc?x=1");
        assert_eq!(safe_next(Some("//evil.example/")), "/");
        assert_eq!(safe_next(Some("/\\evil.example/")), "/");
        assert_eq!(safe_next(Some("https://evil.example/")), "/");
        assert_eq!(safe_next(Some("")), "/");
        assert_eq!(safe_next(None), "/");
    }

    #[test]
    fn components_are_percent_encoded() {
        assert_eq!(encode_component("/d/a b?x=1&y"), "%2Fd%2Fa%20b%3Fx%3D1%26y");
        assert_eq!(encode_component("é"), "%C3%A9");
        assert_eq!(encode_component("A-z_0.9~"), "A-z_0.9~");
    }
}
