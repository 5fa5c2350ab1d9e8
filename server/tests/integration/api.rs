//! The HTTP API: create, list, read, and apply updates that reach live clients.

use crate::common;

use common::{Client, TestServer, api_text, get, post_json, request, text_of_update};
use server::config::Limits;
use tandem_sync::document::{CONTENT, fresh_update};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn created_documents_are_listed_with_their_titles() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path(), Limits::default()).await;
    let (status, created) = post_json(&server.http("/api/docs"), r#"{"title":"Minutes ✍"}"#).await;
    assert_eq!(status, 201);
    let id = created["id"].as_str().unwrap().to_string();
    assert!(tandem_sync::DocId::parse(&id).is_ok());

    let (status, meta) = get(&server.http(&format!("/api/docs/{id}"))).await;
    assert_eq!(status, 200);
    let meta: serde_json::Value = serde_json::from_slice(&meta).unwrap();
    assert_eq!(meta["title"], "Minutes ✍");
    assert!(meta["updated_at"].as_i64().unwrap() > 0);

    let (status, untitled) = post_json(&server.http("/api/docs"), "{}").await;
    assert_eq!(status, 201);
    let (_, list) = get(&server.http("/api/docs")).await;
    let list: Vec<serde_json::Value> = serde_json::from_slice(&list).unwrap();
    let titled = list.iter().find(|d| d["id"] == id.as_str()).expect("listed");
    assert_eq!(titled["title"], "Minutes ✍");
    assert!(list.iter().any(|d| d["id"] == untitled["id"]), "an untitled document is listed too");

    let (status, _) = post_json(&server.http("/api/docs"), r#"{"title": 5}"#).await;
    assert_eq!(status, 422, "a malformed body is refused");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_update_posted_over_http_reaches_connected_clients_and_is_stored() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path(), Limits::default()).await;
    let doc = common::doc_id("http");
    let mut live = Client::connect(&server.ws_url(&doc)).await;

    let update = fresh_update(CONTENT, "from http 🚀");
    let (status, _) = request("POST", &server.http(&format!("/api/docs/{doc}/update")), Some(&update)).await;
    assert_eq!(status, 204);
    live.pump_until(|c| c.text() == "from http 🚀").await;

    let (status, state) = get(&server.http(&format!("/api/docs/{doc}/state"))).await;
    assert_eq!(status, 200);
    assert_eq!(text_of_update(&state), "from http 🚀");
    server.stop().await;

    let server = TestServer::start(dir.path(), Limits::default()).await;
    assert_eq!(api_text(&server.http(&format!("/api/docs/{doc}/text"))).await, "from http 🚀");
    server.stop().await;
}

/// The target of a `Link: <…>; rel="next"` header.
fn next_link(answer: &common::Answer) -> Option<String> {
    let link = answer.header("link")?;
    assert!(link.ends_with("; rel=\"next\""), "{link}");
    Some(link.split_once('<')?.1.split_once('>')?.0.to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_list_comes_in_pages_and_a_walk_sees_every_document_once() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path(), Limits::default()).await;
    let mut created = Vec::new();
    for i in 0..7 {
        let (status, json) = post_json(&server.http("/api/docs"), &format!(r#"{{"title":"doc {i}"}}"#)).await;
        assert_eq!(status, 201);
        created.push(json["id"].as_str().unwrap().to_owned());
    }
    // Without a query: the first page, which holds them all (a page is 100 by default).
    let whole = common::send("GET", &server.http("/api/docs"), &[], b"").await;
    assert_eq!((whole.json().as_array().unwrap().len(), whole.header("link")), (7, None));

    let (mut seen, mut pages, mut path) = (Vec::new(), 0, Some("/api/docs?limit=3".to_owned()));
    while let Some(next) = path {
        let answer = common::send("GET", &server.http(&next), &[], b"").await;
        assert_eq!(answer.status, 200);
        let page = answer.json();
        let page = page.as_array().unwrap();
        assert!(page.len() <= 3);
        seen.extend(page.iter().map(|d| d["id"].as_str().unwrap().to_owned()));
        pages += 1;
        path = next_link(&answer);
    }
    assert_eq!(pages, 3);
    let ids_in_order: Vec<String> = whole.json().as_array().unwrap().iter().map(|d| d["id"].as_str().unwrap().to_owned()).collect();
    assert_eq!(seen, ids_in_order, "the pages, in order, are the whole list: no duplicate, no miss");
    created.sort();
    seen.sort();
    assert_eq!(seen, created);

    let forged = common::send("GET", &server.http("/api/docs?cursor=bm9wZQ"), &[], b"").await;
    assert_eq!(forged.status, 400);
    assert_eq!(forged.json()["error"]["code"], "invalid_cursor");
    server.stop().await;
}
