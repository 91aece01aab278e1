//! Who is on the other end of a socket: set by the handshake middleware in
//! the socket's extensions, read by every handler.

use std::sync::Arc;

use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

/// The authenticated identity of a socket. The sender of every message
/// comes from here, never from a payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// User id (token `sub`).
    pub user_id: String,
    /// Username (from the token, as `WhoAmI` documents).
    pub username: String,
    /// Session id (token `sid`).
    pub session_id: String,
    /// Current token expiry, seconds since the Unix epoch.
    pub expires_at: i64,
}

/// The room every socket of a user joins: `user:<id>`.
pub fn user_room(user_id: &str) -> String {
    format!("user:{user_id}")
}

/// The room every socket of one session joins: `session:<id>`, so the
/// server API can close a session's sockets on every replica. The room
/// policy forbids clients to join it.
pub fn session_room(session_id: &str) -> String {
    format!("session:{session_id}")
}

/// Per-socket state of the live session: the expiry the timer follows, and
/// the token that stops the timer when the socket goes away.
#[derive(Debug)]
pub struct LiveSession {
    /// Current expiry (Unix seconds); `auth:refresh` sends a new one.
    pub expiry: watch::Sender<i64>,
    /// Cancelled on disconnect.
    pub cancel: CancellationToken,
}

impl LiveSession {
    /// A live session expiring at `expires_at`.
    pub fn new(expires_at: i64) -> Arc<Self> {
        Arc::new(Self {
            expiry: watch::Sender::new(expires_at),
            cancel: CancellationToken::new(),
        })
    }
}
