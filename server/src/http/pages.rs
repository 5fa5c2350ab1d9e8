//! The pages' server functions ([`app::backend::PageData`]), served by the
//! workspace service for the person whose request it is.

use crate::http::auth::presented;
use crate::workspace::{Caller, Workspace, WorkspaceError};
use app::backend::{BoxFuture, PageData};
use app::model::{DocSnapshot, DocSummary, Me, NOT_FOUND, PageSession, SIGN_IN, SharedDoc};
use axum::http::HeaderMap;
use tandem_sync::DocId;

/// Serves the pages' server functions.
pub struct PagesBackend {
    /// The documents.
    pub workspace: Workspace,
}

/// The message pages may show for `e`; internal causes are logged, not shown.
fn public(e: WorkspaceError) -> String {
    match e {
        WorkspaceError::NotFound => NOT_FOUND.to_owned(),
        WorkspaceError::Unauthorized => SIGN_IN.to_owned(),
        WorkspaceError::Forbidden(message) | WorkspaceError::Invalid(message) => message.to_owned(),
        full @ (WorkspaceError::TooManyDocuments | WorkspaceError::StoreFull) => full.to_string(),
        other => {
            tracing::error!(error = %other, "page data failed");
            "internal error".to_owned()
        }
    }
}

impl PagesBackend {
    async fn caller(&self, headers: &HeaderMap) -> Result<Caller, String> {
        self.workspace.people().caller(presented(headers, None)).await.map_err(public)
    }
}

impl PageData for PagesBackend {
    fn session(&self, headers: HeaderMap) -> BoxFuture<'_, Result<PageSession, String>> {
        Box::pin(async move {
            let open = self.workspace.people().settings().open;
            let me = match self.caller(&headers).await? {
                Caller::Member(m) => Some(Me { username: m.username, admin: m.admin }),
                _ => None,
            };
            let needs_setup = self.workspace.people().setup_pending();
            Ok(PageSession { open, me, needs_setup })
        })
    }

    fn list(&self, headers: HeaderMap) -> BoxFuture<'_, Result<Vec<DocSummary>, String>> {
        Box::pin(async move {
            let caller = self.caller(&headers).await?;
            let docs = self.workspace.list(&caller).await.map_err(public)?;
            let summary = |d: crate::workspace::Listed| {
                DocSummary::new(d.meta.id, d.meta.title, d.meta.excerpt, d.meta.updated_at).with_access(d.role, d.owner)
            };
            Ok(docs.into_iter().map(summary).collect())
        })
    }

    fn create(&self, headers: HeaderMap) -> BoxFuture<'_, Result<DocId, String>> {
        Box::pin(async move {
            let caller = self.caller(&headers).await?;
            self.workspace.create(&caller, "").await.map_err(public)
        })
    }

    fn snapshot(&self, headers: HeaderMap, id: DocId) -> BoxFuture<'_, Result<DocSnapshot, String>> {
        Box::pin(async move {
            let caller = self.caller(&headers).await?;
            let snapshot = self.workspace.snapshot(&caller, &id).await.map_err(public)?;
            Ok(DocSnapshot { title: snapshot.title, text: snapshot.text, role: snapshot.role })
        })
    }

    fn shared(&self, _headers: HeaderMap, token: String) -> BoxFuture<'_, Result<SharedDoc, String>> {
        Box::pin(async move {
            let (id, guest) = self.workspace.shared(&token).await.map_err(public)?;
            let snapshot = self.workspace.snapshot(&guest, &id).await.map_err(public)?;
            Ok(SharedDoc { id, snapshot: DocSnapshot { title: snapshot.title, text: snapshot.text, role: snapshot.role } })
        })
    }
}
