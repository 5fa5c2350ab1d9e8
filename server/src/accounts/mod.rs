//! Accounts: the rules for sign-in names and passwords, and password hashing.
//! The store keeps only each password's Argon2id hash ([`crate::store::Accounts`]).
//!
//! - [`username`]: [`Username`], a sign-in name validated once at the edge.
//! - [`password`]: [`Password`] (at least [`password::MIN_CHARS`] characters),
//!   hashing with Argon2id and checking a password against its hash.
//! - [`token`]: random secret tokens (sessions, API tokens, invites, share
//!   links) and the hash the store keeps of each.

pub mod password;
pub mod token;
pub mod username;

pub use password::Password;
pub use username::Username;

/// Why a name or password is refused; the message is fit to show.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccountError {
    /// The name breaks the naming rule.
    #[error("user names are 1 to {max} characters of letters, digits, '.', '_' and '-'", max = username::MAX_CHARS)]
    BadUsername,
    /// The password is too short.
    #[error("passwords are at least {min} characters", min = password::MIN_CHARS)]
    ShortPassword,
}
