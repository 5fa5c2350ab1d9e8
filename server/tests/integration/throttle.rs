//! A connection sending faster than its message rate is paced, on paused
//! time: nothing it sent is lost, and it is not disconnected. The connection
//! is driven through in-memory channels, not a socket.

use crate::common::fake_socket;

use tandem_sync::DocId;
use tandem_sync::protocol::{self, Inbound};
use axum::extract::ws::Message;
use fake_socket::FakeSocket;
use server::config::Limits;
use server::doc::Rooms;
use server::store::SqliteStore;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// A SyncStep2 answer: the connection got as far as our last message.
fn is_sync_step2(msg: &Message) -> bool {
    matches!(msg, Message::Binary(b) if matches!(Inbound::decode(b), Ok(Inbound::SyncStep2(_))))
}

#[tokio::test(start_paused = true)]
async fn a_flood_is_paced_at_the_rate_and_nothing_is_lost() {
    const RATE: u32 = 100;
    const BURST: u32 = 10;
    const SENT: u32 = 60;
    let dir = tempfile::tempdir().unwrap();
    let rooms = Rooms::new(Arc::new(SqliteStore::open(dir.path()).unwrap()));
    let room = rooms.acquire(&DocId::parse("flood").unwrap()).await.unwrap();
    let (in_tx, inbound) = mpsc::unbounded_channel();
    let (outbound, mut out) = mpsc::unbounded_channel();
    let limits = Limits { max_messages_per_sec: RATE, message_burst: BURST, ..Limits::default() };
    let serve = server::conn::serve(FakeSocket { inbound, outbound }, &room, limits.conn_settings(), CancellationToken::new());
    let test = async {
        let start = Instant::now();
        // All at once: empty updates, then one SyncStep1 whose answer marks the end.
        for _ in 1..SENT {
            in_tx.send(Ok(Message::Binary(protocol::encode_update(&[0, 0]).into()))).unwrap();
        }
        in_tx.send(Ok(Message::Binary(protocol::encode_sync_step1(&[0]).into()))).unwrap();
        loop {
            let msg = out.recv().await.expect("connection open");
            assert!(!matches!(msg, Message::Close(_)), "a fast client must not be disconnected: {msg:?}");
            if is_sync_step2(&msg) {
                break;
            }
        }
        let took = start.elapsed();
        // The burst passes at once; the rest at the rate (the last message is
        // handled before its pause).
        let paced = Duration::from_secs_f64(f64::from(SENT - BURST - 1) / f64::from(RATE));
        assert!(took >= paced && took < paced + Duration::from_millis(50), "took {took:?}, expected {paced:?}");
        assert_eq!(rooms.metrics().throttled.get(), u64::from(SENT - BURST));
        drop(in_tx);
    };
    tokio::join!(serve, test);
}
