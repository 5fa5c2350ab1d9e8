//! Workspace-level document operations shared by the HTTP API and the pages.

use crate::rooms::{LoadError, Rooms};
use crate::store::{self, DocMeta, StoreError};
use tandem_sync::DocId;
use rand::distr::{Alphanumeric, SampleString};
use std::collections::HashMap;
use std::sync::Arc;
use yrs::{Text, Transact};

/// Length of generated document ids: 62^12 ≈ 3·10^21 possibilities.
const NEW_ID_LEN: usize = 12;

/// Why a workspace operation failed.
#[derive(Debug, thiserror::Error)]
pub enum DocsError {
    /// Reading the store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A document could not be loaded.
    #[error(transparent)]
    Load(#[from] LoadError),
    /// A blocking task failed.
    #[error("task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
    /// The store closed before the change was durable (shutdown).
    #[error("the store is closed")]
    Closed,
}

/// Every document, most recently edited first; titles of open documents are live.
pub async fn list(rooms: &Arc<Rooms>) -> Result<Vec<DocMeta>, DocsError> {
    let store = rooms.store().clone();
    let mut docs = tokio::task::spawn_blocking(move || store.list()).await??;
    let live: HashMap<DocId, String> = rooms
        .loaded()
        .into_iter()
        .map(|room| (room.id().clone(), room.read(|core| tandem_sync::document::title(core.doc()))))
        .collect();
    for doc in &mut docs {
        if let Some(title) = live.get(&doc.id) {
            doc.title.clone_from(title);
        }
    }
    Ok(docs)
}

/// Creates a document with `title` and returns its id once it is durable.
pub async fn create(rooms: &Arc<Rooms>, title: &str) -> Result<DocId, DocsError> {
    let id = new_id();
    let room = rooms.acquire(&id).await?;
    let seq = if title.is_empty() {
        room.store().create(&id)
    } else {
        room.apply_update(&title_update(title)).map_err(LoadError::Damaged)?
    };
    if !store::wait_durable(&**room.store(), seq).await {
        return Err(DocsError::Closed);
    }
    rooms.listing().changed();
    Ok(id)
}

fn new_id() -> DocId {
    let raw = Alphanumeric.sample_string(&mut rand::rng(), NEW_ID_LEN);
    DocId::parse(&raw).unwrap_or_else(|_| unreachable!("alphanumeric ids are valid"))
}

/// A v1 update that sets the title of an empty document.
fn title_update(title: &str) -> Vec<u8> {
    let doc = tandem_sync::document::new_doc();
    let text = doc.get_or_insert_text(tandem_sync::document::TITLE);
    let mut txn = doc.transact_mut();
    text.insert(&mut txn, 0, title);
    txn.encode_update_v1()
}
