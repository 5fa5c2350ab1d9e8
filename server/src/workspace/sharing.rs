//! Sharing: a document's owner, what every member gets (workspace access),
//! members with roles of their own, and share links. Only the owner and
//! administrators change them; each change reaches open sockets at once.

use super::caller::{Caller, Credential, DocRights};
use super::notice::Notice;
use super::people::{self, People, blocking};
use super::{Listed, Workspace, WorkspaceError};
use crate::accounts::token;
use crate::store::{AccessRow, DocMeta, LinkInfo};
use serde::Serialize;
use std::collections::HashMap;
use tandem_sync::{DocId, Role};

/// Who may see a document, as its owner sees it.
#[derive(Debug, Clone, Serialize)]
pub struct AccessView {
    /// The owner's sign-in name.
    pub owner: String,
    /// What every member gets: `none`, `viewer` or `editor`.
    pub workspace: &'static str,
    /// Members with roles of their own.
    pub members: Vec<MemberRole>,
    /// Share links (without their tokens).
    pub links: Vec<LinkInfo>,
}

/// A member's own role on a document.
#[derive(Debug, Clone, Serialize)]
pub struct MemberRole {
    /// The sign-in name.
    pub username: String,
    /// Their role.
    pub role: Role,
}

/// A new share link: shown once with its token and path.
#[derive(Debug, Clone, Serialize)]
pub struct NewLink {
    /// The link's id.
    pub id: i64,
    /// What it lets its holder do.
    pub role: Role,
    /// The secret token, shown only now.
    pub token: String,
    /// The page it opens: `/s/{token}`.
    pub url: String,
    /// Unix milliseconds of its creation.
    pub created_at: i64,
}

/// Workspace access as the API spells it.
pub fn workspace_name(access: Option<Role>) -> &'static str {
    access.map_or("none", Role::as_str)
}

/// Workspace access from its API name (`none`, `viewer`, `editor`).
pub fn parse_workspace(name: &str) -> Result<Option<Role>, WorkspaceError> {
    match name {
        "none" => Ok(None),
        "viewer" => Ok(Some(Role::Viewer)),
        "editor" => Ok(Some(Role::Editor)),
        _ => Err(WorkspaceError::Invalid("workspace access is none, viewer or editor")),
    }
}

/// Everything the listing needs to know a member's role on each document.
pub struct Roles {
    access: HashMap<DocId, AccessRow>,
    own: HashMap<DocId, Role>,
    first_admin: Option<String>,
    default_workspace: Option<Role>,
}

impl Roles {
    /// The roles `caller` has (read in three queries, whatever the number of documents).
    pub async fn of(people: &People, caller: &Caller) -> Result<Roles, WorkspaceError> {
        let default_workspace = people.settings().default_workspace;
        if matches!(caller, Caller::Anonymous) {
            return Err(WorkspaceError::Unauthorized);
        }
        if matches!(caller, Caller::Open) {
            return Ok(Roles { access: HashMap::new(), own: HashMap::new(), first_admin: None, default_workspace });
        }
        let directory = people.directory().clone();
        let name = caller.member().map(|m| m.username.clone());
        blocking(move || {
            let access = directory.all_access()?.into_iter().collect();
            let own = match name {
                Some(name) => directory.roles_of(&name)?.into_iter().collect(),
                None => HashMap::new(),
            };
            Ok(Roles { access, own, first_admin: directory.first_admin()?, default_workspace })
        })
        .await
    }

    /// `meta` as `caller` sees it in a listing, if they may see it.
    pub fn listed(&self, caller: &Caller, meta: DocMeta) -> Option<Listed> {
        if matches!(caller, Caller::Open) {
            return Some(Listed { meta, role: Role::Owner, owner: String::new() });
        }
        let row = self.access.get(&meta.id).cloned();
        let rights = DocRights::from_row(row, self.first_admin.clone(), self.default_workspace, self.own.get(&meta.id).copied());
        let role = caller.role_on(&meta.id, &rights)?;
        Some(Listed { meta, role, owner: rights.owner.unwrap_or_default() })
    }
}

/// What decides a member's (or guest's) role on `id`.
pub async fn rights(people: &People, caller: &Caller, id: &DocId) -> Result<DocRights, WorkspaceError> {
    let name = caller.member().map(|m| m.username.clone());
    let facts = DocFacts::read(people, id, name.is_some()).await?;
    Ok(facts.rights_of(name.as_deref()))
}

