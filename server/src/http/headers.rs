//! Security headers on every response, and the pages' Content Security Policy.
//!
//! Pages get a policy with a fresh nonce per response (see [`provide_page_policy`]):
//! the only inline script a page has is the hydration bootstrap Leptos
//! writes into `<head>` (and, while a page streams, the scripts that hand
//! resources to the browser), and Leptos puts the response's nonce on each.
//! Everything else — the app's JavaScript and wasm, styles, the WebSocket and
//! the event stream — comes from the server's own origin. Other responses get
//! the same policy without a nonce, so they can run no inline script at all.

use axum::Router;
use axum::http::{HeaderName, HeaderValue, header};
use leptos::context::use_context;
use leptos_axum::ResponseOptions;
use tower_http::set_header::SetResponseHeaderLayer;

/// The policy's fixed part. `'wasm-unsafe-eval'` lets the page compile our
/// own wasm (fetched from `'self'`) and nothing else; `style-src` allows
/// inline styles because remote carets are placed with `style` attributes;
/// `connect-src 'self'` covers the same-origin WebSocket and event stream.
const FIXED: &str = "default-src 'self'; style-src 'self' 'unsafe-inline'; connect-src 'self'; \
     img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// The Content Security Policy: scripts only from our origin, plus the inline
/// scripts that carry `nonce` when there is one.
pub fn policy(nonce: Option<&str>) -> String {
    let inline = nonce.map(|n| format!(" 'nonce-{n}'")).unwrap_or_default();
    format!("{FIXED}; script-src 'self'{inline} 'wasm-unsafe-eval'")
}

/// Sets the page's policy with this response's nonce. Call it in the Leptos
/// context of a page render, after Leptos provided the nonce; it does nothing
/// elsewhere (static files, server functions).
pub fn provide_page_policy() {
    let (Some(nonce), Some(response)) = (leptos::nonce::use_nonce(), use_context::<ResponseOptions>()) else {
        return;
    };
    if let Ok(value) = HeaderValue::from_str(&policy(Some(&nonce))) {
        response.insert_header(header::CONTENT_SECURITY_POLICY, value);
    }
}

/// HSTS for a server reached over https: browsers use https only, for a year.
const HSTS: &str = "max-age=31536000";

/// Adds the security headers to every response of `router`; a page's own
/// policy (with its nonce) is kept, any other response gets the nonce-free one.
/// `https`: the server is reached over https (its public URL says so), so HSTS is sent.
pub fn secure<S: Clone + Send + Sync + 'static>(router: Router<S>, https: bool) -> Router<S> {
    let fixed = |name: HeaderName, value: &'static str| {
        SetResponseHeaderLayer::overriding(name, HeaderValue::from_static(value))
    };
    let default_policy = HeaderValue::from_str(&policy(None)).unwrap_or_else(|_| unreachable!("ASCII policy"));
    let router = if https { router.layer(fixed(header::STRICT_TRANSPORT_SECURITY, HSTS)) } else { router };
    router
        .layer(fixed(header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .layer(fixed(header::REFERRER_POLICY, "same-origin"))
        .layer(fixed(header::X_FRAME_OPTIONS, "DENY"))
        .layer(SetResponseHeaderLayer::if_not_present(header::CONTENT_SECURITY_POLICY, default_policy))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn directive<'a>(policy: &'a str, name: &str) -> &'a str {
        policy.split(';').map(str::trim).find(|d| d.starts_with(name)).expect("directive")
    }

    #[test]
    fn inline_script_runs_only_with_the_nonce() {
        let with = policy(Some("abc"));
        assert_eq!(directive(&with, "script-src"), "script-src 'self' 'nonce-abc' 'wasm-unsafe-eval'");
        assert_eq!(directive(&policy(None), "script-src"), "script-src 'self' 'wasm-unsafe-eval'");
        assert_eq!(directive(&with, "frame-ancestors"), "frame-ancestors 'none'");
        assert!(HeaderValue::from_str(&with).is_ok());
    }
}
