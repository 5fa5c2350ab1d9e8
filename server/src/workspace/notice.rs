//! In the clustered mode, what one node tells the others it did to open
//! connections — so that a revocation or a deletion on any node reaches
//! the sockets on every node — and what a node does on hearing it: the
//! same, to its own connections, without telling anyone again.

use super::Workspace;
use super::caller::Credential;
use serde::{Deserialize, Serialize};
use tandem_sync::DocId;
use tandem_sync::close;

/// One thing done to open connections.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "notice", rename_all = "snake_case")]
pub enum Notice {
    /// A session ended or an API token was revoked: its sockets close (4401).
    SignedOut {
        /// The session (by its token's hash) or the API token (by id).
        credential: Credential,
    },
    /// An account was deleted: its sockets close (4401).
    UserDeleted {
        /// Its name.
        username: String,
    },
    /// A share link was revoked: its sockets close (4403).
    LinkRevoked {
        /// Its id.
        link: i64,
    },
    /// Who may do what with a document changed: its sockets follow (4403, or read-only, or writable).
    AccessChanged {
        /// The document.
        doc: DocId,
    },
    /// A document went to the trash: its sockets close (4404).
    Deleted {
        /// The document.
        doc: DocId,
    },
    /// A document was deleted for good: its sockets close (4404) and it takes nothing more.
    Purged {
        /// The document.
        doc: DocId,
    },
}

impl Workspace {
    /// Does what another node's `notice` says, to this node's connections.
    pub async fn heard(&self, notice: Notice) {
        let live = self.people().live();
        match notice {
            Notice::SignedOut { credential } => live.close_credential(&credential),
            Notice::UserDeleted { username } => live.close_user(&username),
            Notice::LinkRevoked { link } => live.close_link(link),
            Notice::AccessChanged { doc } => {
                live.changed();
                if let Err(error) = self.reconcile(&doc).await {
                    tracing::warn!(%doc, %error, "could not apply another node's access change");
                }
            }
            Notice::Deleted { doc } => {
                if let Some(room) = self.rooms().get_loaded(&doc) {
                    room.close_all(close::DELETED, "document deleted");
                }
            }
            Notice::Purged { doc } => self.retire_here(&doc),
        }
    }
}
