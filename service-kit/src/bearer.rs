//! Shared-secret bearer credentials.
//!
//! A [`BearerKeys`] holds one or more accepted secrets (several during a
//! rotation: add the new one, roll out the callers, drop the old one). A
//! presented `Authorization: Bearer <secret>` value is compared against
//! **every** accepted secret through SHA-256 digests and `subtle`'s
//! constant-time equality, so neither the position of the first differing
//! byte nor the secret's length shows in the timing. The secrets are
//! [`SecretString`]s: `Debug` cannot print them, and parse errors never
//! echo the value.

use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Shortest accepted secret, in characters.
pub const MIN_SECRET_CHARS: usize = 32;

/// Why a list of secrets was refused. Never contains the secrets.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BearerKeysError {
    /// The list holds no secret.
    #[error("expected at least one secret")]
    Empty,
    /// One entry is too short (its position, from 1, is given).
    #[error("secret #{0} is shorter than {MIN_SECRET_CHARS} characters")]
    TooShort(usize),
    /// One entry holds whitespace or control characters inside it.
    #[error("secret #{0} contains whitespace or control characters")]
    BadCharacter(usize),
}

/// The accepted secrets.
pub struct BearerKeys {
    digests: Vec<[u8; 32]>,
    first: SecretString,
}

impl std::fmt::Debug for BearerKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "BearerKeys({} secret(s), redacted)", self.digests.len())
    }
}

impl Clone for BearerKeys {
    fn clone(&self) -> Self {
        Self {
            digests: self.digests.clone(),
            first: SecretString::from(self.first.expose_secret().to_owned()),
        }
    }
}

impl BearerKeys {
    /// Parses a comma-separated list; surrounding whitespace (a trailing
    /// `\r` from a CRLF env file included) is trimmed from each entry.
    pub fn parse(list: &str) -> Result<Self, BearerKeysError> {
        let mut digests = Vec::new();
        let mut first = None;
        for (i, entry) in list.split(',').map(str::trim).enumerate() {
            if entry.is_empty() {
                continue;
            }
            if entry.chars().count() < MIN_SECRET_CHARS {
                return Err(BearerKeysError::TooShort(i + 1));
            }
            if entry.chars().any(|c| c.is_whitespace() || c.is_control()) {
                return Err(BearerKeysError::BadCharacter(i + 1));
            }
            digests.push(digest(entry.as_bytes()));
            first.get_or_insert_with(|| SecretString::from(entry.to_owned()));
        }
        let first = first.ok_or(BearerKeysError::Empty)?;
        Ok(Self { digests, first })
    }

    /// How many secrets are accepted.
    pub fn len(&self) -> usize {
        self.digests.len()
    }

    /// Always false: a parsed list holds at least one secret.
    pub fn is_empty(&self) -> bool {
        self.digests.is_empty()
    }

    /// The first secret of the list: what a caller sends.
    pub fn primary(&self) -> &SecretString {
        &self.first
    }

    /// Whether `presented` is one of the secrets (constant time in the
    /// secrets' contents; every secret is compared).
    pub fn accepts(&self, presented: &[u8]) -> bool {
        let presented = digest(presented);
        self.digests
            .iter()
            .fold(subtle::Choice::from(0), |found, d| {
                found | d.ct_eq(&presented)
            })
            .into()
    }

    /// Whether an `Authorization` header value is `Bearer <accepted secret>`
    /// (the scheme is case-insensitive, as HTTP says).
    pub fn accepts_header(&self, value: Option<&[u8]>) -> bool {
        match value.and_then(bearer_credentials) {
            Some(secret) => self.accepts(secret),
            None => false,
        }
    }
}

/// The credentials of a `Bearer` authorization value.
fn bearer_credentials(value: &[u8]) -> Option<&[u8]> {
    let (scheme, rest) = value.split_at_checked(7)?;
    scheme
        .eq_ignore_ascii_case(b"bearer ")
        .then(|| rest.trim_ascii())
        .filter(|s| !s.is_empty())
}

fn digest(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    const B: &str = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

    #[test]
    fn every_listed_secret_is_accepted_during_a_rotation() {
        let keys = BearerKeys::parse(&format!(" {A} ,{B}\r\n")).unwrap();
        assert_eq!(keys.len(), 2);
        assert!(keys.accepts(A.as_bytes()));
        assert!(keys.accepts(B.as_bytes()));
        assert_eq!(keys.primary().expose_secret(), A);
    }

    #[test]
    fn one_character_off_missing_or_another_scheme_is_refused() {
        let keys = BearerKeys::parse(A).unwrap();
        let mut off = A.to_owned();
        off.replace_range(35..36, "b");
        assert!(!keys.accepts(off.as_bytes()));
        assert!(!keys.accepts(&A.as_bytes()[1..]));
        assert!(!keys.accepts(format!("{A}a").as_bytes()));
        assert!(!keys.accepts(b""));
        assert!(keys.accepts_header(Some(format!("Bearer {A}").as_bytes())));
        assert!(keys.accepts_header(Some(format!("bearer {A}").as_bytes())));
        assert!(!keys.accepts_header(Some(format!("Basic {A}").as_bytes())));
        assert!(!keys.accepts_header(Some(b"Bearer ")));
        assert!(!keys.accepts_header(Some(A.as_bytes())));
        assert!(!keys.accepts_header(None));
    }

    #[test]
    fn short_empty_or_spaced_secrets_are_refused_without_echoing_them() {
        let err = BearerKeys::parse("short-secret").unwrap_err();
        assert_eq!(err, BearerKeysError::TooShort(1));
        assert!(!err.to_string().contains("short-secret"));
        assert_eq!(
            BearerKeys::parse(" , ").unwrap_err(),
            BearerKeysError::Empty
        );
        let spaced = format!("{A} {B}");
        assert_eq!(
            BearerKeys::parse(&spaced).unwrap_err(),
            BearerKeysError::BadCharacter(1)
        );
        let keys = BearerKeys::parse(A).unwrap();
        assert!(!format!("{keys:?}").contains(A));
    }
}
