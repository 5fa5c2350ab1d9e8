//! People: first start, sign-in, sessions, API tokens, members and invites.
//! Every store call is a short synchronous transaction, run on a blocking thread.

use super::WorkspaceError;
use super::caller::{Caller, Credential, Member};
use super::live::Live;
use crate::accounts::{Password, Username, password, token};
use crate::store::{Access, Accounts, InviteInfo, NewUser, StoreError, StoredUser, TokenInfo, UserInfo};
use serde::Serialize;
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tandem_sync::Role;

/// How long a browser session lasts.
pub const SESSION_LIFETIME: Duration = Duration::from_secs(30 * 24 * 3600);
/// How long an invite link works.
pub const INVITE_LIFETIME: Duration = Duration::from_secs(7 * 24 * 3600);
/// Failed sign-ins of one name within [`FAILURE_WINDOW`] after which further
/// attempts are refused (429) until the oldest leaves the window.
pub const MAX_FAILURES: usize = 10;
/// The window [`MAX_FAILURES`] counts in.
pub const FAILURE_WINDOW: Duration = Duration::from_secs(15 * 60);
/// Most names whose failures are tracked at once (about 200 bytes each).
/// When full, names whose failures all left the window are forgotten first;
/// failures of further names are then not counted until there is room.
const MAX_TRACKED_NAMES: usize = 100_000;
/// Longest name of an API token, in characters.
pub const MAX_TOKEN_NAME_CHARS: usize = 100;

/// The store of people and access, as one object.
pub trait Directory: Accounts + Access {}
impl<T: Accounts + Access> Directory for T {}

/// How the server decides who may do what.
#[derive(Debug, Clone)]
pub struct AccessSettings {
    /// Open mode: no accounts; everyone who reaches the server may do everything.
    pub open: bool,
    /// What every member may do with a new document (`None`: nothing).
    pub default_workspace: Option<Role>,
}

impl AccessSettings {
    /// Open mode: no accounts.
    pub fn open() -> Self {
        AccessSettings { open: true, default_workspace: Some(Role::Editor) }
    }

    /// Accounts mode with the defaults: members may edit new documents.
    pub fn accounts() -> Self {
        AccessSettings { open: false, ..Self::open() }
    }
}

/// An account as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Account {
    /// The sign-in name.
    pub username: String,
    /// Whether it administers the workspace.
    pub admin: bool,
}

impl From<&StoredUser> for Account {
    fn from(user: &StoredUser) -> Self {
        Account { username: user.username.clone(), admin: user.admin }
    }
}

/// A new browser session: the cookie's token (shown once) and whose it is.
#[derive(Debug)]
pub struct SignedIn {
    /// The session token for the cookie.
    pub token: String,
    /// The account signed in.
    pub account: Account,
}

/// What was made and is shown once: its id and the secret token.
#[derive(Debug, Clone, Serialize)]
pub struct Issued {
    /// The id to list and revoke it by.
    pub id: i64,
    /// The secret, shown only now.
    pub token: String,
}

/// Credentials a request presented.
#[derive(Debug, Clone, Default)]
pub struct Presented {
    /// The session cookie's token.
    pub session: Option<String>,
    /// An API or share-link token (`Authorization: Bearer`, or `?token=` on a WebSocket).
    pub bearer: Option<String>,
}

/// People and their credentials.
pub struct People {
    directory: Arc<dyn Directory>,
    settings: AccessSettings,
    /// The one-time setup token while the store has no account.
    setup: Mutex<Option<String>>,
    /// std mutex: a map update per failed sign-in, never held across `.await`.
    failures: Mutex<HashMap<String, VecDeque<Instant>>>,
    live: Arc<Live>,
}

/// Unix milliseconds now.
pub fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
}

fn later_ms(after: Duration) -> i64 {
    now_ms().saturating_add(after.as_millis() as i64)
}

/// Runs a store call on a blocking thread.
pub(super) async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T, StoreError> + Send + 'static) -> Result<T, WorkspaceError> {
    Ok(tokio::task::spawn_blocking(f).await??)
}

/// A hash no password matches, verified when a name is unknown so that a
/// wrong name costs as long as a wrong password.
fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| Password::new(token::new_token()).map(|p| p.hash()).unwrap_or_default())
}

