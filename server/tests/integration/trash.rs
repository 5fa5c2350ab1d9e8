//! Deleting a document: its sockets close with 4404, it leaves every list and
//! answers 404; it comes back from the trash whole; deleted for good, no byte
//! of it — its text, its image attachments — is left in the database files.

use crate::common::team::{As, accounts_server, call, sign_in};
use crate::common::{Client, Ended, PATIENCE, TestServer, doc_id, get, request, stored_anywhere};
use serde_json::{Value, json};
use server::config::Settings;
use server::workspace::history::VersionTiming;
use std::time::Duration;
use tandem_sync::close;

/// Attaches a PNG image carrying `marker` to `doc`.
async fn attach(base: &str, doc: &str, marker: &str) {
    let png = [&b"\x89PNG\r\n\x1a\n"[..], marker.as_bytes()].concat();
    let (status, _) = crate::common::request_typed("POST", &format!("{base}/api/docs/{doc}/attachments"), "image/png", &png).await;
    assert_eq!(status, 201);
}

/// The ids in the trash.
async fn trash_ids(base: &str) -> Vec<String> {
    let (status, body) = get(&format!("{base}/api/trash")).await;
    assert_eq!(status, 200);
    let list: Vec<Value> = serde_json::from_slice(&body).unwrap();
    list.iter().map(|t| t["id"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_document_is_gone_from_view_comes_back_whole_and_is_erased_for_good() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start_with(dir.path(), Settings::default()).await;
    let base = server.http("");
    let doc = doc_id("doomed");
    let marker = format!("unmistakable-{}", rand::random::<u64>());
    let mut writer = Client::connect(&server.ws_url(&doc)).await;
    writer.append(&marker).await;
    let n = writer.request_ack().await;
    writer.pump_until(|c| c.acked(n)).await;
    let (status, _) = crate::common::post_json(&format!("{base}/api/docs/{doc}/versions"), r#"{"label":"kept"}"#).await;
    assert_eq!(status, 201);
    let picture = format!("picture-{}", rand::random::<u64>());
    attach(&base, &doc, &picture).await;

    assert_eq!(request("DELETE", &format!("{base}/api/docs/{doc}"), None).await.0, 204);
    assert_eq!(writer.until_closed().await, Ended::Closed(close::DELETED));
    assert_eq!(get(&format!("{base}/api/docs/{doc}/text")).await.0, 404);
    assert_eq!(Client::try_open(&server.ws_url(&doc), &[]).await.err().map(|e| e.0), Some(404));
    let (_, list) = get(&format!("{base}/api/docs")).await;
    assert!(!String::from_utf8(list).unwrap().contains(&doc), "a deleted document is not listed");
    assert_eq!(trash_ids(&base).await, [doc.clone()]);

    assert_eq!(request("POST", &format!("{base}/api/trash/{doc}/restore"), None).await.0, 204);
    assert_eq!(String::from_utf8(get(&format!("{base}/api/docs/{doc}/text")).await.1).unwrap(), marker);
    let (_, versions) = get(&format!("{base}/api/docs/{doc}/versions")).await;
    assert!(String::from_utf8(versions).unwrap().contains("kept"), "its versions came back with it");

    assert_eq!(request("DELETE", &format!("{base}/api/docs/{doc}"), None).await.0, 204);
    assert_eq!(request("DELETE", &format!("{base}/api/trash/{doc}"), None).await.0, 204);
    assert!(trash_ids(&base).await.is_empty());
    assert_eq!(get(&format!("{base}/api/docs/{doc}/versions")).await.0, 404);
    assert!(!stored_anywhere(dir.path(), &marker), "the text is still in the database files");
    assert!(!stored_anywhere(dir.path(), &picture), "the image is still in the database files");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_owners_and_administrators_delete_and_see_the_trash() {
    let dir = tempfile::tempdir().unwrap();
    let server = accounts_server(dir.path()).await;
    let (ada, bob, cy) = (sign_in(&server, "ada").await, sign_in(&server, "bob").await, sign_in(&server, "cy").await);
    let doc = call(&server, &bob, "POST", "/api/docs", Some(json!({ "title": "Bob's" }))).await.json()["id"].as_str().unwrap().to_owned();
    assert_eq!(call(&server, &cy, "DELETE", &format!("/api/docs/{doc}"), None).await.status, 403, "an editor does not delete");
    assert_eq!(call(&server, &As::Nobody, "DELETE", &format!("/api/docs/{doc}"), None).await.status, 401);
    assert_eq!(call(&server, &bob, "DELETE", &format!("/api/docs/{doc}"), None).await.status, 204);
    let trash = |who: &As| {
        let who = who.clone();
        let server = &server;
        async move { call(server, &who, "GET", "/api/trash", None).await.json() }
    };
    assert_eq!(trash(&bob).await[0]["title"], "Bob's");
    assert_eq!(trash(&bob).await[0]["deleted_by"], "bob");
    assert_eq!(trash(&cy).await, json!([]), "not theirs");
    assert_eq!(trash(&ada).await[0]["id"], doc.as_str(), "administrators see every deleted document");
    assert_eq!(call(&server, &cy, "POST", &format!("/api/trash/{doc}/restore"), None).await.status, 404);
    assert_eq!(call(&server, &cy, "DELETE", &format!("/api/trash/{doc}"), None).await.status, 404);
    assert_eq!(call(&server, &ada, "POST", &format!("/api/trash/{doc}/restore"), None).await.status, 204);
    assert_eq!(call(&server, &cy, "GET", &format!("/api/docs/{doc}"), None).await.status, 200);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_outstays_the_trash_days_is_deleted_for_good() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start_with(dir.path(), Settings::default()).await;
    let base = server.http("");
    let doc = doc_id("old");
    let mut writer = Client::connect(&server.ws_url(&doc)).await;
    writer.append("old news").await;
    let n = writer.request_ack().await;
    writer.pump_until(|c| c.acked(n)).await;
    attach(&base, &doc, "old picture").await;
    assert_eq!(request("DELETE", &format!("{base}/api/docs/{doc}"), None).await.0, 204);
    server.stop().await;

    // Started again with a trash that keeps nothing: its first sweep empties it.
    let history = VersionTiming { trash: Duration::ZERO, ..Settings::default().history };
    let server = TestServer::start_with(dir.path(), Settings { history, ..Settings::default() }).await;
    let base = server.http("");
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while !trash_ids(&base).await.is_empty() {
        assert!(tokio::time::Instant::now() < deadline, "the trash was never emptied");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // The list empties at the purge's commit; the log is emptied just after,
    // on the writer thread, which stopping the server waits for.
    server.stop().await;
    assert!(!stored_anywhere(dir.path(), "old news"));
    assert!(!stored_anywhere(dir.path(), "old picture"));
}
