//! `tandem migrate --from … --to …`: the whole store moved between SQLite
//! (a data directory) and PostgreSQL (a `postgres://` URL), either way, into
//! an empty destination, and verified by reading both back.

use crate::store::{Location, MigrateError, Moved, migrate as move_store};
use clap::Args;
use std::time::Instant;

/// Where to move the store from and to.
#[derive(Debug, Clone, Args)]
pub struct MigrateArgs {
    /// The store to copy: a data directory, or a `postgres://` URL.
    #[arg(long)]
    pub from: String,
    /// Where to copy it: a new data directory, or an empty PostgreSQL database.
    #[arg(long)]
    pub to: String,
}

/// Moves the store as `args` say; returns the line to print.
pub fn migrate(args: &MigrateArgs) -> Result<String, MigrateError> {
    let (from, to) = (Location::parse(&args.from), Location::parse(&args.to));
    let started = Instant::now();
    let moved = move_store(&from, &to)?;
    Ok(format!("migrated {} from {from} to {to} in {:.1} s; verified: every table reads back the same", summary(&moved), started.elapsed().as_secs_f64()))
}

/// "3 documents (12 log entries, 4 versions, 1 attachment), 2 accounts, …".
fn summary(moved: &Moved) -> String {
    let count = |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    format!(
        "{} ({}, {}, {}), {}, {}, {}",
        count(moved.rows("docs"), "document", "documents"),
        count(moved.rows("updates"), "log entry", "log entries"),
        count(moved.rows("versions"), "version", "versions"),
        count(moved.rows("attachments"), "attachment", "attachments"),
        count(moved.rows("users"), "account", "accounts"),
        count(moved.rows("links"), "share link", "share links"),
        count(moved.rows("trash"), "document in the trash", "documents in the trash"),
    )
}
