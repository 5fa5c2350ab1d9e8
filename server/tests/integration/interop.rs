//! Stock Yjs clients (npm `yjs` + `y-websocket`) and a Rust client edit one
//! document at the same time and converge, through Tandem.

use crate::common;

use common::{Client, TestServer, api_text, contains_all, doc_id};
use server::config::Limits;
use std::path::PathBuf;
use std::process::Stdio;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

const JS_CLIENTS: usize = 2;
const EDITS: usize = 20;

fn end2end_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../end2end");
    assert!(
        dir.join("node_modules/y-websocket").exists(),
        "the interop test needs the npm packages: run `npm ci` in {}",
        dir.display()
    );
    dir
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stock_yjs_clients_and_a_rust_client_converge() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path(), Limits::default()).await;
    let doc = doc_id("interop");
    let rust_markers: Vec<String> = (0..EDITS).map(|k| format!("rust-0-{k}")).collect();
    let js_markers: Vec<String> =
        (0..JS_CLIENTS).flat_map(|i| (0..EDITS).map(move |k| format!("js-{i}-{k}"))).collect();

    let mut node = tokio::process::Command::new("node")
        .arg("interop/clients.mjs")
        .arg(format!("ws://{}/ws", server.addr))
        .arg(&doc)
        .arg(JS_CLIENTS.to_string())
        .arg("js")
        .current_dir(end2end_dir())
        .env("EXPECT", rust_markers.join(","))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("run node");
    let mut lines = BufReader::new(node.stdout.take().unwrap()).lines();
    assert_eq!(lines.next_line().await.unwrap().as_deref(), Some("READY"));

    let mut rust = Client::connect(&server.ws_url(&doc)).await;
    node.stdin.as_mut().unwrap().write_all(b"GO\n").await.unwrap();
    for marker in &rust_markers {
        rust.insert(0, &format!("{marker}\n")).await;
    }
    let all: Vec<String> = rust_markers.iter().chain(&js_markers).cloned().collect();
    rust.pump_until(|c| contains_all(&c.text(), &all)).await;

    let last = lines.next_line().await.unwrap().expect("node printed its final text");
    let js_text: String = serde_json::from_str(last.strip_prefix("FINAL ").expect("FINAL line")).unwrap();
    assert!(node.wait().await.unwrap().success(), "the stock clients failed");
    // Both sides have every marker; the Rust client may still be applying the last
    // remote updates, so compare once it has the very text the stock clients agreed on.
    rust.pump_until(|c| c.text() == js_text).await;
    assert_eq!(api_text(&server.http(&format!("/api/docs/{doc}/text"))).await, js_text);
    server.stop().await;
}
