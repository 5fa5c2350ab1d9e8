//! One seeded run: the real server binary, several simulated editors, and a
//! plan of edits and faults drawn from one RNG.

use super::client::{Loss, SimClient};
use crate::common::process::Process;
use crate::common::{doc_id, get};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::collections::BTreeMap;
use tempfile::TempDir;

/// How a server is restarted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Restart {
    /// SIGTERM: the server closes sockets, flushes and exits 0.
    Graceful,
    /// SIGKILL: nothing is flushed.
    Kill,
}

/// What a run did, for the report.
#[derive(Debug, Default)]
pub struct Stats {
    pub clients: usize,
    pub edits: usize,
    pub offline_edits: usize,
    pub markers: usize,
    pub acked: usize,
    pub losses: BTreeMap<String, usize>,
    pub restarts: BTreeMap<String, usize>,
    pub final_len: usize,
    /// Acknowledged markers found in the stored text after a restart, summed over restarts.
    pub verified: usize,
}

impl std::fmt::Display for Stats {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} clients, {} edits ({} offline), {} markers ({} acknowledged), {} acknowledged markers \
             verified across restarts {:?}, connections lost {:?}, final text {} UTF-16 units",
            self.clients, self.edits, self.offline_edits, self.markers, self.acked, self.verified,
            self.restarts, self.losses, self.final_len
        )
    }
}

/// The simulation.
pub struct World {
    rng: StdRng,
    dir: TempDir,
    server: Option<Process>,
    doc: String,
    clients: Vec<SimClient>,
    stats: Stats,
}

impl World {
    /// A world for `seed`: 6 to 10 clients, all connected to a fresh server.
    pub async fn new(seed: u64) -> World {
        let mut rng = StdRng::seed_from_u64(seed);
        let count = rng.random_range(6..=10);
        let clients = (0..count).map(|i| SimClient::new(i, rng.random_range(1..1 << 53))).collect();
        let dir = tempfile::tempdir().expect("temp dir");
        let server = Some(Process::start(dir.path()).await);
        let stats = Stats { clients: count, ..Stats::default() };
        let mut world = World { rng, dir, server, doc: doc_id("fault"), clients, stats };
        for i in 0..count {
            world.reconnect(i).await;
        }
        world
    }

    /// Takes one random step of the plan.
    pub async fn step(&mut self) {
        let i = self.rng.random_range(0..self.clients.len());
        match self.rng.random_range(0..100) {
            0..45 => self.edit(i).await,
            45..57 => self.clients[i].request_ack().await,
            57..70 => self.clients[i].drain().await,
            70..77 => self.clients[i].settle().await,
            77..83 => self.lose(i).await,
            83..98 => self.reconnect_some().await,
            _ => self.restart().await,
        }
    }

    async fn edit(&mut self, i: usize) {
        self.stats.edits += 1;
        self.clients[i].edit(&mut self.rng).await;
    }

    async fn lose(&mut self, i: usize) {
        if !self.clients[i].online() {
            return;
        }
        let loss = [Loss::Clean, Loss::Abrupt, Loss::HalfFrame, Loss::Unflushed][self.rng.random_range(0..4)];
        *self.stats.losses.entry(format!("{loss:?}")).or_default() += 1;
        self.clients[i].lose(loss, &mut self.rng).await;
    }

    /// Each offline client comes back with even odds (stock clients retry within seconds).
    async fn reconnect_some(&mut self) {
        for i in 0..self.clients.len() {
            if !self.clients[i].online() && self.rng.random_bool(0.5) {
                self.reconnect(i).await;
            }
        }
    }

    async fn reconnect(&mut self, i: usize) {
        let url = self.server().ws_url(&self.doc);
        self.clients[i].connect(&url).await;
    }

    fn server(&self) -> &Process {
        self.server.as_ref().expect("a server is running")
    }

    /// Restarts the server, gracefully or not.
    async fn restart(&mut self) {
        let how = if self.rng.random_bool(0.5) { Restart::Graceful } else { Restart::Kill };
        self.bounce(how).await;
    }

    /// Restarts the server on the same data directory (on a new port), lets
    /// every client notice, then checks that it kept every acknowledged marker.
    async fn bounce(&mut self, how: Restart) {
        *self.stats.restarts.entry(format!("{how:?}")).or_default() += 1;
        let old = self.server.take().expect("a server is running");
        match how {
            Restart::Graceful => assert_eq!(old.signal("TERM").await, Some(0), "SIGTERM exit code"),
            Restart::Kill => old.kill9().await,
        }
        self.server = Some(Process::start(self.dir.path()).await);
        for client in &mut self.clients {
            client.drain().await;
        }
        self.assert_acked_stored(&format!("after a {how:?} restart")).await;
    }

    /// The document's text as the server has it.
    async fn stored_text(&self) -> String {
        let (status, body) = get(&self.server().http(&format!("/api/docs/{}/text", self.doc))).await;
        match status {
            200 => String::from_utf8(body).expect("utf-8 text"),
            404 => String::new(),
            other => panic!("GET text: {other}"),
        }
    }

    /// Every marker the server acknowledged is in its stored text.
    async fn assert_acked_stored(&mut self, when: &str) {
        let text = self.stored_text().await;
        self.stats.verified += self.clients.iter().map(|c| c.acked).sum::<usize>();
        for (i, client) in self.clients.iter().enumerate() {
            let lost: Vec<_> = client.acked_markers().iter().filter(|m| !text.contains(m.as_str())).collect();
            assert!(lost.is_empty(), "{when}: client {i} lost acknowledged markers {lost:?}");
        }
    }

    /// Ends the run: a last SIGKILL, every client back online and synced, then
    /// checks that all replicas and the stored document are identical and hold
    /// every marker ever written.
    pub async fn finish(mut self) -> Stats {
        self.bounce(Restart::Kill).await;
        for i in 0..self.clients.len() {
            self.reconnect(i).await;
            self.clients[i].request_ack().await;
        }
        for client in &mut self.clients {
            client.settle().await;
            assert!(client.online(), "a client lost its connection while the server was up");
        }
        // Now the server holds everything; a second handshake brings each client up to date.
        for i in 0..self.clients.len() {
            self.reconnect(i).await;
        }
        self.assert_converged().await;
        self.bounce(Restart::Graceful).await;
        let stored = self.stored_text().await;
        assert_eq!(stored, self.clients[0].text(), "the stored text differs from the clients'");
        assert_eq!(self.server.take().expect("server").signal("TERM").await, Some(0));
        self.collect_stats(stored.encode_utf16().count())
    }

    async fn assert_converged(&self) {
        let texts: Vec<String> = self.clients.iter().map(SimClient::text).collect();
        for (i, text) in texts.iter().enumerate() {
            assert_eq!(text, &texts[0], "client {i} diverged from client 0");
        }
        for (i, client) in self.clients.iter().enumerate() {
            let lost: Vec<_> = client.markers.iter().filter(|m| !texts[0].contains(m.as_str())).collect();
            assert!(lost.is_empty(), "client {i}'s markers {lost:?} are missing from the converged text");
        }
    }

    fn collect_stats(mut self, final_len: usize) -> Stats {
        self.stats.final_len = final_len;
        for client in &self.clients {
            self.stats.offline_edits += client.offline_edits;
            self.stats.markers += client.markers.len();
            self.stats.acked += client.acked;
        }
        self.stats
    }
}
