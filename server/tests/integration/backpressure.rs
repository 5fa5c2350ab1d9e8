//! A connection that cannot keep up is closed (1013) instead of losing
//! updates, and the others are unaffected.

use crate::common;

use common::{Client, Ended, TestServer, doc_id};
use server::config::Limits;
use tandem_sync::close;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_reader_is_disconnected_and_others_are_unaffected() {
    let dir = tempfile::tempdir().unwrap();
    let limits = Limits { max_queue_frames: 256, max_queue_bytes: 1 << 20, ..Limits::default() };
    let server = TestServer::start(dir.path(), limits).await;
    let doc = doc_id("slow");
    let mut writer = Client::connect(&server.ws_url(&doc)).await;
    let mut reader = Client::connect(&server.ws_url(&doc)).await;
    let mut slow = Client::connect(&server.ws_url(&doc)).await;

    // Far more than the socket buffers and the queue can hold while `slow` reads nothing.
    let chunk = "x".repeat(16 * 1024);
    let updates = 640;
    let total = chunk.len() * updates;
    // The healthy reader reports its progress; the writer never runs more than
    // a few updates ahead of it, so only `slow` falls behind.
    let (progress, mut caught_up) = tokio::sync::watch::channel(0usize);
    let reading = tokio::spawn(async move {
        reader
            .pump_until(|c| {
                let len = c.text_len() as usize;
                let _ = progress.send(len);
                len == total
            })
            .await;
        reader
    });
    for i in 1..=updates {
        writer.append(&chunk).await;
        if i % 16 == 0 {
            caught_up.wait_for(|&len| len >= i * chunk.len()).await.expect("reader alive");
        }
    }
    let reader = reading.await.expect("the healthy reader received everything");
    assert_eq!(reader.text(), writer.text());

    let ended = slow.until_closed().await;
    assert!(
        matches!(ended, Ended::Closed(close::TRY_AGAIN_LATER) | Ended::Dropped),
        "slow reader ended with {ended:?}"
    );
    // On reconnect it resyncs and has everything.
    let again = Client::connect(&server.ws_url(&doc)).await;
    assert_eq!(again.text(), writer.text());
    server.stop().await;
}
