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

/// The end2end directory, where the stock clients' scripts and packages are.
pub(crate) fn end2end_dir() -> PathBuf {
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

/// Runs an interop script with `args`; its stdout lines.
fn node(script: &str, args: &[&str], env: &[(&str, &str)]) -> tokio::process::Child {
    tokio::process::Command::new("node")
        .arg(script)
        .args(args)
        .current_dir(end2end_dir())
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("run node")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stock_yjs_clients_with_a_token_in_params_edit_in_accounts_mode() {
    use common::team::{accounts_server, token_of, ws_with_token};
    let dir = tempfile::tempdir().unwrap();
    let server = accounts_server(dir.path()).await;
    let doc = doc_id("interop-token");
    let token = token_of(&server, "bob").await;
    let base = format!("ws://{}/ws", server.addr);
    let mut js = node("interop/clients.mjs", &[&base, &doc, "2", "js"], &[("TOKEN", &token)]);
    let mut lines = BufReader::new(js.stdout.take().unwrap()).lines();
    assert_eq!(lines.next_line().await.unwrap().as_deref(), Some("READY"));
    js.stdin.as_mut().unwrap().write_all(b"GO\n").await.unwrap();
    let last = lines.next_line().await.unwrap().expect("node printed its final text");
    let js_text: String = serde_json::from_str(last.strip_prefix("FINAL ").expect("FINAL line")).unwrap();
    assert!(js.wait().await.unwrap().success(), "the stock clients failed");
    let mut rust = Client::connect(&ws_with_token(&server, &doc, &token)).await;
    rust.pump_until(|c| c.text() == js_text).await;
    // Without the token, the same stock client is refused before the upgrade.
    let mut refused = node("interop/clients.mjs", &[&base, &doc, "1", "nobody"], &[("TIMEOUT_MS", "3000")]);
    assert!(!refused.wait().await.unwrap().success());
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stock_client_with_a_view_link_is_denied_in_place_and_keeps_receiving() {
    use common::team::{As, accounts_server, call, sign_in, token_of, ws_with_token};
    let dir = tempfile::tempdir().unwrap();
    let server = accounts_server(dir.path()).await;
    let bob = sign_in(&server, "bob").await;
    let doc = call(&server, &bob, "POST", "/api/docs", Some(serde_json::json!({ "title": "Read me" }))).await.json()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let link = call(&server, &bob, "POST", &format!("/api/docs/{doc}/links"), Some(serde_json::json!({ "role": "viewer" }))).await;
    let link = link.json()["token"].as_str().unwrap().to_owned();
    let mut viewer = node("interop/viewer.mjs", &[&format!("ws://{}/ws", server.addr), &doc, &link], &[]);
    let mut lines = BufReader::new(viewer.stdout.take().unwrap()).lines();
    assert_eq!(lines.next_line().await.unwrap().as_deref(), Some("READY"));
    let denied = lines.next_line().await.unwrap().expect("a DENIED line");
    assert_eq!(denied, "DENIED \"read-only\"");

    let mut owner = Client::connect(&ws_with_token(&server, &doc, &token_of(&server, "bob").await)).await;
    owner.append("owner-after\n").await;
    let done = lines.next_line().await.unwrap().expect("a DONE line");
    assert!(viewer.wait().await.unwrap().success());
    let rest = done.strip_prefix("DONE ").expect("DONE line");
    let (disconnects, text) = rest.split_once(' ').unwrap();
    assert_eq!(disconnects, "0", "the stock client never reconnected");
    let text: String = serde_json::from_str(text).unwrap();
    assert!(text.contains("owner-after"), "{text}");
    let stored = call(&server, &As::Bearer(link), "GET", &format!("/api/docs/{doc}/text"), None).await;
    assert_eq!(String::from_utf8(stored.body).unwrap(), "owner-after\n", "the viewer's edit is not stored");
    server.stop().await;
}

/// Reads a watcher's `TEXT` lines until one satisfies `done`; that text.
async fn watch_until(
    lines: &mut tokio::io::Lines<BufReader<tokio::process::ChildStdout>>,
    done: impl Fn(&str) -> bool,
) -> String {
    loop {
        let line = lines.next_line().await.unwrap().expect("the watcher ended before the text did");
        let Some(text) = line.strip_prefix("TEXT ") else { continue };
        let text: String = serde_json::from_str(text).unwrap();
        if done(&text) {
            return text;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stock_client_sees_a_restore_live_and_its_next_edit_lands_on_it() {
    use common::post_json;
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path(), Limits::default()).await;
    let base = server.http("");
    let doc = doc_id("restore");
    let mut rust = Client::connect(&server.ws_url(&doc)).await;
    rust.append("keep this\ngood line\n").await;
    let n = rust.request_ack().await;
    rust.pump_until(|c| c.acked(n)).await;
    let (status, good) = post_json(&format!("{base}/api/docs/{doc}/versions"), r#"{"label":"good"}"#).await;
    assert_eq!(status, 201, "{good}");

    let mut js = node("interop/watcher.mjs", &[&format!("ws://{}/ws", server.addr), &doc], &[]);
    let mut lines = BufReader::new(js.stdout.take().unwrap()).lines();
    assert_eq!(lines.next_line().await.unwrap().as_deref(), Some("READY"));
    watch_until(&mut lines, |t| t == "keep this\ngood line\n").await;
    rust.append("VANDALISM\n").await;
    watch_until(&mut lines, |t| t.contains("VANDALISM")).await;

    let (status, restored) = post_json(&format!("{base}/api/docs/{doc}/versions/{}/restore", good["id"]), "").await;
    assert_eq!(status, 200, "{restored}");
    watch_until(&mut lines, |t| t == "keep this\ngood line\n").await;

    // The stock client's next edit lands on the restored text, for everyone.
    let stdin = js.stdin.as_mut().unwrap();
    stdin.write_all(b"APPEND \"js-after\\n\"\nQUIT\n").await.unwrap();
    let expected = "keep this\ngood line\njs-after\n";
    rust.pump_until(|c| c.text() == expected).await;
    let done = loop {
        let line = lines.next_line().await.unwrap().expect("a DONE line");
        if let Some(disconnects) = line.strip_prefix("DONE ") {
            break disconnects.to_owned();
        }
    };
    assert_eq!(done, "0", "the stock client saw the restore without reconnecting");
    assert!(js.wait().await.unwrap().success());
    assert_eq!(api_text(&server.http(&format!("/api/docs/{doc}/text"))).await, expected);
    server.stop().await;
}
