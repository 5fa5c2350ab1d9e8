//! Images attached to a document: uploaded by those who may edit it, read
//! by those who may read it (share-link guests too), kept while it is in the
//! trash, deleted with it for good.
//!
//! An attachment's id is the SHA-256 of its bytes (base64url): the same image
//! pasted twice, or an upload retried after a lost answer, is stored once and
//! gets the same URL, and that URL's content never changes, so it may be
//! cached for good. The id names content, not permission: every read checks
//! the caller's role on the document, like any other read of it.

use super::{Caller, Workspace, WorkspaceError, people};
use crate::store::{Attachment, ImageType};
use base64::Engine;
use bytes::Bytes;
use sha2::{Digest, Sha256};
use tandem_sync::DocId;

/// The id of an attachment with `bytes`: their SHA-256 in base64url.
fn content_id(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(bytes))
}

impl Workspace {
    /// Stores `bytes`, a PNG, JPEG, GIF or WebP image (told by its magic
    /// numbers), as an attachment of `id`, for those who may edit it; its
    /// path (without the sub-path prefix) once it is durable.
    pub async fn attach(&self, caller: &Caller, id: &DocId, bytes: Bytes) -> Result<String, WorkspaceError> {
        if !self.role(caller, id).await?.can_edit() {
            return Err(WorkspaceError::Forbidden("you may only read this document"));
        }
        if !self.exists(id).await? {
            return Err(WorkspaceError::NotFound);
        }
        let content_type = ImageType::sniff(&bytes).ok_or(WorkspaceError::UnsupportedImage)?;
        self.writable()?;
        let size = bytes.len() as u64;
        self.ensure_room(size).await?;
        let aid = content_id(&bytes);
        let seq = self.rooms().store().add_attachment(id, Attachment { id: aid.clone(), content_type, bytes });
        self.rooms().usage().grew(size);
        self.durable(seq).await?;
        Ok(app::attachment::path(id, &aid))
    }

    /// Attachment `aid` of `id`, for those who may read the document;
    /// `NotFound` like the document itself otherwise, or if there is none.
    pub async fn attachment(&self, caller: &Caller, id: &DocId, aid: &str) -> Result<Attachment, WorkspaceError> {
        self.role(caller, id).await?;
        if !app::attachment::is_id(aid) {
            return Err(WorkspaceError::NotFound);
        }
        let (store, doc, aid) = (self.rooms().store().clone(), id.clone(), aid.to_owned());
        people::blocking(move || store.attachment(&doc, &aid)).await?.ok_or(WorkspaceError::NotFound)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_is_the_bytes_hash_in_the_shape_the_preview_accepts() {
        let id = content_id(b"");
        assert_eq!(id, "47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU");
        assert!(app::attachment::is_id(&id));
        assert_ne!(content_id(b"a"), content_id(b"b"));
    }
}
