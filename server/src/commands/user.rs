//! `tandem user add NAME [--admin] --password-stdin`: creates an account in a
//! store that no server is using (the data directory's lock refuses a running
//! one), for scripts and containers. The password is read from standard
//! input, never from the command line, where other users could see it.

use crate::accounts::{AccountError, Password, Username};
use crate::store::{Accounts, NewUser, SqliteStore, StoreError};
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

/// Carries out `args` on the store in `data_dir`; returns the line to print.
pub fn user(data_dir: &Path, args: &UserArgs, stdin: impl BufRead) -> Result<String, UserError> {
    let UserAction::Add { name, admin, password_stdin } = &args.action;
    let username = Username::parse(name)?;
    if !password_stdin {
        return Err(UserError::NoPasswordSource);
    }
    let password = Password::new(first_line(stdin)?)?;
    let store = SqliteStore::open(data_dir)?;
    let added = store.add_user(&NewUser { username: username.as_str().into(), password_hash: password.hash(), admin: *admin });
    crate::store::Store::close(&store);
    added?;
    let role = if *admin { "administrator" } else { "member" };
    Ok(format!("added {role} {} to {}", username.as_str(), data_dir.display()))
}

/// The first line of `input`, without its line ending.
fn first_line(mut input: impl BufRead) -> Result<String, UserError> {
    let mut line = String::new();
    input.read_line(&mut line).map_err(UserError::Stdin)?;
    Ok(line.trim_end_matches(['\n', '\r']).to_owned())
}
