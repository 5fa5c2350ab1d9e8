//! Document identifiers, validated once at the edge.

use std::fmt;

/// Longest accepted document id, in bytes.
pub const MAX_DOC_ID_LEN: usize = 128;

/// A document id: 1 to 128 characters of `[A-Za-z0-9_-]`.
///
/// Stock y-websocket clients put the id into the URL unescaped, so the
/// alphabet is restricted to characters that never need escaping.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct DocId(String);

/// A string that is not a valid [`DocId`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("document ids are 1 to 128 characters of A-Z, a-z, 0-9, '_' and '-'")]
pub struct InvalidDocId;

impl DocId {
    /// Validates `s` as a document id.
    pub fn parse(s: &str) -> Result<Self, InvalidDocId> {
        let ok = (1..=MAX_DOC_ID_LEN).contains(&s.len())
            && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if ok { Ok(DocId(s.to_owned())) } else { Err(InvalidDocId) }
    }

    /// The id as a string slice.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for DocId {
    type Error = InvalidDocId;
    fn try_from(s: String) -> Result<Self, InvalidDocId> {
        DocId::parse(&s)
    }
}

impl From<DocId> for String {
    fn from(id: DocId) -> String {
        id.0
    }
}

impl fmt::Display for DocId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for DocId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DocId({})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_url_safe_alphabet_only() {
        assert!(DocId::parse("Abc_09-x").is_ok());
        assert!(DocId::parse(&"a".repeat(128)).is_ok());
        for bad in ["", "a b", "a/b", "ä", "a.b", "%41"] {
            assert_eq!(DocId::parse(bad), Err(InvalidDocId), "{bad:?}");
        }
        assert!(DocId::parse(&"a".repeat(129)).is_err());
    }
}
