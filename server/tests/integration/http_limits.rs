//! Limits on what a client starts over HTTP: per-client rates (429 with
//! `Retry-After`), event streams, the store's size (507), documents per
//! owner and title length; each refusal is counted in `/metrics`.

use crate::common;

use common::scrape::{exceeded, scrape};
use common::team::{accounts_server_with, call, sign_in};
use common::{Client, Ended, TestServer, doc_id, get, post_json, request, request_typed, send};
use server::config::{Limits, Settings};
use server::workspace::AccessSettings;
use tandem_sync::close;
use tandem_sync::document::{CONTENT, fresh_update};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn creations_past_the_clients_rate_get_429_with_retry_after() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path(), Limits { max_creates_per_min: 2, ..Limits::default() }).await;
    for _ in 0..2 {
        assert_eq!(post_json(&server.http("/api/docs"), "{}").await.0, 201);
    }
    let refused = send("POST", &server.http("/api/docs"), &[("Content-Type", "application/json")], b"{}").await;
    assert_eq!(refused.status, 429);
    assert_eq!(refused.header("retry-after"), Some("30"), "2 a minute: one every 30 s");
    assert_eq!(refused.json()["error"]["code"], "creates_per_min");
    // An import creates a document too, but has a rate of its own.
    let (status, _) = request_typed("POST", &server.http("/api/docs/import"), "text/markdown", b"# Hi").await;
    assert_eq!(status, 201);
    assert_eq!(exceeded(&scrape(&server).await, "creates_per_min"), 1.0);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_imports_and_sign_ins_have_their_own_rates() {
    let dir = tempfile::tempdir().unwrap();
    let limits = Limits { max_uploads_per_min: 1, max_imports_per_min: 1, max_sign_ins_per_min: 1, ..Limits::default() };
    let server = TestServer::start(dir.path(), limits).await;
    let update_url = server.http(&format!("/api/docs/{}/update", doc_id("up")));
    let update = fresh_update(CONTENT, "x");
    assert_eq!(request("POST", &update_url, Some(&update)).await.0, 204);
    assert_eq!(request("POST", &update_url, Some(&update)).await.0, 429);
    let import = server.http("/api/docs/import");
    assert_eq!(request_typed("POST", &import, "text/markdown", b"a").await.0, 201);
    assert_eq!(request_typed("POST", &import, "text/markdown", b"a").await.0, 429);
    let sign_in = server.http("/api/session");
    let body = r#"{"username":"nobody","password":"wrong-password"}"#;
    assert_ne!(post_json(&sign_in, body).await.0, 429);
    assert_eq!(post_json(&sign_in, body).await.0, 429);
    // Reads are not limited.
    assert_eq!(get(&server.http("/api/docs")).await.0, 200);
    let text = scrape(&server).await;
    for limit in ["uploads_per_min", "imports_per_min", "sign_ins_per_min"] {
        assert_eq!(exceeded(&text, limit), 1.0, "{limit}");
    }
    server.stop().await;
}

