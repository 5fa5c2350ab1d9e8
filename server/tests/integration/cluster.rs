//! The clustered mode with real PostgreSQL and Redis: nodes over one
//! database, their clients editing one document together, converge; with
//! Redis killed mid-edit and started again, every node catches up from the
//! database and nothing diverges.

use crate::common;

use common::{Client, TestServer, doc_id};
use server::config::Settings;
use server::store::PgStore;
use server::testing::postgres::shared;
use server::testing::redis::Redis;
use std::sync::Arc;

/// A node of the cluster over the database at `database` and the Redis at `redis`.
async fn node(database: &str, redis: &str) -> TestServer {
    let store = Arc::new(PgStore::open(database).expect("open the PostgreSQL store"));
    let settings = Settings { redis_url: Some(redis.to_owned()), ..Settings::default() };
    TestServer::start_on(store.clone(), store, settings).await
}

/// Pumps every client until all hold `texts`, then checks they are equal.
async fn until_all_have(clients: &mut [Client], texts: &[&str]) {
    for client in clients.iter_mut() {
        client.pump_until(|c| texts.iter().all(|t| c.text().contains(t))).await;
    }
    let first = clients[0].text();
    assert!(clients.iter().all(|c| c.text() == first), "the replicas differ");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_on_three_nodes_edit_one_document_and_converge() {
    let (database, redis) = (shared().create_database(), Redis::start());
    let nodes = [node(&database, &redis.url()).await, node(&database, &redis.url()).await, node(&database, &redis.url()).await];
    let doc = doc_id("cluster");
    let mut clients = Vec::new();
    for node in &nodes {
        clients.push(Client::connect(&node.ws_url(&doc)).await);
    }
    for (i, client) in clients.iter_mut().enumerate() {
        client.append(&format!("<from node {i}>")).await;
    }
    until_all_have(&mut clients, &["<from node 0>", "<from node 1>", "<from node 2>"]).await;

    // A newcomer on any node, and the database, have the same.
    let text = clients[0].text();
    let ack = clients[2].request_ack().await;
    clients[2].pump_until(|c| c.acked(ack)).await;
    assert_eq!(Client::connect(&nodes[1].ws_url(&doc)).await.text(), text);
    drop(clients);
    for node in nodes {
        node.stop().await;
    }
    let alone = node(&database, &redis.url()).await;
    assert_eq!(Client::connect(&alone.ws_url(&doc)).await.text(), text, "the database lacks an acknowledged edit");
    alone.stop().await;
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
