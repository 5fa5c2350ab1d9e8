//! A document's history: its versions listed, read, compared, named and
//! restored (editors, owners and administrators; viewers get 403), and the
//! task that records automatic versions.

use super::people::blocking;
use super::{Caller, Workspace, WorkspaceError};
use super::retention::Retention;
use crate::store::{VersionKind, VersionMeta};
use serde::Serialize;
use std::time::Duration;
use tandem_sync::{DocId, Role, document, history};

/// When automatic versions are recorded, and how long the trash keeps documents.
#[derive(Debug, Clone, Copy)]
pub struct VersionTiming {
    /// After editing paused this long.
    pub idle: Duration,
    /// At most this long apart while editing goes on.
    pub interval: Duration,
    /// How long a deleted document stays in the trash.
    pub trash: Duration,
    /// How automatic versions are thinned out as they age.
    pub retention: Retention,
}

/// How often loaded documents are checked for a due automatic version.
const CHECK_EVERY: Duration = Duration::from_secs(1);
/// How often the trash is emptied of what outstayed its time (and once at start).
const SWEEP_EVERY: u32 = 600;

/// A version with the title and text it had.
#[derive(Debug, Clone, Serialize)]
pub struct VersionView {
    /// What the listing shows of it.
    #[serde(flatten)]
    pub meta: VersionMeta,
    /// The title it had.
    pub title: String,
    /// The text it had.
    pub text: String,
}

/// Which state a diff compares with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DiffTarget {
    /// Another version.
    Version(i64),
    /// The document as it is now.
    Current,
}

/// A stored state that does not rebuild: the store is damaged (an internal error).
pub(super) fn unreadable(e: document::ApplyError) -> WorkspaceError {
    WorkspaceError::Load(crate::doc::LoadError::Damaged(tandem_sync::doc_core::CoreError::BadUpdate(e.to_string())))
}

impl Workspace {
    /// The caller may use `id`'s history: an editor, owner or administrator.
    async fn history_allowed(&self, caller: &Caller, id: &DocId) -> Result<(), WorkspaceError> {
        if self.role(caller, id).await? < Role::Editor {
            return Err(WorkspaceError::Forbidden("only editors see a document's history"));
        }
        if !self.exists(id).await? {
            return Err(WorkspaceError::NotFound);
        }
        Ok(())
    }

    /// The versions of `id`, newest first.
    pub async fn versions(&self, caller: &Caller, id: &DocId) -> Result<Vec<VersionMeta>, WorkspaceError> {
        self.history_allowed(caller, id).await?;
        self.settled().await;
        let (store, key) = (self.rooms().store().clone(), id.clone());
        blocking(move || store.versions(&key)).await
    }

    /// Version `v` of `id` with the title and text it had.
    pub async fn version(&self, caller: &Caller, id: &DocId, v: i64) -> Result<VersionView, WorkspaceError> {
        self.history_allowed(caller, id).await?;
        self.read_version(id, v).await
    }

    async fn read_version(&self, id: &DocId, v: i64) -> Result<VersionView, WorkspaceError> {
        self.settled().await;
        let (store, key) = (self.rooms().store().clone(), id.clone());
        let (meta, chain) = blocking(move || store.version(&key, v)).await?.ok_or(WorkspaceError::NotFound)?;
        let doc = history::rebuild(chain.iter().map(Vec::as_slice)).map_err(unreadable)?;
        Ok(VersionView { meta, title: document::title(&doc), text: document::content(&doc) })
    }

    /// Names the current state of `id`: a version of kind `named`, once durable.
    pub async fn name_version(&self, caller: &Caller, id: &DocId, label: &str) -> Result<VersionMeta, WorkspaceError> {
        self.history_allowed(caller, id).await?;
        let label = label.trim();
        if label.is_empty() || label.chars().count() > 200 {
            return Err(WorkspaceError::Invalid("a version's label is 1 to 200 characters"));
        }
        let room = self.existing(id).await?;
        self.writable()?;
        let seq = room.record_version(VersionKind::Named, Some(label.to_owned())).ok_or(WorkspaceError::Closed)?;
        self.durable(seq).await?;
        self.read_version(id, seq as i64).await.map(|v| v.meta)
    }