impl People {
    /// People in `directory`, with `settings`; revocations reach `live`.
    pub fn new(directory: Arc<dyn Directory>, settings: AccessSettings, live: Arc<Live>) -> Self {
        People { directory, settings, setup: Mutex::new(None), failures: Mutex::default(), live }
    }

    /// The settings in force.
    pub fn settings(&self) -> &AccessSettings {
        &self.settings
    }

    /// The store of people and access.
    pub fn directory(&self) -> &Arc<dyn Directory> {
        &self.directory
    }

    /// The open connections revocation reaches.
    pub fn live(&self) -> &Arc<Live> {
        &self.live
    }

    /// In accounts mode with no account yet: a fresh one-time setup token
    /// (which `POST /api/setup` accepts once); else `None`.
    pub async fn start_setup(&self) -> Result<Option<String>, WorkspaceError> {
        if self.settings.open {
            return Ok(None);
        }
        let directory = self.directory.clone();
        if blocking(move || directory.user_count()).await? > 0 {
            return Ok(None);
        }
        let token = token::new_token();
        *self.setup.lock().unwrap_or_else(|p| p.into_inner()) = Some(token.clone());
        Ok(Some(token))
    }

    /// Whether the first administrator is still to be made with the setup link.
    pub fn setup_pending(&self) -> bool {
        self.setup.lock().unwrap_or_else(|p| p.into_inner()).is_some()
    }

    /// Who presented `presented`.
    pub async fn caller(&self, presented: Presented) -> Result<Caller, WorkspaceError> {
        if self.settings.open {
            return Ok(Caller::Open);
        }
        let directory = self.directory.clone();
        blocking(move || {
            if let Some(bearer) = presented.bearer.filter(|t| token::well_formed(t)) {
                let hash = token::hash(&bearer);
                if let Some((id, user)) = directory.token_user(&hash)? {
                    return Ok(member(&user, Credential::Token(id)));
                }
                if let Some((link, doc)) = directory.link(&hash)? {
                    return Ok(Caller::Guest { link: link.id, doc, role: link.role });
                }
                return Ok(Caller::Anonymous);
            }
            if let Some(session) = presented.session.filter(|t| token::well_formed(t)) {
                let hash = token::hash(&session);
                if let Some(user) = directory.session_user(&hash, now_ms())? {
                    return Ok(member(&user, Credential::Session(hash)));
                }
            }
            Ok(Caller::Anonymous)
        })
        .await
    }

    /// Creates the first administrator with the setup token, and signs them in.
    pub async fn setup(&self, token: &str, username: &str, password: String) -> Result<SignedIn, WorkspaceError> {
        let expected = self.setup.lock().unwrap_or_else(|p| p.into_inner()).clone();
        let Some(expected) = expected else { return Err(WorkspaceError::NotFound) };
        if !token::hash(token).eq(&token::hash(&expected)) {
            return Err(WorkspaceError::BadSetupToken);
        }
        let user = new_user(username, password, true).await?;
        let directory = self.directory.clone();
        let stored = user.clone();
        if !blocking(move || directory.add_first_user(&stored)).await? {
            return Err(WorkspaceError::NotFound);
        }
        *self.setup.lock().unwrap_or_else(|p| p.into_inner()) = None;
        tracing::info!(username = %user.username, "first administrator created");
        self.open_session(Account { username: user.username, admin: true }).await
    }

    /// Signs in with a name and password. A wrong password and an unknown
    /// name fail alike; past [`MAX_FAILURES`] for one name, attempts are refused.
    pub async fn sign_in(&self, username: &str, password: String) -> Result<SignedIn, WorkspaceError> {
        if self.settings.open {
            return Err(WorkspaceError::NotFound);
        }
        let key = username.to_ascii_lowercase();
        if self.failures_of(&key) >= MAX_FAILURES {
            return Err(WorkspaceError::TooManyAttempts);
        }
        let (directory, name) = (self.directory.clone(), username.to_owned());
        let user = blocking(move || directory.user(&name)).await?;
        let hash = user.as_ref().map_or(decoy_hash(), |u| u.password_hash.as_str()).to_owned();
        let matches = tokio::task::spawn_blocking(move || password::verify(&password, &hash)).await?;
        match user.filter(|_| matches) {
            Some(user) => self.open_session(Account::from(&user)).await,
            None => {
                self.fail(key);
                Err(WorkspaceError::InvalidCredentials)
            }
        }
    }

