//! Email addresses: a plausible `local@domain`, unique case-insensitively.

use super::ValidationError;

/// A plausible email address. Deliverability is not checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    /// Checks shape and length (RFC 5321 limits), refusing whitespace and
    /// control characters anywhere.
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let invalid =
            || ValidationError::Email("Email must be a valid address like name@example.com");
        if raw.is_empty() || raw.len() > 254 {
            return Err(invalid());
        }
        if raw.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(invalid());
        }
        let (local, domain) = raw.rsplit_once('@').ok_or_else(invalid)?;
        let domain_ok = !domain.is_empty()
            && domain.len() <= 253
            && domain.contains('.')
            && !domain.contains('@')
            && domain
                .split('.')
                .all(|label| !label.is_empty() && !label.starts_with('-') && !label.ends_with('-'));
        if local.is_empty() || local.len() > 64 || local.contains('@') || !domain_ok {
            return Err(invalid());
        }
        Ok(Self(raw.to_owned()))
    }

    /// The address as registered.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The case-folded form the unique index is built on.
    pub fn normalized(&self) -> String {
        Self::fold(&self.0)
    }

    /// The one folding rule for emails, at registration and at login.
    pub fn fold(raw: &str) -> String {
        raw.to_lowercase()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_ordinary_addresses_and_folds_case() {
        let email = Email::parse("Ann.Lee+tag@Example.COM").unwrap();
        assert_eq!(email.normalized(), "ann.lee+tag@example.com");
    }

    #[test]
    fn refuses_malformed_addresses() {
        for bad in [
            "",
            "plain",
            "@example.com",
            "a@",
            "a@b",
            "a b@example.com",
            "a@@example.com",
            "a@-x.com",
            "a@x..com",
            "a\n@example.com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?} accepted");
        }
        assert!(Email::parse(&format!("{}@example.com", "a".repeat(65))).is_err());
    }
}
