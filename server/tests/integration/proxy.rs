//! Behind a reverse proxy: `--public-url` is the only host the server answers
//! (421 for others, health probes excepted), its origin the only own origin,
//! and with https the session cookie is `Secure` and HSTS is sent.

use crate::common::team::{PASSWORD_SUFFIX, accounts_server_with};
use crate::common::{TestServer, send};
use server::config::{Security, Settings};
use server::http::public_url::PublicUrl;
use server::workspace::AccessSettings;

const HOST: &str = "notes.example";

fn behind(url: &str, access: AccessSettings) -> Settings {
    let security = Security { public_url: Some(PublicUrl::parse(url).unwrap()), ..Security::default() };
    Settings { security, access, ..Settings::default() }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_public_host_is_answered_and_https_brings_hsts() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start_with(dir.path(), behind("https://notes.example/team", AccessSettings::open())).await;

    // Addressed by IP (or by a rebound DNS name): 421, with a clear error.
    for host in [server.addr.to_string(), "attacker.example".into()] {
        let answer = send("GET", &server.http("/api/docs"), &[("Host", &host)], b"").await;
        assert_eq!(answer.status, 421, "{host}");
        assert_eq!(answer.json()["error"]["code"], "wrong_host");
    }
    let probe = send("GET", &server.http("/readyz"), &[], b"").await;
    assert_eq!(probe.status, 200, "health probes answer on any host");

    let own = send("GET", &server.http("/api/docs"), &[("Host", HOST)], b"").await;
    assert_eq!(own.status, 200);
    assert_eq!(own.header("strict-transport-security"), Some("max-age=31536000"));

    // The own origin is https://notes.example; the same name over http is foreign.
    assert_eq!(create_from(&server, "https://notes.example").await, 201);
    assert_eq!(create_from(&server, "http://notes.example").await, 403);
    server.stop().await;
}

