//! Passwords: 8–128 characters, not an echo of the username or email, not on
//! a short list of the most common passwords. Held as a `SecretString`.

use secrecy::{ExposeSecret, SecretString};

use super::{Email, Username, ValidationError};

/// The byte size above which a password is refused before any other work,
/// so an attacker cannot make the service hash huge inputs.
pub const MAX_PASSWORD_BYTES: usize = 1024;

/// Passwords refused outright (compared case-insensitively). A short list on
/// purpose: it stops the first guesses of every credential-stuffing run.
const COMMON: &[&str] = &[
    "password",
    "password1",
    "password123",
    "12345678",
    "123456789",
    "1234567890",
    "qwertyuiop",
    "qwerty123",
    "11111111",
    "00000000",
    "iloveyou",
    "sunshine",
    "princess",
    "football",
    "baseball",
    "welcome1",
    "admin123",
    "letmein1",
    "abc12345",
    "passw0rd",
    "p@ssw0rd",
    "trustno1",
    "superman",
    "starwars",
    "whatever",
    "dragon12",
    "monkey12",
    "master12",
    "changeme",
    "qwertyui",
    "1q2w3e4r",
    "1qaz2wsx",
    "zaq12wsx",
    "asdfghjk",
    "asdfasdf",
    "aaaaaaaa",
    "87654321",
    "12341234",
    "11223344",
    "q1w2e3r4",
    "qazwsxedc",
    "football1",
];

/// A password that passed the rules (registration) or at least the size
/// limit (login).
#[derive(Debug)]
pub struct Password(SecretString);

impl Password {
    /// Checks every registration rule.
    pub fn parse_new(
        raw: &str,
        username: &Username,
        email: &Email,
    ) -> Result<Self, ValidationError> {
        let password = Self::parse_candidate(raw)?;
        let count = raw.chars().count();
        if !(8..=128).contains(&count) {
            return Err(ValidationError::Password(
                "Password must be 8 to 128 characters long",
            ));
        }
        let lower = raw.to_lowercase();
        if lower == username.normalized() || lower == email.normalized() {
            return Err(ValidationError::Password(
                "Password must not be your username or email",
            ));
        }
        if COMMON.contains(&lower.as_str()) {
            return Err(ValidationError::Password("Password is too common"));
        }
        Ok(password)
    }

    /// Checks only the size limit: a login attempt's password is compared,
    /// not judged.
    pub fn parse_candidate(raw: &str) -> Result<Self, ValidationError> {
        if raw.len() > MAX_PASSWORD_BYTES {
            return Err(ValidationError::Password(
                "Password must be 8 to 128 characters long",
            ));
        }
        Ok(Self(SecretString::from(raw)))
    }

    /// The password bytes, for hashing only.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids() -> (Username, Email) {
        (
            Username::parse("alice").unwrap(),
            Email::parse("alice@example.com").unwrap(),
        )
    }

    #[test]
    fn counts_code_points_not_bytes() {
        let (u, e) = ids();
        assert!(Password::parse_new("ééééééé", &u, &e).is_err());
        assert!(Password::parse_new("éééééééé", &u, &e).is_ok());
        assert!(Password::parse_new(&"x".repeat(129), &u, &e).is_err());
    }

    #[test]
    fn refuses_echoes_and_common_passwords() {
        let (u, e) = ids();
        let echo_user = Username::parse("alice12345").unwrap();
        assert!(Password::parse_new("ALICE12345", &echo_user, &e).is_err());
        assert!(Password::parse_new("Alice@Example.com", &u, &e).is_err());
        assert!(Password::parse_new("Password123", &u, &e).is_err());
    }

    #[test]
    fn refuses_oversized_input_before_anything_else() {
        assert!(Password::parse_candidate(&"x".repeat(MAX_PASSWORD_BYTES + 1)).is_err());
        assert!(Password::parse_candidate("short").is_ok());
    }

    #[test]
    fn debug_output_hides_the_secret() {
        let p = Password::parse_candidate("hunter2hunter2").unwrap();
        assert!(!format!("{p:?}").contains("hunter2"));
    }
}
