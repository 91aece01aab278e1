//! Opaque refresh tokens: 256 random bits, shown to the client once and
//! stored only as a SHA-256 hash (a stolen database yields no usable token).

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use sha2::{Digest, Sha256};

/// A freshly minted refresh token and the hash to store.
pub struct RefreshToken {
    /// What the client receives.
    pub token: String,
    /// What the database keeps.
    pub hash: String,
}

impl RefreshToken {
    /// Mints a new token from the OS random source.
    pub fn generate() -> anyhow::Result<Self> {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("OS randomness: {e}"))?;
        let token = URL_SAFE_NO_PAD.encode(bytes);
        let hash = hash_refresh_token(&token);
        Ok(Self { token, hash })
    }
}

/// The stored form of a presented refresh token. SHA-256 without salt is
/// enough: the input has 256 bits of entropy, so there is nothing to guess.
pub fn hash_refresh_token(token: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(token.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_unique_and_stored_only_hashed() {
        let a = RefreshToken::generate().unwrap();
        let b = RefreshToken::generate().unwrap();
        assert_ne!(a.token, b.token);
        assert_eq!(a.token.len(), 43);
        assert_ne!(a.hash, a.token);
        assert_eq!(hash_refresh_token(&a.token), a.hash);
    }
}
