//! Which servers may share one database: one server alone, or any number
//! of clustered nodes (`--redis-url`), never a mix. A server alone holds
//! an exclusive advisory lock for as long as it runs; clustered nodes hold
//! it shared. So a second server started on the database without
//! `--redis-url`, or a node started beside a server alone, is refused at
//! startup: its clients would not see the others' edits live. Commands
//! (`tandem user add`, `tandem migrate`) take no claim.

use super::StoreError;
use postgres::{Client, NoTls};
use std::time::Duration;

/// The advisory lock key of the claim ("TNDM"; the migrations use "TAND").
const CLAIM_LOCK: i64 = 0x544E_444D;
/// How long a refused claim is tried again at startup: a server that has
/// just stopped (or was killed) holds its claim until PostgreSQL notices
/// its connection closed.
const START_PATIENCE: Duration = Duration::from_secs(3);
/// Pause between those tries.
const START_RETRY: Duration = Duration::from_millis(100);
/// How often the claim's connection is checked; a claim lost with its
/// connection (PostgreSQL restarted) is taken again.
const CHECK_EVERY: Duration = Duration::from_secs(5);

/// How a server shares its database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sharing {
    /// The only server on the database (no `--redis-url`).
    Alone,
    /// One node of a cluster relaying through Redis.
    Clustered,
}

impl Sharing {
    /// The statement that takes the lock without waiting; answers whether it did.
    fn statement(self) -> &'static str {
        match self {
            Sharing::Alone => "SELECT pg_try_advisory_lock($1)",
            Sharing::Clustered => "SELECT pg_try_advisory_lock_shared($1)",
        }
    }

    /// Why the claim was refused.
    fn refusal(self) -> &'static str {
        match self {
            Sharing::Alone => {
                "another Tandem server uses this database; servers sharing one database must all run with --redis-url (see \"Running several nodes\")"
            }
            Sharing::Clustered => {
                "a Tandem server without --redis-url uses this database; stop it, or give it --redis-url too (see \"Running several nodes\")"
            }
        }
    }
}

/// Claims the database at `url` for this server, as `sharing` says, for as
/// long as the process runs: a thread of its own holds the lock's
/// connection, checks it every [`CHECK_EVERY`] and takes the claim again
/// after the connection was lost. Fails if another server's claim excludes
/// this one (for [`START_PATIENCE`]), or the database cannot be reached.
pub fn claim(url: &str, sharing: Sharing) -> Result<(), StoreError> {
    let (first_tx, first) = std::sync::mpsc::channel();
    let url = url.to_owned();
    std::thread::Builder::new()
        .name("tandem-claim".into())
        .spawn(move || {
            let client = match first_attempt(&url, sharing) {
                Ok(client) => {
                    let _ = first_tx.send(Ok(()));
                    client
                }
                Err(error) => {
                    let _ = first_tx.send(Err(error));
                    return;
                }
            };
            hold(client, &url, sharing);
        })
        .map_err(|source| StoreError::Io { context: "cannot start the database claim's thread".into(), source })?;
    first.recv().unwrap_or_else(|_| Err(StoreError::InUse("the database claim's thread ended".into())))
}

/// [`attempt`], tried again for [`START_PATIENCE`] while refused.
fn first_attempt(url: &str, sharing: Sharing) -> Result<Client, StoreError> {
    let deadline = std::time::Instant::now() + START_PATIENCE;
    loop {
        match attempt(url, sharing) {
            Err(StoreError::InUse(_)) if std::time::Instant::now() < deadline => std::thread::sleep(START_RETRY),
            other => return other,
        }
    }
}

/// Connects and takes the lock; refused if another server's claim excludes this one.
fn attempt(url: &str, sharing: Sharing) -> Result<Client, StoreError> {
    let mut client = Client::connect(url, NoTls)?;
    let taken: bool = client.query_one(sharing.statement(), &[&CLAIM_LOCK])?.try_get(0)?;
    if taken { Ok(client) } else { Err(StoreError::InUse(sharing.refusal().into())) }
}

/// Keeps the claim: checks its connection now and then, and claims again
/// on a new one when it was lost. A claim refused then is logged (the
/// server keeps serving: its clients are connected already).
fn hold(mut client: Client, url: &str, sharing: Sharing) {
    let mut refused_before = false;
    loop {
        std::thread::sleep(CHECK_EVERY);
        if client.is_valid(CHECK_EVERY).is_ok() {
            continue;
        }
        match attempt(url, sharing) {
            Ok(again) => {
                client = again;
                refused_before = false;
                tracing::info!("the database claim was taken again on a new connection");
            }
            Err(StoreError::InUse(why)) if !refused_before => {
                refused_before = true;
                tracing::error!(why, "the database claim could not be taken again; another server started meanwhile");
            }
            Err(_) => {}
        }
    }
}
