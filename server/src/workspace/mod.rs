//! The workspace: the one service every route and page goes through to list,
//! create, read and change documents. The HTTP API, the pages' server
//! functions and the WebSocket endpoint call it and nothing below it, so that
//! whatever must be checked for every use of a document (permissions,
//! history) has one place to live.
//!
//! `ids` makes new document ids.

mod ids;

use crate::doc::{LoadError, RoomGuard, Rooms};
use crate::store::{self, DocMeta, Headline, StoreError};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tandem_sync::doc_core::CoreError;
use tandem_sync::{DocId, document};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// How long a document loaded to render its page stays loaded: the page's
/// WebSocket connects a moment later and finds it in memory instead of
/// loading it from the store a second time. Past it (a page view with no
/// editor, a bot) the document is flushed and unloaded as usual.
const PAGE_LINGER: Duration = Duration::from_secs(15);

/// Why a workspace operation failed.
#[derive(Debug, thiserror::Error)]
pub enum WorkspaceError {
    /// No such document.
    #[error("no such document")]
    NotFound,
    /// The update does not decode or apply, or would make the document too large.
    #[error(transparent)]
    Update(#[from] CoreError),
    /// Reading the store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A document could not be loaded.
    #[error(transparent)]
    Load(LoadError),
    /// A blocking task failed.
    #[error("task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
    /// The server is shutting down: the store closed before the change was durable.
    #[error("the server is shutting down")]
    Closed,
}

impl From<LoadError> for WorkspaceError {
    fn from(e: LoadError) -> Self {
        match e {
            LoadError::Closed => WorkspaceError::Closed,
            other => WorkspaceError::Load(other),
        }
    }
}

/// A document's title and body as they are now.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Snapshot {
    /// The title text.
    pub title: String,
    /// The body text.
    pub text: String,
}

/// The workspace service; cheap to clone.
#[derive(Clone)]
pub struct Workspace {
    /// The loaded documents (and, through them, the store).
    rooms: Arc<Rooms>,
    /// Holds documents loaded for a page until its WebSocket arrives; waited
    /// for at shutdown, like connections.
    tasks: TaskTracker,
    /// Cancelled at shutdown: lingering documents are released at once.
    shutdown: CancellationToken,
}

impl Workspace {
    /// The workspace over `rooms`; lingering tasks run on `tasks` until `shutdown`.
    pub fn new(rooms: Arc<Rooms>, tasks: TaskTracker, shutdown: CancellationToken) -> Self {
        Workspace { rooms, tasks, shutdown }
    }

    /// The loaded documents (for metrics and tests).
    pub fn rooms(&self) -> &Arc<Rooms> {
        &self.rooms
    }

    /// Every document, most recently edited first; titles and excerpts of open documents are live.
    pub async fn list(&self) -> Result<Vec<DocMeta>, WorkspaceError> {
        let store = self.rooms.store().clone();
        let mut docs = tokio::task::spawn_blocking(move || store.list()).await??;
        let mut live: HashMap<DocId, Headline> = self
            .rooms
            .loaded()
            .into_iter()
            .map(|room| (room.id().clone(), room.read(|core| Headline::of(core.doc()))))
            .collect();
        for doc in &mut docs {
            if let Some(Headline { title, excerpt }) = live.remove(&doc.id) {
                (doc.title, doc.excerpt) = (title, excerpt);
            }
        }
        Ok(docs)
    }

    /// Creates a document with `title` and returns its id once it is durable.
    pub async fn create(&self, title: &str) -> Result<DocId, WorkspaceError> {
        let id = ids::new_id();
        let room = self.rooms.acquire(&id).await?;
        let seq = if title.is_empty() {
            room.store().create(&id)
        } else {
            room.apply_update(&document::fresh_update(document::TITLE, title)).map_err(LoadError::Damaged)?
        };
        if !store::wait_durable(&**room.store(), seq).await {
            return Err(WorkspaceError::Closed);
        }
        self.rooms.listing().changed();
        Ok(id)
    }

    /// One document's listing entry, with its live title.
    pub async fn meta(&self, id: &DocId) -> Result<DocMeta, WorkspaceError> {
        let room = self.existing(id).await?;
        let (store, key) = (self.rooms.store().clone(), id.clone());
        let stored = tokio::task::spawn_blocking(move || store.meta(&key)).await??;
        let Headline { title, excerpt } = room.read(|core| Headline::of(core.doc()));
        // A document opened but never edited is not stored yet: nothing stored, never updated.
        let meta = stored.unwrap_or(DocMeta {
            id: id.clone(),
            title: String::new(),
            excerpt: String::new(),
            updated_at: 0,
            size: 0,
        });
        Ok(DocMeta { title, excerpt, ..meta })
    }

    /// The plain text of a document's body.
    pub async fn text(&self, id: &DocId) -> Result<String, WorkspaceError> {
        Ok(self.existing(id).await?.read(|core| document::content(core.doc())))
    }

    /// The whole document as one v1 update.
    pub async fn state(&self, id: &DocId) -> Result<Vec<u8>, WorkspaceError> {
        Ok(self.existing(id).await?.read(|core| core.encode_state()))
    }

    /// The title and body a page renders before its editor connects (empty
    /// for a document that does not exist yet). The document stays loaded for
    /// a few seconds (`PAGE_LINGER`), so the page's WebSocket does not load it again.
    pub async fn snapshot(&self, id: &DocId) -> Result<Snapshot, WorkspaceError> {
        let Some(room) = self.rooms.acquire_existing(id).await? else { return Ok(Snapshot::default()) };
        let snapshot =
            room.read(|core| Snapshot { title: document::title(core.doc()), text: document::content(core.doc()) });
        self.linger(room);
        Ok(snapshot)
    }

    /// Applies a v1 update to a document (created if new); returns once it is durable.
    /// Connected clients receive it.
    pub async fn apply(&self, id: &DocId, update: &[u8]) -> Result<(), WorkspaceError> {
        let room = self.rooms.acquire(id).await?;
        let seq = room.apply_update(update)?;
        if !store::wait_durable(&**room.store(), seq).await {
            return Err(WorkspaceError::Closed);
        }
        Ok(())
    }

    /// Opens a document (created if new) for a live connection; it stays
    /// loaded while the guard lives.
    pub async fn open(&self, id: &DocId) -> Result<RoomGuard, LoadError> {
        self.rooms.acquire(id).await
    }

    /// Changes to the listing: the value changes whenever a document appears
    /// or is renamed (a slow listener sees one change, never a backlog).
    pub fn changes(&self) -> watch::Receiver<u64> {
        self.rooms.listing().subscribe()
    }

    /// Waits until every change announced so far is readable from the store;
    /// `false` once the store is closed.
    pub async fn settled(&self) -> bool {
        store::settle(&**self.rooms.store()).await
    }

    async fn existing(&self, id: &DocId) -> Result<RoomGuard, WorkspaceError> {
        self.rooms.acquire_existing(id).await?.ok_or(WorkspaceError::NotFound)
    }

    /// Keeps `room` loaded for [`PAGE_LINGER`], or until shutdown.
    fn linger(&self, room: RoomGuard) {
        let shutdown = self.shutdown.clone();
        self.tasks.spawn(async move {
            tokio::select! {
                () = tokio::time::sleep(PAGE_LINGER) => {}
                () = shutdown.cancelled() => {}
            }
            drop(room);
        });
    }
}
