//! Passwords: a minimum length, and Argon2id hashes in PHC string form.

use super::AccountError;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;

/// Shortest password, in characters.
pub const MIN_CHARS: usize = 8;

/// A password long enough to accept. Never logged: its `Debug` hides it.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    /// Accepts `raw` if it has at least [`MIN_CHARS`] characters.
    pub fn new(raw: String) -> Result<Self, AccountError> {
        if raw.chars().count() >= MIN_CHARS { Ok(Password(raw)) } else { Err(AccountError::ShortPassword) }
    }

    /// The password's Argon2id hash (default parameters, a fresh random salt).
    pub fn hash(&self) -> String {
        // 16 bytes from the thread's CSPRNG (ChaCha, seeded by the OS).
        let salt = SaltString::encode_b64(&rand::random::<[u8; 16]>())
            .unwrap_or_else(|e| unreachable!("16 bytes are a valid salt: {e}"));
        Argon2::default()
            .hash_password(self.0.as_bytes(), &salt)
            .map(|hash| hash.to_string())
            .unwrap_or_else(|e| unreachable!("hashing with default parameters and a generated salt: {e}"))
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(…)")
    }
}

/// Whether `candidate` is the password `hash` was made from. A malformed hash matches nothing.
pub fn verify(candidate: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|parsed| Argon2::default().verify_password(candidate.as_bytes(), &parsed).is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_its_password_only_and_never_holds_it() {
        let password = Password::new("correct horse".into()).unwrap();
        let hash = password.hash();
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        assert!(!hash.contains("correct horse"));
        assert!(verify("correct horse", &hash));
        assert!(!verify("correct hors", &hash));
        assert!(!verify("correct horse", "not a hash"));
        assert_ne!(hash, password.hash(), "each hash has its own salt");
        assert_eq!(format!("{password:?}"), "Password(…)");
    }

    #[test]
    fn a_password_has_at_least_eight_characters() {
        assert_eq!(Password::new("1234567".into()), Err(AccountError::ShortPassword));
        assert!(Password::new("äöü12345".into()).is_ok(), "characters, not bytes");
    }
}
