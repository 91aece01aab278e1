//! Store errors, classified once: a duplicate key is a conflict, an
//! unreachable server is "unavailable" (503, retry), anything else is a bug.

use mongodb::error::{ErrorKind, WriteFailure};

/// What a store operation can fail with.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A unique index refused the write (MongoDB error 11000).
    #[error("duplicate key")]
    Conflict,
    /// MongoDB could not be reached or is shutting down.
    #[error("database unavailable")]
    Unavailable(#[source] mongodb::error::Error),
    /// Concurrent writers kept taking the same log position.
    #[error("write contention")]
    Contention,
    /// Any other database failure.
    #[error("database error")]
    Other(#[source] mongodb::error::Error),
    /// The database answered something it never should (for example an
    /// upsert returning no document): refused, never read as a default.
    #[error("unexpected database answer: {0}")]
    Unexpected(&'static str),
}

const DUPLICATE_KEY: i32 = 11000;
/// Server codes meaning "not now": shutdown, stepdown, no primary.
const TRANSIENT_CODES: &[i32] = &[6, 7, 89, 91, 189, 10107, 11600, 11602, 13435, 13436];

impl From<mongodb::error::Error> for StoreError {
    fn from(err: mongodb::error::Error) -> Self {
        let code = match err.kind.as_ref() {
            ErrorKind::Write(WriteFailure::WriteError(e)) => Some(e.code),
            ErrorKind::Command(e) => Some(e.code),
            ErrorKind::Io(_)
            | ErrorKind::ServerSelection { .. }
            | ErrorKind::ConnectionPoolCleared { .. }
            | ErrorKind::DnsResolve { .. }
            | ErrorKind::Shutdown => return Self::Unavailable(err),
            _ => None,
        };
        match code {
            Some(DUPLICATE_KEY) => Self::Conflict,
            Some(c) if TRANSIENT_CODES.contains(&c) => Self::Unavailable(err),
            _ => Self::Other(err),
        }
    }
}
