//! `tandem user add NAME [--admin] --password-stdin`: creates an account in a
//! store that no server is using (the data directory's lock refuses a running
//! one), for scripts and containers. The password is read from standard
//! input, never from the command line, where other users could see it.

use crate::accounts::{AccountError, Password, Username};
use crate::store::{Accounts, NewUser, PgStore, SqliteStore, Store, StoreError};
use clap::{Args, Subcommand};
use std::io::BufRead;
use std::path::Path;

/// `tandem user ...`.
#[derive(Debug, Clone, Args)]
pub struct UserArgs {
    /// What to do with accounts.
    #[command(subcommand)]
    pub action: UserAction,
}

/// An account operation.
#[derive(Debug, Clone, Subcommand)]
pub enum UserAction {
    /// Create an account; the password is the first line of standard input.
    Add {
        /// The sign-in name: 1 to 40 letters, digits, '.', '_' and '-'.
        name: String,
        /// Make the account an administrator of the workspace.
        #[arg(long)]
        admin: bool,
        /// Read the password from standard input (required: a password on
        /// the command line would be visible to other users).
        #[arg(long)]
        password_stdin: bool,
    },
}

/// Why an account command failed.
#[derive(Debug, thiserror::Error)]
pub enum UserError {
    /// The name or password breaks a rule.
    #[error(transparent)]
    Account(#[from] AccountError),
    /// No `--password-stdin`.
    #[error("give the password on standard input with --password-stdin")]
    NoPasswordSource,
    /// Standard input could not be read.
    #[error("cannot read the password from standard input: {0}")]
    Stdin(std::io::Error),
    /// Opening or writing the store failed (a server using it, a name taken, ...).
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Carries out `args` on the store in `data_dir`, or in the PostgreSQL
/// database at `database_url` if given; returns the line to print.
pub fn user(data_dir: &Path, database_url: Option<&str>, args: &UserArgs, stdin: impl BufRead) -> Result<String, UserError> {
    let UserAction::Add { name, admin, password_stdin } = &args.action;
    let username = Username::parse(name)?;
    if !password_stdin {
        return Err(UserError::NoPasswordSource);
    }
    let password = Password::new(first_line(stdin)?)?;
    let user = NewUser { username: username.as_str().into(), password_hash: password.hash(), admin: *admin };
    let place = match database_url {
        Some(url) => {
            add_to(&PgStore::open(url)?, &user)?;
            crate::store::redacted(url)
        }
        None => {
            add_to(&SqliteStore::open(data_dir)?, &user)?;
            data_dir.display().to_string()
        }
    };
    let role = if *admin { "administrator" } else { "member" };
    Ok(format!("added {role} {} to {place}", username.as_str()))
}

/// Adds `user` to `store`, then closes it.
fn add_to(store: &(impl Accounts + Store), user: &NewUser) -> Result<(), StoreError> {
    let added = store.add_user(user);
    store.close();
    added
}

/// The first line of `input`, without its line ending.
fn first_line(mut input: impl BufRead) -> Result<String, UserError> {
    let mut line = String::new();
    input.read_line(&mut line).map_err(UserError::Stdin)?;
    Ok(line.trim_end_matches(['\n', '\r']).to_owned())
}
