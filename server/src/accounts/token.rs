//! Secret tokens: 256 random bits, sent as 43 base64url characters, stored
//! only as their SHA-256 hash. A token is unguessable, so a fast hash suffices
//! (unlike a password) and a lookup by hash is one index probe.

use crate::store::TokenHash;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

/// Characters of an encoded token.
pub const TOKEN_CHARS: usize = 43;

/// A new token from the thread's CSPRNG (ChaCha, seeded by the OS).
pub fn new_token() -> String {
    URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>())
}

/// The hash the store keeps of `token`.
pub fn hash(token: &str) -> TokenHash {
    Sha256::digest(token.as_bytes()).into()
}

/// Whether `raw` has the shape of a token (before any lookup).
pub fn well_formed(raw: &str) -> bool {
    raw.len() == TOKEN_CHARS && raw.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_fresh_well_formed_and_hashed() {
        let (a, b) = (new_token(), new_token());
        assert_ne!(a, b);
        assert!(well_formed(&a) && well_formed(&b), "{a}");
        assert_eq!(hash(&a), hash(&a));
        assert_ne!(hash(&a), hash(&b));
        assert!(!well_formed("short") && !well_formed(&format!("{}!", &a[1..])));
    }
}
