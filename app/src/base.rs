//! The path prefix Tandem is served under: `""`, or `/notes` when its public
//! URL is `https://example.com/notes`. Every URL a page writes — links,
//! assets, API calls, the WebSocket, the event stream, redirects — goes
//! through [`url`], so the app works behind a proxy that serves it under a
//! sub-path. The server provides the prefix with each page render; the
//! browser reads it from the page (`<meta name="tandem-base">`) before hydrating.

use std::borrow::Cow;

/// The prefix of the page being rendered on the server, provided as a Leptos
/// context with each request (servers in one process may differ).
#[derive(Debug, Clone, Default)]
pub struct Prefix(pub String);

/// The `<meta>` that carries the prefix to the browser.
pub const META_NAME: &str = "tandem-base";

/// The prefix read from the page, in the browser (a `OnceLock`: written once
/// before hydration, read by every render afterwards).
#[cfg(feature = "hydrate")]
static BROWSER: std::sync::OnceLock<String> = std::sync::OnceLock::new();

/// The prefix: `""` or `/notes`, without a trailing slash.
pub fn get() -> Cow<'static, str> {
    #[cfg(feature = "hydrate")]
    return Cow::Borrowed(BROWSER.get().map_or("", String::as_str));
    #[cfg(not(feature = "hydrate"))]
    return Cow::Owned(leptos::prelude::use_context::<Prefix>().map(|p| p.0).unwrap_or_default());
}

/// The absolute `path` (`/d/abc`) under the prefix (`/notes/d/abc`).
pub fn url(path: &str) -> String {
    format!("{}{path}", get())
}

/// A path of this site as the browser shows it (`/notes/d/abc`), without
/// the prefix (`/d/abc`): what the routes and `next=` links are written in.
pub fn strip(path: &str) -> String {
    under(&get(), path).unwrap_or(path).to_owned()
}

/// What `path` names under `prefix` when `prefix` is its whole first
/// segments: `/d/abc` for `/notes/d/abc`, `/` for `/notes`; `None` otherwise.
pub fn under<'a>(prefix: &str, path: &'a str) -> Option<&'a str> {
    match path.strip_prefix(prefix)? {
        "" => Some("/"),
        rest if rest.starts_with('/') => Some(rest),
        _ => None,
    }
}

/// Reads the prefix the server wrote into the page, and points the pages'
/// server functions under it. Call it once, before hydrating.
#[cfg(feature = "hydrate")]
pub fn from_page() {
    let meta = leptos::prelude::document().query_selector(&format!("meta[name={META_NAME}]")).ok().flatten();
    let base = meta.and_then(|m| m.get_attribute("content")).unwrap_or_default();
    let base = BROWSER.get_or_init(|| base.trim_end_matches('/').to_owned());
    // The server functions' URLs (`/_fn/…`) are absolute: put them under the prefix too.
    leptos::server_fn::client::set_server_url(base.as_str());
}

#[cfg(all(test, not(feature = "hydrate")))]
mod tests {
    use super::*;
    use leptos::prelude::{Owner, provide_context};

    #[test]
    fn urls_go_under_the_prefix_and_come_back_out() {
        assert_eq!(url("/d/abc"), "/d/abc", "no prefix outside a page render");
        let owner = Owner::new();
        owner.with(|| {
            provide_context(Prefix("/notes".into()));
            assert_eq!(url("/d/abc"), "/notes/d/abc");
            assert_eq!(strip("/notes/d/abc"), "/d/abc");
            assert_eq!(strip("/notes"), "/");
            assert_eq!(strip("/notesx/d"), "/notesx/d", "only a whole segment is the prefix");
            assert_eq!(strip("/d/abc"), "/d/abc");
        });
    }
}
