//! The real binary: SIGKILL loses no acknowledged update, SIGTERM flushes and
//! exits 0, and a data directory that is not ours is refused untouched.

use crate::common;

use common::process::{Process, start_fails};
use common::{Client, api_text, doc_id, get};

/// Streams markers into `url` in acknowledged batches until the connection
/// dies; returns every marker the server acknowledged as durable.
async fn stream_until_killed(url: String, tag: usize) -> Vec<String> {
    let mut client = Client::connect(&url).await;
    let mut acked = Vec::new();
    for batch in 0.. {
        let markers: Vec<String> = (0..10).map(|i| format!("<{tag}.{batch}.{i}>")).collect();
        for m in &markers {
            if !client.try_insert(0, m).await {
                return acked;
            }
        }
        let n = client.request_ack().await;
        if !client.try_pump_until(|c| c.acked(n)).await {
            return acked;
        }
        acked.extend(markers);
    }
    acked
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_while_streaming_loses_no_acknowledged_update() {
    let dir = tempfile::tempdir().unwrap();
    let doc = doc_id("kill");
    let seed = rand::random::<u64>() % 700;
    println!("kill after {} ms (seed)", 300 + seed);
    let server = Process::start(dir.path()).await;
    let streams: Vec<_> = (0..3).map(|tag| tokio::spawn(stream_until_killed(server.ws_url(&doc), tag))).collect();
    tokio::time::sleep(std::time::Duration::from_millis(300 + seed)).await;
    server.kill9().await;
    let mut acked = Vec::new();
    for s in streams {
        acked.extend(s.await.unwrap());
    }
    assert!(!acked.is_empty(), "nothing was acknowledged before the kill");

    let server = Process::start(dir.path()).await;
    let client = Client::connect(&server.ws_url(&doc)).await;
    let text = client.text();
    let lost: Vec<_> = acked.iter().filter(|m| !text.contains(m.as_str())).collect();
    assert!(lost.is_empty(), "lost {} of {} acknowledged updates: {lost:?}", lost.len(), acked.len());
    println!("{} acknowledged updates survived SIGKILL", acked.len());
    assert_eq!(server.signal("TERM").await, Some(0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_closes_sockets_with_1001_flushes_and_exits_0() {
    let dir = tempfile::tempdir().unwrap();
    let doc = doc_id("term");
    let server = Process::start(dir.path()).await;
    let mut c = Client::connect(&server.ws_url(&doc)).await;
    c.append("written before SIGTERM").await;
    // The update reached the room once another client sees it.
    let mut witness = Client::connect(&server.ws_url(&doc)).await;
    witness.pump_until(|w| w.text() == "written before SIGTERM").await;
    let pid = server.child.id().unwrap().to_string();
    std::process::Command::new("kill").args(["-s", "TERM", &pid]).status().unwrap();
    assert_eq!(c.until_closed().await, common::Ended::Closed(1001));
    let mut server = server;
    assert_eq!(server.child.wait().await.unwrap().code(), Some(0));

    let server = Process::start(dir.path()).await;
    assert_eq!(api_text(&server.http(&format!("/api/docs/{doc}/text"))).await, "written before SIGTERM");
    assert_eq!(get(&server.http("/healthz")).await.0, 200);
    assert_eq!(server.signal("INT").await, Some(0));
}

#[tokio::test]
async fn a_data_dir_that_is_not_ours_is_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("tandem.db");
    let junk = b"these are not the bytes of a database, but they are someone's".repeat(100);
    std::fs::write(&db, &junk).unwrap();
    let (code, output) = start_fails(dir.path()).await;
    assert_ne!(code, Some(0));
    assert!(output.contains("refusing to use it"), "{output}");
    assert_eq!(std::fs::read(&db).unwrap(), junk, "the file was modified");

    // Another application's SQLite database is refused too.
    std::fs::remove_file(&db).unwrap();
    let other = rusqlite::Connection::open(&db).unwrap();
    other.execute_batch("CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('mine');").unwrap();
    drop(other);
    let before = std::fs::read(&db).unwrap();
    let (code, output) = start_fails(dir.path()).await;
    assert_ne!(code, Some(0));
    assert!(output.contains("another application"), "{output}");
    assert_eq!(std::fs::read(&db).unwrap(), before);
}

#[tokio::test]
async fn a_second_server_on_the_same_data_dir_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let first = Process::start(dir.path()).await;
    let (code, output) = start_fails(dir.path()).await;
    assert_ne!(code, Some(0));
    assert!(output.contains("in use by another Tandem server"), "{output}");
    assert_eq!(first.signal("TERM").await, Some(0));
}
