//! The journal: this page's edits that the server has not yet stored
//! durably, kept in the browser's IndexedDB. They survive a reload, a closed
//! tab or a crash while offline, and are merged the next time the document
//! opens in this browser.
//!
//! One record per local update, keyed `[doc, tab, seq]` (`tab` tells pages
//! of one document apart, `seq` orders a page's records). A record is deleted
//! once the server acknowledges it as durable. If IndexedDB is unavailable
//! (some private modes), the editor works as before, without the journal.

use leptos::task::spawn_local;
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use wasm_bindgen::JsValue;

/// Name of the browser database.
const DB_NAME: &str = "tandem";
/// Schema version of the browser database.
const DB_VERSION: u32 = 1;
/// The object store of unsynced updates.
const STORE: &str = "unsynced";

/// A record's key, before it becomes an IndexedDB key.
enum Key {
    /// Written by this page: `[doc, tab, seq]`.
    Own(u32),
    /// Found at open, written by an earlier page: its key as stored.
    Found(JsValue),
}

/// Where the browser database is.
enum Db {
    /// Still opening: records appended so far wait here, oldest first.
    Opening(Vec<(u32, Vec<u8>)>),
    /// Open.
    Open(idb::Database),
    /// Unavailable: the journal does nothing.
    Off,
}

/// The journal of one open document. Its state is in cells because the
/// session and the tasks that open and write the database share it through
/// `Rc`; each borrow ends before an `.await` or a call out.
pub(super) struct Journal {
    doc: String,
    /// Random per page, so two pages of one document never share a key.
    tab: f64,
    /// The next record's sequence number.
    seq: Cell<u32>,
    db: RefCell<Db>,
    /// Records not yet known to be durable on the server, oldest first.
    live: RefCell<Vec<Key>>,
    /// Writes started and not yet finished, shared with the tasks that finish them.
    writes: Rc<Writes>,
    /// Set by [`Journal::discard`] before the database opened: it is emptied once open.
    discarded: Cell<bool>,
}

/// Counts writes in flight and says when there are none.
struct Writes {
    /// Writes started and not finished (a `Cell`: each write's task holds an `Rc` of this).
    in_flight: Cell<u32>,
    /// Told whether every write so far has finished, whenever that changes.
    on_kept: Box<dyn Fn(bool)>,
}

impl Writes {
    fn start(&self) {
        self.in_flight.set(self.in_flight.get() + 1);
        (self.on_kept)(false);
    }

    fn done(&self) {
        let left = self.in_flight.get().saturating_sub(1);
        self.in_flight.set(left);
        if left == 0 {
            (self.on_kept)(true);
        }
    }
}

impl Journal {
    /// The journal of `doc`; `on_kept` is told whether every record appended
    /// so far is committed to the browser's storage. Appends wait in memory
    /// until [`Journal::open`] has opened the database.
    pub(super) fn new(doc: &str, on_kept: impl Fn(bool) + 'static) -> Rc<Journal> {
        Rc::new(Journal {
            doc: doc.to_owned(),
            tab: js_sys::Math::random(),
            seq: Cell::new(0),
            db: RefCell::new(Db::Opening(Vec::new())),
            live: RefCell::new(Vec::new()),
            writes: Rc::new(Writes { in_flight: Cell::new(0), on_kept: Box::new(on_kept) }),
            discarded: Cell::new(false),
        })
    }

    /// Opens the database; `on_found` then receives the updates earlier pages
    /// left unsynced (once, possibly none).
    pub(super) fn open(self: &Rc<Self>, on_found: impl FnOnce(Vec<Vec<u8>>) + 'static) {
        let me = self.clone();
        spawn_local(async move {
            match me.load().await {
                Ok((db, found)) => me.opened(db, found, on_found),
                Err(e) => {
                    leptos::logging::warn!("edits are not kept in this browser: {e}");
                    *me.db.borrow_mut() = Db::Off;
                    on_found(Vec::new());
                }
            }
        });
    }

    /// Keeps a local update until [`Journal::forget`] says it is durable.
    pub(super) fn append(&self, update: &[u8]) {
        let seq = self.seq.get();
        self.seq.set(seq + 1);
        match &mut *self.db.borrow_mut() {
            Db::Off => return (self.writes.on_kept)(false),
            Db::Opening(waiting) => {
                waiting.push((seq, update.to_vec()));
                (self.writes.on_kept)(false);
            }
            Db::Open(db) => self.write(db, seq, update),
        }
        self.live.borrow_mut().push(Key::Own(seq));
    }

    /// Deletes the oldest `count` live records: the server has stored them
    /// (the session's core counts the records and says how many).
    pub(super) fn forget(&self, count: usize) {
        let gone: Vec<Key> = {
            let mut live = self.live.borrow_mut();
            let count = count.min(live.len());
            live.drain(..count).collect()
        };
        match &mut *self.db.borrow_mut() {
            Db::Off => {}
            Db::Opening(waiting) => waiting.retain(|(seq, _)| !gone.iter().any(|k| matches!(k, Key::Own(s) if s == seq))),
            Db::Open(db) => self.delete(db, gone),
        }
    }

