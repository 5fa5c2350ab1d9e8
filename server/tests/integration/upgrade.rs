//! A store written by an earlier release opens in this one with nothing lost:
//! it is migrated in place, once, after a copy of it as it was is kept, and
//! takes what this release adds (attachments, schema 6).
//!
//! Each `tests/fixtures/store-schema-N.db` is `tandem backup` of a store
//! that a release writing schema N served, taken while it served: a titled
//! document whose text was written in three updates (one adds an emoji), and
//! an untitled one. Schema 1 is from the release before schema 2. The others
//! were made by building `tandem` (debug) at the last commit that wrote
//! schema N and built (2: 8397315^, 3: b849e7a, 4: df3043f^), serving an
//! empty data directory with it and writing the documents with
//! `end2end/fixtures/write-documents.mjs` over its HTTP API. Before serving,
//! schemas 3 and 4 got the administrator `ada` (`tandem user add ada --admin
//! --password-stdin`, password `ada-long-password`), schema 4 also the member
//! `bob`; the schema-4 documents were written with an API token of ada's, and
//! ada then made bob a viewer of the titled one, made a viewer share link to
//! it ([`SCHEMA_4_LINK`]) and set the untitled one's workspace access to none.

use crate::common::team::{As, accounts_server, call, sign_in};
use crate::common::{TestServer, get};
use server::config::Limits;
use server::store::SCHEMA_VERSION;
use std::path::{Path, PathBuf};

/// The text of every fixture's titled document.
const TITLED_TEXT: &str = "# Minutes\n\nWe ship on Friday. 😀\n- [x] Freeze the API\n";

/// What one fixture holds.
struct Fixture {
    schema: i64,
    /// The titled document: id and title.
    titled: (&'static str, &'static str),
    /// The untitled document: id and text.
    untitled: (&'static str, &'static str),
}

const FIXTURES: [Fixture; 4] = [
    Fixture { schema: 1, titled: ("TZD6wBX67ZN8", "Minutes of the first release"), untitled: ("untitled-notes", "Ideas without a title\nsecond line") },
    Fixture { schema: 2, titled: ("NjCkRjdi9JuY", "Minutes of release 2"), untitled: ("rtf9mhGu7Juf", "Loose notes, no title") },
    Fixture { schema: 3, titled: ("cqInfC4xiFUW", "Minutes of release 3"), untitled: ("FxH2T9KrXCd1", "Loose notes, no title") },
    Fixture { schema: 4, titled: ("jv0bOvCxHaeL", "Minutes of release 4"), untitled: ("0bKQCF11x4Zy", "Loose notes, no title") },
];

/// The token of the schema-4 fixture's viewer link to its titled document.
const SCHEMA_4_LINK: &str = "yUPSq7iU0dEDjLdcMFIjhZkaceK3wEw7SNT_u3XI7Sk";

/// Copies the fixture of `schema` into `dir` as its store.
fn install(schema: i64, dir: &Path) {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/fixtures/store-schema-{schema}.db"));
    std::fs::copy(&fixture, dir.join("tandem.db")).expect("copy the fixture");
}

fn user_version(db: &Path) -> i64 {
    let db = rusqlite::Connection::open(db).unwrap();
    db.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap()
}

/// The copies of the store kept before an upgrade.
fn kept_copies(dir: &Path) -> Vec<PathBuf> {
    let entries = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path());
    entries.filter(|p| p.to_string_lossy().contains("tandem.db.before-schema-")).collect()
}

/// Checks every document's title and text through the API, in open mode.
async fn assert_documents(server: &TestServer, fixture: &Fixture) {
    let (status, list) = get(&server.http("/api/docs")).await;
    assert_eq!(status, 200);
    let list: Vec<serde_json::Value> = serde_json::from_slice(&list).unwrap();
    let mut titles: Vec<(&str, &str)> = list.iter().map(|d| (d["id"].as_str().unwrap(), d["title"].as_str().unwrap())).collect();
    titles.sort();
    let mut expected = vec![fixture.titled, (fixture.untitled.0, "")];
    expected.sort();
    assert_eq!(titles, expected, "schema {}", fixture.schema);
    for (id, text) in [(fixture.titled.0, TITLED_TEXT), fixture.untitled] {
        let (status, body) = get(&server.http(&format!("/api/docs/{id}/text"))).await;
        assert_eq!((status, String::from_utf8(body).unwrap().as_str()), (200, text), "schema {}", fixture.schema);
    }
}

/// The first bytes of a PNG image: enough to be one.
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n upgraded";

