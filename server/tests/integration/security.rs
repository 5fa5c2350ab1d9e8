//! Web security at the edge: the `Origin` check, security headers and the
//! pages' Content Security Policy, body limits and HTTP timeouts.

use crate::common;

use common::{Client, PATIENCE, TestServer, doc_id, send};
use server::config::{AllowedOrigin, Limits, Security, Settings};
use std::time::Duration;
use tandem_sync::document::{CONTENT, fresh_update};

const FOREIGN: &str = "https://evil.example";

fn origin_of(server: &TestServer) -> String {
    format!("http://{}", server.addr)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_websocket_from_a_foreign_origin_is_refused_with_403() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path(), Limits::default()).await;
    let url = server.ws_url(&doc_id("origin"));

    let Err((status, body)) = Client::try_open(&url, &[("Origin", FOREIGN)]).await else {
        panic!("a foreign origin got a WebSocket");
    };
    assert_eq!(status, 403);
    let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(body["error"]["code"], "origin_not_allowed");

    let own = origin_of(&server);
    let mut same = Client::try_open(&url, &[("Origin", own.as_str())]).await.expect("same origin");
    same.sync().await;
    same.append("same origin").await;
    let mut none = Client::try_open(&url, &[]).await.expect("no origin (not a browser)");
    none.sync().await;
    none.pump_until(|c| c.text() == "same origin").await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn configured_origins_may_connect_and_others_may_not() {
    let dir = tempfile::tempdir().unwrap();
    let allowed = ["https://notes.example", "http://localhost:8080"];
    let security = Security { allowed_origins: allowed.iter().map(|o| AllowedOrigin::parse(o).unwrap()).collect(), ..Security::default() };
    let server = TestServer::start_with(dir.path(), Settings { security, ..Settings::default() }).await;
    let url = server.ws_url(&doc_id("allowed"));

    for origin in allowed {
        let mut c = Client::try_open(&url, &[("Origin", origin)]).await.expect("an allowed origin");
        c.sync().await;
    }
    let own = origin_of(&server);
    assert!(Client::try_open(&url, &[("Origin", own.as_str())]).await.is_ok(), "the own origin stays allowed");
    for origin in [FOREIGN, "http://notes.example", "https://notes.example:8443", "null"] {
        let refused = Client::try_open(&url, &[("Origin", origin)]).await.err().map(|(status, _)| status);
        assert_eq!(refused, Some(403), "{origin}");
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn state_changes_from_a_foreign_origin_are_refused_and_reads_are_not() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path(), Limits::default()).await;
    let create = server.http("/api/docs");
    let json = ("Content-Type", "application/json");

    let refused = send("POST", &create, &[json, ("Origin", FOREIGN)], b"{}").await;
    assert_eq!(refused.status, 403);
    assert_eq!(refused.json()["error"]["code"], "origin_not_allowed");
    let server_fn = send("POST", &server.http("/_fn/anything"), &[("Origin", FOREIGN)], b"").await;
    assert_eq!(server_fn.status, 403, "page server functions are guarded too");

    let own = origin_of(&server);
    assert_eq!(send("POST", &create, &[json, ("Origin", &own)], b"{}").await.status, 201);
    assert_eq!(send("POST", &create, &[json], b"{}").await.status, 201);
    let read = send("GET", &create, &[("Origin", FOREIGN)], b"").await;
    assert_eq!(read.status, 200, "a read changes nothing; the browser keeps its answer from the foreign page");
    server.stop().await;
}

fn assert_secure(answer: &common::Answer, what: &str) {
    assert_eq!(answer.header("x-content-type-options"), Some("nosniff"), "{what}");
    assert_eq!(answer.header("referrer-policy"), Some("same-origin"), "{what}");
    assert_eq!(answer.header("x-frame-options"), Some("DENY"), "{what}");
    let csp = answer.header("content-security-policy").unwrap_or_else(|| panic!("{what}: no CSP"));
    for directive in ["default-src 'self'", "frame-ancestors 'none'", "object-src 'none'", "base-uri 'none'"] {
        assert!(csp.contains(directive), "{what}: {directive} missing in {csp}");
    }
}

