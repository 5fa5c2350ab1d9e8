//! Image attachments over real HTTP: PNG, JPEG, GIF and WebP come back with
//! the type told from their bytes and headers that keep a browser from
//! sniffing; anything else is 415, past the cap 413. Editors upload, readers
//! (share-link guests too) read, strangers see nothing. An attachment is
//! durable once answered (kill -9, then a backup and restore, keep it), is
//! 404 while its document is in the trash and back with it, and leaves no
//! byte in the database once the document is deleted for good.

use crate::backup::{backup, restore};
use crate::common::process::Process;
use crate::common::team::{self, As, accounts_server, call, sign_in};
use crate::common::{Answer, TestServer, send, stored_anywhere};
use serde_json::json;
use server::config::{Limits, Settings};

/// The magic numbers of each accepted format and the type it is served as.
const FORMATS: [(&[u8], &str); 4] = [
    (b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", "image/png"),
    (b"\xff\xd8\xff\xe0\0\x10JFIF\0", "image/jpeg"),
    (b"GIF89a\x01\0\x01\0", "image/gif"),
    (b"RIFF\x24\0\0\0WEBPVP8 ", "image/webp"),
];

/// An image of the format `magic` starts, carrying `marker` (to look for in files).
fn image(magic: &[u8], marker: &str) -> Vec<u8> {
    [magic, marker.as_bytes()].concat()
}

/// A marker no other test writes.
fn marker(name: &str) -> String {
    format!("{name}-{:016x}", rand::random::<u64>())
}

/// Sends `method path` to `base` as `who` with a raw `body` (sent as `image/png`, which the server ignores).
async fn send_as(base: &str, who: &As, method: &str, path: &str, body: &[u8]) -> Answer {
    team::send_as(&format!("{base}{path}"), who, method, "image/png", body).await
}

/// Uploads `body` to `doc` as `who`.
async fn upload(base: &str, who: &As, doc: &str, body: &[u8]) -> Answer {
    send_as(base, who, "POST", &format!("/api/docs/{doc}/attachments"), body).await
}

/// Uploads `body` to `doc` in open mode, expecting 201; its URL.
async fn uploaded(base: &str, doc: &str, body: &[u8]) -> String {
    let answer = upload(base, &As::Nobody, doc, body).await;
    assert_eq!(answer.status, 201, "{:?}", answer.json());
    answer.json()["url"].as_str().expect("url").to_owned()
}

/// Reads `url` (a path) from `base` as `who`.
async fn fetch(base: &str, who: &As, url: &str) -> Answer {
    send_as(base, who, "GET", url, b"").await
}

/// Creates a document in open mode; its id.
async fn new_doc(base: &str) -> String {
    let made = send("POST", &format!("{base}/api/docs"), &[("Content-Type", "application/json")], b"{}").await;
    assert_eq!(made.status, 201);
    made.json()["id"].as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_image_format_comes_back_with_its_type_and_headers_that_forbid_sniffing() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start_with(dir.path(), Settings::default()).await;
    let base = server.http("");
    let doc = new_doc(&base).await;
    for (magic, mime) in FORMATS {
        let bytes = image(magic, &marker(mime));
        let url = uploaded(&base, &doc, &bytes).await;
        assert!(url.starts_with(&format!("/api/docs/{doc}/attachments/")) && app::attachment::is_path(&url), "{url}");
        let got = fetch(&base, &As::Nobody, &url).await;
        assert_eq!((got.status, got.body.as_slice()), (200, bytes.as_slice()), "{mime}");
        assert_eq!(got.header("content-type"), Some(mime));
        assert_eq!(got.header("x-content-type-options"), Some("nosniff"));
        assert_eq!(got.header("cache-control"), Some("private, max-age=31536000, immutable"));
        assert_eq!(got.header("content-disposition"), Some("inline"));
        assert!(got.header("content-security-policy").is_some_and(|p| p.contains("default-src 'self'")));
        assert_eq!(uploaded(&base, &doc, &bytes).await, url, "the same image again is the same attachment");
    }
    let unknown = format!("/api/docs/{doc}/attachments/{}", "A".repeat(app::attachment::ID_LEN));
    assert_eq!(fetch(&base, &As::Nobody, &unknown).await.status, 404);
    assert_eq!(fetch(&base, &As::Nobody, &format!("/api/docs/{doc}/attachments/nope")).await.status, 404);
    assert_eq!(upload(&base, &As::Nobody, "no-such-doc", &image(FORMATS[0].0, "x")).await.status, 404);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anything_but_those_images_is_415_past_the_cap_413_and_uploads_count_in_the_rate() {
    let dir = tempfile::tempdir().unwrap();
    let limits = Limits { max_attachment_bytes: 80 << 10, max_uploads_per_min: 5, ..Limits::default() };
    let server = TestServer::start(dir.path(), limits).await;
    let base = server.http("");
    let doc = new_doc(&base).await;
    let svg = br#"<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>"#;
    for (what, body) in [("svg", &svg[..]), ("html named .png", b"<html><script>alert(1)</script>"), ("empty", b"")] {
        let refused = upload(&base, &As::Nobody, &doc, body).await;
        assert_eq!(refused.status, 415, "{what}");
        assert_eq!(refused.json()["error"]["code"], "unsupported_media_type", "{what}");
        assert!(refused.json()["error"]["message"].as_str().unwrap().contains("PNG, JPEG, GIF or WebP"), "{what}");
    }
    let over = upload(&base, &As::Nobody, &doc, &image(FORMATS[0].0, &"x".repeat(80 << 10))).await;
    assert_eq!((over.status, over.json()["error"]["code"].as_str()), (413, Some("attachment_too_large")));
    // Larger than any other API body may be, within the cap: accepted.
    uploaded(&base, &doc, &image(FORMATS[0].0, &"y".repeat(70 << 10))).await;
    // Every upload took a token, refused or not: this is the sixth of five a minute.
    let limited = upload(&base, &As::Nobody, &doc, &image(FORMATS[1].0, "z")).await;
    assert_eq!((limited.status, limited.json()["error"]["code"].as_str()), (429, Some("uploads_per_min")));
    server.stop().await;
}

/// Sets what every member may do with `doc`, as its owner `who`.
async fn set_workspace(server: &TestServer, who: &As, doc: &str, role: &str) {
    let path = format!("/api/docs/{doc}/access/workspace");
    assert_eq!(call(server, who, "PUT", &path, Some(json!({ "role": role }))).await.status, 204);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn editors_upload_viewers_may_not_strangers_see_nothing_and_link_guests_read() {
    let dir = tempfile::tempdir().unwrap();
    let server = accounts_server(dir.path()).await;
    let base = server.http("");
    let (bob, cy) = (sign_in(&server, "bob").await, sign_in(&server, "cy").await);
    let doc = call(&server, &bob, "POST", "/api/docs", Some(json!({ "title": "Pictures" }))).await.json()["id"].as_str().unwrap().to_owned();
    let png = image(FORMATS[0].0, "accounts");
    assert_eq!(upload(&base, &cy, &doc, &png).await.status, 201, "members are editors by default");
    let answer = upload(&base, &bob, &doc, &png).await;
    assert_eq!(answer.status, 201);
    let url = answer.json()["url"].as_str().unwrap().to_owned();

    set_workspace(&server, &bob, &doc, "viewer").await;
    let viewer = upload(&base, &cy, &doc, &image(FORMATS[1].0, "viewer")).await;
    assert_eq!((viewer.status, viewer.json()["error"]["code"].as_str()), (403, Some("forbidden")));
    assert_eq!(fetch(&base, &cy, &url).await.body, png, "a viewer reads");
    set_workspace(&server, &bob, &doc, "none").await;
    assert_eq!(upload(&base, &cy, &doc, &png).await.status, 404, "a stranger learns nothing");
    assert_eq!(fetch(&base, &cy, &url).await.status, 404);
    assert_eq!(fetch(&base, &As::Nobody, &url).await.status, 401);

    let link = call(&server, &bob, "POST", &format!("/api/docs/{doc}/links"), Some(json!({ "role": "viewer" }))).await.json();
    let guest = As::Bearer(link["token"].as_str().unwrap().to_owned());
    assert_eq!(fetch(&base, &guest, &url).await.body, png, "a share link's guest reads");
    let As::Bearer(token) = &guest else { unreachable!() };
    let by_query = fetch(&base, &As::Nobody, &format!("{url}?token={token}")).await;
    assert_eq!((by_query.status, by_query.body), (200, png.clone()), "or with its token in the URL, as an <img> must");
    assert_eq!(fetch(&base, &As::Nobody, &format!("{url}?token=wrong")).await.status, 401);
    assert_eq!(upload(&base, &guest, &doc, &png).await.status, 403, "a viewer link uploads nothing");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answered_upload_survives_kill_9_and_a_backup_and_restore_carry_it() {
    let root = tempfile::tempdir().unwrap();
    let (live, restored, file) = (root.path().join("live"), root.path().join("restored"), root.path().join("b.db"));
    let server = Process::start(&live).await;
    let base = server.http("");
    let doc = new_doc(&base).await;
    let gif = image(FORMATS[2].0, &marker("durable"));
    let url = uploaded(&base, &doc, &gif).await;
    server.kill9().await;

    let server = Process::start(&live).await;
    let got = fetch(&server.http(""), &As::Nobody, &url).await;
    assert_eq!((got.status, got.header("content-type")), (200, Some("image/gif")));
    assert_eq!(got.body, gif);
    let (ok, summary) = backup(&live, &file, false).await;
    assert!(ok, "backup failed: {summary}");
    assert_eq!(server.signal("TERM").await, Some(0));

    let (ok, out) = restore(&file, &restored).await;
    assert!(ok, "restore failed: {out}");
    let server = Process::start(&restored).await;
    assert_eq!(fetch(&server.http(""), &As::Nobody, &url).await.body, gif, "the backup carried it");
    assert_eq!(server.signal("TERM").await, Some(0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trashed_documents_images_are_404_come_back_with_it_and_leave_no_byte_once_deleted_for_good() {
    let dir = tempfile::tempdir().unwrap();
    // SQLite: the test looks for the image's bytes in the store's files.
    let server = TestServer::start_on_sqlite(dir.path(), Settings::default()).await;
    let base = server.http("");
    let (doc, kept) = (new_doc(&base).await, new_doc(&base).await);
    let secret = marker("erased");
    let url = uploaded(&base, &doc, &image(FORMATS[3].0, &secret)).await;
    let other = uploaded(&base, &kept, &image(FORMATS[3].0, &marker("kept"))).await;
    let size = |list: serde_json::Value| list.as_array().unwrap().iter().find(|d| d["id"] == doc.as_str()).unwrap()["size"].as_u64().unwrap();
    let listed = send("GET", &format!("{base}/api/docs"), &[], b"").await.json();
    assert!(size(listed) >= secret.len() as u64, "a document's size counts its attachments");

    assert_eq!(send("DELETE", &format!("{base}/api/docs/{doc}"), &[], b"").await.status, 204);
    assert_eq!(fetch(&base, &As::Nobody, &url).await.status, 404, "in the trash");
    assert_eq!(upload(&base, &As::Nobody, &doc, &image(FORMATS[0].0, "late")).await.status, 404);
    assert_eq!(send("POST", &format!("{base}/api/trash/{doc}/restore"), &[], b"").await.status, 204);
    assert_eq!(fetch(&base, &As::Nobody, &url).await.status, 200, "restored with its document");
    assert!(stored_anywhere(dir.path(), &secret));

    assert_eq!(send("DELETE", &format!("{base}/api/docs/{doc}"), &[], b"").await.status, 204);
    assert_eq!(send("DELETE", &format!("{base}/api/trash/{doc}"), &[], b"").await.status, 204);
    assert_eq!(fetch(&base, &As::Nobody, &url).await.status, 404);
    assert!(!stored_anywhere(dir.path(), &secret), "the image is still in the database files");
    assert_eq!(fetch(&base, &As::Nobody, &other).await.status, 200, "another document's images stay");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_store_refuses_an_attachment_with_507_and_stores_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path(), Limits { max_store_bytes: 4 << 10, ..Limits::default() }).await;
    let base = server.http("");
    let doc = new_doc(&base).await;
    let small = uploaded(&base, &doc, &image(FORMATS[0].0, "fits")).await;
    let refused = upload(&base, &As::Nobody, &doc, &image(FORMATS[0].0, &"x".repeat(8 << 10))).await;
    assert_eq!((refused.status, refused.json()["error"]["code"].as_str()), (507, Some("store_full")));
    // The attachments stored count against the limit: the store is full of them.
    let filler = upload(&base, &As::Nobody, &doc, &image(FORMATS[1].0, &"y".repeat(3 << 10))).await;
    assert_eq!(filler.status, 201);
    let over = upload(&base, &As::Nobody, &doc, &image(FORMATS[2].0, &"z".repeat(1 << 10))).await;
    assert_eq!(over.status, 507, "{:?}", over.json());
    assert_eq!(fetch(&base, &As::Nobody, &small).await.status, 200, "reads go on");
    let listed = send("GET", &format!("{base}/api/docs"), &[], b"").await.json();
    let size = listed[0]["size"].as_u64().unwrap();
    assert!(((3 << 10)..(8 << 10)).contains(&size), "only what was accepted is stored: {size}");
    server.stop().await;
}
