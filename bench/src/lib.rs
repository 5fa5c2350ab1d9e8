//! `tandem-bench`: measures a running y-websocket server (Tandem or any
//! other) under load.
//!
//! A run is one scenario. It prints exactly one JSON line (a [`Report`]) on
//! stdout and one human line starting with `# ` on stderr. A number that was
//! not measured is left out, never guessed.
//!
//! # Layout
//!
//! - [`fleet`]: many clients connected with bounded concurrency, the first
//!   client of each document before the others.
//! - [`delivery`]: which writer updates a received frame carries.
//! - [`metrics`]: the server's CPU time and RSS from `/proc`; latency percentiles.
//! - [`fanout`], [`burst`], [`idle`], [`bigdoc`], [`joinstorm`], [`ack`]: the scenarios.

pub mod ack;
pub mod bigdoc;
pub mod burst;
pub mod delivery;
pub mod fanout;
pub mod fleet;
pub mod idle;
pub mod joinstorm;
pub mod metrics;

use clap::{Args, Parser, Subcommand};
use serde::Serialize;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// `tandem-bench [OPTIONS] SCENARIO [SCENARIO OPTIONS]`.
#[derive(Debug, Clone, Parser)]
#[command(name = "tandem-bench", version, about = "Measure a running y-websocket server under load.")]
pub struct BenchArgs {
    /// Options every scenario shares.
    #[command(flatten)]
    pub global: Global,
    /// What to measure.
    #[command(subcommand)]
    pub scenario: Scenario,
}

/// Options every scenario shares; they may come before or after the scenario.
#[derive(Debug, Clone, Args, Serialize)]
pub struct Global {
    /// WebSocket URL of a document; `{doc}` is replaced by the document's name.
    /// Several, comma-separated (the nodes of a cluster): clients are spread
    /// over them in turn, so the clients of one document are on every node.
    #[arg(long, global = true, env = "TANDEM_BENCH_URL", default_value = "ws://127.0.0.1:3000/ws/{doc}")]
    pub url: String,
    /// PID of the server under test: its CPU time and RSS, summed over it and
    /// its descendants, are read from /proc (Linux only). Several,
    /// comma-separated (a cluster's nodes, its database, Redis): summed over
    /// all of them. Without one no server numbers are reported.
    #[arg(long, global = true, value_delimiter = ',')]
    pub server_pid: Vec<u32>,
    /// A name copied into the report (e.g. which server or build this was).
    #[arg(long, global = true, default_value = "")]
    pub label: String,
    /// Seed of the bigdoc edit sequence and the joinstorm text.
    #[arg(long, global = true, default_value_t = 1)]
    pub seed: u64,
    /// Seconds one client may take to connect and receive its SyncStep2;
    /// a client that takes longer counts as failed.
    #[arg(long, global = true, default_value_t = 30)]
    pub handshake_timeout_secs: u64,
    /// Most connections being opened and synced at once (not in joinstorm,
    /// whose clients all start together on purpose).
    #[arg(long, global = true, default_value_t = 64, value_parser = clap::value_parser!(u16).range(1..))]
    pub connect_concurrency: u16,
}

impl Global {
    /// The time one client has to connect and sync.
    pub fn handshake_timeout(&self) -> Duration {
        Duration::from_secs(self.handshake_timeout_secs)
    }

    /// The URL of document `doc` on the first `--url`.
    pub fn url_of(&self, doc: &str) -> String {
        self.bases()[0].replace("{doc}", doc)
    }

    /// The `--url`s.
    fn bases(&self) -> Vec<&str> {
        self.url.split(',').map(str::trim).collect()
    }

    /// `urls` (made by [`Global::url_of`]) with client `i` moved to the
    /// `i`-th `--url` in turn; unchanged with one `--url`.
    pub fn spread(&self, urls: &[String]) -> Vec<String> {
        let bases = self.bases();
        let prefix = |base: &str| base.split("{doc}").next().unwrap_or_default().to_owned();
        let first = prefix(bases[0]);
        urls.iter()
            .enumerate()
            .map(|(i, url)| url.replacen(&first, &prefix(bases[i % bases.len()]), 1))
            .collect()
    }
}

/// The scenarios.
#[derive(Debug, Clone, Subcommand)]
pub enum Scenario {
    /// One writer per document appends at a steady rate; subscribers receive. Latency per delivery.
    Fanout(fanout::FanoutArgs),
    /// Writers send as fast as the socket takes; subscribers receive. Deliveries per second.
    Burst(burst::BurstArgs),
    /// Many synced connections held open. Memory per connection, CPU while idle.
    Idle(idle::IdleArgs),
    /// One client builds a large document from single edits; a new client then syncs it.
    Bigdoc(bigdoc::BigdocArgs),
    /// Many fresh clients join a large document at the same moment.
    Joinstorm(joinstorm::JoinstormArgs),
    /// Writers send updates with acknowledgement requests. Time to each acknowledgement.
    Ack(ack::AckArgs),
}

