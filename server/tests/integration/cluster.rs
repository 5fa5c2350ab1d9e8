//! The clustered mode with real PostgreSQL and Redis: nodes over one
//! database, their clients (stock Yjs ones and ours) editing one document
//! together, converge; with
//! Redis killed mid-edit and started again, every node catches up from the
//! database and nothing diverges.

use crate::common;

use common::team::{As, PASSWORD_SUFFIX, call, sign_in, token_of, ws_with_token};
use common::cut::Cuttable;
use common::process::{Process, start_fails_with};
use common::writer::{UPDATE_BYTES, Writer, marker, until_status};
use common::{Client, Ended, TestServer, doc_id};
use server::config::Settings;
use server::store::{Accounts, NewUser, PgStore};
use server::workspace::AccessSettings;
use std::time::{Duration, Instant};
use tandem_sync::close;
use server::testing::postgres::{Postgres, shared};
use server::testing::redis::Redis;
use std::sync::Arc;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt};

/// A node of the cluster over the database at `database` and the Redis at `redis`.
async fn node(database: &str, redis: &str) -> TestServer {
    node_with(database, redis, Settings::default()).await
}

/// A node with `settings`.
async fn node_with(database: &str, redis: &str, settings: Settings) -> TestServer {
    let store = Arc::new(PgStore::open(database).expect("open the PostgreSQL store"));
    let settings = Settings { redis_url: Some(redis.to_owned()), ..settings };
    TestServer::start_on(store.clone(), store, settings).await
}

/// How long a socket took to close after `since`, and how it closed.
async fn closed_after(client: &mut Client, since: Instant) -> (Ended, Duration) {
    let ended = client.until_closed().await;
    (ended, since.elapsed())
}

/// Pumps every client until all hold `texts`, then checks they are equal.
async fn until_all_have(clients: &mut [Client], texts: &[&str]) {
    for client in clients.iter_mut() {
        client.pump_until(|c| texts.iter().all(|t| c.text().contains(t))).await;
    }
    let first = clients[0].text();
    assert!(clients.iter().all(|c| c.text() == first), "the replicas differ");
}

