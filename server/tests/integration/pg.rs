//! The PostgreSQL store, on a real PostgreSQL 15 started by the tests:
//! documents, their history and accounts survive a restart of the server;
//! while PostgreSQL is down acknowledgements wait, `/readyz` says why, and
//! nothing acknowledged is lost once it is back; a database of a newer
//! Tandem or of another application is refused untouched.

use crate::common;

use common::process::{Process, start_fails_with};
use common::team::{As, call, sign_in};
use common::writer::{Writer, marker, until_status};
use common::{Client, TestServer, doc_id, get};
use server::config::Settings;
use server::store::{Accounts, NewUser, PgStore};
use server::testing::postgres::{Postgres, shared};
use server::workspace::AccessSettings;
use std::sync::Arc;

/// A server on the PostgreSQL database at `url`.
async fn server_on(url: &str, settings: Settings) -> TestServer {
    let store = Arc::new(PgStore::open(url).expect("open the PostgreSQL store"));
    TestServer::start_on(store.clone(), store, settings).await
}

/// Runs `sql` on the database at `url`.
fn execute(url: &str, sql: &str) {
    let mut client = postgres::Client::connect(url, postgres::NoTls).expect("connect");
    client.batch_execute(sql).expect(sql);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn documents_on_postgres_converge_and_survive_a_restart() {
    let url = shared().create_database();
    let server = server_on(&url, Settings::default()).await;
    let doc = doc_id("pg");
    let mut ada = Client::connect(&server.ws_url(&doc)).await;
    let mut bob = Client::connect(&server.ws_url(&doc)).await;
    ada.append("Ada was here. ").await;
    bob.append("Bob too.").await;
    ada.pump_until(|c| c.text().contains("Bob too.")).await;
    bob.pump_until(|c| c.text().contains("Ada was here.")).await;
    assert_eq!(ada.text(), bob.text());
    let ack = ada.request_ack().await;
    ada.pump_until(|c| c.acked(ack)).await;
    let text = ada.text();
    drop((ada, bob));
    server.stop().await;

    let server = server_on(&url, Settings::default()).await;
    assert_eq!(Client::connect(&server.ws_url(&doc)).await.text(), text);
    let (status, list) = get(&server.http("/api/docs")).await;
    assert_eq!(status, 200);
    assert!(String::from_utf8_lossy(&list).contains(&doc), "the listing lacks {doc}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accounts_and_versions_on_postgres_survive_a_restart() {
    let url = shared().create_database();
    let store = PgStore::open(&url).expect("open");
    let hash = server::accounts::Password::new(format!("ada{}", common::team::PASSWORD_SUFFIX)).unwrap().hash();
    store.add_user(&NewUser { username: "ada".into(), password_hash: hash, admin: true }).expect("add ada");
    assert!(matches!(
        store.add_user(&NewUser { username: "ADA".into(), password_hash: "x".into(), admin: false }),
        Err(server::store::StoreError::NameTaken(_))
    ));
    drop(store);
    let settings = || Settings { access: AccessSettings::accounts(), ..Settings::default() };
    let server = server_on(&url, settings()).await;
    let ada = sign_in(&server, "ada").await;
    let created = call(&server, &ada, "POST", "/api/docs", Some(serde_json::json!({"title": "Plans"}))).await;
    assert_eq!(created.status, 201, "{}", String::from_utf8_lossy(&created.body));
    let doc = created.json()["id"].as_str().expect("an id").to_owned();
    let named = call(&server, &ada, "POST", &format!("/api/docs/{doc}/versions"), Some(serde_json::json!({"label": "first"}))).await;
    assert_eq!(named.status, 201, "{}", String::from_utf8_lossy(&named.body));
    server.stop().await;

    let server = server_on(&url, settings()).await;
    let ada = sign_in(&server, "ada").await;
    let versions = call(&server, &ada, "GET", &format!("/api/docs/{doc}/versions"), None).await.json();
    assert!(versions.to_string().contains("\"first\""), "{versions}");
    assert_eq!(call(&server, &As::Nobody, "GET", "/api/docs", None).await.status, 401);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_down_holds_acknowledgements_back_and_loses_nothing() {
    let pg = Postgres::start();
    let url = pg.create_database();
    let server = server_on(&url, Settings::default()).await;
    let http = |p: &str| server.http(p);
    let doc = doc_id("pg-down");
    let writer = Writer::start(&server.ws_url(&doc)).await;
    writer.until_acked(3).await;

    // PostgreSQL crashes: commits fail, /readyz says why, acknowledgements stop.
    pg.kill();
    let why = until_status(&http, "/readyz", 503).await;
    assert!(why.contains("database does not answer"), "{why}");
    writer.until_sent(writer.acked() + 2).await;
    assert!(writer.sent() > writer.acked(), "every update was acknowledged while PostgreSQL was down");

    // Back: everything resumes by itself and every update is acknowledged.
    pg.start_again();
    until_status(&http, "/readyz", 200).await;
    let sent = writer.finish().await;
    server.stop().await;

    let server = server_on(&url, Settings::default()).await;
    let text = Client::connect(&server.ws_url(&doc)).await.text();
    let lost: Vec<String> = (0..sent).map(marker).filter(|m| !text.contains(m.as_str())).collect();
    assert!(lost.is_empty(), "lost {} of {sent} acknowledged updates", lost.len());
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_down_while_idle_turns_readyz_to_503() {
    let pg = Postgres::start();
    let url = pg.create_database();
    let server = server_on(&url, Settings::default()).await;
    let http = |p: &str| server.http(p);
    until_status(&http, "/readyz", 200).await;
    pg.stop();
    let why = until_status(&http, "/readyz", 503).await;
    assert!(why.contains("database does not answer"), "{why}");
    pg.start_again();
    until_status(&http, "/readyz", 200).await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tandem_user_add_writes_to_the_database_url() {
    let url = shared().create_database();
    let dir = tempfile::tempdir().unwrap();
    let args = ["ada", "--admin", "--password-stdin", "--database-url", url.as_str()];
    let (ok, out) = crate::accounts::add_user(dir.path(), &args, "correct horse\n").await;
    assert!(ok && out.contains("added administrator ada to postgres://tandem@"), "{out}");
    let store = PgStore::open(&url).unwrap();
    let ada = store.user("ADA").unwrap().expect("stored in PostgreSQL");
    assert!(ada.admin && server::accounts::password::verify("correct horse", &ada.password_hash));
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "the data directory was written");
}

/// Runs `tandem migrate --from FROM --to TO`; whether it succeeded and what it printed.
async fn migrate(from: &str, to: &str) -> (bool, String) {
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_tandem"))
        .args(["migrate", "--from", from, "--to", to])
        .env("RUST_LOG", "warn")
        .output()
        .await
        .expect("run tandem migrate");
    let text = String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success(), text)
}

/// What the test's document, its version, image and link read as on `server`.
async fn what_ada_sees(server: &TestServer, doc: &str, image: &str) -> (String, String, Vec<u8>, serde_json::Value) {
    let ada = sign_in(server, "ada").await;
    let text = call(server, &ada, "GET", &format!("/api/docs/{doc}/text"), None).await;
    let versions = call(server, &ada, "GET", &format!("/api/docs/{doc}/versions"), None).await.json();
    let image = call(server, &ada, "GET", image, None).await;
    assert_eq!(image.status, 200);
    let access = call(server, &ada, "GET", &format!("/api/docs/{doc}/access"), None).await.json();
    (String::from_utf8_lossy(&text.body).into_owned(), versions[0]["label"].to_string(), image.body, access["links"].clone())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tandem_migrate_moves_a_store_to_postgres_and_back_verified() {
    let settings = || Settings { access: AccessSettings::accounts(), ..Settings::default() };
    let first = tempfile::tempdir().unwrap();
    let server = common::team::accounts_server(first.path()).await;
    let ada = sign_in(&server, "ada").await;
    let doc = call(&server, &ada, "POST", "/api/docs", Some(serde_json::json!({"title": "Moving"}))).await.json()["id"].as_str().unwrap().to_owned();
    let update = tandem_sync::document::fresh_update(tandem_sync::document::CONTENT, "packed and moved");
    let sent = common::team::send_as(&server.http(&format!("/api/docs/{doc}/update")), &ada, "POST", "application/octet-stream", &update).await;
    assert_eq!(sent.status, 204);
    let named = call(&server, &ada, "POST", &format!("/api/docs/{doc}/versions"), Some(serde_json::json!({"label": "before the move"}))).await;
    assert_eq!(named.status, 201);
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR moved";
    let uploaded = common::team::send_as(&server.http(&format!("/api/docs/{doc}/attachments")), &ada, "POST", "image/png", png).await;
    assert_eq!(uploaded.status, 201);
    let image = uploaded.json()["url"].as_str().unwrap().to_owned();
    let link = call(&server, &ada, "POST", &format!("/api/docs/{doc}/links"), Some(serde_json::json!({"role": "viewer"}))).await;
    assert_eq!(link.status, 201);
    let before = what_ada_sees(&server, &doc, &image).await;
    server.stop().await;

    // SQLite → PostgreSQL: the same document, version, image and link.
    let url = shared().create_database();
    let (ok, out) = migrate(first.path().to_str().unwrap(), &url).await;
    assert!(ok && out.contains("1 document") && out.contains("3 accounts") && out.contains("verified"), "{out}");
    let server = server_on(&url, settings()).await;
    assert_eq!(what_ada_sees(&server, &doc, &image).await, before);
    server.stop().await;

    // A destination that holds a store already is refused.
    let (ok, out) = migrate(first.path().to_str().unwrap(), &url).await;
    assert!(!ok && out.contains("is not empty"), "{out}");

    // And back: PostgreSQL → a new data directory; later versions sort after the copied ones.
    let second = tempfile::tempdir().unwrap();
    let (ok, out) = migrate(&url, second.path().to_str().unwrap()).await;
    assert!(ok && out.contains("verified"), "{out}");
    let server = TestServer::start_with(second.path(), settings()).await;
    assert_eq!(what_ada_sees(&server, &doc, &image).await, before);
    let ada = sign_in(&server, "ada").await;
    let named = call(&server, &ada, "POST", &format!("/api/docs/{doc}/versions"), Some(serde_json::json!({"label": "after the move"}))).await;
    assert_eq!(named.status, 201);
    let versions = call(&server, &ada, "GET", &format!("/api/docs/{doc}/versions"), None).await.json();
    assert_eq!(versions[0]["label"], "after the move", "{versions}");
    server.stop().await;
}

#[test]
fn a_database_of_a_newer_tandem_or_of_something_else_is_refused_untouched() {
    let newer = shared().create_database();
    drop(PgStore::open(&newer).expect("create the tables"));
    execute(&newer, "UPDATE tandem_schema SET version = 99");
    let refused = PgStore::open(&newer).err().expect("a newer schema is refused").to_string();
    assert!(refused.contains("newer Tandem"), "{refused}");

    let other = shared().create_database();
    execute(&other, "CREATE TABLE invoices (id INTEGER)");
    let refused = PgStore::open(&other).err().expect("another application's database is refused").to_string();
    assert!(refused.contains("something else"), "{refused}");
    let mut client = postgres::Client::connect(&other, postgres::NoTls).unwrap();
    let tables: i64 = client.query_one("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'", &[]).unwrap().get(0);
    assert_eq!(tables, 1, "the refused database was written to");
}

#[test]
fn an_older_schema_is_migrated_and_snapshots_are_compressed_with_lz4() {
    let url = shared().create_database();
    drop(PgStore::open(&url).expect("create the tables"));
    let compression = || {
        let mut client = postgres::Client::connect(&url, postgres::NoTls).unwrap();
        let query = "SELECT attcompression::text FROM pg_attribute WHERE attrelid = to_regclass($1) AND attname = $2";
        let of = |client: &mut postgres::Client, table: &str, column: &str| -> String {
            client.query_one(query, &[&table, &column]).unwrap().get(0)
        };
        (of(&mut client, "docs", "snapshot"), of(&mut client, "versions", "data"))
    };
    assert_eq!(compression(), ("l".to_owned(), "l".to_owned()), "a new database compresses with LZ4");

    // As a database of schema 2 was: the default compression, version 2.
    execute(&url, "ALTER TABLE docs ALTER COLUMN snapshot SET COMPRESSION DEFAULT;
                   ALTER TABLE versions ALTER COLUMN data SET COMPRESSION DEFAULT;
                   UPDATE tandem_schema SET version = 2");
    assert_eq!(compression(), (String::new(), String::new()));
    drop(PgStore::open(&url).expect("migrate from schema 2"));
    assert_eq!(compression(), ("l".to_owned(), "l".to_owned()), "the migration to schema 3 sets LZ4");
    let mut client = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    let version: i32 = client.query_one("SELECT version FROM tandem_schema", &[]).unwrap().get(0);
    assert_eq!(version, server::store::PG_SCHEMA_VERSION);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_claim_lost_with_a_postgres_restart_is_taken_again() {
    let postgres = Postgres::start();
    let database = postgres.create_database();
    let (first, second) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let alone = Process::start_alone(first.path(), &database).await;
    postgres.kill();
    postgres.start_again();
    alone.until_logged("the database claim was taken again").await;
    let (code, out) = start_fails_with(second.path(), &["--open", "--database-url", &database]).await;
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("servers sharing one database must all run with --redis-url"), "{out}");
    assert_eq!(alone.signal("TERM").await, Some(0));
}
