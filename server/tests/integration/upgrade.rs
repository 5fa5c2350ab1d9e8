//! A store written by an earlier release opens in this one with nothing lost.
//!
//! `tests/fixtures/store-schema-1.db` was written by the release before schema 2
//! (`tandem backup` of a store holding a titled document, edited in three
//! updates with an emoji, and an untitled one). Opening it migrates it in place.

use crate::common::{TestServer, get};
use server::config::Limits;

/// The fixture's titled document.
const TITLED: &str = "TZD6wBX67ZN8";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_of_the_previous_release_opens_with_every_document() {
    let dir = tempfile::tempdir().unwrap();
    let fixture = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/store-schema-1.db");
    std::fs::copy(&fixture, dir.path().join("tandem.db")).expect("copy the fixture");
    let server = TestServer::start(dir.path(), Limits::default()).await;

    let (status, list) = get(&server.http("/api/docs")).await;
    assert_eq!(status, 200);
    let list: Vec<serde_json::Value> = serde_json::from_slice(&list).unwrap();
    let titles: Vec<(&str, &str)> = list.iter().map(|d| (d["id"].as_str().unwrap(), d["title"].as_str().unwrap())).collect();
    assert_eq!(titles, [("untitled-notes", ""), (TITLED, "Minutes of the first release")]);
    let (status, text) = get(&server.http(&format!("/api/docs/{TITLED}/text"))).await;
    assert_eq!(status, 200);
    assert_eq!(String::from_utf8(text).unwrap(), "# Minutes\n\nWe ship on Friday. 😀\n- [x] Freeze the API\n");
    server.stop().await;

    let db = rusqlite::Connection::open(dir.path().join("tandem.db")).unwrap();
    let version: i64 = db.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
    assert_eq!(version, 5, "the store was migrated to this release's schema");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_accounts_mode_its_documents_belong_to_the_first_administrator() {
    use crate::common::team::{As, accounts_server, call, sign_in};
    let dir = tempfile::tempdir().unwrap();
    let fixture = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/store-schema-1.db");
    std::fs::copy(&fixture, dir.path().join("tandem.db")).expect("copy the fixture");
    let server = accounts_server(dir.path()).await;
    let owners = |list: serde_json::Value| -> Vec<(String, String, String)> {
        let list = list.as_array().cloned().unwrap_or_default();
        list.iter().map(|d| (d["id"].as_str().unwrap().into(), d["owner"].as_str().unwrap().into(), d["role"].as_str().unwrap().into())).collect()
    };
    let ada = sign_in(&server, "ada").await;
    let as_ada = owners(call(&server, &ada, "GET", "/api/docs", None).await.json());
    assert_eq!(as_ada, [("untitled-notes".into(), "ada".into(), "owner".into()), (TITLED.into(), "ada".into(), "owner".into())]);
    // Members get the default workspace access: they may edit.
    let bob = sign_in(&server, "bob").await;
    let as_bob = owners(call(&server, &bob, "GET", "/api/docs", None).await.json());
    assert!(as_bob.iter().all(|(_, owner, role)| owner == "ada" && role == "editor"), "{as_bob:?}");
    assert_eq!(as_bob.len(), 2);
    assert_eq!(call(&server, &As::Nobody, "GET", "/api/docs", None).await.status, 401);
    server.stop().await;
}
