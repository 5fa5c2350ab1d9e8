//! The pages' server functions ([`app::backend::PageData`]), served by the
//! workspace service.

use crate::workspace::Workspace;
use app::backend::{BoxFuture, PageData};
use app::model::{DocSnapshot, DocSummary, PageSession, Role, SharedDoc, NOT_FOUND};
use axum::http::HeaderMap;
use tandem_sync::DocId;

/// Serves the pages' server functions.
pub struct PagesBackend {
    /// The documents.
    pub workspace: Workspace,
}

/// Logs `e` and returns the message pages may show.
fn public(e: impl std::fmt::Display) -> String {
    tracing::error!(error = %e, "page data failed");
    "internal error".to_owned()
}

impl PageData for PagesBackend {
    fn session(&self, _headers: HeaderMap) -> BoxFuture<'_, Result<PageSession, String>> {
        Box::pin(async move { Ok(PageSession { open: true, me: None }) })
    }

    fn list(&self, _headers: HeaderMap) -> BoxFuture<'_, Result<Vec<DocSummary>, String>> {
        Box::pin(async move {
            let docs = self.workspace.list().await.map_err(public)?;
            Ok(docs.into_iter().map(|d| DocSummary::new(d.id, d.title, d.excerpt, d.updated_at)).collect())
        })
    }

    fn create(&self, _headers: HeaderMap) -> BoxFuture<'_, Result<DocId, String>> {
        Box::pin(async move { self.workspace.create("").await.map_err(public) })
    }

    fn snapshot(&self, _headers: HeaderMap, id: DocId) -> BoxFuture<'_, Result<DocSnapshot, String>> {
        Box::pin(async move {
            let snapshot = self.workspace.snapshot(&id).await.map_err(public)?;
            Ok(DocSnapshot { title: snapshot.title, text: snapshot.text, role: Role::Owner })
        })
    }

    fn shared(&self, _headers: HeaderMap, _token: String) -> BoxFuture<'_, Result<SharedDoc, String>> {
        Box::pin(async move { Err(NOT_FOUND.to_owned()) })
    }
}