/// Opens `GET /api/events` and reads until the answer's head is complete;
/// the stream stays open while the socket lives.
async fn open_events(server: &TestServer) -> (u16, tokio::net::TcpStream) {
    let mut stream = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    let head = format!("GET /api/events HTTP/1.1\r\nHost: {}\r\nAccept: text/event-stream\r\n\r\n", server.addr);
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut got = Vec::new();
    while !got.windows(4).any(|w| w == b"\r\n\r\n") {
        let mut buf = [0u8; 512];
        let n = stream.read(&mut buf).await.unwrap();
        assert!(n > 0, "the server closed before answering");
        got.extend_from_slice(&buf[..n]);
    }
    let status = String::from_utf8_lossy(&got).split(' ').nth(1).unwrap().parse().unwrap();
    (status, stream)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn event_streams_are_capped_per_client_and_in_total() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path(), Limits { max_event_streams_per_ip: 1, ..Limits::default() }).await;
    let (status, _first) = open_events(&server).await;
    assert_eq!(status, 200);
    assert_eq!(open_events(&server).await.0, 429);
    server.stop().await;

    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path(), Limits { max_event_streams: 1, ..Limits::default() }).await;
    let (status, first) = open_events(&server).await;
    assert_eq!(status, 200);
    assert_eq!(open_events(&server).await.0, 503);
    let text = scrape(&server).await;
    assert_eq!(exceeded(&text, "event_streams"), 1.0);
    drop(first);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_store_refuses_growth_with_507_and_1009_and_keeps_serving_reads() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path(), Limits { max_store_bytes: 8 << 10, ..Limits::default() }).await;
    let doc = doc_id("full");
    let mut writer = Client::connect(&server.ws_url(&doc)).await;
    let kept = "k".repeat(6 << 10);
    writer.append(&kept).await;
    let n = writer.request_ack().await;
    writer.pump_until(|c| c.acked(n)).await;

    let update = fresh_update(CONTENT, &"u".repeat(4 << 10));
    let (status, body) = request("POST", &server.http(&format!("/api/docs/{doc}/update")), Some(&update)).await;
    assert_eq!(status, 507);
    let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(json["error"]["code"], "store_full", "{json}");
    let markdown = "m".repeat(4 << 10);
    let (status, _) = request_typed("POST", &server.http("/api/docs/import"), "text/markdown", markdown.as_bytes()).await;
    assert_eq!(status, 507);
    writer.append(&"w".repeat(4 << 10)).await;
    assert_eq!(writer.until_closed().await, Ended::Closed(close::TOO_BIG));

    let (status, text) = get(&server.http(&format!("/api/docs/{doc}/text"))).await;
    assert_eq!((status, text.len()), (200, kept.len()), "reads keep working");
    assert_eq!(exceeded(&scrape(&server).await, "store_bytes"), 3.0);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_account_owns_at_most_its_quota_of_documents() {
    let dir = tempfile::tempdir().unwrap();
    let limits = Limits { max_docs_per_user: 2, ..Limits::default() };
    let settings = Settings { access: AccessSettings::accounts(), limits, ..Settings::default() };
    let server = accounts_server_with(dir.path(), settings).await;
    let bob = sign_in(&server, "bob").await;
    for _ in 0..2 {
        assert_eq!(call(&server, &bob, "POST", "/api/docs", Some(serde_json::json!({}))).await.status, 201);
    }
    let refused = call(&server, &bob, "POST", "/api/docs", Some(serde_json::json!({}))).await;
    assert_eq!(refused.status, 507);
    assert_eq!(refused.json()["error"]["code"], "too_many_documents");
    // Opening a new document on a WebSocket would create one too.
    let token = common::team::token_of(&server, "bob").await;
    let url = common::team::ws_with_token(&server, &doc_id("ws"), &token);
    assert_eq!(Client::try_open(&url, &[]).await.err().expect("refused").0, 507);
    // Someone else still may.
    let cy = sign_in(&server, "cy").await;
    assert_eq!(call(&server, &cy, "POST", "/api/docs", Some(serde_json::json!({}))).await.status, 201);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_title_past_200_characters_is_refused_with_400() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path(), Limits::default()).await;
    let fits = format!(r#"{{"title":"{}"}}"#, "t".repeat(200));
    assert_eq!(post_json(&server.http("/api/docs"), &fits).await.0, 201);
    let long = format!(r#"{{"title":"{}"}}"#, "t".repeat(201));
    let (status, json) = post_json(&server.http("/api/docs"), &long).await;
    assert_eq!(status, 400);
    assert_eq!(json["error"]["code"], "invalid_request", "{json}");
    assert_eq!(exceeded(&scrape(&server).await, "title_chars"), 1.0);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn behind_a_trusted_proxy_each_forwarded_client_has_its_own_rate() {
    let dir = tempfile::tempdir().unwrap();
    let proxy = server::http::forwarded::TrustedProxies::parse_network("127.0.0.1").unwrap();
    let security = server::config::Security { trusted_proxies: vec![proxy], ..Default::default() };
    let limits = Limits { max_creates_per_min: 1, ..Limits::default() };
    let server = TestServer::start_with(dir.path(), Settings { limits, security, ..Settings::default() }).await;
    let create = |client: &'static str| {
        let url = server.http("/api/docs");
        async move {
            let headers = [("Content-Type", "application/json"), ("X-Forwarded-For", client)];
            send("POST", &url, &headers, b"{}").await.status
        }
    };
    assert_eq!(create("198.51.100.1").await, 201);
    assert_eq!(create("198.51.100.1").await, 429);
    assert_eq!(create("198.51.100.2").await, 201, "another client behind the same proxy");
    // One IPv6 /64 is one client.
    assert_eq!(create("2001:db8:0:1::a").await, 201);
    assert_eq!(create("2001:db8:0:1::b").await, 429);
    server.stop().await;
}
