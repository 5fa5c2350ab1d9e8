//! What the store keeps of a document's versions (see `tandem_sync::history`
//! for what a version's data is).

use serde::Serialize;

/// Why a version was recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum VersionKind {
    /// Editing paused, went on long, or the last person left.
    Auto,
    /// Someone named the state.
    Named,
    /// The state a restore made.
    Restore,
    /// The state a document was imported with.
    Import,
}

impl VersionKind {
    /// The kind's name, as stored and as the API spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            VersionKind::Auto => "auto",
            VersionKind::Named => "named",
            VersionKind::Restore => "restore",
            VersionKind::Import => "import",
        }
    }

    /// The kind named `name` (an unknown one reads as `auto`).
    pub fn parse(name: &str) -> VersionKind {
        match name {
            "named" => VersionKind::Named,
            "restore" => VersionKind::Restore,
            "import" => VersionKind::Import,
            _ => VersionKind::Auto,
        }
    }
}

/// A version to store.
#[derive(Debug, Clone)]
pub struct NewVersion {
    /// Why it is recorded.
    pub kind: VersionKind,
    /// Its name, for named versions.
    pub label: Option<String>,
    /// Who edited since the version before it.
    pub authors: Vec<String>,
    /// What it stores ([`tandem_sync::history::Recorded`]).
    pub recorded: tandem_sync::history::Recorded,
}

/// A version as listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VersionMeta {
    /// Its id: the store sequence number that recorded it (increasing).
    pub id: i64,
    /// Unix milliseconds of its recording.
    pub created_at: i64,
    /// Its name, if it has one.
    pub label: Option<String>,
    /// Why it was recorded.
    pub kind: VersionKind,
    /// Who edited since the version before it.
    pub authors: Vec<String>,
}

/// Where a document's chain of versions ends, for the next version to continue it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainEnd {
    /// The last version's state vector.
    pub state_vector: Vec<u8>,
    /// Versions stored as changes since the last checkpoint.
    pub since_checkpoint: u32,
    /// Their bytes.
    pub bytes_since_checkpoint: u64,
}
