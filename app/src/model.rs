//! What pages show about documents; shared by the server functions and the pages.

use crate::DocId;
use serde::{Deserialize, Serialize};

/// A document in the workspace list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocSummary {
    /// The document id.
    pub id: DocId,
    /// Its title; empty if it has none.
    pub title: String,
    /// Unix time in milliseconds of its last stored change.
    pub updated_at: i64,
}

/// A document's text for the first, server-rendered paint of the editor.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocSnapshot {
    /// The title.
    pub title: String,
    /// The body (the `content` text).
    pub text: String,
}

/// The title to show for `title`: "Untitled" when it is blank.
pub fn display_title(title: &str) -> &str {
    if title.trim().is_empty() { "Untitled" } else { title }
}
