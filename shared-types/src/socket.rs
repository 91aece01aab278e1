//! Payloads of the realtime-gateway's socket.io events.

use serde::{Deserialize, Serialize};

/// Ack of `whoami`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WhoAmI {
    /// User id (the token's `sub`).
    pub id: String,
    /// Username (from the token).
    pub username: String,
}

/// Payload of `room:join` and `room:leave`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoomRequest {
    /// `public:<name>` or `user:<own id>`.
    pub room: String,
}

/// Payload of a client's `message`. A client-supplied `from` is accepted
/// and ignored (the sender always comes from the token); any other unknown
/// field is refused.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MessageRequest {
    /// A room the sender has joined.
    pub room: String,
    /// The text.
    pub body: String,
    /// Whatever a client claims as sender; never read.
    #[serde(default, rename = "from", skip_serializing)]
    pub ignored_from: serde::de::IgnoredAny,
}

/// A `message` as broadcast to a room.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatMessage {
    /// The authenticated sender.
    pub from: WhoAmI,
    /// The room.
    pub room: String,
    /// The text.
    pub body: String,
    /// Server time, milliseconds since the Unix epoch.
    pub at: i64,
}

/// Payload of the server's `auth:expiring`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthExpiring {
    /// The socket's current token expiry, seconds since the Unix epoch.
    pub expires_at: i64,
}

/// Payload of a client's `auth:refresh`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthRefresh {
    /// A fresh access token for the same user and session.
    pub token: String,
}

/// Every event ack: `{ok: true, ...}` or `{error: "<code>"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Ack<T> {
    /// The event succeeded.
    Ok(T),
    /// The event was refused; the code says why.
    Err {
        /// Stable code, e.g. `invalid_payload`.
        error: EventErrorCode,
    },
}

/// Why an event was refused (sent in its ack). `<&'static str>::from(code)`
/// is the wire string; [`strum::IntoEnumIterator`] lists every code.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    strum::IntoStaticStr,
    strum::EnumIter,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum EventErrorCode {
    /// The payload is not the shape the event expects.
    InvalidPayload,
    /// The payload exceeds the gateway's size limit.
    PayloadTooLarge,
    /// Too many events from this socket; slow down.
    RateLimited,
    /// The room policy forbids this room for this user.
    Forbidden,
    /// The socket has not joined that room.
    NotInRoom,
    /// The refresh token is not for this user and session, or is invalid.
    InvalidToken,
    /// The socket is already in `MAX_ROOMS_PER_SOCKET` rooms.
    TooManyRooms,
    /// An application hook (room authorization, RPC) or the presence store
    /// did not answer usably; nothing was granted. Retryable.
    Unavailable,
    /// The RPC hook answered an error whose code is not a valid code.
    RpcFailed,
}

/// Success ack of `room:join` / `room:leave`: `{ok: true, room}`, plus
/// `members` and `count` when joining a room that carries presence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoomAck {
    /// Always `true`.
    pub ok: bool,
    /// The room joined or left.
    pub room: String,
    /// The room's presence, on joining a presence room.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub presence: Option<Members>,
}

/// Who is in a presence room: at most 100 users listed, `count` distinct
/// users in all (ack of `room:members`, part of a presence `room:join` ack).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Members {
    /// Up to 100 members.
    pub members: Vec<WhoAmI>,
    /// Distinct users in the room.
    pub count: u64,
}

/// `presence:join` / `presence:leave`: a user's first socket joined, or
/// their last socket left, `room`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PresenceChange {
    /// The presence room.
    pub room: String,
    /// Who joined or left.
    pub user: WhoAmI,
}

/// Payload of a client's `rpc`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RpcRequest {
    /// The method, `^[A-Za-z0-9_.:-]{1,64}$`.
    pub method: String,
    /// Any JSON (absent = `null`).
    #[serde(default)]
    pub params: serde_json::Value,
}

/// Success ack carrying nothing else (`message`): `{ok: true}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OkAck {
    /// Always `true`.
    pub ok: bool,
}

/// Success ack of `auth:refresh`: `{ok: true, expires_at}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefreshAck {
    /// Always `true`.
    pub ok: bool,
    /// The socket's new expiry, seconds since the Unix epoch.
    pub expires_at: i64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use strum::IntoEnumIterator;

    #[test]
    fn every_event_code_serializes_as_its_static_string() {
        for code in EventErrorCode::iter() {
            let name: &'static str = code.into();
            assert_eq!(serde_json::to_string(&code).unwrap(), format!("\"{name}\""));
        }
    }

    #[test]
    fn a_message_may_carry_a_forged_from_but_no_other_extra_field() {
        let forged = r#"{"room":"public:a","body":"hi","from":{"id":"x","username":"admin"}}"#;
        assert!(serde_json::from_str::<MessageRequest>(forged).is_ok());
        let hostile = r#"{"room":"public:a","body":"hi","$where":"1"}"#;
        assert!(serde_json::from_str::<MessageRequest>(hostile).is_err());
    }
}
