//! `tandem-bench` against an in-process server: every scenario at a tiny
//! size, checked for behaviour (everything delivered, texts equal), never for
//! speed — CI machines are busy.

use clap::Parser;
use server::config::Limits;
use server::testing::TestServer;
use tandem_bench::ack::AckArgs;
use tandem_bench::bigdoc::BigdocArgs;
use tandem_bench::burst::BurstArgs;
use tandem_bench::fanout::FanoutArgs;
use tandem_bench::idle::IdleArgs;
use tandem_bench::joinstorm::JoinstormArgs;
use tandem_bench::{self as bench, BenchArgs, Global, Scenario};

/// The shared options for a run against `server`, with this process's own
/// pid as the "server" (the server runs in it), so CPU and RSS are read too.
fn global(server: &TestServer) -> Global {
    Global {
        url: server.ws_url("{doc}"),
        server_pid: vec![std::process::id()],
        label: "test".into(),
        seed: 7,
        handshake_timeout_secs: 20,
        connect_concurrency: 8,
    }
}

/// Runs `scenario` against a fresh server and returns the report's JSON.
async fn run(scenario: Scenario) -> serde_json::Value {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = TestServer::start(dir.path(), Limits::default()).await;
    let args = BenchArgs { global: global(&server), scenario };
    let report = bench::run(&args).await;
    let json: serde_json::Value = serde_json::from_str(&report.json()).expect("the report is JSON");
    assert_eq!(json["ok"], true, "{}", report.json());
    assert!(!report.json().contains('\n'), "one line");
    assert_eq!(json["label"], "test");
    server.stop().await;
    json
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fanout_delivers_every_update_to_every_subscriber() {
    let args = FanoutArgs { docs: 2, subscribers: 5, rate: 20, seconds: 1, drain_secs: 20 };
    let json = run(Scenario::Fanout(args)).await;
    let r = &json["results"];
    assert_eq!(r["sent"], 40);
    assert_eq!(r["expected"], 200);
    assert_eq!(r["delivered"], 200, "{r}");
    assert_eq!(r["lost"], 0);
    assert_eq!(r["converged"], true);
    assert!(r["p99_us"].is_u64() && r["server_cpu_secs"].is_f64(), "{r}");
    assert_eq!(json["parameters"]["subscribers"], 5);
    assert_eq!(json["scenario"], "fanout");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn burst_delivers_every_update_and_converges() {
    let args = BurstArgs { writers: 2, subscribers: 3, updates: 50, drain_secs: 20 };
    let r = run(Scenario::Burst(args)).await["results"].clone();
    assert_eq!(r["expected"], 300);
    assert_eq!(r["delivered"], 300, "{r}");
    assert_eq!(r["lost"], 0);
    assert_eq!(r["converged"], true);
    assert!(r["all_delivered_secs"].is_f64(), "{r}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_syncs_and_holds_every_connection() {
    let args = IdleArgs { connections: 20, docs: 4, hold_secs: 1 };
    let r = run(Scenario::Idle(args)).await["results"].clone();
    assert_eq!(r["synced"], 20, "{r}");
    assert_eq!(r["failed"], 0);
    assert_eq!(r["still_open"], 20);
    assert!(r["server_rss_per_connection_kib"].is_f64(), "{r}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bigdoc_ingests_and_a_fresh_client_gets_the_same_text() {
    let args = BigdocArgs { ops: 500, ops_per_update: 1, batch: 100 };
    let r = run(Scenario::Bigdoc(args)).await["results"].clone();
    assert_eq!(r["updates"], 500);
    assert_eq!(r["text_equal"], true, "{r}");
    assert!(r["text_chars"].as_u64().unwrap() > 0);
    assert!(r["state_bytes"].as_u64().unwrap() > 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn joinstorm_syncs_every_client_with_the_builders_text() {
    let args = JoinstormArgs { doc_bytes: 64 << 10, update_bytes: 8 << 10, batch: 4, clients: 5, verify: 3 };
    let r = run(Scenario::Joinstorm(args)).await["results"].clone();
    assert_eq!(r["synced"], 5, "{r}");
    assert_eq!(r["failed"], 0);
    assert_eq!(r["verified"], 3);
    assert_eq!(r["verified_equal"], true);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ack_times_every_acknowledgement() {
    let args = AckArgs { writers: 2, rate: 20, seconds: 1, drain_secs: 20 };
    let r = run(Scenario::Ack(args)).await["results"].clone();
    assert_eq!(r["sent"], 40);
    assert_eq!(r["acknowledged"], 40, "{r}");
    assert!(r["latency"]["p99_us"].is_u64(), "{r}");
}

#[test]
fn clients_are_spread_over_several_urls_in_turn() {
    let one = Global { url: String::new(), server_pid: Vec::new(), label: String::new(), seed: 1, handshake_timeout_secs: 1, connect_concurrency: 1 };
    let g = Global { url: "ws://a:1/ws/{doc}, ws://b:2/ws/{doc}".into(), ..one };
    let urls = vec![g.url_of("x"); 3];
    assert_eq!(g.spread(&urls), ["ws://a:1/ws/x", "ws://b:2/ws/x", "ws://a:1/ws/x"]);
}

#[tokio::test]
async fn a_run_without_a_server_reports_failure() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("ws://{}/ws/{{doc}}", listener.local_addr().expect("addr"));
    drop(listener);
    let args = BenchArgs::try_parse_from(["tandem-bench", "--url", &url, "bigdoc", "--ops", "10"]).expect("parse");
    let report = bench::run(&args).await;
    let json: serde_json::Value = serde_json::from_str(&report.json()).expect("JSON");
    assert_eq!(json["ok"], false);
    assert!(json["error"].as_str().unwrap().contains("cannot connect"), "{json}");
    assert!(json["results"].is_null());
}

#[test]
fn the_cli_parses_a_scenario_and_its_options() {
    let args = BenchArgs::try_parse_from(["tandem-bench", "fanout", "--subscribers", "3"]).expect("parse");
    let Scenario::Fanout(fanout) = args.scenario else { panic!("not fanout") };
    assert_eq!((fanout.subscribers, fanout.rate, fanout.seconds, fanout.docs), (3, 50, 10, 1));
    assert_eq!(args.global.url, "ws://127.0.0.1:3000/ws/{doc}");
    assert_eq!(args.global.connect_concurrency, 64);
    // Shared options may follow the scenario too.
    let args = BenchArgs::try_parse_from(["tandem-bench", "idle", "--label", "x", "--seed", "3"]).expect("parse");
    assert_eq!((args.global.label.as_str(), args.global.seed), ("x", 3));
}