    /// A unified diff of version `v`'s text against `to`'s.
    pub async fn diff(&self, caller: &Caller, id: &DocId, v: i64, to: DiffTarget) -> Result<String, WorkspaceError> {
        self.history_allowed(caller, id).await?;
        let from = self.read_version(id, v).await?;
        let (name, text) = match to {
            DiffTarget::Version(w) => (format!("version {w}"), self.read_version(id, w).await?.text),
            DiffTarget::Current => ("current".to_owned(), self.text(caller, id).await?),
        };
        Ok(history::unified(&from.text, &text, &format!("version {v}"), &name))
    }

    /// Brings `id` back to version `v` with the smallest edit, made like any
    /// other: the state it replaces is recorded first, then the restored one
    /// (kind `restore`), whose id is returned once it is durable.
    pub async fn restore_version(&self, caller: &Caller, id: &DocId, v: i64) -> Result<i64, WorkspaceError> {
        self.history_allowed(caller, id).await?;
        let target = self.read_version(id, v).await?;
        let room = self.existing(id).await?;
        room.record_version(VersionKind::Auto, None);
        self.rewrite(caller, &room, &target.title, &target.text, VersionKind::Restore).await
    }

    /// Turns `room`'s title and text into `title` and `text` with the
    /// smallest edit, made like any other, then records a version of `kind`;
    /// its id once durable.
    pub(super) async fn rewrite(
        &self,
        caller: &Caller,
        room: &crate::doc::Room,
        title: &str,
        text: &str,
        kind: VersionKind,
    ) -> Result<i64, WorkspaceError> {
        self.writable()?;
        // The edit is made on a copy of the document, then applied to it like
        // an update from a client: stored, relayed, with its author.
        let replica = history::rebuild([room.read(|core| core.encode_state()).as_slice()]).map_err(unreadable)?;
        if let Some(update) = history::restore(&replica, title, text) {
            room.apply_update(&update, caller.author())?;
        }
        let seq = room.record_version(kind, None).ok_or(WorkspaceError::Closed)?;
        self.durable(seq).await?;
        Ok(seq as i64)
    }

    /// Thins out every document's aged automatic versions (see [`retention`](super::retention)).
    pub async fn thin_versions(&self, retention: Retention) -> Result<usize, WorkspaceError> {
        let store = self.rooms().store().clone();
        let now = super::people::now_ms();
        let thinned = blocking(move || {
            let mut count = 0;
            for doc in store.versioned_docs()? {
                let ids = super::retention::to_thin(&store.versions(&doc)?, now, retention);
                count += ids.len();
                if !ids.is_empty() {
                    store.thin_versions(&doc, ids);
                }
            }
            Ok(count)
        })
        .await?;
        self.settled().await;
        Ok(thinned)
    }

    /// Records automatic versions of loaded documents as they fall due, and
    /// empties the trash of what outstayed `timing.trash`, until shutdown.
    pub fn start_versions(&self, timing: VersionTiming) {
        let (rooms, shutdown, workspace) = (self.rooms().clone(), self.shutdown.clone(), self.clone());
        self.tasks.spawn(async move {
            let mut ticks = tokio::time::interval(CHECK_EVERY);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            for tick in 0u32.. {
                tokio::select! {
                    _ = ticks.tick() => {}
                    () = shutdown.cancelled() => return,
                }
                if tick % SWEEP_EVERY == 0 {
                    if let Err(e) = workspace.empty_trash_older_than(timing.trash).await {
                        tracing::warn!(error = %e, "the trash could not be emptied");
                    }
                    if let Err(e) = workspace.thin_versions(timing.retention).await {
                        tracing::warn!(error = %e, "old versions could not be thinned");
                    }
                }
                let now = std::time::Instant::now();
                for room in rooms.loaded() {
                    if room.version_due(now, timing.idle, timing.interval) {
                        room.record_version(VersionKind::Auto, None);
                    }
                }
            }
        });
    }
}
