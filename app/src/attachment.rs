//! Where a document's image attachments live: `/api/docs/{doc}/attachments/{id}`.
//! The server writes these URLs (without the sub-path prefix, see
//! [`crate::base`]) and serves them; the preview shows an image only when its
//! URL has exactly this shape.

use tandem_sync::DocId;

/// Characters in an attachment id: the SHA-256 of its bytes in base64url
/// without padding (32 bytes make 43 characters).
pub const ID_LEN: usize = 43;

/// Whether `id` has the shape of an attachment id: [`ID_LEN`] characters of
/// `[A-Za-z0-9_-]`.
pub fn is_id(id: &str) -> bool {
    id.len() == ID_LEN && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// The path of attachment `id` of `doc`, without the sub-path prefix.
pub fn path(doc: &DocId, id: &str) -> String {
    format!("/api/docs/{doc}/attachments/{id}")
}

/// Whether `url` is exactly the path of an attachment of this server: relative
/// to its origin, no query, no fragment, a valid document id and attachment id.
pub fn is_path(url: &str) -> bool {
    let Some(rest) = url.strip_prefix("/api/docs/") else { return false };
    let Some((doc, id)) = rest.split_once("/attachments/") else { return false };
    DocId::parse(doc).is_ok() && is_id(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU";

    #[test]
    fn only_the_exact_shape_is_an_attachment_path() {
        let doc = DocId::parse("abc").unwrap();
        assert_eq!(path(&doc, ID), format!("/api/docs/abc/attachments/{ID}"));
        assert!(is_path(&path(&doc, ID)));
        for bad in [
            format!("https://evil.example/api/docs/abc/attachments/{ID}"),
            format!("//evil.example/api/docs/abc/attachments/{ID}"),
            format!("/api/docs/abc/attachments/{ID}?x=1"),
            format!("/api/docs/abc/attachments/{ID}#f"),
            format!("/api/docs/a.b/attachments/{ID}"),
            format!("/api/docs/abc/attachments/{}", &ID[1..]),
            format!("/api/docs/abc/attachments/{ID}/x"),
            format!("/api/docs/abc/x/attachments/{ID}"),
            format!("/notes/api/docs/abc/attachments/{ID}"),
            format!("api/docs/abc/attachments/{ID}"),
        ] {
            assert!(!is_path(&bad), "{bad}");
        }
    }
}
