//! What pages show about documents; shared by the server functions and the pages.

use tandem_sync::DocId;
pub use tandem_sync::Role;
use serde::{Deserialize, Serialize};

/// A document in the workspace list.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct DocSummary {
    /// The document id.
    pub id: DocId,
    /// Its title; empty if it has none.
    pub title: String,
    /// The first line of its body with text; the list shows it when there is no title.
    pub excerpt: String,
    /// Unix time in milliseconds of its last stored change.
    pub updated_at: i64,
    /// That time for people, in UTC, as the server renders the first paint
    /// (the browser then shows it in the reader's time zone).
    pub updated: String,
    /// That time in ISO 8601, for `<time datetime>`.
    pub updated_iso: String,
    /// What the reader may do with it.
    pub role: Role,
    /// The sign-in name of its owner (empty in open mode).
    pub owner: String,
}

#[cfg(feature = "ssr")]
impl DocSummary {
    /// The summary of document `id` with `title` and body `excerpt`, last
    /// changed at `updated_at` (Unix milliseconds).
    /// The reader has the owner's rights until [`DocSummary::with_access`] says otherwise.
    pub fn new(id: DocId, title: String, excerpt: String, updated_at: i64) -> Self {
        let updated = format_time(updated_at, UTC_FOR_PEOPLE);
        let updated_iso = format_time(updated_at, ISO_8601);
        DocSummary { id, title, excerpt, updated_at, updated, updated_iso, role: Role::Owner, owner: String::new() }
    }

    /// The same summary for a reader with `role` on a document `owner` owns.
    pub fn with_access(self, role: Role, owner: String) -> Self {
        DocSummary { role, owner, ..self }
    }
}

impl DocSummary {
    /// What the list calls the document: its title, else its first line, else "Untitled".
    pub fn name(&self) -> &str {
        if self.title.trim().is_empty() && !self.excerpt.is_empty() { &self.excerpt } else { display_title(&self.title) }
    }
}

#[cfg(feature = "ssr")]
type TimeFormat = &'static [time::format_description::BorrowedFormatItem<'static>];
#[cfg(feature = "ssr")]
const UTC_FOR_PEOPLE: TimeFormat = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute] UTC");
#[cfg(feature = "ssr")]
const ISO_8601: TimeFormat = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");

/// Unix milliseconds in UTC, in `format`.
#[cfg(feature = "ssr")]
fn format_time(ms: i64, format: TimeFormat) -> String {
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
    /// What the reader may do with the document.
    pub role: Role,
}

/// The signed-in person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Me {
    /// Their sign-in name.
    pub username: String,
    /// Whether they administer the workspace (members, invites, every document).
    pub admin: bool,
}

/// Who is looking at a page.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageSession {
    /// The server runs in open mode: no accounts, everyone may do everything.
    pub open: bool,
    /// The signed-in person, if any (never in open mode).
    pub me: Option<Me>,
    /// The server has no account yet: the first administrator is made with
    /// the setup link in the server's log.
    #[serde(default)]
    pub needs_setup: bool,
}

/// A document opened through a share link (`/s/{token}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SharedDoc {
    /// The document the link opens.
    pub id: DocId,
    /// Its text and the link's role.
    pub snapshot: DocSnapshot,
}

/// The error text of a page call for a document the caller may not see (or
/// that does not exist): pages show "Not found".
pub const NOT_FOUND: &str = "not found";
/// The error text of a page call made without a valid sign-in: pages go to `/signin`.
pub const SIGN_IN: &str = "sign in required";

/// The title to show for `title`: "Untitled" when it is blank.
pub fn display_title(title: &str) -> &str {
    if title.trim().is_empty() { "Untitled" } else { title }
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::{DocSummary, ISO_8601, UTC_FOR_PEOPLE, format_time};

    #[test]
    fn formats_unix_milliseconds_as_utc() {
        assert_eq!(format_time(0, UTC_FOR_PEOPLE), "1970-01-01 00:00 UTC");
        assert_eq!(format_time(1_795_000_000_000, UTC_FOR_PEOPLE), "2026-11-18 11:06 UTC");
        assert_eq!(format_time(1_795_000_000_000, ISO_8601), "2026-11-18T11:06:40Z");
    }

    #[test]
    fn a_document_is_named_by_its_title_else_its_first_line() {
        let doc = |title: &str, excerpt: &str| {
            DocSummary::new(tandem_sync::DocId::parse("d").unwrap(), title.into(), excerpt.into(), 0)
        };
        assert_eq!(doc("Plan", "first line").name(), "Plan");
        assert_eq!(doc(" ", "first line").name(), "first line");
        assert_eq!(doc("", "").name(), "Untitled");
    }
}
