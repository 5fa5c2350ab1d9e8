//! What one account and the whole store may hold: documents per owner
//! (`--max-docs-per-user`), bytes of content in the store
//! (`--max-store-bytes`), and the length of a title.

use super::{Workspace, WorkspaceError, people};

/// Longest document title accepted when a document is created or imported
/// with a title, in characters; a longer one gets 400. (A title typed in the
/// editor is bounded by `--max-doc-bytes` only.)
pub const MAX_TITLE_CHARS: usize = 200;

/// Limits on what accounts and the store hold; 0 is no limit.
#[derive(Debug, Clone, Copy, Default)]
pub struct Quotas {
    /// Most documents one account may own, trashed ones included (not
    /// applied in open mode, which has no accounts).
    pub max_docs_per_user: u64,
}

/// Refuses a title longer than [`MAX_TITLE_CHARS`].
pub fn check_title(title: &str) -> Result<(), WorkspaceError> {
    if title.chars().count() > MAX_TITLE_CHARS {
        return Err(WorkspaceError::Invalid("a title has at most 200 characters"));
    }
    Ok(())
}

impl Workspace {
    /// Refuses to store `bytes` more if that would take the store past
    /// `--max-store-bytes`, measuring the store first: the running estimate
    /// only grows, and compaction or deletion may have made room.
    pub(crate) async fn ensure_room(&self, bytes: u64) -> Result<(), WorkspaceError> {
        let usage = self.rooms.usage().clone();
        if !usage.would_exceed(bytes) {
            return Ok(());
        }
        let store = self.rooms.store().clone();
        let measured = usage.clone();
        people::blocking(move || measured.measure(&*store)).await?;
        if usage.would_exceed(bytes) {
            self.rooms.metrics().limit_exceeded("store_bytes");
            return Err(WorkspaceError::StoreFull);
        }
        Ok(())
    }

    /// Refuses a new document to `username` if they own `--max-docs-per-user` already.
    pub(crate) async fn check_owned(&self, username: &str) -> Result<(), WorkspaceError> {
        let max = self.quotas.max_docs_per_user;
        if max == 0 {
            return Ok(());
        }
        let (directory, name) = (self.people.directory().clone(), username.to_owned());
        let owned = people::blocking(move || {
            let rows = directory.all_access()?;
            Ok(rows.iter().filter(|(_, row)| row.owner.as_deref() == Some(name.as_str())).count() as u64)
        })
        .await?;
        if owned >= max {
            self.rooms.metrics().limit_exceeded("docs_per_user");
            return Err(WorkspaceError::TooManyDocuments);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_title_of_200_characters_passes_and_one_more_does_not() {
        assert!(check_title(&"é".repeat(200)).is_ok());
        assert!(check_title(&"é".repeat(201)).is_err());
    }
}
