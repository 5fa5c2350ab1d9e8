//! The site's static files — the wasm, its JavaScript, the stylesheet, the
//! public assets — from the site directory on disk when there is one, else
//! from the copy built into the binary ([`tandem_site`]).
//!
//! The choice is made once, at start, for the whole site (never file by
//! file, which could pair one build's JavaScript with another's wasm): the
//! directory wins when it holds a build, so `cargo leptos watch` and a frontend
//! rebuild are served without rebuilding the server; a binary copied
//! anywhere else serves its own copy. Files on disk go through Leptos's own
//! file handler; embedded ones through [`serve_embedded`], with their content
//! type, an `ETag` from their SHA-256, and the `.br`/`.gz` twin a release
//! build precompresses when the browser accepts it. The wasm is split into
//! chunks (`cargo leptos build --split`): [`Chunks`] gives page renders the
//! build's manifest of them from the same source.

use axum::Router;
use axum::body::Bytes;
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use leptos::config::LeptosOptions;
use app::split::SplitManifest;
use std::borrow::Cow;
use std::path::{Path, PathBuf};
use tandem_site::EmbeddedFile;

/// Where the site's files come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The site directory (`LEPTOS_SITE_ROOT`, default `target/site`), read on each request.
    Disk,
    /// The copy built into the binary.
    Embedded,
}

/// Picks the source for `options`' site directory, and logs the choice: the
/// disk when the directory holds a build (its `pkg` folder).
pub fn choose(options: &LeptosOptions) -> Source {
    let root = &*options.site_root;
    if Path::new(root).join(&*options.site_pkg_dir).is_dir() {
        tracing::info!(site_root = root, "serving the site's files from disk");
        return Source::Disk;
    }
    if tandem_site::is_empty() {
        tracing::warn!(site_root = root, "no site files on disk or in the binary: build them with `cargo leptos build --split`");
    } else {
        tracing::info!("serving the site's files built into the binary");
    }
    Source::Embedded
}

/// Where the page renders find the bundle's chunk manifest
/// ([`app::split::SplitManifest`]), from the same source as the files.
#[derive(Debug, Clone)]
pub enum Chunks {
    /// The manifest file in the site directory, read for each page: a
    /// frontend rebuild (`cargo leptos watch`) renames chunks while the server runs.
    Disk(PathBuf),
    /// The embedded copy's, read once.
    Embedded(SplitManifest),
}

impl Chunks {
    /// The manifest of the site `source` serves for `options`.
    pub fn of(options: &LeptosOptions, source: Source) -> Chunks {
        let path = Path::new(&*options.site_pkg_dir).join(app::split::MANIFEST);
        match source {
            Source::Disk => Chunks::Disk(Path::new(&*options.site_root).join(path)),
            Source::Embedded => {
                let file = tandem_site::file(&path.to_string_lossy());
                Chunks::Embedded(file.map(|f| SplitManifest::parse(&String::from_utf8_lossy(&f.data))).unwrap_or_default())
            }
        }
    }

    /// The manifest now; empty for a site built without `--split`.
    pub fn current(&self) -> SplitManifest {
        match self {
            Chunks::Disk(path) => std::fs::read_to_string(path).map(|json| SplitManifest::parse(&json)).unwrap_or_default(),
            Chunks::Embedded(manifest) => manifest.clone(),
        }
    }
}

/// Serves the embedded files in front of `router` when `source` says so.
pub fn layer<S: Clone + Send + Sync + 'static>(router: Router<S>, source: Source) -> Router<S> {
    match source {
        Source::Disk => router,
        Source::Embedded => router.layer(axum::middleware::from_fn(serve_embedded)),
    }
}

/// Answers a `GET` or `HEAD` of an embedded file; passes everything else on.
pub async fn serve_embedded(request: Request, next: Next) -> Response {
    let path = request.uri().path().trim_start_matches('/');
    let wanted = matches!(*request.method(), Method::GET | Method::HEAD) && !path.is_empty();
    match wanted.then(|| tandem_site::file(path)).flatten() {
        Some(file) => respond(path, file, request.headers()),
        None => next.run(request).await,
    }
}