    /// Ends the caller's browser session and closes its sockets (4401).
    pub async fn sign_out(&self, caller: &Caller) -> Result<(), WorkspaceError> {
        let Some(Member { via: via @ Credential::Session(hash), .. }) = caller.member() else { return Ok(()) };
        let (directory, hash) = (self.directory.clone(), *hash);
        self.live.changed();
        blocking(move || directory.delete_session(&hash)).await?;
        self.live.revoke_credential(via);
        Ok(())
    }

    /// Changes the caller's password, given the current one.
    pub async fn change_password(&self, caller: &Caller, current: String, new: String) -> Result<(), WorkspaceError> {
        let me = signed_in(caller)?;
        let new = Password::new(new)?;
        let (directory, name) = (self.directory.clone(), me.username.clone());
        let user = blocking(move || directory.user(&name)).await?.ok_or(WorkspaceError::Unauthorized)?;
        let hash = user.password_hash.clone();
        if !tokio::task::spawn_blocking(move || password::verify(&current, &hash)).await? {
            return Err(WorkspaceError::InvalidCredentials);
        }
        let new_hash = tokio::task::spawn_blocking(move || new.hash()).await?;
        let directory = self.directory.clone();
        blocking(move || directory.set_password(&user.username, &new_hash)).await?;
        Ok(())
    }

    /// Every account (admins only).
    pub async fn users(&self, caller: &Caller) -> Result<Vec<UserInfo>, WorkspaceError> {
        admin(caller)?;
        let directory = self.directory.clone();
        blocking(move || directory.users()).await
    }

    /// Creates an account (admins only).
    pub async fn add_user(&self, caller: &Caller, username: &str, password: String, is_admin: bool) -> Result<Account, WorkspaceError> {
        admin(caller)?;
        let user = new_user(username, password, is_admin).await?;
        let (directory, stored) = (self.directory.clone(), user.clone());
        blocking(move || directory.add_user(&stored)).await?;
        tracing::info!(username = %user.username, admin = user.admin, "account created");
        Ok(Account { username: user.username, admin: user.admin })
    }

    /// Deletes an account (admins only; not their own) and closes its sockets (4401).
    pub async fn delete_user(&self, caller: &Caller, username: &str) -> Result<(), WorkspaceError> {
        let me = admin(caller)?;
        if me.username.eq_ignore_ascii_case(username) {
            return Err(WorkspaceError::Invalid("you cannot delete your own account"));
        }
        let (directory, name) = (self.directory.clone(), username.to_owned());
        self.live.changed();
        if !blocking(move || directory.delete_user(&name)).await? {
            return Err(WorkspaceError::NoSuchUser);
        }
        self.live.revoke_user(username);
        tracing::info!(%username, "account deleted");
        Ok(())
    }

    /// Makes an invite link (admins only).
    pub async fn invite(&self, caller: &Caller, is_admin: bool) -> Result<(Issued, i64), WorkspaceError> {
        let me = admin(caller)?;
        let secret = token::new_token();
        let (directory, hash, by, expires_at) = (self.directory.clone(), token::hash(&secret), me.username.clone(), later_ms(INVITE_LIFETIME));
        let id = blocking(move || directory.add_invite(&hash, is_admin, &by, expires_at)).await?;
        Ok((Issued { id, token: secret }, expires_at))
    }

    /// The open invites (admins only).
    pub async fn invites(&self, caller: &Caller) -> Result<Vec<InviteInfo>, WorkspaceError> {
        admin(caller)?;
        let directory = self.directory.clone();
        blocking(move || directory.invites(now_ms())).await
    }

    /// Withdraws an invite (admins only).
    pub async fn delete_invite(&self, caller: &Caller, id: i64) -> Result<(), WorkspaceError> {
        admin(caller)?;
        let directory = self.directory.clone();
        if blocking(move || directory.delete_invite(id)).await? { Ok(()) } else { Err(WorkspaceError::NotFound) }
    }

