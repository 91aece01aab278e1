//! Usernames: 3–32 of `[A-Za-z0-9_.-]`, unique case-insensitively.

use super::ValidationError;

/// A valid username; keeps the spelling the user chose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Username(String);

impl Username {
    /// Checks the rules; the ASCII-only alphabet rules out homoglyphs and
    /// every MongoDB operator character (`$`) by construction.
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let len = raw.chars().count();
        if !(3..=32).contains(&len) {
            return Err(ValidationError::Username(
                "Username must be 3 to 32 characters long",
            ));
        }
        if !raw
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
        {
            return Err(ValidationError::Username(
                "Username may only contain letters, digits, '_', '.' and '-'",
            ));
        }
        Ok(Self(raw.to_owned()))
    }

    /// The username as registered.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The case-folded form the unique index is built on.
    pub fn normalized(&self) -> String {
        Self::fold(&self.0)
    }

    /// The one folding rule for usernames, at registration and at login:
    /// ASCII only, like the allowed characters, so a look-alike such as
    /// U+212A KELVIN SIGN never folds onto `k`.
    pub fn fold(raw: &str) -> String {
        raw.to_ascii_lowercase()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_documented_alphabet() {
        assert!(Username::parse("a.b-c_9").is_ok());
        assert_eq!(Username::parse("Alice").unwrap().normalized(), "alice");
    }

    #[test]
    fn refuses_length_and_alphabet_violations() {
        for bad in [
            "ab",
            &"a".repeat(33),
            "with space",
            "dollar$",
            "ünï",
            "a\u{0}b",
            "{\"$gt\":\"\"}",
        ] {
            assert!(Username::parse(bad).is_err(), "{bad:?} accepted");
        }
    }
}