impl Scenario {
    /// The scenario's name as typed on the command line.
    pub fn name(&self) -> &'static str {
        match self {
            Scenario::Fanout(_) => "fanout",
            Scenario::Burst(_) => "burst",
            Scenario::Idle(_) => "idle",
            Scenario::Bigdoc(_) => "bigdoc",
            Scenario::Joinstorm(_) => "joinstorm",
            Scenario::Ack(_) => "ack",
        }
    }
}

/// Why a run could not be carried out.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    /// Connecting, sending or receiving failed, or the server sent something wrong.
    #[error(transparent)]
    Client(#[from] tandem_client::Error),
    /// The server closed the connection while the client still expected something.
    #[error("the server closed the connection")]
    Closed,
    /// Nothing expected arrived in time.
    #[error("timed out waiting for {0}")]
    Timeout(&'static str),
    /// Some clients of a run that needs all of them could not connect and sync.
    #[error("{failed} of {total} clients could not connect and sync; the first: {first}")]
    Clients {
        /// Clients that failed.
        failed: usize,
        /// Clients tried.
        total: usize,
        /// The first failure.
        first: Box<BenchError>,
    },
    /// `--server-pid` names no process this harness can read.
    #[error("cannot read process {0} in /proc")]
    NoServer(u32),
    /// A parameter makes the scenario meaningless.
    #[error("bad parameter: {0}")]
    BadParameter(&'static str),
}

/// What one scenario measured: the report's `results`, and a human summary.
pub trait Outcome: Serialize {
    /// One line for people (without the leading `# `).
    fn summary(&self) -> String;
}

/// The one JSON line a run prints.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The scenario's name.
    pub scenario: &'static str,
    /// The `--label` given.
    pub label: String,
    /// Whether the run was carried out; its numbers may still show losses.
    pub ok: bool,
    /// Why the run could not be carried out.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Every option in force: the shared ones and the scenario's.
    pub parameters: serde_json::Value,
    /// What was measured (`null` when the run failed).
    pub results: serde_json::Value,
    /// The human line (without the leading `# `).
    #[serde(skip)]
    pub summary: String,
}

impl Report {
    /// The JSON line.
    pub fn json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|e| format!("{{\"ok\":false,\"error\":\"cannot encode report: {e}\"}}"))
    }
}

/// Runs the scenario in `args` and reports it.
pub async fn run(args: &BenchArgs) -> Report {
    let g = &args.global;
    match &args.scenario {
        Scenario::Fanout(a) => report(&args.scenario, g, a, fanout::run(g, a).await),
        Scenario::Burst(a) => report(&args.scenario, g, a, burst::run(g, a).await),
        Scenario::Idle(a) => report(&args.scenario, g, a, idle::run(g, a).await),
        Scenario::Bigdoc(a) => report(&args.scenario, g, a, bigdoc::run(g, a).await),
        Scenario::Joinstorm(a) => report(&args.scenario, g, a, joinstorm::run(g, a).await),
        Scenario::Ack(a) => report(&args.scenario, g, a, ack::run(g, a).await),
    }
}

fn report<P: Serialize, R: Outcome>(scenario: &Scenario, g: &Global, params: &P, outcome: Result<R, BenchError>) -> Report {
    let name = scenario.name();
    let label = g.label.clone();
    let head = if label.is_empty() { name.to_owned() } else { format!("{name} {label}") };
    let parameters = merged(g, params);
    match outcome {
        Ok(r) => {
            let summary = format!("{head}: {}", r.summary());
            let results = serde_json::to_value(&r).unwrap_or(serde_json::Value::Null);
            Report { scenario: name, label, ok: true, error: None, parameters, results, summary }
        }
        Err(e) => {
            let summary = format!("{head}: failed: {e}");
            let results = serde_json::Value::Null;
            Report { scenario: name, label, ok: false, error: Some(e.to_string()), parameters, results, summary }
        }
    }
}

/// The shared options and the scenario's, as one JSON object.
fn merged<P: Serialize>(g: &Global, params: &P) -> serde_json::Value {
    let mut all = serde_json::to_value(g).unwrap_or_default();
    if let (Some(all), Ok(serde_json::Value::Object(own))) = (all.as_object_mut(), serde_json::to_value(params)) {
        all.extend(own);
    }
    all
}

/// Names of this run's documents: unique per run (time, pid, scenario,
/// index), so a long-lived server never sees one twice.
pub fn doc_names(scenario: &str, count: usize) -> Vec<String> {
    let secs = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis()).unwrap_or_default();
    let pid = std::process::id();
    (0..count).map(|i| format!("bench{secs}x{pid}-{scenario}-{i}")).collect()
}

/// Seconds as a float, rounded to the microsecond.
pub fn secs(d: Duration) -> f64 {
    (d.as_secs_f64() * 1e6).round() / 1e6
}
