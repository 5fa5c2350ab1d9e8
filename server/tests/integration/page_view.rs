//! A page view: the server-side render and the editor's WebSocket share one
//! load of the document.

use crate::common::{Client, TestServer, get, post_json, scrape};
use server::config::Limits;

/// The document a page renders stays in memory for the editor that connects
/// a moment later: one read from the store per page view, not two.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_view_loads_its_document_once_for_the_render_and_the_editor() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path(), Limits::default()).await;
    let (status, created) = post_json(&server.http("/api/docs"), r#"{"title":"Loaded once"}"#).await;
    assert_eq!(status, 201);
    let id = created["id"].as_str().unwrap().to_owned();
    let idle = scrape::until(&server, "tandem_documents_loaded", |n| n == 0.0).await;
    let loads = scrape::sample(&idle, "tandem_document_loads_total").expect("a load counter");

    let (status, page) = get(&server.http(&format!("/d/{id}"))).await;
    assert_eq!(status, 200);
    assert!(String::from_utf8_lossy(&page).contains("Loaded once"), "the page renders the stored title");
    let mut editor = Client::connect(&server.ws_url(&id)).await;
    editor.sync().await;
    assert_eq!(editor.text(), "", "the editor synced the (empty) body");

    let after = scrape::scrape(&server).await;
    assert_eq!(scrape::sample(&after, "tandem_document_loads_total"), Some(loads + 1.0), "{after}");
    server.stop().await;
}