    /// Deletes every record of this document, from every page of this
    /// browser, and keeps nothing from now on: the document was deleted.
    pub(super) fn discard(&self) {
        self.live.borrow_mut().clear();
        match std::mem::replace(&mut *self.db.borrow_mut(), Db::Off) {
            Db::Open(db) => self.delete_all(&db),
            Db::Opening(_) => self.discarded.set(true),
            Db::Off => {}
        }
    }

    /// The key range of every record of this document.
    fn range(&self) -> Result<idb::Query, idb::Error> {
        let lower = js_sys::Array::of1(&JsValue::from(&self.doc));
        let upper = js_sys::Array::of2(&JsValue::from(&self.doc), &js_sys::Array::new());
        idb::KeyRange::bound(&lower, &upper, None, None).map(idb::Query::KeyRange)
    }

    /// Opens the database and reads the records of this document.
    async fn load(&self) -> Result<(idb::Database, Vec<(JsValue, Vec<u8>)>), idb::Error> {
        let mut request = idb::Factory::new()?.open(DB_NAME, Some(DB_VERSION))?;
        request.on_upgrade_needed(|event| {
            use idb::DatabaseEvent;
            match event.database() {
                Ok(db) => {
                    if let Err(e) = db.create_object_store(STORE, idb::ObjectStoreParams::new()) {
                        leptos::logging::warn!("could not create the journal: {e}");
                    }
                }
                Err(e) => leptos::logging::warn!("could not upgrade the journal: {e}"),
            }
        });
        let db = request.await?;
        let txn = db.transaction(&[STORE], idb::TransactionMode::ReadOnly)?;
        let store = txn.object_store(STORE)?;
        let keys = store.get_all_keys(Some(self.range()?), None)?.await?;
        let values = store.get_all(Some(self.range()?), None)?.await?;
        let found = keys
            .into_iter()
            .zip(values)
            .map(|(key, value)| (key, js_sys::Uint8Array::new(&value).to_vec()))
            .collect();
        Ok((db, found))
    }

    /// Switches to the open database: hands over what earlier pages left and
    /// writes what was appended meanwhile.
    fn opened(&self, db: idb::Database, found: Vec<(JsValue, Vec<u8>)>, on_found: impl FnOnce(Vec<Vec<u8>>)) {
        if self.discarded.get() {
            self.delete_all(&db);
            return on_found(Vec::new());
        }
        let waiting = match std::mem::replace(&mut *self.db.borrow_mut(), Db::Off) {
            Db::Opening(waiting) => waiting,
            _ => Vec::new(),
        };
        for (seq, update) in &waiting {
            self.write(&db, *seq, update);
        }
        *self.db.borrow_mut() = Db::Open(db);
        if self.writes.in_flight.get() == 0 {
            (self.writes.on_kept)(true);
        }
        let mut updates = Vec::with_capacity(found.len());
        {
            // After the records of this page: a mark taken before now must not cover them.
            let mut live = self.live.borrow_mut();
            for (key, update) in found {
                live.push(Key::Found(key));
                updates.push(update);
            }
        }
        on_found(updates);
    }

    fn key(&self, seq: u32) -> JsValue {
        js_sys::Array::of3(&JsValue::from(&self.doc), &JsValue::from(self.tab), &JsValue::from(seq)).into()
    }

    /// Writes one record in its own transaction (IndexedDB runs them in order).
    fn write(&self, db: &idb::Database, seq: u32, update: &[u8]) {
        let value: JsValue = js_sys::Uint8Array::from(update).into();
        let key = self.key(seq);
        let started = db.transaction(&[STORE], idb::TransactionMode::ReadWrite).and_then(|txn| {
            txn.object_store(STORE)?.put(&value, Some(&key))?;
            Ok(txn)
        });
        self.settle(started);
    }

    fn delete(&self, db: &idb::Database, keys: Vec<Key>) {
        if keys.is_empty() {
            return;
        }
        let started = db.transaction(&[STORE], idb::TransactionMode::ReadWrite).and_then(|txn| {
            let store = txn.object_store(STORE)?;
            for key in keys {
                let key = match key {
                    Key::Own(seq) => self.key(seq),
                    Key::Found(key) => key,
                };
                store.delete(idb::Query::Key(key))?;
            }
            Ok(txn)
        });
        self.settle(started);
    }

    /// Deletes every record of this document in one transaction.
    fn delete_all(&self, db: &idb::Database) {
        let started = db.transaction(&[STORE], idb::TransactionMode::ReadWrite).and_then(|txn| {
            txn.object_store(STORE)?.delete(self.range()?)?;
            Ok(txn)
        });
        self.settle(started);
    }

    /// Follows a write transaction to its end.
    fn settle(&self, started: Result<idb::Transaction, idb::Error>) {
        let txn = match started {
            Ok(txn) => txn,
            Err(e) => return leptos::logging::warn!("could not keep an edit in this browser: {e}"),
        };
        let writes = self.writes.clone();
        writes.start();
        spawn_local(async move {
            match txn.await {
                Ok(result) if result.is_committed() => {}
                Ok(_) => leptos::logging::warn!("keeping an edit in this browser was aborted"),
                Err(e) => leptos::logging::warn!("could not keep an edit in this browser: {e}"),
            }
            writes.done();
        });
    }
}
