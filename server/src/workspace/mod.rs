//! The workspace: the one service every route and page goes through to list,
//! create, read and change documents. The HTTP API, the pages' server
//! functions and the WebSocket endpoint call it and nothing below it, so that
//! whatever must be checked for every use of a document (permissions,
//! history) has one place to live.
//!
//! - `ids`: new document ids.
//! - [`caller`]: who is asking and the rules for their role on a document (pure).
//! - [`people`]: first start, sign-in, sessions, API tokens, members, invites.
//! - [`sharing`]: a document's owner, workspace access, members and share links.
//! - [`live`]: the open connections revocation reaches.
//! - [`notice`]: what reaches the other nodes' connections (clustered mode).
//! - [`quotas`]: documents per owner, the store's size, title length.
//! - [`retention`]: which automatic versions are thinned out as they age.
//! - [`trash`]: deleting a document, the trash, deleting for good.
//! - [`transfer`]: export as Markdown or HTML; import of Markdown.
//! - [`attachments`]: images attached to a document.
//! - [`history`]: versions — listed, read, compared, named, restored — and
//!   the task that records automatic ones.
//!
//! Every operation takes the [`Caller`]. A document the caller may not see is
//! [`WorkspaceError::NotFound`], exactly like one that does not exist.

pub mod attachments;
pub mod caller;
pub mod history;
mod ids;
pub mod live;
pub mod notice;
pub mod people;
pub mod quotas;
pub mod retention;
pub mod sharing;
pub mod transfer;
pub mod trash;

pub use caller::{Caller, Credential, DocRights, Member};
pub use people::{AccessSettings, Directory, People, Presented};

use crate::accounts::AccountError;
use crate::doc::{LoadError, RoomGuard, Rooms};
use crate::store::{self, DocMeta, Headline, StoreError};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tandem_sync::doc_core::CoreError;
use tandem_sync::{DocId, Role, document};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// How long a document loaded to render its page stays loaded: the page's
/// WebSocket connects a moment later and finds it in memory instead of
/// loading it from the store a second time. Past it (a page view with no
/// editor, a bot) the document is flushed and unloaded as usual.
const PAGE_LINGER: Duration = Duration::from_secs(15);

