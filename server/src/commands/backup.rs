//! The `backup` and `restore` subcommands: a consistent copy of a serving
//! store, and its verified installation in a stopped data directory. The
//! SQLite side is [`SqliteStore::backup`] and [`SqliteStore::restore`].

use crate::store::{Copied, SqliteStore, StoreError};
use clap::Args;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// `tandem backup PATH`.
#[derive(Debug, Clone, Args)]
pub struct BackupArgs {
    /// The file to write: one self-contained SQLite database.
    pub path: PathBuf,
    /// Replace PATH if it exists.
    #[arg(long)]
    pub force: bool,
}

/// `tandem restore BACKUP`.
#[derive(Debug, Clone, Args)]
pub struct RestoreArgs {
    /// A file written by `tandem backup`.
    pub backup: PathBuf,
}

/// Why a backup or a restore did nothing.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    /// The backup file exists and `--force` was not given.
    #[error("{} exists; pass --force to replace it", .0.display())]
    Exists(PathBuf),
    /// Reading, checking or writing a store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Writes a backup of the store in `data_dir` as `args.path`.
pub fn backup(data_dir: &Path, args: &BackupArgs) -> Result<Summary, BackupError> {
    if !args.force && args.path.exists() {
        return Err(BackupError::Exists(args.path.clone()));
    }
    let started = Instant::now();
    let copied = SqliteStore::backup(data_dir, &args.path, args.force)?;
    Ok(Summary { verb: "backed up", copied, from: data_dir.into(), to: args.path.clone(), took: started.elapsed(), aside: None })
}

/// Installs the backup `args.backup` as the store in `data_dir`.
pub fn restore(data_dir: &Path, args: &RestoreArgs) -> Result<Summary, BackupError> {
    let started = Instant::now();
    let restored = SqliteStore::restore(&args.backup, data_dir)?;
    let (from, to, took) = (args.backup.clone(), data_dir.into(), started.elapsed());
    Ok(Summary { verb: "restored", copied: restored.copied, from, to, took, aside: restored.aside })
}

/// What a backup or restore did, shown as one line.
#[derive(Debug, Clone)]
pub struct Summary {
    /// "backed up" or "restored".
    pub verb: &'static str,
    /// What the written copy holds.
    pub copied: Copied,
    /// Where the documents came from.
    pub from: PathBuf,
    /// Where they went.
    pub to: PathBuf,
    /// How long it took.
    pub took: Duration,
    /// Where a restore kept the database it replaced.
    pub aside: Option<PathBuf>,
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Copied { documents, bytes } = self.copied;
        let (from, to) = (self.from.display(), self.to.display());
        let ms = self.took.as_millis();
        write!(f, "{} {documents} documents ({bytes} bytes) from {from} to {to} in {ms} ms", self.verb)?;
        if let Some(aside) = &self.aside {
            write!(f, "; the previous database is kept as {}", aside.display())?;
        }
        Ok(())
    }
}
