//! Versions over real sockets: recorded automatically and by name, read,
//! compared, restored as a forward edit that connected and offline clients
//! merge, kept across compaction, restarts and `kill -9`; 403 for viewers.

use crate::common::process::Process;
use crate::common::team::{As, accounts_server, call, sign_in, token_of, ws_with_token};
use crate::common::{Client, PATIENCE, TestServer, doc_id, get, post_json};
use serde_json::{Value, json};
use server::config::Settings;
use server::workspace::history::VersionTiming;
use std::time::Duration;

/// The versions of `doc`, newest first.
async fn versions(base: &str, doc: &str) -> Vec<Value> {
    let (status, body) = get(&format!("{base}/api/docs/{doc}/versions")).await;
    assert_eq!(status, 200);
    serde_json::from_slice::<Value>(&body).unwrap().as_array().cloned().unwrap()
}

/// Waits until `doc` has versions for which `done` holds; returns them.
async fn versions_until(base: &str, doc: &str, done: impl Fn(&[Value]) -> bool) -> Vec<Value> {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let list = versions(base, doc).await;
        if done(&list) {
            return list;
        }
        assert!(tokio::time::Instant::now() < deadline, "versions never reached the condition: {list:?}");
        // The versions task checks every second; re-read at its pace.
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Names the current state of `doc`; the version's id.
async fn name(base: &str, doc: &str, label: &str) -> i64 {
    let (status, version) = post_json(&format!("{base}/api/docs/{doc}/versions"), &json!({ "label": label }).to_string()).await;
    assert_eq!(status, 201, "{version}");
    assert_eq!((version["kind"].as_str(), version["label"].as_str()), (Some("named"), Some(label)));
    version["id"].as_i64().unwrap()
}

/// A server whose automatic versions come after 1 s of quiet (or 3 s of editing).
async fn quick_server(dir: &std::path::Path) -> TestServer {
    let history = VersionTiming { idle: Duration::from_secs(1), interval: Duration::from_secs(3), ..Settings::default().history };
    TestServer::start_with(dir, Settings { history, ..Settings::default() }).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_named_version_is_read_compared_and_restored_live_and_offline_edits_merge_into_it() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start_with(dir.path(), Settings::default()).await;
    let base = server.http("");
    let doc = doc_id("history");
    let mut alice = Client::connect(&server.ws_url(&doc)).await;
    alice.append("keep this\ngood line\nand this\n").await;
    let n = alice.request_ack().await;
    alice.pump_until(|c| c.acked(n)).await;
    let good = name(&base, &doc, "before the mistake").await;

    // Someone who goes offline with the good text, and edits it there.
    let mut offline = Client::connect(&server.ws_url(&doc)).await;
    // A vandal replaces the middle line.
    let text = alice.text();
    let at = text.find("good line").unwrap() as u32;
    alice.insert(at, "VANDALISM ").await;
    let n = alice.request_ack().await;
    alice.pump_until(|c| c.acked(n)).await;
    offline.pump_until(|c| c.text().contains("VANDALISM")).await;
    let offline_doc = offline.go_offline().await;

    let version = get(&format!("{base}/api/docs/{doc}/versions/{good}")).await;
    let version: Value = serde_json::from_slice(&version.1).unwrap();
    assert_eq!(version["text"], "keep this\ngood line\nand this\n");
    assert_eq!(version["authors"], json!(["anonymous"]));
    let diff = get(&format!("{base}/api/docs/{doc}/versions/{good}/diff?to=current")).await;
    let diff = String::from_utf8(diff.1).unwrap();
    assert!(diff.contains("-good line\n") && diff.contains("+VANDALISM good line\n"), "{diff}");

    let (status, restored) = post_json(&format!("{base}/api/docs/{doc}/versions/{good}/restore"), "").await;
    assert_eq!(status, 200, "{restored}");
    alice.pump_until(|c| c.text() == "keep this\ngood line\nand this\n").await;
    let list = versions(&base, &doc).await;
    assert_eq!(list[0]["id"], restored["version"], "the restore version is the newest");
    assert_eq!(list[0]["kind"], "restore");
    assert_eq!(list[1]["kind"], "auto", "the state it replaced was recorded first");

    // The offline client added a line meanwhile; it comes back and both edits stay.
    offline_doc.insert(0, "offline note\n");
    let mut back = Client::come_back(&server.ws_url(&doc), offline_doc).await;
    back.pump_until(|c| c.text() == "offline note\nkeep this\ngood line\nand this\n").await;
    alice.pump_until(|c| c.text() == "offline note\nkeep this\ngood line\nand this\n").await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn automatic_versions_come_when_editing_pauses_and_when_the_last_person_leaves() {
    let dir = tempfile::tempdir().unwrap();
    let server = quick_server(dir.path()).await;
    let base = server.http("");
    let doc = doc_id("auto");
    let mut writer = Client::connect(&server.ws_url(&doc)).await;
    writer.append("first").await;
    let list = versions_until(&base, &doc, |l| !l.is_empty()).await;
    assert_eq!(list[0]["kind"], "auto");
    // Nothing changed since: no new version however long one waits.
    writer.append(" second").await;
    let list = versions_until(&base, &doc, |l| l.len() == 2).await;
    let second = list[0]["id"].as_i64().unwrap();
    let text = get(&format!("{base}/api/docs/{doc}/versions/{second}")).await;
    assert_eq!(serde_json::from_slice::<Value>(&text.1).unwrap()["text"], "first second");

    // The last person leaves right after an edit: the room unloads and records it.
    let other = doc_id("leaving");
    let mut last = Client::connect(&server.ws_url(&other)).await;
    last.append("goodbye").await;
    let n = last.request_ack().await;
    last.pump_until(|c| c.acked(n)).await;
    last.close().await;
    let list = versions_until(&base, &other, |l| !l.is_empty()).await;
    let id = list[0]["id"].as_i64().unwrap();
    let version = get(&format!("{base}/api/docs/{other}/versions/{id}")).await;
    assert_eq!(serde_json::from_slice::<Value>(&version.1).unwrap()["text"], "goodbye");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn versions_outlive_compaction_a_restart_and_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let process = Process::start(dir.path()).await;
    let base = process.http("");
    let doc = doc_id("durable");
    let mut writer = Client::connect(&process.ws_url(&doc)).await;
    let mut named = Vec::new();
    for round in 0..3 {
        // More than a compaction's worth of updates between versions.
        for k in 0..600 {
            writer.append(&format!("{round}.{k} ")).await;
        }
        let n = writer.request_ack().await;
        writer.pump_until(|c| c.acked(n)).await;
        named.push((name(&base, &doc, &format!("round {round}")).await, writer.text()));
    }
    process.kill9().await;
    let process = Process::start(dir.path()).await;
    let base = process.http("");
    for (id, text) in &named {
        let (status, version) = get(&format!("{base}/api/docs/{doc}/versions/{id}")).await;
        assert_eq!(status, 200);
        assert_eq!(serde_json::from_slice::<Value>(&version).unwrap()["text"], text.as_str(), "version {id}");
    }
    process.kill9().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn viewers_see_no_history_and_others_no_document() {
    let dir = tempfile::tempdir().unwrap();
    let server = accounts_server(dir.path()).await;
    let bob = sign_in(&server, "bob").await;
    let doc = call(&server, &bob, "POST", "/api/docs", Some(json!({ "title": "Diary" }))).await.json()["id"].as_str().unwrap().to_owned();
    let mut writer = Client::connect(&ws_with_token(&server, &doc, &token_of(&server, "bob").await)).await;
    writer.append("dear diary").await;
    let n = writer.request_ack().await;
    writer.pump_until(|c| c.acked(n)).await;
    let named = call(&server, &bob, "POST", &format!("/api/docs/{doc}/versions"), Some(json!({ "label": "v1" }))).await;
    assert_eq!(named.status, 201);
    assert_eq!(named.json()["authors"], json!(["bob"]));
    let put = |role: &str| json!({ "role": role });
    call(&server, &bob, "PUT", &format!("/api/docs/{doc}/access/workspace"), Some(put("viewer"))).await;
    let cy = sign_in(&server, "cy").await;
    assert_eq!(call(&server, &cy, "GET", &format!("/api/docs/{doc}/versions"), None).await.status, 403);
    let id = named.json()["id"].as_i64().unwrap();
    assert_eq!(call(&server, &cy, "POST", &format!("/api/docs/{doc}/versions/{id}/restore"), None).await.status, 403);
    call(&server, &bob, "PUT", &format!("/api/docs/{doc}/access/workspace"), Some(put("none"))).await;
    assert_eq!(call(&server, &cy, "GET", &format!("/api/docs/{doc}/versions"), None).await.status, 404);
    assert_eq!(call(&server, &As::Nobody, "GET", &format!("/api/docs/{doc}/versions"), None).await.status, 401);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thinned_versions_leave_every_kept_version_whole() {
    use server::store::{NewVersion, SqliteStore, Store, VersionKind, wait_durable};
    use tandem_sync::{DocId, document, history};
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path()).unwrap();
    let id = DocId::parse("thinned").unwrap();
    let doc = document::new_doc();
    let (mut previous, mut texts) = (None::<Vec<u8>>, Vec::new());
    for k in 0..6 {
        document::insert(&doc, document::CONTENT, 0, &format!("line {k}\n"));
        let recorded = history::record(&doc, previous.as_deref(), false);
        previous = Some(recorded.state_vector.clone());
        let seq = store.add_version(&id, NewVersion { kind: VersionKind::Auto, label: None, authors: vec![], recorded });
        texts.push((seq as i64, document::content(&doc)));
    }
    // The checkpoint, two deltas in the middle, and the newest (which is kept).
    let drop = vec![texts[0].0, texts[2].0, texts[3].0, texts[5].0];
    let seq = store.thin_versions(&id, drop.clone());
    assert!(wait_durable(&store, seq).await);
    let left: Vec<i64> = store.versions(&id).unwrap().iter().map(|v| v.id).collect();
    assert_eq!(left, [texts[5].0, texts[4].0, texts[1].0]);
    for (version, text) in texts.iter().filter(|(v, _)| left.contains(v)) {
        let (_, chain) = store.version(&id, *version).unwrap().unwrap();
        let rebuilt = history::rebuild(chain.iter().map(Vec::as_slice)).unwrap();
        assert_eq!(&document::content(&rebuilt), text, "version {version}");
    }
    store.close();
}
