//! Server functions: the pages' calls into the server.
// The `#[server]` macro generates an argument struct per function, without docs.
#![allow(missing_docs)]

use tandem_sync::DocId;
use crate::model::{DocSnapshot, DocSummary, PageSession, SharedDoc};
use leptos::prelude::*;

/// The server's page data and the headers of the request being answered.
#[cfg(feature = "ssr")]
fn workspace() -> Result<(crate::backend::SharedPageData, http::HeaderMap), ServerFnError> {
    let data = use_context::<crate::backend::SharedPageData>().ok_or_else(|| ServerFnError::new("workspace unavailable"))?;
    let headers = use_context::<http::request::Parts>().map(|parts| parts.headers).unwrap_or_default();
    Ok((data, headers))
}

/// Who is looking, and whether the server runs in open mode.
#[server(prefix = "/_fn")]
pub async fn current_session() -> Result<PageSession, ServerFnError> {
    let (data, headers) = workspace()?;
    data.session(headers).await.map_err(ServerFnError::new)
}

/// Every document the caller may see, most recently edited first.
#[server(prefix = "/_fn")]
pub async fn list_docs() -> Result<Vec<DocSummary>, ServerFnError> {
    let (data, headers) = workspace()?;
    data.list(headers).await.map_err(ServerFnError::new)
}

/// Creates an empty document and returns its id.
#[server(prefix = "/_fn")]
pub async fn create_doc() -> Result<DocId, ServerFnError> {
    let (data, headers) = workspace()?;
    data.create(headers).await.map_err(ServerFnError::new)
}

/// The current title and text of a document, and the caller's role on it.
#[server(prefix = "/_fn")]
pub async fn open_doc(id: DocId) -> Result<DocSnapshot, ServerFnError> {
    let (data, headers) = workspace()?;
    data.snapshot(headers, id).await.map_err(ServerFnError::new)
}

/// The document a share link opens, with the link's role.
#[server(prefix = "/_fn")]
pub async fn open_shared(token: String) -> Result<SharedDoc, ServerFnError> {
    let (data, headers) = workspace()?;
    data.shared(headers, token).await.map_err(ServerFnError::new)
}