/// The file's answer: `304` if the browser's copy is current, else the file
/// (or its compressed twin), revalidated on every use: file names carry no
/// hash, so a long cache would keep an old build.
fn respond(path: &str, file: EmbeddedFile, request: &HeaderMap) -> Response {
    let kind = HeaderValue::from_str(file.metadata.mimetype()).ok();
    // Each encoding is its own representation, with its own tag.
    let (encoding, body) = compressed(path, request).unwrap_or((None, file));
    let etag = etag(&body);
    let mut headers = HeaderMap::new();
    headers.insert(header::ETAG, etag.clone());
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    if request.get(header::IF_NONE_MATCH).is_some_and(|tags| matches_tag(tags, &etag)) {
        return (StatusCode::NOT_MODIFIED, headers).into_response();
    }
    if let Some(kind) = kind {
        headers.insert(header::CONTENT_TYPE, kind);
    }
    if let Some(encoding) = encoding {
        headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static(encoding));
    }
    (headers, bytes(body)).into_response()
}

/// The file's bytes, not copied: embedded data lives as long as the program.
fn bytes(file: EmbeddedFile) -> Bytes {
    match file.data {
        Cow::Borrowed(data) => Bytes::from_static(data),
        Cow::Owned(data) => Bytes::from(data),
    }
}

/// The precompressed twin of `path` the browser accepts, best first.
fn compressed(path: &str, request: &HeaderMap) -> Option<(Option<&'static str>, EmbeddedFile)> {
    let accepted = request.get(header::ACCEPT_ENCODING).and_then(|v| v.to_str().ok()).unwrap_or("");
    [("br", ".br"), ("gzip", ".gz")]
        .into_iter()
        .filter(|(coding, _)| accepts(accepted, coding))
        .find_map(|(coding, suffix)| tandem_site::file(&format!("{path}{suffix}")).map(|f| (Some(coding), f)))
}

/// Whether an `Accept-Encoding` value accepts `coding` (listed, and not with `q=0`).
fn accepts(accept_encoding: &str, coding: &str) -> bool {
    accept_encoding.split(',').any(|item| {
        let mut parts = item.split(';').map(str::trim);
        let refused = |p: &str| p.strip_prefix("q=").and_then(|q| q.parse::<f32>().ok()) == Some(0.0);
        parts.next().is_some_and(|name| name.eq_ignore_ascii_case(coding)) && !parts.any(refused)
    })
}

/// A strong tag: the first 16 bytes of the file's SHA-256, in hex.
fn etag(file: &EmbeddedFile) -> HeaderValue {
    let hex: String = file.metadata.sha256_hash()[..16].iter().map(|b| format!("{b:02x}")).collect();
    HeaderValue::from_str(&format!("\"{hex}\"")).unwrap_or_else(|_| unreachable!("hex is ASCII"))
}

/// Whether an `If-None-Match` value names `etag` (or is `*`).
fn matches_tag(if_none_match: &HeaderValue, etag: &HeaderValue) -> bool {
    let Ok(tags) = if_none_match.to_str() else { return false };
    let ours = etag.to_str().unwrap_or_default();
    tags.split(',').map(|t| t.trim().trim_start_matches("W/")).any(|t| t == "*" || t == ours)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_encoding_is_accepted_when_listed_without_q_zero() {
        assert!(accepts("gzip, deflate, br, zstd", "br"));
        assert!(accepts("GZIP;q=0.5", "gzip"));
        assert!(!accepts("gzip;q=0, br", "gzip"));
        assert!(!accepts("", "br"));
        assert!(!accepts("brotli", "br"));
    }

    #[test]
    fn if_none_match_names_the_tag_in_a_list_weakly_or_as_star() {
        let ours = HeaderValue::from_static("\"abc\"");
        assert!(matches_tag(&HeaderValue::from_static("\"x\", \"abc\""), &ours));
        assert!(matches_tag(&HeaderValue::from_static("W/\"abc\""), &ours));
        assert!(matches_tag(&HeaderValue::from_static("*"), &ours));
        assert!(!matches_tag(&HeaderValue::from_static("\"abcd\""), &ours));
    }
}
