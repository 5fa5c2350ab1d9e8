//! What the store keeps about people and about who may see each document.
//! Each call is one synchronous transaction (these writes are rare and must
//! report their outcome): call from a blocking context. Tokens are handed in
//! and looked up only as their SHA-256 hash ([`TokenHash`]).

use super::StoreError;
use tandem_sync::{DocId, Role};

/// The SHA-256 hash of a session, API, invite or link token.
pub type TokenHash = [u8; 32];

/// An account to store; the password only as its hash.
#[derive(Debug, Clone)]
pub struct NewUser {
    /// The sign-in name (unique, compared without regard to case).
    pub username: String,
    /// The password's Argon2id hash in PHC string form.
    pub password_hash: String,
    /// Whether the account administers the workspace.
    pub admin: bool,
}

/// An account as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredUser {
    /// The sign-in name as it was created.
    pub username: String,
    /// The password's Argon2id hash in PHC string form.
    pub password_hash: String,
    /// Whether the account administers the workspace.
    pub admin: bool,
}

/// An account as the members list shows it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct UserInfo {
    /// The sign-in name.
    pub username: String,
    /// Whether the account administers the workspace.
    pub admin: bool,
    /// Unix milliseconds of its creation.
    pub created_at: i64,
}

/// An API token as its owner's list shows it (never the token itself).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TokenInfo {
    /// The token's id.
    pub id: i64,
    /// The name its owner gave it.
    pub name: String,
    /// Unix milliseconds of its creation.
    pub created_at: i64,
}

/// An open invite (never the token itself).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct InviteInfo {
    /// The invite's id.
    pub id: i64,
    /// Whether the account it creates administers the workspace.
    pub admin: bool,
    /// Unix milliseconds of its creation.
    pub created_at: i64,
    /// Unix milliseconds after which it no longer works.
    pub expires_at: i64,
}

/// A share link (never the token itself).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LinkInfo {
    /// The link's id.
    pub id: i64,
    /// What the link lets its holder do.
    pub role: Role,
    /// Unix milliseconds of its creation.
    pub created_at: i64,
}

/// A document's stored access: its owner and what every member gets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessRow {
    /// The owner's sign-in name; `None` once that account was deleted.
    pub owner: Option<String>,
    /// What every signed-in member may do (`None`: nothing).
    pub workspace: Option<Role>,
}

/// A document in the trash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trashed {
    /// The document.
    pub doc: DocId,
    /// Unix milliseconds of its deletion.
    pub deleted_at: i64,
    /// Who deleted it.
    pub deleted_by: String,
}

/// People, their sessions, API tokens and invites.
pub trait Accounts: Send + Sync + 'static {
    /// Stores a new account; [`StoreError::NameTaken`] if the name is in use.
    fn add_user(&self, user: &NewUser) -> Result<(), StoreError>;
    /// Stores the first account, only if there is none yet; `false` if there was one.
    fn add_first_user(&self, user: &NewUser) -> Result<bool, StoreError>;
    /// The account named `username` (without regard to case), if any.
    fn user(&self, username: &str) -> Result<Option<StoredUser>, StoreError>;
    /// Every account, by name.
    fn users(&self) -> Result<Vec<UserInfo>, StoreError>;
    /// How many accounts exist.
    fn user_count(&self) -> Result<u64, StoreError>;
    /// The oldest administrator's name: the owner of documents without one.
    fn first_admin(&self) -> Result<Option<String>, StoreError>;
    /// Deletes an account with its sessions, API tokens and memberships;
    /// `false` if there was none.
    fn delete_user(&self, username: &str) -> Result<bool, StoreError>;
    /// Replaces an account's password hash; `false` if there is no such account.
    fn set_password(&self, username: &str, password_hash: &str) -> Result<bool, StoreError>;

    /// Stores a session of `username` that ends at `expires_at` (Unix ms).
    fn add_session(&self, token: &TokenHash, username: &str, expires_at: i64) -> Result<(), StoreError>;
    /// The account of an unexpired session.
    fn session_user(&self, token: &TokenHash, now: i64) -> Result<Option<StoredUser>, StoreError>;
    /// Ends a session (a no-op if there is none).
    fn delete_session(&self, token: &TokenHash) -> Result<(), StoreError>;

    /// Stores an API token of `username`; returns its id.
    fn add_token(&self, token: &TokenHash, username: &str, name: &str) -> Result<i64, StoreError>;
    /// The API tokens of `username`, oldest first.
    fn tokens(&self, username: &str) -> Result<Vec<TokenInfo>, StoreError>;
    /// The token's id and its account.
    fn token_user(&self, token: &TokenHash) -> Result<Option<(i64, StoredUser)>, StoreError>;
    /// Deletes `username`'s token `id`; `false` if they have none by that id.
    fn delete_token(&self, username: &str, id: i64) -> Result<bool, StoreError>;

    /// Stores an invite made by `created_by`; returns its id.
    fn add_invite(&self, token: &TokenHash, admin: bool, created_by: &str, expires_at: i64) -> Result<i64, StoreError>;
    /// The invites not yet used or expired at `now`, oldest first.
    fn invites(&self, now: i64) -> Result<Vec<InviteInfo>, StoreError>;
    /// Withdraws an invite; `false` if there was none.
    fn delete_invite(&self, id: i64) -> Result<bool, StoreError>;
    /// Uses an unexpired invite to create `user` (admin as the invite says) in
    /// one transaction; `None` if the invite is unknown, used or expired (the
    /// account is not created), [`StoreError::NameTaken`] (the invite is kept).
    fn redeem_invite(&self, token: &TokenHash, now: i64, user: &NewUser) -> Result<Option<StoredUser>, StoreError>;
}