/// A document's stored access, read once, from which every caller's
/// [`DocRights`] follow.
struct DocFacts {
    row: Option<AccessRow>,
    first_admin: Option<String>,
    default_workspace: Option<Role>,
    members: Vec<(String, Role)>,
}

impl DocFacts {
    /// Reads `id`'s access (and its members, if `with_members`).
    async fn read(people: &People, id: &DocId, with_members: bool) -> Result<DocFacts, WorkspaceError> {
        let (directory, key, default_workspace) = (people.directory().clone(), id.clone(), people.settings().default_workspace);
        blocking(move || {
            let row = directory.access(&key)?;
            let first_admin = if row.as_ref().is_some_and(|r| r.owner.is_some()) { None } else { directory.first_admin()? };
            let members = if with_members { directory.members(&key)? } else { Vec::new() };
            Ok(DocFacts { row, first_admin, default_workspace, members })
        })
        .await
    }

    /// The rights of the member named `name` (or of a guest: `None`).
    fn rights_of(&self, name: Option<&str>) -> DocRights {
        let own = name.and_then(|name| self.members.iter().find(|(m, _)| m.eq_ignore_ascii_case(name)).map(|(_, r)| *r));
        DocRights::from_row(self.row.clone(), self.first_admin.clone(), self.default_workspace, own)
    }
}

/// Records `owner` as the owner of the new document `id` (a no-op if someone claimed it first).
pub async fn claim(people: &People, owner: &str, id: &DocId) -> Result<(), WorkspaceError> {
    let row = AccessRow { owner: Some(owner.to_owned()), workspace: people.settings().default_workspace };
    let (directory, key) = (people.directory().clone(), id.clone());
    blocking(move || directory.claim(&key, &row)).await?;
    Ok(())
}

impl Workspace {
    /// The caller's role on `id` if it is the owner's; else 403 (or 404 if
    /// they may not see the document at all).
    async fn owned(&self, caller: &Caller, id: &DocId) -> Result<DocRights, WorkspaceError> {
        if self.role(caller, id).await? != Role::Owner {
            return Err(WorkspaceError::Forbidden("only the owner and administrators change who may see a document"));
        }
        if !self.exists(id).await? {
            return Err(WorkspaceError::NotFound);
        }
        rights(&self.people, caller, id).await
    }

    /// Who may see `id` (owner and administrators only).
    pub async fn access(&self, caller: &Caller, id: &DocId) -> Result<AccessView, WorkspaceError> {
        let rights = self.owned(caller, id).await?;
        let (directory, key) = (self.people.directory().clone(), id.clone());
        let (members, links) = blocking(move || Ok((directory.members(&key)?, directory.links(&key)?))).await?;
        Ok(AccessView {
            owner: rights.owner.unwrap_or_default(),
            workspace: workspace_name(rights.workspace),
            members: members.into_iter().map(|(username, role)| MemberRole { username, role }).collect(),
            links,
        })
    }

    /// Sets what every member gets on `id`.
    pub async fn set_workspace_access(&self, caller: &Caller, id: &DocId, access: Option<Role>) -> Result<(), WorkspaceError> {
        let rights = self.owned(caller, id).await?;
        let row = AccessRow { owner: rights.owner, workspace: access };
        let (directory, key) = (self.people.directory().clone(), id.clone());
        self.people.live().changed();
        blocking(move || directory.set_workspace(&key, &row)).await?;
        self.reconcile_everywhere(id).await
    }

    /// Gives `username` their own `role` on `id`.
    pub async fn set_member(&self, caller: &Caller, id: &DocId, username: &str, role: Role) -> Result<(), WorkspaceError> {
        self.owned(caller, id).await?;
        let (directory, key, name) = (self.people.directory().clone(), id.clone(), username.to_owned());
        self.people.live().changed();
        blocking(move || {
            let Some(user) = directory.user(&name)? else { return Ok(false) };
            directory.set_member(&key, &user.username, role)?;
            Ok(true)
        })
        .await?
        .then_some(())
        .ok_or(WorkspaceError::NoSuchUser)?;
        self.reconcile_everywhere(id).await
    }

