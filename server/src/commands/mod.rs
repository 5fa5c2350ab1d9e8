//! What `tandem` does instead of serving, on a data directory.
//!
//! - [`backup`]: `backup` and `restore` — a consistent copy of a serving
//!   store, and its verified installation in a stopped data directory.
//! - [`user`]: `user add` — an account created in a store no server is using.
//! - [`migrate`]: `migrate` — the whole store moved between SQLite and PostgreSQL.

pub mod backup;
pub mod migrate;
pub mod user;

pub use backup::{BackupArgs, BackupError, RestoreArgs, Summary, backup, restore};
pub use migrate::{MigrateArgs, migrate};
pub use user::{UserArgs, UserError, user};