/// Lines each client writes in the three-node test.
const LINES: usize = 20;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stock_yjs_and_rust_clients_on_three_nodes_edit_one_document_and_converge() {
    let (database, redis) = (shared().create_database(), Redis::start());
    let nodes = [node(&database, &redis.url()).await, node(&database, &redis.url()).await, node(&database, &redis.url()).await];
    let doc = doc_id("cluster");
    let rust_lines: Vec<Vec<String>> = (0..nodes.len()).map(|i| (0..LINES).map(|k| format!("rust-{i}-{k}")).collect()).collect();
    let js_lines: Vec<String> = (0..nodes.len()).flat_map(|i| (0..LINES).map(move |k| format!("js-{i}-{k}"))).collect();

    // Three stock y-websocket clients, one on each node, and a Rust client on each.
    let bases: Vec<String> = nodes.iter().map(|n| format!("ws://{}/ws", n.addr)).collect();
    let mut js = tokio::process::Command::new("node")
        .args(["interop/clients.mjs", &bases.join(","), &doc, &nodes.len().to_string(), "js"])
        .current_dir(crate::interop::end2end_dir())
        .env("EXPECT", rust_lines.concat().join(","))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("run node");
    let mut js_out = tokio::io::BufReader::new(js.stdout.take().unwrap()).lines();
    assert_eq!(js_out.next_line().await.unwrap().as_deref(), Some("READY"));
    let mut clients = Vec::new();
    for node in &nodes {
        clients.push(Client::connect(&node.ws_url(&doc)).await);
    }

    // Everyone writes at once: the stock clients at random line starts, the Rust clients at the top.
    js.stdin.as_mut().unwrap().write_all(b"GO\n").await.unwrap();
    for k in 0..LINES {
        for (client, lines) in clients.iter_mut().zip(&rust_lines) {
            client.insert(0, &format!("{}\n", lines[k])).await;
        }
    }
    let every: Vec<&str> = rust_lines.iter().flatten().chain(&js_lines).map(String::as_str).collect();
    until_all_have(&mut clients, &every).await;
    let final_line = js_out.next_line().await.unwrap().expect("the stock clients printed their text");
    let js_text: String = serde_json::from_str(final_line.strip_prefix("FINAL ").expect("a FINAL line")).unwrap();
    assert!(js.wait().await.unwrap().success(), "the stock clients failed");
    for client in &mut clients {
        client.pump_until(|c| c.text() == js_text).await;
    }

    // A newcomer on any node, and the database, have the same.
    let ack = clients[2].request_ack().await;
    clients[2].pump_until(|c| c.acked(ack)).await;
    assert_eq!(Client::connect(&nodes[1].ws_url(&doc)).await.text(), js_text);
    drop(clients);
    for node in nodes {
        node.stop().await;
    }
    let alone = node(&database, &redis.url()).await;
    assert_eq!(Client::connect(&alone.ws_url(&doc)).await.text(), js_text, "the database lacks an edit");
    alone.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_killed_mid_edit_loses_no_acknowledged_update() {
    let (database, redis) = (shared().create_database(), Redis::start());
    let dir = tempfile::tempdir().unwrap();
    let doomed = Process::start_node(dir.path(), &database, &redis.url()).await;
    let survivor = node(&database, &redis.url()).await;
    let doc = doc_id("kill9");
    let mut watcher = Client::connect(&survivor.ws_url(&doc)).await;
    let writer = Writer::start(&doomed.ws_url(&doc)).await;
    writer.until_acked(5).await;
    doomed.kill9().await;
    let acked = writer.acked();
    drop(writer);

    // Every acknowledged update reaches the other node's client (relayed, or
    // read from the database once the killed node fell silent), and a newcomer.
    let has_all = |text: &str| (0..acked).all(|i| text.contains(&marker(i)));
    watcher.pump_until(|c| c.text_len() as usize >= acked * UPDATE_BYTES && has_all(&c.text())).await;
    assert!(has_all(&Client::connect(&survivor.ws_url(&doc)).await.text()), "a newcomer lacks an acknowledged update");
    survivor.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_killed_and_restarted_mid_edit_loses_nothing_and_nothing_diverges() {
    let (database, redis) = (shared().create_database(), Redis::start());
    let (a, b) = (node(&database, &redis.url()).await, node(&database, &redis.url()).await);
    let doc = doc_id("redis-down");
    let mut clients = vec![Client::connect(&a.ws_url(&doc)).await, Client::connect(&b.ws_url(&doc)).await];
    clients[0].append("<before>").await;
    until_all_have(&mut clients, &["<before>"]).await;

    // Without Redis each node still serves its own clients and stores their edits.
    redis.kill();
    clients[0].append("<a while down>").await;
    clients[1].append("<b while down>").await;
    for client in clients.iter_mut() {
        let ack = client.request_ack().await;
        client.pump_until(|c| c.acked(ack)).await;
    }

    // Back: both nodes reconnect, read the document again, and their clients converge.
    redis.start_again();
    until_all_have(&mut clients, &["<before>", "<a while down>", "<b while down>"]).await;
    clients[1].append("<after>").await;
    until_all_have(&mut clients, &["<after>"]).await;
    drop(clients);
    a.stop().await;
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoke_and_a_delete_on_one_node_close_sockets_on_another_within_a_second() {
    let (database, redis) = (shared().create_database(), Redis::start());
    let store = PgStore::open(&database).expect("open");
    for (name, admin) in [("ada", true), ("bob", false)] {
        let hash = server::accounts::Password::new(format!("{name}{PASSWORD_SUFFIX}")).unwrap().hash();
        store.add_user(&NewUser { username: name.into(), password_hash: hash, admin }).expect("add user");
    }
    drop(store);
    let settings = || Settings { access: AccessSettings::accounts(), ..Settings::default() };
    let (a, c) = (node_with(&database, &redis.url(), settings()).await, node_with(&database, &redis.url(), settings()).await);
    let ada = sign_in(&a, "ada").await;
    let created = call(&a, &ada, "POST", "/api/docs", Some(serde_json::json!({"title": "Shared"}))).await;
    let doc = created.json()["id"].as_str().expect("an id").to_owned();

    // A guest of a share link on node C; the link revoked on node A.
    let link = call(&a, &ada, "POST", &format!("/api/docs/{doc}/links"), Some(serde_json::json!({"role": "viewer"}))).await.json();
    let mut guest = Client::connect(&ws_with_token(&c, &doc, link["token"].as_str().unwrap())).await;
    let revoked = Instant::now();
    let answer = call(&a, &ada, "DELETE", &format!("/api/docs/{doc}/links/{}", link["id"]), None).await;
    assert_eq!(answer.status, 204);
    let (ended, took) = closed_after(&mut guest, revoked).await;
    assert_eq!(ended, Ended::Closed(close::ACCESS_REMOVED));
    assert!(took < Duration::from_secs(1), "the guest's socket on the other node closed after {took:?}");

    // A member on node C; the document deleted on node A.
    let mut bob = Client::connect(&ws_with_token(&c, &doc, &token_of(&c, "bob").await)).await;
    let deleted = Instant::now();
    assert_eq!(call(&a, &ada, "DELETE", &format!("/api/docs/{doc}"), None).await.status, 204);
    let (ended, took) = closed_after(&mut bob, deleted).await;
    assert_eq!(ended, Ended::Closed(close::DELETED));
    assert!(took < Duration::from_secs(1), "the member's socket on the other node closed after {took:?}");
    assert_eq!(call(&c, &As::Nobody, "GET", "/api/docs", None).await.status, 401);
    a.stop().await;
    c.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_down_holds_every_node_back_and_loses_nothing() {
    let (pg, redis) = (Postgres::start(), Redis::start());
    let database = pg.create_database();
    let (a, b) = (node(&database, &redis.url()).await, node(&database, &redis.url()).await);
    let doc = doc_id("pg-down-cluster");
    let mut watcher = Client::connect(&b.ws_url(&doc)).await;
    let writer = Writer::start(&a.ws_url(&doc)).await;
    writer.until_acked(3).await;

    // PostgreSQL crashes: every node says so, acknowledgements stop.
    pg.kill();
    for node in [&a, &b] {
        let why = until_status(&|p: &str| node.http(p), "/readyz", 503).await;
        assert!(why.contains("database does not answer"), "{why}");
    }
    writer.until_sent(writer.acked() + 2).await;
    assert!(writer.sent() > writer.acked(), "every update was acknowledged while PostgreSQL was down");

    // Back: every node is ready again, every update is acknowledged and reaches the other node.
    pg.start_again();
    for node in [&a, &b] {
        until_status(&|p: &str| node.http(p), "/readyz", 200).await;
    }
    let sent = writer.finish().await;
    // (The length first: searching a few MiB for every marker at every frame is slow.)
    watcher.pump_until(|c| c.text_len() as usize >= sent * UPDATE_BYTES && (0..sent).all(|i| c.text().contains(&marker(i)))).await;
    drop(watcher);
    a.stop().await;
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_compacting_without_another_nodes_newest_update_keeps_it() {
    let (database, redis) = (shared().create_database(), Redis::start());
    let (a, b) = (node(&database, &redis.url()).await, node(&database, &redis.url()).await);
    let doc = doc_id("compact");
    let mut on_a = Client::connect(&a.ws_url(&doc)).await;
    let mut on_b = Client::connect(&b.ws_url(&doc)).await;
    on_a.append("<shared>").await;
    on_b.pump_until(|c| c.text().contains("<shared>")).await;

    // Without Redis, node B never hears of A's next update; then B's last
    // client leaves and B folds the log into a snapshot that lacks it.
    redis.kill();
    on_a.append("<only on a>").await;
    let ack = on_a.request_ack().await;
    on_a.pump_until(|c| c.acked(ack)).await;
    on_b.append("<only on b>").await;
    let ack = on_b.request_ack().await;
    on_b.pump_until(|c| c.acked(ack)).await;
    on_b.close().await;
    b.stop().await;

    // A node starting afresh reads the snapshot and what is left of the log: both updates.
    let c = node(&database, &redis.url()).await;
    let text = Client::connect(&c.ws_url(&doc)).await.text();
    assert!(text.contains("<only on a>") && text.contains("<only on b>") && text.contains("<shared>"), "{text}");
    drop(on_a);
    a.stop().await;
    c.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_cut_off_from_redis_catches_up_and_is_caught_up_with() {
    let (database, redis) = (shared().create_database(), Redis::start());
    let target = redis.url().trim_start_matches("redis://").parse().expect("Redis's address");
    let partition = Cuttable::to(target).await;
    let a = node(&database, &redis.url()).await;
    let b = node(&database, &format!("redis://{}", partition.addr)).await;
    let doc = doc_id("partition");
    let mut clients = vec![Client::connect(&a.ws_url(&doc)).await, Client::connect(&b.ws_url(&doc)).await];
    clients[0].append("<before>").await;
    until_all_have(&mut clients, &["<before>"]).await;

    // Node B alone loses Redis; each node's clients go on and are stored.
    partition.cut();
    clients[0].append("<on a, cut>").await;
    clients[1].append("<on b, cut>").await;
    for client in clients.iter_mut() {
        let ack = client.request_ack().await;
        client.pump_until(|c| c.acked(ack)).await;
    }

    // Restored: B catches up from the database, and A learns of what B did meanwhile.
    partition.restore();
    until_all_have(&mut clients, &["<before>", "<on a, cut>", "<on b, cut>"]).await;
    drop(clients);
    a.stop().await;
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_alone_and_clustered_nodes_never_share_a_database() {
    let (database, redis) = (shared().create_database(), Redis::start());
    let dirs: Vec<_> = (0..4).map(|_| tempfile::tempdir().unwrap()).collect();
    let alone_args = ["--open", "--database-url", database.as_str()];
    let node_args = ["--open", "--database-url", database.as_str(), "--redis-url", &redis.url()];
    let second_alone = "servers sharing one database must all run with --redis-url";

    let alone = Process::start_alone(dirs[0].path(), &database).await;
    let (code, out) = start_fails_with(dirs[1].path(), &alone_args).await;
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains(second_alone), "{out}");
    let (code, out) = start_fails_with(dirs[1].path(), &node_args).await;
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("a Tandem server without --redis-url uses this database"), "{out}");
    assert_eq!(alone.signal("TERM").await, Some(0));

    // Once it has stopped, nodes share the database, and a server alone is refused beside them.
    let first = Process::start_node(dirs[2].path(), &database, &redis.url()).await;
    let second = Process::start_node(dirs[3].path(), &database, &redis.url()).await;
    let (code, out) = start_fails_with(dirs[1].path(), &alone_args).await;
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains(second_alone), "{out}");
    first.kill9().await;
    second.kill9().await;
    // A killed server's claim goes with its connection.
    let again = Process::start_alone(dirs[1].path(), &database).await;
    assert_eq!(again.signal("TERM").await, Some(0));
}