/// Why a workspace operation failed.
#[derive(Debug, thiserror::Error)]
pub enum WorkspaceError {
    /// No such document.
    #[error("no such document")]
    NotFound,
    /// The update does not decode or apply, or would make the document too large.
    #[error(transparent)]
    Update(#[from] CoreError),
    /// Reading the store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A document could not be loaded.
    #[error(transparent)]
    Load(LoadError),
    /// A blocking task failed.
    #[error("task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
    /// The server is shutting down: the store closed before the change was durable.
    #[error("the server is shutting down")]
    Closed,
    /// The store takes no writes now (its commits failing, its queue full, or
    /// its writer stopped); nothing was changed.
    #[error("{}", .0.problem().unwrap_or("the server is busy storing earlier edits; try again shortly"))]
    NotStoring(store::Intake),
    /// No valid credentials (accounts mode).
    #[error("sign in, or send an API token")]
    Unauthorized,
    /// A wrong name or password (which of the two is not told).
    #[error("wrong user name or password")]
    InvalidCredentials,
    /// Too many failed sign-ins for this name lately.
    #[error("too many failed sign-ins for this name; try again in 15 minutes")]
    TooManyAttempts,
    /// The caller may see the document (or is signed in) but may not do this.
    #[error("{0}")]
    Forbidden(&'static str),
    /// A request that breaks a rule (its message says which).
    #[error("{0}")]
    Invalid(&'static str),
    /// A name or password that breaks the account rules.
    #[error(transparent)]
    Account(#[from] AccountError),
    /// No account by that name.
    #[error("no such user")]
    NoSuchUser,
    /// The invite is unknown, used or expired.
    #[error("this invite link was used already or has expired")]
    InviteInvalid,
    /// The setup token is wrong.
    #[error("the setup link is not valid; use the one in the server's log")]
    BadSetupToken,
    /// The caller owns as many documents as one account may (`--max-docs-per-user`).
    #[error("you own as many documents as one account may; delete some for good first")]
    TooManyDocuments,
    /// The store holds as much as it may (`--max-store-bytes`).
    #[error("the server's storage is full; nothing more can be stored until space is freed")]
    StoreFull,
    /// An attachment that is not a PNG, JPEG, GIF or WebP image (by its bytes).
    #[error("an attachment is a PNG, JPEG, GIF or WebP image; SVG and other files are not accepted")]
    UnsupportedImage,
}

impl From<LoadError> for WorkspaceError {
    fn from(e: LoadError) -> Self {
        match e {
            LoadError::Closed => WorkspaceError::Closed,
            other => WorkspaceError::Load(other),
        }
    }
}

/// A document's title and body as they are now.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Snapshot {
    /// The title text.
    pub title: String,
    /// The body text.
    pub text: String,
    /// What the caller may do with it.
    pub role: Role,
}

/// A document in a listing, with the caller's role and its owner.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Listed {
    /// What the store knows about it, with live titles.
    #[serde(flatten)]
    pub meta: DocMeta,
    /// What the caller may do with it.
    pub role: Role,
    /// Its owner's sign-in name (empty in open mode, or when it has none).
    pub owner: String,
}

/// The workspace service; cheap to clone.
#[derive(Clone)]
pub struct Workspace {
    /// The loaded documents (and, through them, the store).
    rooms: Arc<Rooms>,
    /// Holds documents loaded for a page until its WebSocket arrives; waited
    /// for at shutdown, like connections.
    tasks: TaskTracker,
    /// Cancelled at shutdown: lingering documents are released at once.
    shutdown: CancellationToken,
    /// Who may do what.
    people: Arc<People>,
    /// What one account may own.
    quotas: quotas::Quotas,
}

impl Workspace {
    /// The workspace over `rooms` with `people`; lingering tasks run on `tasks` until `shutdown`.
    pub fn new(rooms: Arc<Rooms>, people: Arc<People>, tasks: TaskTracker, shutdown: CancellationToken) -> Self {
        Workspace { rooms, tasks, shutdown, people, quotas: quotas::Quotas::default() }
    }

    /// This workspace enforcing `quotas`.
    pub fn with_quotas(self, quotas: quotas::Quotas) -> Self {
        Workspace { quotas, ..self }
    }

    /// People, their credentials, and the settings that decide access.
    pub fn people(&self) -> &Arc<People> {
        &self.people
    }

    /// The loaded documents (for metrics and tests).
    pub fn rooms(&self) -> &Arc<Rooms> {
        &self.rooms
    }

    /// Every document the caller may see, most recently edited first, with
    /// their role; titles and excerpts of open documents are live.
    pub async fn list(&self, caller: &Caller) -> Result<Vec<Listed>, WorkspaceError> {
        let roles = sharing::Roles::of(&self.people, caller).await?;
        let (store, directory) = (self.rooms.store().clone(), self.people.directory().clone());
        let (mut docs, trashed) = people::blocking(move || {
            let trashed: std::collections::HashSet<DocId> = directory.trashed()?.into_iter().map(|t| t.doc).collect();
            Ok((store.list()?, trashed))
        })
        .await?;
        docs.retain(|doc| !trashed.contains(&doc.id));
        let mut live: HashMap<DocId, Headline> = self
            .rooms
            .loaded()
            .into_iter()
            .map(|room| (room.id().clone(), room.read(|core| Headline::of(core.doc()))))
            .collect();
        for doc in &mut docs {
            if let Some(Headline { title, excerpt }) = live.remove(&doc.id) {
                (doc.title, doc.excerpt) = (title, excerpt);
            }
        }
        Ok(docs.into_iter().filter_map(|meta| roles.listed(caller, meta)).collect())
    }

    /// Creates a document with `title`, owned by the caller, and returns its id once it is durable.
    pub async fn create(&self, caller: &Caller, title: &str) -> Result<DocId, WorkspaceError> {
        quotas::check_title(title).inspect_err(|_| self.rooms.metrics().limit_exceeded("title_chars"))?;
        self.writable()?;
        // Who may not create anything learns that, not whether the store is full.
        if caller.may_create() {
            self.ensure_room(title.len() as u64).await?;
        }
        let id = ids::new_id();
        self.claim(caller, &id).await?;
        let room = self.rooms.acquire(&id).await?;
        let seq = if title.is_empty() {
            room.store().create(&id)
        } else {
            room.apply_update(&document::fresh_update(document::TITLE, title), caller.author()).map_err(LoadError::Damaged)?
        };
        self.durable(seq).await?;
        self.rooms.listing().changed();
        Ok(id)
    }

    /// One document's listing entry, with its live title and the caller's role.
    pub async fn meta(&self, caller: &Caller, id: &DocId) -> Result<Listed, WorkspaceError> {
        let (role, owner) = self.role_and_owner(caller, id).await?;
        let room = self.existing(id).await?;
        let (store, key) = (self.rooms.store().clone(), id.clone());
        let stored = tokio::task::spawn_blocking(move || store.meta(&key)).await??;
        let Headline { title, excerpt } = room.read(|core| Headline::of(core.doc()));
        // A document opened but never edited is not stored yet: nothing stored, never updated.
        let meta = stored.unwrap_or(DocMeta {
            id: id.clone(),
            title: String::new(),
            excerpt: String::new(),
            updated_at: 0,
            size: 0,
        });
        Ok(Listed { meta: DocMeta { title, excerpt, ..meta }, role, owner: owner.unwrap_or_default() })
    }

    /// The plain text of a document's body.
    pub async fn text(&self, caller: &Caller, id: &DocId) -> Result<String, WorkspaceError> {
        self.role(caller, id).await?;
        Ok(self.existing(id).await?.read(|core| document::content(core.doc())))
    }

    /// The whole document as one v1 update.
    pub async fn state(&self, caller: &Caller, id: &DocId) -> Result<Vec<u8>, WorkspaceError> {
        self.role(caller, id).await?;
        Ok(self.existing(id).await?.read(|core| core.encode_state()))
    }

    /// The title and body a page renders before its editor connects (empty
    /// for a document that does not exist yet). The document stays loaded for
    /// a few seconds (`PAGE_LINGER`), so the page's WebSocket does not load it again.
    pub async fn snapshot(&self, caller: &Caller, id: &DocId) -> Result<Snapshot, WorkspaceError> {
        // A new document becomes its creator's when their editor connects.
        let creating = caller.may_create() && !matches!(caller, Caller::Open) && !self.exists(id).await?;
        let role = if creating { Role::Owner } else { self.role(caller, id).await? };
        let Some(room) = self.rooms.acquire_existing(id).await? else { return Ok(Snapshot { role, ..Snapshot::default() }) };
        let snapshot =
            room.read(|core| Snapshot { title: document::title(core.doc()), text: document::content(core.doc()), role });
        self.linger(room);
        Ok(snapshot)
    }

    /// Applies a v1 update to a document (created if new, for those who may
    /// create); returns once it is durable. Connected clients receive it.
    pub async fn apply(&self, caller: &Caller, id: &DocId, update: &[u8]) -> Result<(), WorkspaceError> {
        if !self.role_or_claim(caller, id).await?.can_edit() {
            return Err(WorkspaceError::Forbidden("you may only read this document"));
        }
        self.writable()?;
        self.ensure_room(update.len() as u64).await?;
        let room = self.rooms.acquire(id).await?;
        let seq = room.apply_update(update, caller.author())?;
        self.durable(seq).await
    }

    /// `Err` if the store takes no new writes now: a change is refused before
    /// it is made, never made in memory and then dropped.
    pub(crate) fn writable(&self) -> Result<(), WorkspaceError> {
        let intake = *self.rooms.store().intake().borrow();
        if intake.takes_writes() {
            return Ok(());
        }
        self.rooms.metrics().store_refused.inc();
        Err(WorkspaceError::NotStoring(intake))
    }

    /// Waits until `seq` is durable; `Closed` if the store stops or the server
    /// shuts down first (so that shutdown never waits for a failing disk).
    pub(crate) async fn durable(&self, seq: store::Seq) -> Result<(), WorkspaceError> {
        tokio::select! {
            durable = store::wait_durable(&**self.rooms.store(), seq) => match durable {
                true => Ok(()),
                false if self.shutdown.is_cancelled() => Err(WorkspaceError::Closed),
                false => Err(WorkspaceError::NotStoring(store::Intake::Stopped)),
            },
            () = self.shutdown.cancelled() => Err(WorkspaceError::Closed),
        }
    }

    /// The caller's role on a document they may open on a live connection:
    /// an existing one they may see, or a new one they may create (it becomes theirs).
    pub async fn admit(&self, caller: &Caller, id: &DocId) -> Result<Role, WorkspaceError> {
        self.role_or_claim(caller, id).await
    }

    /// Opens a document (created if new) for a live connection; it stays
    /// loaded while the guard lives. Admit the caller first ([`Workspace::admit`]).
    pub async fn open(&self, id: &DocId) -> Result<RoomGuard, LoadError> {
        self.rooms.acquire(id).await
    }

    /// The caller's role on `id`; `NotFound` if they may not see it,
    /// `Unauthorized` without credentials.
    pub async fn role(&self, caller: &Caller, id: &DocId) -> Result<Role, WorkspaceError> {
        Ok(self.role_and_owner(caller, id).await?.0)
    }

    /// The caller's role on `id` and the document's owner.
    async fn role_and_owner(&self, caller: &Caller, id: &DocId) -> Result<(Role, Option<String>), WorkspaceError> {
        if matches!(caller, Caller::Anonymous) {
            return Err(WorkspaceError::Unauthorized);
        }
        let (directory, key) = (self.people.directory().clone(), id.clone());
        if people::blocking(move || directory.is_trashed(&key)).await? {
            return Err(WorkspaceError::NotFound);
        }
        if matches!(caller, Caller::Open) {
            return Ok((Role::Owner, None));
        }
        let rights = sharing::rights(&self.people, caller, id).await?;
        let role = caller.role_on(id, &rights).ok_or(WorkspaceError::NotFound)?;
        Ok((role, rights.owner))
    }

    /// The caller's role on an existing document; on a new one, for a caller
    /// who may create documents, the owner's (and it is recorded as theirs).
    async fn role_or_claim(&self, caller: &Caller, id: &DocId) -> Result<Role, WorkspaceError> {
        if matches!(caller, Caller::Open) || self.exists(id).await? {
            return self.role(caller, id).await;
        }
        self.claim(caller, id).await?;
        self.role(caller, id).await
    }

    /// Records the caller as the owner of the new document `id`, with the
    /// default workspace access (nothing to record in open mode).
    async fn claim(&self, caller: &Caller, id: &DocId) -> Result<(), WorkspaceError> {
        match caller {
            Caller::Open => Ok(()),
            Caller::Anonymous => Err(WorkspaceError::Unauthorized),
            Caller::Guest { .. } => Err(WorkspaceError::Forbidden("only members create documents")),
            Caller::Member(member) => {
                self.check_owned(&member.username).await?;
                sharing::claim(&self.people, &member.username, id).await
            }
        }
    }

    /// Whether `id` exists: loaded, stored, or claimed by its creator.
    pub(crate) async fn exists(&self, id: &DocId) -> Result<bool, WorkspaceError> {
        if self.rooms.is_loaded(id) {
            return Ok(true);
        }
        let (store, directory, key) = (self.rooms.store().clone(), self.people.directory().clone(), id.clone());
        people::blocking(move || Ok(directory.access(&key)?.is_some() || store.meta(&key)?.is_some())).await
    }

    /// Changes to the listing: the value changes whenever a document appears
    /// or is renamed (a slow listener sees one change, never a backlog).
    pub fn changes(&self) -> watch::Receiver<u64> {
        self.rooms.listing().subscribe()
    }

    /// Waits until every change announced so far is readable from the store;
    /// `false` once the store is closed.
    pub async fn settled(&self) -> bool {
        store::settle(&**self.rooms.store()).await
    }

    pub(crate) async fn existing(&self, id: &DocId) -> Result<RoomGuard, WorkspaceError> {
        self.rooms.acquire_existing(id).await?.ok_or(WorkspaceError::NotFound)
    }

    /// Keeps `room` loaded for [`PAGE_LINGER`], or until shutdown.
    fn linger(&self, room: RoomGuard) {
        let shutdown = self.shutdown.clone();
        self.tasks.spawn(async move {
            tokio::select! {
                () = tokio::time::sleep(PAGE_LINGER) => {}
                () = shutdown.cancelled() => {}
            }
            drop(room);
        });
    }
}
