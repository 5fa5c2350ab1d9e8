//! The server's side of the pages' data, as a trait the server implements
//! (the app crate cannot depend on the server crate).

use tandem_sync::DocId;
use crate::model::{DocSnapshot, DocSummary, PageSession, SharedDoc};
use http::HeaderMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

/// A boxed future, so the trait is object safe.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The workspace operations the pages need, each for the person whose
/// request carries `headers` (their session cookie). Errors are already safe
/// to show; [`crate::model::NOT_FOUND`] and [`crate::model::SIGN_IN`] have
/// their own meaning.
pub trait PageData: Send + Sync + 'static {
    /// Who is asking, and whether the server runs in open mode.
    fn session(&self, headers: HeaderMap) -> BoxFuture<'_, Result<PageSession, String>>;
    /// Every document the caller may see, most recently edited first.
    fn list(&self, headers: HeaderMap) -> BoxFuture<'_, Result<Vec<DocSummary>, String>>;
    /// Creates an empty document owned by the caller and returns its id once it is stored.
    fn create(&self, headers: HeaderMap) -> BoxFuture<'_, Result<DocId, String>>;
    /// The current title and text of a document (empty if it does not exist
    /// yet) and the caller's role on it.
    fn snapshot(&self, headers: HeaderMap, id: DocId) -> BoxFuture<'_, Result<DocSnapshot, String>>;
    /// The document a share link opens, with the link's role.
    fn shared(&self, headers: HeaderMap, token: String) -> BoxFuture<'_, Result<SharedDoc, String>>;
}

/// How the server provides its [`PageData`] to the pages (as Leptos context).
pub type SharedPageData = Arc<dyn PageData>;
