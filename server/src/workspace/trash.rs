//! The trash: a deleted document leaves every list and answers 404, its open
//! sockets are closed with 4404; its owner (or an administrator) brings it
//! back with its versions and access, or deletes it for good — every row and
//! byte of it leaves the store. What stays longer than the configured days
//! is deleted for good.

use super::notice::Notice;
use super::people::{blocking, now_ms};
use super::sharing::rights;
use super::{Caller, Workspace, WorkspaceError};
use crate::store;
use serde::Serialize;
use std::time::Duration;
use tandem_sync::{DocId, Role, close};

/// A document in the trash, as its list shows it.
#[derive(Debug, Clone, Serialize)]
pub struct TrashEntry {
    /// The document id.
    pub id: DocId,
    /// Its title when it was deleted.
    pub title: String,
    /// Unix milliseconds of its deletion.
    pub deleted_at: i64,
    /// Who deleted it.
    pub deleted_by: String,
}

impl Workspace {
    /// Moves `id` to the trash (its owner or an administrator) and closes its sockets with 4404.
    pub async fn delete(&self, caller: &Caller, id: &DocId) -> Result<(), WorkspaceError> {
        if self.role(caller, id).await? != Role::Owner {
            return Err(WorkspaceError::Forbidden("only the owner and administrators delete a document"));
        }
        let (directory, key, by) = (self.people().directory().clone(), id.clone(), caller.author().to_string());
        blocking(move || directory.trash(&key, &by, now_ms())).await?;
        if let Some(room) = self.rooms().get_loaded(id) {
            // Stored as it is now (its title for the trash, a last version), then
            // closed; it stays usable, for a restore from the trash.
            room.flush();
            room.close_all(close::DELETED, "document deleted");
        }
        self.people().live().tell(Notice::Deleted { doc: id.clone() });
        self.settled().await;
        self.rooms().listing().changed();
        Ok(())
    }

    /// The documents in the trash the caller may bring back: their own (all, for administrators).
    pub async fn trash(&self, caller: &Caller) -> Result<Vec<TrashEntry>, WorkspaceError> {
        self.trash_caller(caller)?;
        let (directory, store) = (self.people().directory().clone(), self.rooms().store().clone());
        let all = blocking(move || {
            let trashed = directory.trashed()?;
            trashed
                .into_iter()
                .map(|t| Ok((store.meta(&t.doc)?.map(|m| m.title).unwrap_or_default(), t)))
                .collect::<Result<Vec<_>, store::StoreError>>()
        })
        .await?;
        let mut mine = Vec::new();
        for (title, t) in all {
            if self.owns_trashed(caller, &t.doc).await? {
                mine.push(TrashEntry { id: t.doc, title, deleted_at: t.deleted_at, deleted_by: t.deleted_by });
            }
        }
        Ok(mine)
    }

    /// Brings `id` back from the trash, with its versions and access.
    pub async fn untrash(&self, caller: &Caller, id: &DocId) -> Result<(), WorkspaceError> {
        self.trash_caller(caller)?;
        if !self.owns_trashed(caller, id).await? {
            return Err(WorkspaceError::NotFound);
        }
        let (directory, key) = (self.people().directory().clone(), id.clone());
        if !blocking(move || directory.untrash(&key)).await? {
            return Err(WorkspaceError::NotFound);
        }
        self.rooms().listing().changed();
        Ok(())
    }

    /// Deletes `id` for good: every row of it leaves the store; answers once that is durable.
    pub async fn delete_forever(&self, caller: &Caller, id: &DocId) -> Result<(), WorkspaceError> {
        self.trash_caller(caller)?;
        if !self.owns_trashed(caller, id).await? {
            return Err(WorkspaceError::NotFound);
        }
        self.purge(id).await
    }

    /// Deletes for good what has been in the trash longer than `keep`.
    pub async fn empty_trash_older_than(&self, keep: Duration) -> Result<usize, WorkspaceError> {
        let directory = self.people().directory().clone();
        let cutoff = now_ms().saturating_sub(keep.as_millis() as i64);
        let old: Vec<DocId> = blocking(move || Ok(directory.trashed()?.into_iter().filter(|t| t.deleted_at <= cutoff).map(|t| t.doc).collect())).await?;
        for id in &old {
            self.purge(id).await?;
        }
        Ok(old.len())
    }

    /// Closes `id`'s sockets on this node (4404) and has its room take
    /// nothing more: the document is being deleted for good.
    pub(super) fn retire_here(&self, id: &DocId) {
        if let Some(room) = self.rooms().get_loaded(id) {
            room.retire(close::DELETED, "document deleted");
        }
    }

    async fn purge(&self, id: &DocId) -> Result<(), WorkspaceError> {
        self.retire_here(id);
        self.people().live().tell(Notice::Purged { doc: id.clone() });
        let seq = self.rooms().store().purge(id);
        self.durable(seq).await?;
        tracing::info!(doc = %id, "document deleted for good");
        Ok(())
    }

    /// Members (and everyone in open mode) have a trash; guests and strangers do not.
    fn trash_caller(&self, caller: &Caller) -> Result<(), WorkspaceError> {
        match caller {
            Caller::Anonymous => Err(WorkspaceError::Unauthorized),
            Caller::Guest { .. } => Err(WorkspaceError::Forbidden("only members have a trash")),
            Caller::Open | Caller::Member(_) => Ok(()),
        }
    }

    /// Whether `id` is in the trash and the caller owns it (or is an administrator, or in open mode).
    async fn owns_trashed(&self, caller: &Caller, id: &DocId) -> Result<bool, WorkspaceError> {
        let (directory, key) = (self.people().directory().clone(), id.clone());
        if !blocking(move || directory.is_trashed(&key)).await? {
            return Ok(false);
        }
        if matches!(caller, Caller::Open) {
            return Ok(true);
        }
        Ok(caller.role_on(id, &rights(self.people(), caller, id).await?) == Some(Role::Owner))
    }
}
