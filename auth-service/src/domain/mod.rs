//! Validated values. Each type has a private field and one `parse`
//! constructor, so a value that exists has already passed the rules.

mod email;
mod password;
mod username;

#[cfg(test)]
mod properties;

pub use email::Email;
pub use password::Password;
pub use username::Username;

/// Why a registration field was refused; the message is safe to show.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValidationError {
    /// The username breaks the username rules.
    #[error("{0}")]
    Username(&'static str),
    /// The email breaks the email rules.
    #[error("{0}")]
    Email(&'static str),
    /// The password breaks the password rules.
    #[error("{0}")]
    Password(&'static str),
}
