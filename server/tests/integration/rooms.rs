//! The room registry: one load per document, unload and flush when unused,
//! and nothing left behind when a load fails.

use tandem_sync::DocId;
use server::doc::{LoadError, Rooms};
use server::store::{SqliteStore, Store};
use std::sync::Arc;
use tandem_sync::document::{CONTENT, fresh_update};

#[tokio::test]
async fn concurrent_users_share_one_room_which_unloads_and_compacts_when_unused() {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(dir.path()).unwrap());
    let rooms = Rooms::new(store.clone());
    let id = DocId::parse("shared").unwrap();
    let (a, b) = tokio::join!(rooms.acquire(&id), rooms.acquire(&id));
    let (a, b) = (a.unwrap(), b.unwrap());
    assert!(std::ptr::eq(&*a, &*b), "two rooms for one document");
    let seq = a.apply_update(&fresh_update(CONTENT, "hello"), "anonymous".into()).unwrap();
    assert!(server::store::wait_durable(&*store, seq).await);
    assert_eq!(store.load(&id).unwrap().unwrap().log_len, 1);

    drop(a);
    assert!(rooms.is_loaded(&id), "still in use by b");
    drop(b);
    assert!(rooms.is_empty(), "an unused room stays loaded");
    assert!(server::store::settle(&*store).await);
    let stored = store.load(&id).unwrap().unwrap();
    assert_eq!(stored.log_len, 0, "the log was not folded into a snapshot on unload");
    let reloaded = rooms.acquire(&id).await.unwrap();
    assert_eq!(reloaded.read(|c| tandem_sync::document::content(c.doc())), "hello");
}

#[tokio::test]
async fn a_damaged_document_fails_to_load_and_leaves_nothing_behind() {
    let id = DocId::parse("damaged").unwrap();
    // Damage the stored log behind the server's back.
    let damage = "INSERT INTO updates (seq, doc_id, data) VALUES (99, 'damaged', x'07010203')";
    let dir = stored_then_altered(&id, "fine", damage).await;

    let rooms = Rooms::new(Arc::new(SqliteStore::open(dir.path()).unwrap()));
    assert!(matches!(rooms.acquire(&id).await, Err(LoadError::Damaged(_))));
    assert!(rooms.is_empty(), "a failed load left a slot behind");
    let other = DocId::parse("healthy").unwrap();
    assert!(rooms.acquire(&other).await.is_ok(), "other documents still load");
}

#[tokio::test]
async fn the_listing_keeps_a_body_first_line_also_in_a_store_written_before_excerpts() {
    let id = DocId::parse("untitled").unwrap();
    // Make it a store as schema 1 left it: no excerpt column.
    let v1 = "ALTER TABLE docs DROP COLUMN excerpt; PRAGMA user_version = 1;";
    let dir = stored_then_altered(&id, "\n# Groceries\nmilk", v1).await;

    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(dir.path()).unwrap());
    let listed = store.list().unwrap();
    assert_eq!((listed[0].id.as_str(), listed[0].excerpt.as_str()), ("untitled", ""), "migrated, no excerpt yet");
    let rooms = Rooms::new(store.clone());
    let room = rooms.acquire(&id).await.unwrap();
    let replica = tandem_sync::document::new_doc();
    tandem_sync::document::apply_v1(&replica, &room.read(|c| c.encode_state())).unwrap();
    room.apply_update(&tandem_sync::document::insert(&replica, CONTENT, 0, "Weekly list"), "anonymous".into()).unwrap();
    drop(room);
    assert!(server::store::settle(&*store).await);
    assert_eq!(store.list().unwrap()[0].excerpt, "Weekly list", "the unload's snapshot stores the first line");
}

/// A closed store in a new directory holding document `id` with body `text`,
/// then changed behind the server's back by the SQL `alter`.
async fn stored_then_altered(id: &DocId, text: &str, alter: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path()).unwrap();
    let seq = store.append(id, fresh_update(CONTENT, text).into());
    assert!(server::store::wait_durable(&store, seq).await);
    store.close();
    drop(store);
    let db = rusqlite::Connection::open(dir.path().join("tandem.db")).unwrap();
    db.execute_batch(alter).unwrap();
    dir
}
