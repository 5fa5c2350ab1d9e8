//! The registry of loaded rooms: each document is loaded once, shared by
//! everyone who uses it, and flushed and unloaded when the last user leaves.

use tandem_sync::doc_core::{CoreError, DocCore, DocLimits};
use crate::metrics::Metrics;
use crate::doc::room::{Reporting, Room, Stored};
use crate::doc::usage::StoreUsage;
use crate::store::{self, Store, StoreError};
use tandem_sync::DocId;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::{OnceCell, watch};

/// Why a document could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The store failed to read it.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A stored update does not apply: the stored document is damaged.
    #[error("stored document is damaged: {0}")]
    Damaged(#[from] CoreError),
    /// The store closed (the server is shutting down).
    #[error("the store is closed")]
    Closed,
    /// The loading task failed.
    #[error("loading task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
}

/// A document's place in the registry.
struct Slot {
    /// Filled once by the first user; later users wait for the same load.
    room: Arc<OnceCell<Arc<Room>>>,
    /// Users holding a [`RoomGuard`] or waiting for the load.
    users: usize,
}

/// Announces changes to the workspace listing (a document appeared or was
/// renamed). A `watch` channel: a slow listener sees only that something
/// changed since it last looked, never a backlog.
/// In the clustered mode a change here is also told to the other nodes.
#[derive(Clone)]
pub struct Listing(Arc<watch::Sender<u64>>, Arc<std::sync::OnceLock<crate::doc::Relay>>);

impl Listing {
    /// Records a change made on this node (and tells the other nodes).
    pub fn changed(&self) {
        self.changed_here();
        if let Some(relay) = self.relay() {
            relay.listing();
        }
    }

    /// The other nodes, in the clustered mode (set once, at start, for the
    /// listing and every room loaded after).
    fn relay(&self) -> Option<&crate::doc::Relay> {
        self.1.get()
    }

    /// Records a change another node made.
    pub fn changed_here(&self) {
        self.0.send_modify(|version| *version += 1);
    }

    /// A receiver that wakes on every later change.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.0.subscribe()
    }
}

/// Every loaded room.
pub struct Rooms {
    store: Arc<dyn Store>,
    listing: Listing,
    /// The server's metrics, shared with every room and connection.
    metrics: Arc<Metrics>,
    /// What every document accepts.
    limits: DocLimits,
    /// The store's content size against `--max-store-bytes`, shared with every room.
    usage: Arc<StoreUsage>,
    /// std mutex: held for map lookups and counter updates only; loading,
    /// flushing and every `.await` happen outside it.
    slots: Mutex<HashMap<DocId, Slot>>,
}

/// A room in use. While any guard for it lives the room stays loaded; when the
/// last one drops, the room is flushed to storage and unloaded.
pub struct RoomGuard {
    _lease: Lease,
    room: Arc<Room>,
}

impl RoomGuard {
    /// The room itself, for what must reach it without keeping it loaded.
    pub fn room(&self) -> &Arc<Room> {
        &self.room
    }
}

impl std::ops::Deref for RoomGuard {
    type Target = Room;
    fn deref(&self) -> &Room {
        &self.room
    }
}

/// One counted use of a slot, released on drop, including when a load fails
/// or the waiting task is cancelled (so no slot is ever left behind).
struct Lease {
    rooms: Arc<Rooms>,
    id: DocId,
}

impl Drop for Lease {
    fn drop(&mut self) {
        self.rooms.release(&self.id);
    }
}

impl Rooms {
    /// An empty registry over `store`, with metrics of its own.
    pub fn new(store: Arc<dyn Store>) -> Arc<Self> {
        Self::with_metrics(store, Arc::default())
    }

    /// An empty registry over `store` whose rooms and connections record into `metrics`.
    pub fn with_metrics(store: Arc<dyn Store>, metrics: Arc<Metrics>) -> Arc<Self> {
        Self::configured(store, metrics, DocLimits::default())
    }

    /// An empty registry whose documents enforce `limits`.
    pub fn configured(store: Arc<dyn Store>, metrics: Arc<Metrics>, limits: DocLimits) -> Arc<Self> {
        let listing = Listing(Arc::new(watch::channel(0).0), Arc::default());
        Arc::new(Rooms { store, listing, metrics, limits, usage: Arc::default(), slots: Mutex::new(HashMap::new()) })
    }

    /// Joins the other nodes (clustered mode): the rooms loaded from now on
    /// relay through `relay`. Set once; later calls change nothing.
    pub fn set_relay(&self, relay: crate::doc::Relay) {
        let _ = self.listing.1.set(relay);
    }

    /// Reads every loaded document from the store again, in the background,
    /// and gives their connections what they lack (clustered mode: what
    /// other nodes committed while this one may have missed it).
    pub fn catch_up_all(&self) {
        for room in self.loaded() {
            tokio::spawn(Self::catch_up(self.store.clone(), room));
        }
    }

    /// Reads `room`'s document from `store` and gives its connections what they lack.
    async fn catch_up(store: Arc<dyn Store>, room: Arc<Room>) {
        let id = room.id().clone();
        let read = tokio::task::spawn_blocking(move || store.load(&id)).await;
        match read.map_err(|e| e.to_string()).and_then(|loaded| loaded.map_err(|e| e.to_string())) {
            Ok(Some(stored)) => room.catch_up(&stored.updates),
            Ok(None) => {}
            Err(error) => tracing::warn!(doc = %room.id(), %error, "could not read the document to catch up"),
        }
    }