/// Creates a document from a page of `origin`, sent to the public host; the status.
async fn create_from(server: &TestServer, origin: &str) -> u16 {
    let headers = [("Host", HOST), ("Origin", origin), ("Content-Type", "application/json")];
    send("POST", &server.http("/api/docs"), &headers, b"{}").await.status
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_https_there_is_no_hsts_and_any_host_is_answered_without_a_public_url() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start_with(dir.path(), behind("http://notes.example:8080", AccessSettings::open())).await;
    let own = send("GET", &server.http("/api/docs"), &[("Host", "notes.example:8080")], b"").await;
    assert_eq!(own.status, 200);
    assert_eq!(own.header("strict-transport-security"), None);
    server.stop().await;

    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start_with(dir.path(), Settings::default()).await;
    let any = send("GET", &server.http("/api/docs"), &[("Host", "whatever.example")], b"").await;
    assert_eq!(any.status, 200);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_session_cookie_is_secure_and_scoped_to_the_sub_path() {
    let dir = tempfile::tempdir().unwrap();
    let server = accounts_server_with(dir.path(), behind("https://notes.example/team/", AccessSettings::accounts())).await;
    let body = serde_json::json!({ "username": "bob", "password": format!("bob{PASSWORD_SUFFIX}") }).to_string();
    let headers = [("Host", HOST), ("Content-Type", "application/json")];
    let answer = send("POST", &server.http("/api/session"), &headers, body.as_bytes()).await;
    assert_eq!(answer.status, 200, "{:?}", answer.json());
    let cookie = answer.header("set-cookie").expect("a session cookie");
    assert!(cookie.contains("; Secure"), "{cookie}");
    assert!(cookie.contains("; Path=/team"), "{cookie}");
    assert!(cookie.contains("; HttpOnly"), "{cookie}");
    server.stop().await;
}

/// A server that allows one WebSocket per client address, trusting `proxies`.
async fn one_socket_per_client(dir: &std::path::Path, proxies: &[&str]) -> TestServer {
    use server::http::forwarded::TrustedProxies;
    let trusted_proxies = proxies.iter().map(|p| TrustedProxies::parse_network(p).unwrap()).collect();
    let security = Security { trusted_proxies, ..Security::default() };
    let limits = server::config::Limits { max_connections_per_ip: 1, ..Default::default() };
    TestServer::start_with(dir, Settings { security, limits, ..Settings::default() }).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn behind_a_trusted_proxy_each_forwarded_client_counts_as_itself() {
    use crate::common::{Client, doc_id};
    let dir = tempfile::tempdir().unwrap();
    let server = one_socket_per_client(dir.path(), &["127.0.0.1"]).await;
    let url = server.ws_url(&doc_id("proxied"));
    let via = |client: &'static str| [("X-Forwarded-For", client)];
    let _a = Client::try_open(&url, &via("198.51.100.1")).await.expect("the first client");
    let _b = Client::try_open(&url, &via("198.51.100.2")).await.expect("another client behind the same proxy");
    let again = Client::try_open(&url, &via("198.51.100.1")).await.err().map(|(status, _)| status);
    assert_eq!(again, Some(429), "the first client's second socket");
    // One IPv6 /64 is one client.
    let _c = Client::try_open(&url, &via("2001:db8:1:2::10")).await.expect("an IPv6 client");
    let same_64 = Client::try_open(&url, &via("2001:db8:1:2::99")).await.err().map(|(status, _)| status);
    assert_eq!(same_64, Some(429), "an address of the same /64");
    server.stop().await;

    // Not trusted: the header is the client's own word, and ignored.
    let dir = tempfile::tempdir().unwrap();
    let server = one_socket_per_client(dir.path(), &["10.0.0.0/8"]).await;
    let url = server.ws_url(&doc_id("direct"));
    let _a = Client::try_open(&url, &via("198.51.100.1")).await.expect("the first socket");
    let spoofed = Client::try_open(&url, &via("198.51.100.2")).await.err().map(|(status, _)| status);
    assert_eq!(spoofed, Some(429));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn under_a_sub_path_pages_write_every_url_under_it_and_both_path_forms_are_served() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start_with(dir.path(), behind("http://notes.example/team", AccessSettings::open())).await;
    let host = [("Host", "notes.example"), ("Content-Type", "application/json")];
    let created = send("POST", &server.http("/team/api/docs"), &host, br#"{"title":"Under a prefix"}"#).await;
    assert_eq!(created.status, 201, "{:?}", created.json());
    let id = created.json()["id"].as_str().unwrap().to_owned();
    // A proxy that strips the prefix reaches the same server.
    let listed = send("GET", &server.http("/api/docs"), &host, b"").await;
    assert!(String::from_utf8_lossy(&listed.body).contains(&id));

    let page = send("GET", &server.http("/team/"), &host, b"").await;
    assert_eq!(page.status, 200);
    let html = String::from_utf8_lossy(&page.body);
    assert!(html.contains(r#"<meta name="tandem-base" content="/team">"#), "{html}");
    assert!(html.contains(&format!(r#"href="/team/d/{id}""#)), "the list links under the prefix");
    assert!(html.contains(r#"href="/team/pkg/tandem.css""#), "the stylesheet under the prefix");
    assert!(html.contains(r#"("/team", "pkg", "tandem""#), "the wasm under the prefix");
    let editor = send("GET", &server.http(&format!("/team/d/{id}")), &host, b"").await;
    assert_eq!(editor.status, 200);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signed_out_page_view_is_sent_to_sign_in_under_the_sub_path() {
    let dir = tempfile::tempdir().unwrap();
    let server = accounts_server_with(dir.path(), behind("https://notes.example/team", AccessSettings::accounts())).await;
    let answer = send("GET", &server.http("/team/d/abcdefghijkl"), &[("Host", HOST)], b"").await;
    assert_eq!(answer.status, 303);
    assert_eq!(answer.header("location"), Some("/team/signin?next=%2Fd%2Fabcdefghijkl"));
    server.stop().await;
}
