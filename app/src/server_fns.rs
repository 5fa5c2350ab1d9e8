//! Server functions: the pages' calls into the server.
// The `#[server]` macro generates an argument struct per function, without docs.
#![allow(missing_docs)]

use tandem_sync::DocId;
use crate::model::{DocSnapshot, DocSummary};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
fn workspace() -> Result<crate::backend::SharedPageData, ServerFnError> {
    use_context::<crate::backend::SharedPageData>().ok_or_else(|| ServerFnError::new("workspace unavailable"))
}

/// Every document, most recently edited first.
#[server(prefix = "/_fn")]
pub async fn list_docs() -> Result<Vec<DocSummary>, ServerFnError> {
    workspace()?.list().await.map_err(ServerFnError::new)
}

/// Creates an empty document and returns its id.
#[server(prefix = "/_fn")]
pub async fn create_doc() -> Result<DocId, ServerFnError> {
    workspace()?.create().await.map_err(ServerFnError::new)
}

/// The current title and text of a document.
#[server(prefix = "/_fn")]
pub async fn open_doc(id: DocId) -> Result<DocSnapshot, ServerFnError> {
    workspace()?.snapshot(id).await.map_err(ServerFnError::new)
}
