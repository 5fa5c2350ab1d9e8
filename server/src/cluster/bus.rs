//! The tasks that carry frames between this node and Redis.

use super::wire::{Kind, Message, Numbering};
use super::CHANNEL;
use crate::doc::Rooms;
use crate::doc::relay::Outgoing;
use crate::store::{Store, wait_durable};
use futures_util::StreamExt;
use std::sync::{Arc, Weak};
use std::time::Duration;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// Longest wait for one publish: past it the message is given up (the
/// other nodes notice the gap in the numbering and read the database).
const PUBLISH_TIMEOUT: Duration = Duration::from_secs(1);
/// First pause before connecting to Redis again; doubles up to the next.
const FIRST_RECONNECT: Duration = Duration::from_millis(100);
/// Longest pause between attempts to reach Redis.
const MAX_RECONNECT: Duration = Duration::from_secs(2);

/// Publishes what the rooms queue, in order, each update once its seq is
/// durable, numbering every message. A message that cannot be published is
/// given up (its number still counts, so receivers see the gap).
pub(super) async fn publish(
    client: redis::Client,
    node: u64,
    mut rx: mpsc::UnboundedReceiver<Outgoing>,
    store: Arc<dyn Store>,
    shutdown: CancellationToken,
) {
    let mut conn: Option<redis::aio::ConnectionManager> = None;
    let mut number = 0;
    while let Some(out) = tokio::select! { out = rx.recv() => out, () = shutdown.cancelled() => None } {
        if let Some(seq) = out.after
            && !wait_durable(&*store, seq).await
        {
            return; // the store closed: nothing more is committed, nothing more relayed
        }
        number += 1;
        let kind = if out.after.is_some() { Kind::Update } else { Kind::Awareness };
        let message = Message { node, number, kind, doc: out.doc, frame: out.frame };
        if let Err(error) = send(&client, &mut conn, &message.encode()).await {
            tracing::warn!(%error, doc = %message.doc, "a relayed frame could not be published; the other nodes read the database instead");
        }
    }
}

/// Publishes `bytes`, connecting first if needed, within [`PUBLISH_TIMEOUT`].
async fn send(client: &redis::Client, conn: &mut Option<redis::aio::ConnectionManager>, bytes: &[u8]) -> Result<(), String> {
    let attempt = async {
        if conn.is_none() {
            *conn = Some(client.get_connection_manager().await.map_err(|e| e.to_string())?);
        }
        let manager = conn.as_mut().expect("connected just above");
        redis::cmd("PUBLISH").arg(CHANNEL).arg(bytes).query_async::<i64>(manager).await.map_err(|e| e.to_string())?;
        Ok(())
    };
    tokio::time::timeout(PUBLISH_TIMEOUT, attempt).await.map_err(|_| "timed out".to_owned())?
}

/// Listens to the other nodes until `shutdown`, connecting again whenever
/// the connection to Redis ends. After each (re)subscription every loaded
/// document is read from the database again: what was published while this
/// node was not listening reaches its clients that way.
pub(super) async fn subscribe(client: redis::Client, node: u64, rooms: Weak<Rooms>, shutdown: CancellationToken) {
    let mut delay = FIRST_RECONNECT;
    loop {
        match listen(&client, node, &rooms, &shutdown).await {
            Ok(()) => return,
            Err(error) => tracing::warn!(%error, "not connected to Redis; documents are read from the database once it is back"),
        }
        tokio::select! {
            () = tokio::time::sleep(delay) => {}
            () = shutdown.cancelled() => return,
        }
        delay = (delay * 2).min(MAX_RECONNECT);
    }
}

/// One subscription: `Ok` at shutdown, `Err` when the connection ends.
async fn listen(client: &redis::Client, node: u64, rooms: &Weak<Rooms>, shutdown: &CancellationToken) -> Result<(), String> {
    let mut pubsub = client.get_async_pubsub().await.map_err(|e| e.to_string())?;
    pubsub.subscribe(CHANNEL).await.map_err(|e| e.to_string())?;
    tracing::info!("listening to the other nodes");
    if let Some(rooms) = rooms.upgrade() {
        rooms.catch_up_all();
    }
    let mut numbering = Numbering::default();
    let mut messages = pubsub.on_message();
    loop {
        let message = tokio::select! {
            message = messages.next() => message.ok_or("the connection to Redis ended")?,
            () = shutdown.cancelled() => return Ok(()),
        };
        let Some(message) = Message::decode(message.get_payload_bytes()) else { continue };
        if message.node == node {
            continue;
        }
        if !numbering.in_order(&message) {
            tracing::warn!(from = message.node, "messages of another node were missed; reading the loaded documents again");
            if let Some(rooms) = rooms.upgrade() {
                rooms.catch_up_all();
            }
        }
        deliver(rooms, &message);
    }
}

/// Hands `message` to its document's room, if it is loaded here.
fn deliver(rooms: &Weak<Rooms>, message: &Message) {
    let Some(room) = rooms.upgrade().and_then(|rooms| rooms.get_loaded(&message.doc)) else { return };
    match message.kind {
        Kind::Update | Kind::Awareness => room.relayed(message.node, &message.frame),
    }
}
