//! Timers of one connection, on paused time: keepalive, idle timeout, shutdown.
//! The connection is driven through in-memory channels, not a socket.

use crate::common::fake_socket;

use tandem_sync::DocId;
use tandem_sync::protocol::{Inbound, encode_keepalive};
use axum::extract::ws::Message;
use fake_socket::FakeSocket;
use server::config::Limits;
use tandem_sync::close;
use server::doc::Rooms;
use server::store::SqliteStore;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// Runs one connection in a fresh room and hands the test its two channel ends.
async fn with_connection<F, Fut>(shutdown: CancellationToken, test: F)
where
    F: FnOnce(mpsc::UnboundedSender<Result<Message, axum::Error>>, mpsc::UnboundedReceiver<Message>) -> Fut,
    Fut: Future<Output = ()>,
{
    let dir = tempfile::tempdir().unwrap();
    let rooms = Rooms::new(Arc::new(SqliteStore::open(dir.path()).unwrap()));
    let room = rooms.acquire(&DocId::parse("timers").unwrap()).await.unwrap();
    let (in_tx, inbound) = mpsc::unbounded_channel();
    let (outbound, out_rx) = mpsc::unbounded_channel();
    let socket = FakeSocket { inbound, outbound };
    let settings = Limits::default().conn_settings();
    tokio::join!(server::conn::serve(socket, &room, settings, shutdown), test(in_tx, out_rx));
}

fn is_sync_step1(msg: &Message) -> bool {
    matches!(msg, Message::Binary(b) if matches!(Inbound::decode(b), Ok(Inbound::SyncStep1(_))))
}

fn close_code_of(msg: &Message) -> Option<u16> {
    match msg {
        Message::Close(Some(frame)) => Some(frame.code),
        _ => None,
    }
}

#[tokio::test(start_paused = true)]
async fn keepalives_are_at_most_15_seconds_apart() {
    with_connection(CancellationToken::new(), |inbound, mut out| async move {
        let _open = inbound; // the peer stays connected, silent
        assert!(is_sync_step1(&out.recv().await.unwrap()));
        let mut last = Instant::now();
        for _ in 0..4 {
            assert_eq!(out.recv().await.unwrap(), Message::Binary(encode_keepalive().into()));
            assert!(last.elapsed() <= Duration::from_secs(15), "gap of {:?}", last.elapsed());
            last = Instant::now();
        }
    })
    .await;
}

#[tokio::test(start_paused = true)]
async fn a_peer_silent_for_60_seconds_is_closed() {
    with_connection(CancellationToken::new(), |inbound, mut out| async move {
        let _open = inbound;
        let start = Instant::now();
        let code = loop {
            let msg = out.recv().await.unwrap();
            if let Some(code) = close_code_of(&msg) {
                break code;
            }
        };
        assert_eq!(code, close::GOING_AWAY);
        let waited = start.elapsed();
        assert!(waited >= Duration::from_secs(60) && waited < Duration::from_secs(61), "{waited:?}");
    })
    .await;
}

#[tokio::test(start_paused = true)]
async fn shutdown_closes_with_1001() {
    let shutdown = CancellationToken::new();
    with_connection(shutdown.clone(), |inbound, mut out| async move {
        let _open = inbound;
        assert!(is_sync_step1(&out.recv().await.unwrap()));
        shutdown.cancel();
        let msg = out.recv().await.unwrap();
        assert_eq!(close_code_of(&msg), Some(close::GOING_AWAY));
    })
    .await;
}
