//! The server's side of the pages' data, as a trait the server implements
//! (the app crate cannot depend on the server crate).

use tandem_sync::DocId;
use crate::model::{DocSnapshot, DocSummary};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

/// A boxed future, so the trait is object safe.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The workspace operations the pages need; errors are already safe to show.
pub trait PageData: Send + Sync + 'static {
    /// Every document, most recently edited first.
    fn list(&self) -> BoxFuture<'_, Result<Vec<DocSummary>, String>>;
    /// Creates an empty document and returns its id once it is stored.
    fn create(&self) -> BoxFuture<'_, Result<DocId, String>>;
    /// The current title and text of a document (empty if it does not exist yet).
    fn snapshot(&self, id: DocId) -> BoxFuture<'_, Result<DocSnapshot, String>>;
}

/// How the server provides its [`PageData`] to the pages (as Leptos context).
pub type SharedPageData = Arc<dyn PageData>;
