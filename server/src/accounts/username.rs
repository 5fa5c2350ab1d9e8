//! Sign-in names.

use super::AccountError;

/// Longest sign-in name, in characters.
pub const MAX_CHARS: usize = 40;

/// A sign-in name: 1 to [`MAX_CHARS`] ASCII letters, digits, `.`, `_` and `-`
/// (names appear in URLs and logs, so nothing there needs escaping).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Username(String);

impl Username {
    /// Validates `raw` as a sign-in name.
    pub fn parse(raw: &str) -> Result<Self, AccountError> {
        let ok = (1..=MAX_CHARS).contains(&raw.len())
            && raw.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
        if ok { Ok(Username(raw.to_owned())) } else { Err(AccountError::BadUsername) }
    }

    /// The name as given.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_short_and_url_safe() {
        assert!(Username::parse("ada.lovelace_1-2").is_ok());
        assert!(Username::parse(&"a".repeat(MAX_CHARS)).is_ok());
        for bad in ["", "a b", "ada/x", "ädä", "a@b", &"a".repeat(MAX_CHARS + 1)] {
            assert_eq!(Username::parse(bad), Err(AccountError::BadUsername), "{bad:?}");
        }
    }
}
