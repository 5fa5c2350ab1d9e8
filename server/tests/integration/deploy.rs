//! What deploying relies on: the `tandem` binary copied alone anywhere serves
//! the whole app from the site built into it, and `--version` names the
//! store schema.
//!
//! The binary embeds the site directory as it was when the binary was built,
//! so build the site first (`cargo leptos build --frontend-only --split`, as
//! `scripts/test` does) — else the first test fails and says so.

use server::testing::http::{Answer, send};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Command, Stdio};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Child;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_alone_serves_the_pages_the_wasm_and_the_styles() {
    let dir = tempfile::tempdir().unwrap();
    let (_child, addr) = start_alone(dir.path()).await;
    let get = |path: &str, headers: &'static [(&'static str, &'static str)]| {
        let url = format!("http://{addr}{path}");
        async move { send("GET", &url, headers, b"").await }
    };

    let page = get("/", &[]).await;
    assert_served(&page, "text/html");
    assert!(String::from_utf8_lossy(&page.body).contains("/pkg/tandem.js"), "the page loads the app's script");
    let wasm = get("/pkg/tandem.wasm", &[]).await;
    assert_served(&wasm, "application/wasm");
    assert!(wasm.body.starts_with(b"\0asm"), "a wasm module");
    assert_served(&get("/pkg/tandem.js", &[]).await, "javascript");
    assert_served(&get("/pkg/tandem.css", &[]).await, "text/css");
    assert_served(&get("/favicon.svg", &[]).await, "image/svg+xml");
    // The page's own wasm chunks, named in its head from the embedded manifest, and their loader.
    let chunks = preloaded_chunks(&String::from_utf8_lossy(&page.body));
    assert!(!chunks.is_empty(), "the page names its chunks (a site built with --split)");
    for chunk in &chunks {
        let answer = get(chunk, &[]).await;
        assert_served(&answer, "application/wasm");
        assert!(answer.body.starts_with(b"\0asm"), "{chunk} is a wasm module");
    }
    assert_served(&get("/pkg/__wasm_split.______________________.js", &[]).await, "javascript");

    let etag = wasm.header("etag").expect("an ETag").to_owned();
    let again = send("GET", &format!("http://{addr}/pkg/tandem.wasm"), &[("If-None-Match", &etag)], b"").await;
    assert_eq!((again.status, again.body.len()), (304, 0), "the browser's copy is current");
    assert_eq!(get("/pkg/nothing.js", &[]).await.status, 404);
}

/// The wasm files a page's head preloads besides the main module.
fn preloaded_chunks(html: &str) -> Vec<String> {
    html.split("<link ")
        .filter(|link| link.contains(r#"rel="preload""#) && link.contains("application/wasm"))
        .filter_map(|link| link.split(r#"href=""#).nth(1)?.split('"').next().map(str::to_owned))
        .filter(|href| href != "/pkg/tandem.wasm")
        .collect()
}

/// A 200 answer of `kind` with a body and the security headers.
fn assert_served(answer: &Answer, kind: &str) {
    assert_eq!(answer.status, 200, "{answer:?}");
    let content_type = answer.header("content-type").unwrap_or_default();
    assert!(content_type.contains(kind), "content type {content_type:?}, not {kind}");
    assert!(!answer.body.is_empty());
    assert_eq!(answer.header("x-content-type-options"), Some("nosniff"));
    assert!(answer.header("content-security-policy").is_some_and(|p| p.contains("script-src 'self'")));
}

/// Copies the binary into an empty `dir` and starts it there in open mode,
/// with no environment at all; returns it and its address.
async fn start_alone(dir: &Path) -> (Child, SocketAddr) {
    let binary = dir.join("tandem");
    std::fs::copy(env!("CARGO_BIN_EXE_tandem"), &binary).expect("copy the binary");
    let mut child = tokio::process::Command::new(&binary)
        .args(["--open", "--addr", "127.0.0.1:0"])
        .current_dir(dir)
        .env_clear()
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("start the copied binary");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let (mut addr, mut site) = (None, None);
    while addr.is_none() || site.is_none() {
        let line = lines.next_line().await.expect("read stdout").expect("tandem exited before serving");
        if let Some(rest) = line.split("listening on http://").nth(1) {
            addr = Some(rest.split_whitespace().next().expect("addr").parse().expect("parse addr"));
        }
        if line.contains("site's files") || line.contains("no site files") {
            site = Some(line);
        }
    }
    let site = site.unwrap_or_default();
    assert!(!site.contains("no site files"), "the binary holds no site: build it first with \
        `cargo leptos build --frontend-only --split`, then the tests again\n{site}");
    assert!(site.contains("built into the binary"), "served from the embedded copy: {site}");
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    (child, addr.expect("listening"))
}

#[test]
fn version_names_the_release_and_the_store_schema() {
    let out = Command::new(env!("CARGO_BIN_EXE_tandem")).arg("--version").output().expect("run tandem");
    assert!(out.status.success());
    let expected = format!("tandem {} (store schema {})\n", env!("CARGO_PKG_VERSION"), server::store::SCHEMA_VERSION);
    assert_eq!(String::from_utf8_lossy(&out.stdout), expected);
}