/// Attaches [`PNG`] to the fixture's titled document (the table schema 6
/// added); its URL.
async fn assert_takes_attachments(server: &TestServer, fixture: &Fixture) -> String {
    let url = server.http(&format!("/api/docs/{}/attachments", fixture.titled.0));
    let answer = crate::common::send("POST", &url, &[("Content-Type", "image/png")], PNG).await;
    assert_eq!(answer.status, 201, "schema {}: {:?}", fixture.schema, answer.json());
    answer.json()["url"].as_str().expect("url").to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_earlier_store_opens_with_its_documents_after_a_copy_is_kept() {
    for fixture in &FIXTURES {
        let dir = tempfile::tempdir().unwrap();
        install(fixture.schema, dir.path());
        let server = TestServer::start(dir.path(), Limits::default()).await;
        assert_documents(&server, fixture).await;
        let image = assert_takes_attachments(&server, fixture).await;
        server.stop().await;
        assert_eq!(user_version(&dir.path().join("tandem.db")), SCHEMA_VERSION, "migrated to this release's schema");
        let kept = kept_copies(dir.path());
        assert_eq!(kept, [dir.path().join(format!("tandem.db.before-schema-{SCHEMA_VERSION}"))]);
        assert_eq!(user_version(&kept[0]), fixture.schema, "the copy is the store as it was");

        // Opened again, the store is current: no second copy, nothing lost.
        let server = TestServer::start(dir.path(), Limits::default()).await;
        assert_documents(&server, fixture).await;
        assert_eq!(get(&server.http(&image)).await, (200, PNG.to_vec()), "schema {}", fixture.schema);
        server.stop().await;
        assert_eq!(kept_copies(dir.path()).len(), 1, "schema {}: no second upgrade", fixture.schema);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_accounts_mode_documents_of_a_store_before_accounts_belong_to_the_first_administrator() {
    let dir = tempfile::tempdir().unwrap();
    install(1, dir.path());
    let server = accounts_server(dir.path()).await;
    let owners = |list: serde_json::Value| -> Vec<(String, String, String)> {
        let list = list.as_array().cloned().unwrap_or_default();
        list.iter().map(|d| (d["id"].as_str().unwrap().into(), d["owner"].as_str().unwrap().into(), d["role"].as_str().unwrap().into())).collect()
    };
    let titled = FIXTURES[0].titled.0;
    let ada = sign_in(&server, "ada").await;
    let as_ada = owners(call(&server, &ada, "GET", "/api/docs", None).await.json());
    assert_eq!(as_ada, [("untitled-notes".into(), "ada".into(), "owner".into()), (titled.into(), "ada".into(), "owner".into())]);
    // Members get the default workspace access: they may edit.
    let bob = sign_in(&server, "bob").await;
    let as_bob = owners(call(&server, &bob, "GET", "/api/docs", None).await.json());
    assert!(as_bob.iter().all(|(_, owner, role)| owner == "ada" && role == "editor"), "{as_bob:?}");
    assert_eq!(as_bob.len(), 2);
    assert_eq!(call(&server, &As::Nobody, "GET", "/api/docs", None).await.status, 401);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accounts_roles_and_share_links_of_schema_4_survive_the_upgrade() {
    let dir = tempfile::tempdir().unwrap();
    install(4, dir.path());
    let settings = server::config::Settings { access: server::workspace::AccessSettings::accounts(), ..Default::default() };
    let server = TestServer::start_with(dir.path(), settings).await;
    let fixture = &FIXTURES[3];
    let (titled, untitled) = (fixture.titled.0, fixture.untitled.0);

    let ada = sign_in(&server, "ada").await;
    assert_eq!(call(&server, &ada, "GET", "/api/docs", None).await.json().as_array().map(Vec::len), Some(2));
    let access = call(&server, &ada, "GET", &format!("/api/docs/{titled}/access"), None).await.json();
    assert_eq!((access["owner"].as_str(), access["workspace"].as_str()), (Some("ada"), Some("editor")));
    assert_eq!(access["members"], serde_json::json!([{ "username": "bob", "role": "viewer" }]));
    assert_eq!(access["links"].as_array().map(|l| (l.len(), l[0]["role"].as_str())), Some((1, Some("viewer"))));
    // Bob's own viewer role is below the workspace's editor; the untitled one is closed to members.
    let bob = sign_in(&server, "bob").await;
    let as_bob = call(&server, &bob, "GET", "/api/docs", None).await.json();
    let roles: Vec<(&str, &str)> = as_bob.as_array().unwrap().iter().map(|d| (d["id"].as_str().unwrap(), d["role"].as_str().unwrap())).collect();
    assert_eq!(roles, [(titled, "editor")]);
    assert_eq!(call(&server, &bob, "GET", &format!("/api/docs/{untitled}"), None).await.status, 404);
    let link = As::Bearer(SCHEMA_4_LINK.into());
    let by_link = call(&server, &link, "GET", &format!("/api/docs/{titled}/text"), None).await;
    assert_eq!((by_link.status, String::from_utf8_lossy(&by_link.body).into_owned()), (200, TITLED_TEXT.to_owned()));
    server.stop().await;
}

#[test]
fn a_store_of_a_newer_release_is_refused_untouched_and_not_copied() {
    let dir = tempfile::tempdir().unwrap();
    drop(server::store::SqliteStore::open(dir.path()).unwrap());
    let db = dir.path().join("tandem.db");
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute_batch(&format!("PRAGMA user_version = {}", SCHEMA_VERSION + 1)).unwrap();
    drop(conn);
    let before = std::fs::read(&db).unwrap();
    let refused = server::store::SqliteStore::open(dir.path()).err().expect("a newer store is refused");
    assert!(refused.to_string().contains("written by a newer Tandem"), "{refused}");
    assert_eq!(std::fs::read(&db).unwrap(), before, "the store was modified");
    assert!(kept_copies(dir.path()).is_empty());
}
