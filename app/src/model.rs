//! What pages show about documents; shared by the server functions and the pages.

use tandem_sync::DocId;
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
    /// That time for people, in UTC (formatted by the server, so the browser
    /// needs no date library).
    pub updated: String,
}

#[cfg(feature = "ssr")]
impl DocSummary {
    /// The summary of document `id`, last changed at `updated_at` (Unix milliseconds).
    pub fn new(id: DocId, title: String, updated_at: i64) -> Self {
        DocSummary { id, title, updated_at, updated: format_time(updated_at) }
    }
}

/// A UTC date and time from Unix milliseconds.
#[cfg(feature = "ssr")]
fn format_time(ms: i64) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute] UTC");
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| t.format(format).ok())
        .unwrap_or_default()
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

#[cfg(all(test, feature = "ssr"))]
mod tests {
    #[test]
    fn formats_unix_milliseconds_as_utc() {
        assert_eq!(super::format_time(0), "1970-01-01 00:00 UTC");
        assert_eq!(super::format_time(1_795_000_000_000), "2026-11-18 11:06 UTC");
    }
}