    /// Creates an account with an invite, and signs it in.
    pub async fn join(&self, invite: &str, username: &str, password: String) -> Result<SignedIn, WorkspaceError> {
        let user = new_user(username, password, false).await?;
        let (directory, hash) = (self.directory.clone(), token::hash(invite));
        let stored = blocking(move || directory.redeem_invite(&hash, now_ms(), &user)).await?;
        let stored = stored.ok_or(WorkspaceError::InviteInvalid)?;
        tracing::info!(username = %stored.username, "account created with an invite");
        self.open_session(Account::from(&stored)).await
    }

    /// Makes an API token for the caller.
    pub async fn add_token(&self, caller: &Caller, name: &str) -> Result<Issued, WorkspaceError> {
        let me = signed_in(caller)?;
        let name = name.trim();
        if name.is_empty() || name.chars().count() > MAX_TOKEN_NAME_CHARS {
            return Err(WorkspaceError::Invalid("a token's name is 1 to 100 characters"));
        }
        let secret = token::new_token();
        let (directory, hash, owner, name) = (self.directory.clone(), token::hash(&secret), me.username.clone(), name.to_owned());
        let id = blocking(move || directory.add_token(&hash, &owner, &name)).await?;
        Ok(Issued { id, token: secret })
    }

    /// The caller's API tokens.
    pub async fn tokens(&self, caller: &Caller) -> Result<Vec<TokenInfo>, WorkspaceError> {
        let me = signed_in(caller)?;
        let (directory, owner) = (self.directory.clone(), me.username.clone());
        blocking(move || directory.tokens(&owner)).await
    }

    /// Revokes one of the caller's API tokens and closes its sockets (4401).
    pub async fn delete_token(&self, caller: &Caller, id: i64) -> Result<(), WorkspaceError> {
        let me = signed_in(caller)?;
        let (directory, owner) = (self.directory.clone(), me.username.clone());
        self.live.changed();
        if !blocking(move || directory.delete_token(&owner, id)).await? {
            return Err(WorkspaceError::NotFound);
        }
        self.live.revoke_credential(&Credential::Token(id));
        Ok(())
    }

    async fn open_session(&self, account: Account) -> Result<SignedIn, WorkspaceError> {
        let token = token::new_token();
        let (directory, hash, name) = (self.directory.clone(), token::hash(&token), account.username.clone());
        blocking(move || directory.add_session(&hash, &name, later_ms(SESSION_LIFETIME))).await?;
        Ok(SignedIn { token, account })
    }

    /// Failures of `key` within the window (forgetting older ones).
    fn failures_of(&self, key: &str) -> usize {
        let mut failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        let Some(times) = failures.get_mut(key) else { return 0 };
        prune(times);
        times.len()
    }

    fn fail(&self, key: String) {
        let mut failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        if failures.len() >= MAX_TRACKED_NAMES && !failures.contains_key(&key) {
            failures.retain(|_, times| {
                prune(times);
                !times.is_empty()
            });
            if failures.len() >= MAX_TRACKED_NAMES {
                return;
            }
        }
        failures.entry(key).or_default().push_back(Instant::now());
    }
}

/// Forgets failures older than the window.
fn prune(times: &mut VecDeque<Instant>) {
    while times.front().is_some_and(|t| t.elapsed() >= FAILURE_WINDOW) {
        times.pop_front();
    }
}

fn member(user: &StoredUser, via: Credential) -> Caller {
    Caller::Member(Member { username: user.username.clone(), admin: user.admin, via })
}

/// A validated account with its password hashed (on a blocking thread: Argon2id takes tens of milliseconds).
async fn new_user(username: &str, password: String, admin: bool) -> Result<NewUser, WorkspaceError> {
    let username = Username::parse(username)?;
    let password = Password::new(password)?;
    let password_hash = tokio::task::spawn_blocking(move || password.hash()).await?;
    Ok(NewUser { username: username.as_str().to_owned(), password_hash, admin })
}

/// The signed-in member, or 401.
pub fn signed_in(caller: &Caller) -> Result<&Member, WorkspaceError> {
    caller.member().ok_or(WorkspaceError::Unauthorized)
}

/// The signed-in administrator, or 401/403.
pub fn admin(caller: &Caller) -> Result<&Member, WorkspaceError> {
    let me = signed_in(caller)?;
    if me.admin { Ok(me) } else { Err(WorkspaceError::Forbidden("only administrators may do this")) }
}
