//! The pages' view of the workspace ([`app::backend::Workspace`]), over the rooms.

use crate::docs;
use crate::rooms::Rooms;
use tandem_sync::DocId;
use app::backend::{BoxFuture, Workspace};
use app::model::{DocSnapshot, DocSummary};
use std::sync::Arc;

/// Serves the pages' server functions.
pub struct PagesBackend {
    /// The loaded documents.
    pub rooms: Arc<Rooms>,
}

/// Logs `e` and returns the message pages may show.
fn public(e: impl std::fmt::Display) -> String {
    tracing::error!(error = %e, "page data failed");
    "internal error".to_owned()
}

impl Workspace for PagesBackend {
    fn list(&self) -> BoxFuture<'_, Result<Vec<DocSummary>, String>> {
        Box::pin(async move {
            let docs = docs::list(&self.rooms).await.map_err(public)?;
            Ok(docs
                .into_iter()
                .map(|d| DocSummary::new(d.id, d.title, d.updated_at))
                .collect())
        })
    }

    fn create(&self) -> BoxFuture<'_, Result<DocId, String>> {
        Box::pin(async move { docs::create(&self.rooms, "").await.map_err(public) })
    }

    fn snapshot(&self, id: DocId) -> BoxFuture<'_, Result<DocSnapshot, String>> {
        Box::pin(async move {
            let room = self.rooms.acquire_existing(&id).await.map_err(public)?;
            Ok(room.map_or_else(DocSnapshot::default, |room| {
                room.read(|core| DocSnapshot {
                    title: tandem_sync::document::title(core.doc()),
                    text: tandem_sync::document::content(core.doc()),
                })
            }))
        })
    }
}