    /// The room of `id` if it is loaded now (not waiting for its load).
    pub fn get_loaded(&self, id: &DocId) -> Option<Arc<Room>> {
        self.slots().get(id).and_then(|slot| slot.room.get().cloned())
    }

    /// The metrics rooms and connections record into.
    pub fn metrics(&self) -> &Arc<Metrics> {
        &self.metrics
    }

    /// Changes to the workspace listing.
    pub fn listing(&self) -> &Listing {
        &self.listing
    }

    /// The store's content size, against its limit.
    pub fn usage(&self) -> &Arc<StoreUsage> {
        &self.usage
    }

    /// The store behind the rooms.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    fn slots(&self) -> std::sync::MutexGuard<'_, HashMap<DocId, Slot>> {
        self.slots.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The room of `id`, loading it (or creating an empty document) if needed.
    pub async fn acquire(self: &Arc<Self>, id: &DocId) -> Result<RoomGuard, LoadError> {
        let cell = {
            let mut slots = self.slots();
            let slot = slots
                .entry(id.clone())
                .or_insert_with(|| Slot { room: Arc::new(OnceCell::new()), users: 0 });
            slot.users += 1;
            slot.room.clone()
        };
        let lease = Lease { rooms: self.clone(), id: id.clone() };
        let room = cell.get_or_try_init(|| self.load(id)).await.inspect_err(|e| {
            if !matches!(e, LoadError::Closed) {
                self.metrics.document_load_failures.inc();
            }
        })?;
        let room = room.clone();
        if room.take_catch_up() {
            // Registered now: what other nodes commit from here on reaches it
            // relayed; what they committed since it was read, this reads.
            tokio::spawn(Self::catch_up(self.store.clone(), room.clone()));
        }
        Ok(RoomGuard { _lease: lease, room })
    }

    /// The room of `id` if it is loaded or stored; `None` for a document that does not exist.
    pub async fn acquire_existing(self: &Arc<Self>, id: &DocId) -> Result<Option<RoomGuard>, LoadError> {
        if !self.is_loaded(id) && self.stored_meta(id).await?.is_none() {
            return Ok(None);
        }
        self.acquire(id).await.map(Some)
    }

    /// Whether the room of `id` is loaded now.
    pub fn is_loaded(&self, id: &DocId) -> bool {
        self.slots().get(id).is_some_and(|s| s.room.initialized())
    }

    /// Documents loaded or being loaded.
    pub fn len(&self) -> usize {
        self.slots().len()
    }

    /// Whether no document is loaded or being loaded.
    pub fn is_empty(&self) -> bool {
        self.slots().is_empty()
    }

    /// Every loaded room.
    pub fn loaded(&self) -> Vec<Arc<Room>> {
        self.slots().values().filter_map(|s| s.room.get().cloned()).collect()
    }

    async fn stored_meta(&self, id: &DocId) -> Result<Option<store::DocMeta>, LoadError> {
        let (store, id) = (self.store.clone(), id.clone());
        Ok(tokio::task::spawn_blocking(move || store.meta(&id)).await??)
    }

    async fn load(&self, id: &DocId) -> Result<Arc<Room>, LoadError> {
        // Earlier writes for this document (a room that just unloaded) must be
        // readable before we read; after this nothing else writes it. Other
        // documents' writes are not waited for: while commits fail, documents
        // with nothing queued still load.
        if !store::settle_doc(&*self.store, id).await {
            return Err(LoadError::Closed);
        }
        let last_seq = self.store.last_queued();
        let (store, doc, limits) = (self.store.clone(), id.clone(), self.limits);
        let (core, stored) = tokio::task::spawn_blocking(move || -> Result<_, LoadError> {
            let loaded = store.load(&doc)?;
            let exists = loaded.is_some();
            let loaded = loaded.unwrap_or_default();
            let core = DocCore::from_updates(loaded.updates.iter().map(Vec::as_slice))?.with_limits(limits);
            let chain = store.chain_end(&doc)?;
            Ok((core, Stored { last_seq, log_len: loaded.log_len, log_bytes: loaded.log_bytes, exists, chain }))
        })
        .await??;
        self.metrics.document_loads.inc();
        tracing::debug!(doc = %id, "room loaded");
        let relay = self.listing.relay().cloned();
        let reporting = Reporting { listing: self.listing.clone(), metrics: self.metrics.clone(), usage: self.usage.clone(), relay };
        Ok(Arc::new(Room::new(id.clone(), self.store.clone(), core, stored, reporting)))
    }

    fn release(&self, id: &DocId) {
        let unloaded = {
            let mut slots = self.slots();
            let Some(slot) = slots.get_mut(id) else { return };
            slot.users -= 1;
            if slot.users > 0 {
                return;
            }
            slots.remove(id).and_then(|slot| slot.room.get().cloned())
        };
        if let Some(room) = unloaded {
            room.flush();
            tracing::debug!(doc = %id, "room unloaded");
        }
    }
}