/// The nonce of the page's policy, checked to be on every inline script.
fn page_nonce(answer: &common::Answer, what: &str) -> String {
    let csp = answer.header("content-security-policy").expect("CSP");
    let nonce = csp.split("'nonce-").nth(1).and_then(|r| r.split('\'').next()).expect("a nonce in the page policy");
    let html = String::from_utf8_lossy(&answer.body);
    let scripts = html.matches("<script").count();
    assert!(scripts > 0, "{what}: no script");
    assert_eq!(html.matches(&format!("nonce=\"{nonce}\"")).count(), scripts, "{what}: a script without the nonce");
    nonce.to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_response_carries_the_security_headers_and_pages_a_fresh_nonce() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path(), Limits::default()).await;
    let editor = format!("/d/{}", doc_id("headers"));

    let mut nonces = Vec::new();
    for (path, status) in [("/", 200), (editor.as_str(), 200), ("/no/such/page", 404)] {
        let answer = send("GET", &server.http(path), &[], b"").await;
        assert_eq!(answer.status, status, "{path}");
        assert_secure(&answer, path);
        nonces.push(page_nonce(&answer, path));
    }
    nonces.dedup();
    assert_eq!(nonces.len(), 3, "each page gets its own nonce");

    for path in ["/api/docs", "/healthz", "/metrics", "/readyz", "/api/docs/bad%20id"] {
        let answer = send("GET", &server.http(path), &[], b"").await;
        assert_secure(&answer, path);
        let csp = answer.header("content-security-policy").unwrap();
        assert!(!csp.contains("nonce-") && !csp.contains("unsafe-inline'; script"), "{path}: {csp}");
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn small_routes_refuse_large_bodies_and_updates_keep_their_own_cap() {
    let dir = tempfile::tempdir().unwrap();
    let limits = Limits { max_message_bytes: 256 * 1024, ..Limits::default() };
    let server = TestServer::start(dir.path(), limits).await;
    let json = ("Content-Type", "application/json");

    let big_title = format!(r#"{{"title":"{}"}}"#, "x".repeat(server::config::MAX_FORM_BYTES));
    let answer = send("POST", &server.http("/api/docs"), &[json], big_title.as_bytes()).await;
    assert_eq!(answer.status, 413);
    let server_fn = send("POST", &server.http("/_fn/anything"), &[], &vec![b'x'; 100 * 1024]).await;
    assert_eq!(server_fn.status, 413);

    // An update larger than the small-body cap but within --max-message-bytes applies.
    let update = fresh_update(CONTENT, &"y".repeat(100 * 1024));
    let url = server.http(&format!("/api/docs/{}/update", doc_id("big")));
    assert_eq!(send("POST", &url, &[], &update).await.status, 204);
    assert_eq!(send("POST", &url, &[], &vec![0; 300 * 1024]).await.status, 413);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_http_request_times_out_and_a_websocket_does_not() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let dir = tempfile::tempdir().unwrap();
    let limits = Limits { http_timeout_secs: 1, keepalive_secs: 2, ..Limits::default() };
    let server = TestServer::start(dir.path(), limits).await;
    let mut ws = Client::connect(&server.ws_url(&doc_id("timeout"))).await;
    let connected = tokio::time::Instant::now();

    // A body that never finishes arriving.
    let mut stalled = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    let head = format!(
        "POST /api/docs HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{{",
        server.addr
    );
    stalled.write_all(head.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    tokio::time::timeout(PATIENCE, stalled.read_to_end(&mut answer)).await.expect("answered").unwrap();
    assert!(answer.starts_with(b"HTTP/1.1 408"), "{}", String::from_utf8_lossy(&answer));

    // The socket outlives the HTTP timeout: its keepalive (after 2 s of silence) arrives and it still syncs.
    // (Waiting for any frame could end at a late handshake frame.)
    let seen = ws.keepalives();
    ws.pump_until(|c| c.keepalives() > seen).await;
    assert!(connected.elapsed() > Duration::from_secs(1), "the keepalive came after the HTTP timeout");
    ws.append("still here").await;
    let n = ws.request_ack().await;
    ws.pump_until(|c| c.acked(n)).await;
    server.stop().await;
}

/// A page's policy (with its nonce) is its own, however many of the site's
/// files are served while it renders: a page that lost it to a file
/// response got the nonce-free policy, its inline bootstrap was blocked, and
/// the editor never started.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_keep_their_policy_while_files_are_served_beside_them() {
    let (dir, site) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    std::fs::create_dir(site.path().join("pkg")).unwrap();
    std::fs::write(site.path().join("pkg/tandem.css"), "body { margin: 0 }").unwrap();
    let server = common::process::Process::start_with_env(dir.path(), &[("LEPTOS_SITE_ROOT", site.path())]).await;
    for round in 0..40 {
        let editor = server.http(&format!("/d/{}", doc_id("policy")));
        let file = server.http("/pkg/tandem.css");
        let pages = futures_util::future::join_all((0..2).map(|_| send("GET", &editor, &[], b"")));
        let files = futures_util::future::join_all((0..6).map(|_| send("GET", &file, &[], b"")));
        let (pages, files) = tokio::join!(pages, files);
        for page in &pages {
            assert_eq!(page.status, 200);
            page_nonce(page, &format!("round {round}"));
        }
        for file in &files {
            assert_eq!(file.status, 200, "round {round}: the file is served");
            assert_eq!(file.header("content-security-policy"), Some(server::http::headers::policy(None).as_str()), "round {round}: a file has no nonce");
        }
    }
}
