//! A writer that keeps sending updates ahead of their acknowledgements, for
//! tests where the store stops committing (a full disk, PostgreSQL down):
//! what it sent, what was acknowledged, and whether everything acknowledged
//! is stored.

use super::{PATIENCE, get};
use tandem_client::{Connection, Handled, Replica};
use tokio::sync::watch;

/// Bytes of text in each update of the writer.
pub const UPDATE_BYTES: usize = 64 << 10;
/// Updates the writer sends ahead of its acknowledgements (2 MiB).
const WINDOW: usize = 32;

/// The marker that begins update `i` of the writer.
pub fn marker(i: usize) -> String {
    format!("<w{i}>")
}

/// A writer that appends `UPDATE_BYTES` updates, each followed by an ack
/// request, at most `WINDOW` ahead of its acknowledgements, until told to stop.
pub struct Writer {
    /// How many updates were sent.
    sent: watch::Receiver<usize>,
    /// How many were acknowledged (acks arrive in order: the first `n`).
    acked: watch::Receiver<usize>,
    stop: watch::Sender<bool>,
    sending: tokio::task::JoinHandle<()>,
    receiving: tokio::task::JoinHandle<()>,
}

impl Writer {
    /// Connects to `url`, syncs, and starts sending.
    pub async fn start(url: &str) -> Writer {
        let mut conn = Connection::open(url).await.expect("connect");
        let mut replica = Replica::new();
        conn.tx.send(replica.sync_step1()).await.unwrap();
        loop {
            let frame = conn.rx.recv().await.unwrap().expect("open");
            match replica.handle(&frame).unwrap() {
                Handled::Answer(step2) => conn.tx.send(step2).await.unwrap(),
                Handled::Synced => break,
                _ => {}
            }
        }
        let Connection { tx, rx } = conn;
        let (acked_tx, acked) = watch::channel(0);
        let (stop, stopping) = watch::channel(false);
        let (sent_tx, sent) = watch::channel(0);
        let receiving = tokio::spawn(receive_acks(rx, acked_tx));
        let sending = tokio::spawn(send_updates(tx, replica, sent_tx, acked.clone(), stopping));
        Writer { sent, acked, stop, sending, receiving }
    }

    /// How many updates were sent so far.
    pub fn sent(&self) -> usize {
        *self.sent.borrow()
    }

    /// Waits until at least `n` updates were sent.
    pub async fn until_sent(&self, n: usize) {
        let mut sent = self.sent.clone();
        let waited = tokio::time::timeout(PATIENCE, sent.wait_for(|&s| s >= n)).await;
        assert!(waited.is_ok_and(|w| w.is_ok()), "the writer never sent {n} updates");
    }

    /// Waits until at least `n` updates were acknowledged.
    pub async fn until_acked(&self, n: usize) {
        let mut acked = self.acked.clone();
        let waited = tokio::time::timeout(PATIENCE, acked.wait_for(|&a| a >= n)).await;
        assert!(waited.is_ok_and(|w| w.is_ok()), "{n} updates were never acknowledged");
    }

    /// How many of them were acknowledged so far.
    pub fn acked(&self) -> usize {
        *self.acked.borrow()
    }

    /// Stops sending and waits until everything sent is acknowledged.
    pub async fn finish(mut self) -> usize {
        self.stop.send_replace(true);
        self.sending.await.unwrap();
        let sent = *self.sent.borrow();
        tokio::time::timeout(PATIENCE, self.acked.wait_for(|&n| n >= sent)).await.expect("acks resumed").unwrap();
        self.receiving.abort();
        sent
    }
}

async fn send_updates(
    mut tx: tandem_client::Sender,
    replica: Replica,
    sent: watch::Sender<usize>,
    mut acked: watch::Receiver<usize>,
    mut stop: watch::Receiver<bool>,
) {
    let filler = "x".repeat(UPDATE_BYTES);
    let mut replica = replica;
    for i in 0.. {
        let window = async { acked.wait_for(|&n| n + WINDOW > i).await.map(|_| ()) };
        let stopped = async { stop.wait_for(|&s| s).await.map(|_| ()) };
        tokio::select! {
            open = window => if open.is_err() { return },
            _ = stopped => return,
        };
        if *stop.borrow() {
            return;
        }
        let frame = replica.append(&format!("{}{filler}", marker(i)));
        let (_, ack) = replica.ack_request();
        if tx.send(frame).await.is_err() || tx.send(ack).await.is_err() {
            return;
        }
        sent.send_replace(i + 1);
    }
}

async fn receive_acks(mut rx: tandem_client::Receiver, acked: watch::Sender<usize>) {
    let mut scratch = Replica::new();
    while let Ok(Some(frame)) = rx.recv().await {
        if let Ok(Handled::Acked(_)) = scratch.handle(&frame) {
            acked.send_replace(scratch.acks.len());
        }
    }
}

/// Polls `path` until its status is `status`; returns the body.
pub async fn until_status(base: &dyn Fn(&str) -> String, path: &str, status: u16) -> String {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let (got, body) = get(&base(path)).await;
        if got == status {
            return String::from_utf8(body).unwrap();
        }
        assert!(tokio::time::Instant::now() < deadline, "{path} never answered {status}");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}
