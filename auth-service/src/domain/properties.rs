//! Property tests of the account rules over arbitrary input (`proptest`):
//! each parser accepts exactly what its rule says, the folding rules are
//! idempotent and never map a non-ASCII username onto an ASCII one, and no
//! refusal ever echoes the input.

use proptest::prelude::*;

use super::{Email, Password, Username};

/// The username rule, stated independently of the parser.
fn username_rule(s: &str) -> bool {
    (3..=32).contains(&s.chars().count())
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn usernames_are_accepted_exactly_by_the_rule(s in "\\PC{0,40}|[A-Za-z0-9_.\\-]{0,40}") {
        prop_assert_eq!(Username::parse(&s).is_ok(), username_rule(&s));
    }

    #[test]
    fn username_folding_is_idempotent_and_keeps_non_ascii_apart(s in "\\PC{0,40}") {
        let once = Username::fold(&s);
        prop_assert_eq!(Username::fold(&once), once.clone());
        if !s.is_ascii() {
            // A look-alike (e.g. U+212A KELVIN SIGN) never folds onto a
            // registrable (ASCII) username.
            prop_assert!(!once.is_ascii());
        }
    }

    #[test]
    fn accepted_emails_have_the_documented_shape(s in "\\PC{0,80}|[a-z0-9.+\\-]{1,20}@[a-z0-9\\-]{1,20}(\\.[a-z]{1,5}){0,2}") {
        if let Ok(email) = Email::parse(&s) {
            let (local, domain) = s.rsplit_once('@').unwrap();
            prop_assert!(!local.is_empty() && local.len() <= 64 && !local.contains('@'));
            prop_assert!(domain.contains('.') && domain.len() <= 253);
            prop_assert!(s.len() <= 254);
            prop_assert!(!s.chars().any(|c| c.is_whitespace() || c.is_control()));
            prop_assert_eq!(Email::fold(&email.normalized()), email.normalized());
        }
    }

    #[test]
    fn refusals_never_echo_the_input(s in "[a-zA-Z]{6,40}\\PC{0,20}") {
        let username = Username::parse("valid_user").unwrap();
        let email = Email::parse("valid@example.com").unwrap();
        for err in [
            Username::parse(&format!("{s} !")).err(),
            Email::parse(&format!("{s} @")).err(),
            Password::parse_new(&s[..6.min(s.len())], &username, &email).err(),
        ]
        .into_iter()
        .flatten()
        {
            prop_assert!(!err.to_string().contains(&s), "{err}");
        }
    }

    #[test]
    fn accepted_new_passwords_respect_every_rule(s in "\\PC{0,140}") {
        let username = Username::parse("valid_user").unwrap();
        let email = Email::parse("valid@example.com").unwrap();
        if Password::parse_new(&s, &username, &email).is_ok() {
            prop_assert!((8..=128).contains(&s.chars().count()));
            prop_assert_ne!(s.to_lowercase(), "valid_user");
        }
        prop_assert_eq!(
            Password::parse_candidate(&s).is_ok(),
            s.len() <= super::password::MAX_PASSWORD_BYTES
        );
    }
}
