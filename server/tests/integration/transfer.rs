//! Markdown in and out: an import becomes a document with an `import`
//! version; an export is the text, or one sanitized HTML file; bad input gets
//! a clear error and creates nothing.

use crate::common::{TestServer, get, send};
use serde_json::Value;
use server::config::{Limits, Settings};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_imported_file_exports_as_the_same_text() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start_with(dir.path(), Settings::default()).await;
    let base = server.http("");
    let text = "# Trip to Lisbon\n\n- pack 🧳\n- <script>alert(1)</script>\n";
    let made = send("POST", &format!("{base}/api/docs/import?name=lisbon.md"), &[("Content-Type", "text/markdown")], text.as_bytes()).await;
    assert_eq!(made.status, 201, "{:?}", made.json());
    let id = made.json()["id"].as_str().unwrap().to_owned();

    let (_, meta) = get(&format!("{base}/api/docs/{id}")).await;
    assert_eq!(serde_json::from_slice::<Value>(&meta).unwrap()["title"], "Trip to Lisbon");
    let (_, versions) = get(&format!("{base}/api/docs/{id}/versions")).await;
    assert_eq!(serde_json::from_slice::<Value>(&versions).unwrap()[0]["kind"], "import");

    let md = send("GET", &format!("{base}/api/docs/{id}/export?format=md"), &[], b"").await;
    assert_eq!(md.status, 200);
    assert_eq!(String::from_utf8(md.body.clone()).unwrap(), text);
    assert_eq!(md.header("content-type"), Some("text/markdown; charset=utf-8"));
    let disposition = md.header("content-disposition").unwrap();
    assert!(disposition.starts_with("attachment; filename=\"Trip to Lisbon.md\""), "{disposition}");

    let html = send("GET", &format!("{base}/api/docs/{id}/export?format=html"), &[], b"").await;
    let page = String::from_utf8(html.body).unwrap();
    assert!(page.starts_with("<!DOCTYPE html>") && page.contains("<title>Trip to Lisbon</title>"), "{page}");
    assert!(page.contains("Lisbon</h1>") && !page.contains("<script>"), "{page}");
    assert!(!page.contains("src=\"http") && !page.contains("href=\"/pkg"), "it needs nothing from elsewhere");
    server.stop().await;
}

/// A 1×1 PNG.
const DOT_PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89\0\0\0\rIDATx\xdacd`\xf8_\x0f\0\x02\x87\x01\x80\xeb\x47\xba\x92\0\0\0\0IEND\xaeB`\x82";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_html_export_carries_the_documents_own_images() {
    use base64::Engine;
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start_with(dir.path(), Settings::default()).await;
    let base = server.http("");
    let made = send("POST", &format!("{base}/api/docs"), &[("Content-Type", "application/json")], b"{}").await;
    let id = made.json()["id"].as_str().unwrap().to_owned();
    let up = send("POST", &format!("{base}/api/docs/{id}/attachments"), &[], DOT_PNG).await;
    assert_eq!(up.status, 201, "{:?}", up.json());
    let url = up.json()["url"].as_str().unwrap().to_owned();
    let mut writer = crate::common::Client::connect(&server.ws_url(&id)).await;
    writer.append(&format!("A dot: ![dot]({url})\n")).await;
    let n = writer.request_ack().await;
    writer.pump_until(|c| c.acked(n)).await;

    let html = send("GET", &format!("{base}/api/docs/{id}/export?format=html"), &[], b"").await;
    let page = String::from_utf8(html.body).unwrap();
    let inline = format!("src=\"data:image/png;base64,{}\"", base64::engine::general_purpose::STANDARD.encode(DOT_PNG));
    assert!(page.contains(&inline) && page.contains("alt=\"dot\""), "{page}");
    assert!(!page.contains("/api/docs/"), "no link back to the server");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_import_is_refused_and_creates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let limits = Limits { max_doc_bytes: 1 << 10, ..Limits::default() };
    let server = TestServer::start_with(dir.path(), Settings { limits, ..Settings::default() }).await;
    let base = server.http("");
    let latin1 = send("POST", &format!("{base}/api/docs/import"), &[("Content-Type", "text/markdown")], b"caf\xe9").await;
    assert_eq!((latin1.status, latin1.json()["error"]["code"].as_str()), (400, Some("not_utf8")));
    let big = "x".repeat(2 << 10);
    let large = send("POST", &format!("{base}/api/docs/import"), &[("Content-Type", "text/markdown")], big.as_bytes()).await;
    assert_eq!(large.status, 413);
    let (_, list) = get(&format!("{base}/api/docs")).await;
    assert_eq!(serde_json::from_slice::<Value>(&list).unwrap(), serde_json::json!([]));
    let bad = send("GET", &format!("{base}/api/docs/nope/export?format=pdf"), &[], b"").await;
    assert_eq!(bad.status, 400);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn everything_one_may_see_downloads_as_one_archive_of_markdown_files() {
    use crate::common::team::{As, accounts_server, call, sign_in};
    use std::io::Read;
    let dir = tempfile::tempdir().unwrap();
    let server = accounts_server(dir.path()).await;
    let (bob, cy) = (sign_in(&server, "bob").await, sign_in(&server, "cy").await);
    let import = |who: &As, title: &str, text: &str| {
        let (who, title, text) = (who.clone(), title.to_owned(), text.to_owned());
        let server = &server;
        async move {
            let As::Cookie(cookie) = who else { unreachable!() };
            let url = server.http(&format!("/api/docs/import?title={title}"));
            let made = send("POST", &url, &[("Cookie", &cookie), ("Content-Type", "text/markdown")], text.as_bytes()).await;
            assert_eq!(made.status, 201);
            made.json()["id"].as_str().unwrap().to_owned()
        }
    };
    import(&bob, "Notes", "bob's notes").await;
    import(&bob, "Notes", "more notes 😀").await;
    let private = import(&cy, "Secret", "cy only").await;
    call(&server, &cy, "PUT", &format!("/api/docs/{private}/access/workspace"), Some(serde_json::json!({ "role": "none" }))).await;

    let As::Cookie(cookie) = &bob else { unreachable!() };
    let archive = send("GET", &server.http("/api/export"), &[("Cookie", cookie)], b"").await;
    assert_eq!(archive.status, 200);
    assert_eq!(archive.header("content-type"), Some("application/zip"));
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(archive.body)).expect("a zip archive");
    let mut files = std::collections::BTreeMap::new();
    for i in 0..zip.len() {
        let mut file = zip.by_index(i).unwrap();
        let name = file.name().map(|n| n.to_string()).expect("a file name");
        let mut text = String::new();
        file.read_to_string(&mut text).unwrap();
        files.insert(name, text);
    }
    let texts: std::collections::BTreeSet<&str> = files.values().map(String::as_str).collect();
    assert_eq!(texts, ["bob's notes", "more notes 😀"].into_iter().collect(), "{files:?}");
    assert!(files.contains_key("Notes.md") && files.contains_key("Notes (2).md"), "{files:?}");
    assert_eq!(call(&server, &As::Nobody, "GET", "/api/export", None).await.status, 401);
    server.stop().await;
}