/// Who may see each document: owner, workspace access, members, links.
pub trait Access: Send + Sync + 'static {
    /// The stored access of `doc`, if it has any.
    fn access(&self, doc: &DocId) -> Result<Option<AccessRow>, StoreError>;
    /// Every document's stored access (for listings).
    fn all_access(&self) -> Result<Vec<(DocId, AccessRow)>, StoreError>;
    /// Records `row` for a new document; `false` (and nothing changes) if it has access stored already.
    fn claim(&self, doc: &DocId, row: &AccessRow) -> Result<bool, StoreError>;
    /// Sets what every member may do, storing `row` first if the document had none.
    fn set_workspace(&self, doc: &DocId, row: &AccessRow) -> Result<(), StoreError>;
    /// The members of `doc` with their own roles, by name.
    fn members(&self, doc: &DocId) -> Result<Vec<(String, Role)>, StoreError>;
    /// Every document where `username` has a role of their own.
    fn roles_of(&self, username: &str) -> Result<Vec<(DocId, Role)>, StoreError>;
    /// Gives `username` `role` on `doc`.
    fn set_member(&self, doc: &DocId, username: &str, role: Role) -> Result<(), StoreError>;
    /// Takes `username`'s own role on `doc` away; `false` if they had none.
    fn remove_member(&self, doc: &DocId, username: &str) -> Result<bool, StoreError>;
    /// Stores a share link to `doc`; returns it.
    fn add_link(&self, token: &TokenHash, doc: &DocId, role: Role) -> Result<LinkInfo, StoreError>;
    /// The share links of `doc`, oldest first.
    fn links(&self, doc: &DocId) -> Result<Vec<LinkInfo>, StoreError>;
    /// The link with this token and the document it opens.
    fn link(&self, token: &TokenHash) -> Result<Option<(LinkInfo, DocId)>, StoreError>;
    /// Revokes link `id` of `doc`; `false` if it has none by that id.
    fn delete_link(&self, doc: &DocId, id: i64) -> Result<bool, StoreError>;
    /// Puts `doc` in the trash; `false` if it is there already.
    fn trash(&self, doc: &DocId, by: &str, at: i64) -> Result<bool, StoreError>;
    /// Takes `doc` out of the trash; `false` if it was not there.
    fn untrash(&self, doc: &DocId) -> Result<bool, StoreError>;
    /// Whether `doc` is in the trash.
    fn is_trashed(&self, doc: &DocId) -> Result<bool, StoreError>;
    /// Everything in the trash, most recently deleted first.
    fn trashed(&self) -> Result<Vec<Trashed>, StoreError>;
}

/// How workspace access is stored: a role's name, or `none`.
pub(super) fn workspace_name(role: Option<Role>) -> &'static str {
    role.map_or("none", Role::as_str)
}

/// A stored role name as a role; an unknown one grants nothing.
pub(super) fn stored_role(name: &str) -> Option<Role> {
    Role::parse(name)
}

/// A stored document id, which must still validate.
pub(super) fn stored_doc_id(raw: String) -> Result<DocId, StoreError> {
    DocId::parse(&raw).map_err(|_| StoreError::BadId(raw))
}