    /// Takes `username`'s own role on `id` away.
    pub async fn remove_member(&self, caller: &Caller, id: &DocId, username: &str) -> Result<(), WorkspaceError> {
        self.owned(caller, id).await?;
        let (directory, key, name) = (self.people.directory().clone(), id.clone(), username.to_owned());
        self.people.live().changed();
        if !blocking(move || directory.remove_member(&key, &name)).await? {
            return Err(WorkspaceError::NoSuchUser);
        }
        self.reconcile_everywhere(id).await
    }

    /// Makes a share link to `id` with `role` (viewer or editor).
    pub async fn add_link(&self, caller: &Caller, id: &DocId, role: Role) -> Result<NewLink, WorkspaceError> {
        if role == Role::Owner {
            return Err(WorkspaceError::Invalid("a link's role is viewer or editor"));
        }
        self.owned(caller, id).await?;
        let secret = token::new_token();
        let (directory, key, hash) = (self.people.directory().clone(), id.clone(), token::hash(&secret));
        let link = blocking(move || directory.add_link(&hash, &key, role)).await?;
        let url = format!("/s/{secret}");
        Ok(NewLink { id: link.id, role, token: secret, url, created_at: link.created_at })
    }

    /// Revokes share link `link` of `id` and closes its sockets (4403).
    pub async fn delete_link(&self, caller: &Caller, id: &DocId, link: i64) -> Result<(), WorkspaceError> {
        self.owned(caller, id).await?;
        let (directory, key) = (self.people.directory().clone(), id.clone());
        self.people.live().changed();
        if !blocking(move || directory.delete_link(&key, link)).await? {
            return Err(WorkspaceError::NotFound);
        }
        self.people.live().revoke_link(link);
        Ok(())
    }

    /// The document a share link opens, with the link's role, and the guest it makes.
    pub async fn shared(&self, secret: &str) -> Result<(DocId, Caller), WorkspaceError> {
        let caller = self.people.caller(people::Presented { session: None, bearer: Some(secret.to_owned()) }).await?;
        match &caller {
            Caller::Guest { doc, .. } => Ok((doc.clone(), caller.clone())),
            _ => Err(WorkspaceError::NotFound),
        }
    }

    /// Checks again a connection admitted before a revocation or access
    /// change that it was registered too late to see: closes it if its
    /// credential is gone, else applies its role now.
    pub async fn recheck(&self, conn: crate::doc::queue::ConnId, caller: &Caller, id: &DocId) -> Result<(), WorkspaceError> {
        let (directory, who, key) = (self.people.directory().clone(), caller.clone(), id.clone());
        let valid = blocking(move || match &who {
            Caller::Member(m) => match &m.via {
                Credential::Session(hash) => Ok(directory.session_user(hash, people::now_ms())?.is_some()),
                Credential::Token(token) => Ok(directory.tokens(&m.username)?.iter().any(|t| t.id == *token)),
            },
            Caller::Guest { link, .. } => Ok(directory.links(&key)?.iter().any(|l| l.id == *link)),
            Caller::Open | Caller::Anonymous => Ok(true),
        })
        .await?;
        let live = self.people.live();
        match (valid, caller) {
            (false, Caller::Member(_)) => live.close(conn, tandem_sync::close::SIGNED_OUT, "signed out"),
            (false, _) => live.close(conn, tandem_sync::close::ACCESS_REMOVED, "access removed"),
            (true, _) => live.apply(conn, caller.role_on(id, &rights(&self.people, caller, id).await?)),
        }
        Ok(())
    }

    /// [`Self::reconcile`] here, and tells the other nodes to do the same.
    async fn reconcile_everywhere(&self, id: &DocId) -> Result<(), WorkspaceError> {
        self.people.live().tell(Notice::AccessChanged { doc: id.clone() });
        self.reconcile(id).await
    }

    /// Brings every open socket on `id` in line with the access now stored:
    /// closed (4403) without access, read-only or writable in place.
    /// The access is read once, whatever the number of sockets.
    pub(super) async fn reconcile(&self, id: &DocId) -> Result<(), WorkspaceError> {
        let callers = self.people.live().callers_of(id);
        if callers.is_empty() {
            return Ok(());
        }
        let facts = DocFacts::read(&self.people, id, true).await?;
        for (conn, caller) in callers {
            let rights = facts.rights_of(caller.member().map(|m| m.username.as_str()));
            self.people.live().apply(conn, caller.role_on(id, &rights));
        }
        Ok(())
    }
}

