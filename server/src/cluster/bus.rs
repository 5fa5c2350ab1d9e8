//! The tasks that carry frames between this node and Redis.

use super::merge::{Ready, merge_runs};
use super::wire::{Kind, Message, Numbering};
use super::CHANNEL;
use crate::doc::relay::Outgoing;
use crate::store::{Store, wait_durable};
use crate::workspace::Workspace;
use crate::workspace::notice::Notice;
use bytes::Bytes;
use futures_util::StreamExt;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// Longest wait for one publish: past it the message is given up (the
/// other nodes notice the gap in the numbering and read the database).
const PUBLISH_TIMEOUT: Duration = Duration::from_secs(1);
/// First pause before connecting to Redis again; doubles up to the next.
const FIRST_RECONNECT: Duration = Duration::from_millis(100);
/// Longest pause between attempts to reach Redis.
const MAX_RECONNECT: Duration = Duration::from_secs(2);
/// How often a node says it is alive, when it has nothing else to say.
const HEARTBEAT: Duration = Duration::from_secs(1);
/// Silence after which another node counts as gone (killed, or cut off
/// from Redis): what it committed last may not have been relayed, so the
/// loaded documents are read again. Three heartbeats.
const SILENCE: Duration = Duration::from_secs(3);

/// Hands the rooms' frames on in order, each update once its seq is
/// durable (so that what is relayed is always in the database). Ends when
/// the store closes: nothing more is committed, nothing more relayed.
pub(super) async fn order(mut frames: mpsc::UnboundedReceiver<Outgoing>, ready: mpsc::UnboundedSender<Ready>, store: Arc<dyn Store>) {
    while let Some(out) = frames.recv().await {
        let next = match out {
            Outgoing::Frame { doc, frame, after: Some(seq) } => {
                if !wait_durable(&*store, seq).await {
                    return;
                }
                (Kind::Update, Some(doc), frame)
            }
            Outgoing::Frame { doc, frame, after: None } => (Kind::Awareness, Some(doc), frame),
            Outgoing::Listing => (Kind::Listing, None, Bytes::new()),
        };
        if ready.send(next).is_err() {
            return;
        }
    }
}

/// Publishes what is ready, the workspace's notices and a heartbeat every
/// [`HEARTBEAT`], numbering every message; whatever is waiting goes in one
/// pipeline (up to [`MAX_BATCH`] messages), a run of one document's
/// updates merged into one. Messages that cannot be
/// published are given up (their numbers still count, so receivers see the gap).
pub(super) async fn publish(
    client: redis::Client,
    node: u64,
    mut ready: mpsc::UnboundedReceiver<Ready>,
    mut notices: mpsc::UnboundedReceiver<Notice>,
    shutdown: CancellationToken,
) {
    let mut conn: Option<redis::aio::ConnectionManager> = None;
    let mut number = 0;
    let mut heartbeat = tokio::time::interval(HEARTBEAT);
    heartbeat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let first = tokio::select! {
            Some(next) = ready.recv() => next,
            Some(notice) = notices.recv() => as_ready(&notice),
            _ = heartbeat.tick() => (Kind::Heartbeat, None, Bytes::new()),
            () = shutdown.cancelled() => return,
        };
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match ready.try_recv() {
                Ok(next) => batch.push(next),
                Err(_) => break,
            }
        }
        let encoded: Vec<Vec<u8>> = merge_runs(batch)
            .into_iter()
            .map(|(kind, doc, frame)| {
                number += 1;
                Message { node, number, kind, doc, frame }.encode()
            })
            .collect();
        if let Err(error) = send(&client, &mut conn, &encoded).await {
            tracing::warn!(%error, messages = encoded.len(), "messages for the other nodes could not be published; they read the database instead");
        }
    }
}

/// Most messages published in one pipeline: what waits beyond goes in the next.
const MAX_BATCH: usize = 512;

/// A notice as a message ready to publish.
fn as_ready(notice: &Notice) -> Ready {
    (Kind::Notice, None, Bytes::from(serde_json::to_vec(notice).unwrap_or_default()))
}

