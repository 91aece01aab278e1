//! Input rules of the server API: event names, room names, user ids,
//! idempotency keys and the size of `data`.

use serde_json::Value;
use serde_json::value::RawValue;

use super::error::{ApiCode, ApiError};
use crate::socket::principal::user_room;
use crate::socket::rooms::{MAX_ROOM, is_name};

/// Event names the gateway or socket.io itself uses.
const RESERVED_EVENTS: &[&str] = &[
    "message",
    "connect",
    "connect_error",
    "disconnect",
    "disconnecting",
    "newListener",
    "removeListener",
];
/// Prefixes of event names the gateway uses.
const RESERVED_PREFIXES: &[&str] = &["auth:", "room:", "presence:", "rpc", "gatehouse:"];

/// An event name a backend may publish (400 `invalid_event` otherwise).
pub fn event(name: &str) -> Result<(), ApiError> {
    let reserved =
        RESERVED_EVENTS.contains(&name) || RESERVED_PREFIXES.iter().any(|p| name.starts_with(p));
    if !is_name(name, 64) || reserved {
        return Err(ApiError::new(
            ApiCode::InvalidEvent,
            "event must be 1-64 of [A-Za-z0-9_.:-] and not a reserved name",
        ));
    }
    Ok(())
}

/// A room name (400 `invalid_room` otherwise).
pub fn room(name: &str) -> Result<(), ApiError> {
    if !is_name(name, MAX_ROOM) {
        return Err(ApiError::new(
            ApiCode::InvalidRoom,
            "room must be 1-128 of [A-Za-z0-9_.:-]",
        ));
    }
    Ok(())
}

/// The `user:<id>` room of `user_id`, which must make a valid room name.
pub fn user(user_id: &str) -> Result<String, ApiError> {
    let r = user_room(user_id);
    if user_id.is_empty() || room(&r).is_err() {
        return Err(ApiError::new(
            ApiCode::InvalidRoom,
            "user_id must be 1-123 of [A-Za-z0-9_.:-]",
        ));
    }
    Ok(r)
}

/// A session id (1-128 of the room alphabet).
pub fn session(session_id: &str) -> Result<(), ApiError> {
    if !is_name(session_id, 128) {
        return Err(ApiError::malformed(
            "session_id must be 1-128 of [A-Za-z0-9_.:-]",
        ));
    }
    Ok(())
}

/// An idempotency key: 1-64 characters.
pub fn idempotency_key(key: &str) -> Result<(), ApiError> {
    if !(1..=64).contains(&key.chars().count()) {
        return Err(ApiError::malformed(
            "idempotency_key must be 1-64 characters",
        ));
    }
    Ok(())
}

/// `data` as JSON text, at most `max_bytes` long (413 `payload_too_large`).
pub fn data(data: &Value, max_bytes: usize) -> Result<Box<RawValue>, ApiError> {
    let raw = serde_json::value::to_raw_value(data)
        .map_err(|_| ApiError::malformed("data is not serializable JSON"))?;
    if raw.get().len() > max_bytes {
        return Err(ApiError::new(
            ApiCode::PayloadTooLarge,
            format!("data is larger than {max_bytes} bytes"),
        ));
    }
    Ok(raw)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_follow_the_alphabet_and_avoid_reserved_names() {
        for ok in ["order.updated", "a", "x:y-z_1", &"e".repeat(64)] {
            assert_eq!(event(ok), Ok(()), "{ok}");
        }
        for bad in [
            "",
            "message",
            "connect",
            "newListener",
            "auth:x",
            "room:join",
            "presence:join",
            "rpc",
            "rpcx",
            "gatehouse:x",
            "a b",
            "é",
            &"e".repeat(65),
        ] {
            assert_eq!(event(bad).unwrap_err().code, ApiCode::InvalidEvent, "{bad}");
        }
    }

    #[test]
    fn rooms_and_users_follow_the_alphabet() {
        assert_eq!(room(&"r".repeat(128)), Ok(()));
        assert!(room(&"r".repeat(129)).is_err());
        assert!(room("a/b").is_err());
        assert_eq!(user("u1").unwrap(), "user:u1");
        assert!(user("").is_err());
        assert!(user(&"u".repeat(124)).is_err());
    }

    #[test]
    fn data_is_measured_as_serialized_json() {
        let v = Value::String("x".repeat(10));
        assert_eq!(data(&v, 12).unwrap().get().len(), 12);
        assert_eq!(data(&v, 11).unwrap_err().code, ApiCode::PayloadTooLarge);
    }
}