/// Publishes `messages` in one pipeline, connecting first if needed, within [`PUBLISH_TIMEOUT`].
async fn send(client: &redis::Client, conn: &mut Option<redis::aio::ConnectionManager>, messages: &[Vec<u8>]) -> Result<(), String> {
    let attempt = async {
        if conn.is_none() {
            *conn = Some(client.get_connection_manager().await.map_err(|e| e.to_string())?);
        }
        let manager = conn.as_mut().expect("connected just above");
        let mut pipe = redis::pipe();
        for message in messages {
            pipe.cmd("PUBLISH").arg(CHANNEL).arg(message).ignore();
        }
        pipe.query_async::<()>(manager).await.map_err(|e| e.to_string())
    };
    tokio::time::timeout(PUBLISH_TIMEOUT, attempt).await.map_err(|_| "timed out".to_owned())?
}

/// Listens to the other nodes until `shutdown`, connecting again whenever
/// the connection to Redis ends. After each (re)subscription every loaded
/// document is read from the database again: what was published while this
/// node was not listening reaches its clients that way.
pub(super) async fn subscribe(client: redis::Client, node: u64, workspace: Workspace, shutdown: CancellationToken) {
    let mut delay = FIRST_RECONNECT;
    loop {
        match listen(&client, node, &workspace, &shutdown).await {
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
async fn listen(client: &redis::Client, node: u64, workspace: &Workspace, shutdown: &CancellationToken) -> Result<(), String> {
    let mut pubsub = client.get_async_pubsub().await.map_err(|e| e.to_string())?;
    pubsub.subscribe(CHANNEL).await.map_err(|e| e.to_string())?;
    tracing::info!("listening to the other nodes");
    workspace.rooms().catch_up_all();
    // And a message of ours: if this node's messages were lost while it was
    // away, the others see the gap in its numbering now and catch up too.
    workspace.rooms().listing().changed();
    let mut numbering = Numbering::default();
    let mut messages = pubsub.on_message();
    let mut check = tokio::time::interval(HEARTBEAT);
    loop {
        let message = tokio::select! {
            message = messages.next() => message.ok_or("the connection to Redis ended")?,
            _ = check.tick() => {
                let gone = numbering.silent(Instant::now(), SILENCE);
                if !gone.is_empty() {
                    tracing::warn!(nodes = gone.len(), "another node fell silent; dropping its clients' carets and reading the loaded documents again");
                    for room in workspace.rooms().loaded() {
                        gone.iter().for_each(|node| room.forget_node(*node));
                    }
                    workspace.rooms().catch_up_all();
                }
                continue;
            }
            () = shutdown.cancelled() => return Ok(()),
        };
        let Some(message) = Message::decode(message.get_payload_bytes()) else { continue };
        if message.node == node {
            continue;
        }
        if !numbering.in_order(&message, Instant::now()) {
            tracing::warn!(from = message.node, "messages of another node were missed; reading the loaded documents again");
            workspace.rooms().catch_up_all();
        }
        deliver(workspace, message);
    }
}

/// Does what `message` says on this node: a frame to its document's room
/// (if loaded here), a notice to the workspace, a listing change to the listing.
fn deliver(workspace: &Workspace, message: Message) {
    match (message.kind, &message.doc) {
        (Kind::Update | Kind::Awareness, Some(doc)) => {
            if let Some(room) = workspace.rooms().get_loaded(doc) {
                room.relayed(message.node, &message.frame);
            }
        }
        (Kind::Listing, _) => workspace.rooms().listing().changed_here(),
        (Kind::Notice, _) => match serde_json::from_slice::<Notice>(&message.frame) {
            Ok(notice) => {
                let workspace = workspace.clone();
                tokio::spawn(async move { workspace.heard(notice).await });
            }
            Err(error) => tracing::warn!(%error, "a notice from another node was not understood"),
        },
        (Kind::Heartbeat, _) | (Kind::Update | Kind::Awareness, None) => {}
    }
}
