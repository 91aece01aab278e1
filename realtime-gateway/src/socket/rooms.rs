//! The room policy: `public:<name>` and `presence:<name>` are open to every
//! authenticated user (`<name>` 1–64 of `[A-Za-z0-9_.:-]`), `user:<id>` only
//! to that user, `session:*` to nobody, and any other well-formed room is
//! decided by the application's room-authorization hook. A socket may not
//! leave its own `user:<id>` room: the per-user connection limit counts its
//! members. [`RoomQuota`] bounds how many rooms a socket is in.

use std::sync::Mutex;

use shared_types::socket::EventErrorCode;
use socketioxide::adapter::Adapter;
use socketioxide::extract::SocketRef;

use super::principal::user_room;

/// How many rooms a socket may be in besides its own `user:<id>` and
/// `session:<id>` rooms (`MAX_ROOMS_PER_SOCKET`). Counting and joining are
/// one step under a per-socket lock, so concurrent `room:join`s cannot
/// exceed it.
pub struct RoomQuota {
    max: usize,
    own: [String; 2],
    lock: Mutex<()>,
}

impl RoomQuota {
    /// A quota of `max` rooms for a socket whose own rooms are `own`.
    pub fn new(max: usize, own: [String; 2]) -> Self {
        Self {
            max,
            own,
            lock: Mutex::new(()),
        }
    }

    /// Joins `room` (already allowed by the policy) unless the quota is full;
    /// joining a room the socket is already in always succeeds.
    pub fn join<A: Adapter>(&self, s: &SocketRef<A>, room: &str) -> Result<(), EventErrorCode> {
        let _turn = self.lock.lock().unwrap_or_else(|p| p.into_inner());
        let rooms = s.rooms();
        if !rooms.iter().any(|r| r == room) {
            let joined = rooms
                .iter()
                .filter(|r| !self.own.iter().any(|own| own == &***r))
                .count();
            if joined >= self.max {
                return Err(EventErrorCode::TooManyRooms);
            }
            s.join(room.to_owned());
        }
        Ok(())
    }
}

/// Longest room name, in bytes.
pub const MAX_ROOM: usize = 128;
/// Longest name after `public:` or `presence:`.
pub const MAX_OPEN_NAME: usize = 64;

/// Whether `s` is 1..=`max` characters of `[A-Za-z0-9_.:-]`, the alphabet of
/// room names, event names, RPC methods and ids.
pub fn is_name(s: &str, max: usize) -> bool {
    (1..=max).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b':' | b'-'))
}

/// Who decides whether a socket may join a room.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Policy {
    /// `public:<name>` (no presence) or `presence:<name>` (presence): open
    /// to every authenticated user.
    Open {
        /// Whether the room carries presence.
        presence: bool,
    },
    /// The user's own `user:<id>` room (always joined).
    Own,
    /// Any other well-formed room: the application's room-authorization hook.
    Hook,
}

/// The policy for `user_id` joining `room`; `forbidden` for a malformed
/// name, another user's room, or a `session:` room.
pub fn policy(room: &str, user_id: &str) -> Result<Policy, EventErrorCode> {
    if !is_name(room, MAX_ROOM) {
        return Err(EventErrorCode::Forbidden);
    }
    for (prefix, presence) in [("public:", false), ("presence:", true)] {
        if let Some(name) = room.strip_prefix(prefix) {
            return if is_name(name, MAX_OPEN_NAME) {
                Ok(Policy::Open { presence })
            } else {
                Err(EventErrorCode::Forbidden)
            };
        }
    }
    if room == user_room(user_id) {
        return Ok(Policy::Own);
    }
    if room.starts_with("user:") || room.starts_with("session:") {
        return Err(EventErrorCode::Forbidden);
    }
    Ok(Policy::Hook)
}

/// May `user_id` leave `room`? Any well-formed room but the socket's own
/// `user:<id>` and `session:<id>` rooms (the connection limit and the
/// server API count on those).
pub fn may_leave(room: &str, user_id: &str) -> Result<(), EventErrorCode> {
    match policy(room, user_id)? {
        Policy::Own => Err(EventErrorCode::Forbidden),
        Policy::Open { .. } | Policy::Hook => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_and_presence_rooms_are_open_with_a_valid_name() {
        assert_eq!(
            policy("public:lobby", "u1"),
            Ok(Policy::Open { presence: false })
        );
        assert_eq!(
            policy("presence:a.b:c-d_9", "u1"),
            Ok(Policy::Open { presence: true })
        );
        let longest = format!("public:{}", "x".repeat(MAX_OPEN_NAME));
        assert_eq!(policy(&longest, "u1"), Ok(Policy::Open { presence: false }));
    }

    #[test]
    fn bad_names_are_forbidden() {
        let long = format!("public:{}", "x".repeat(MAX_OPEN_NAME + 1));
        let huge = "x".repeat(MAX_ROOM + 1);
        for room in [
            "public:",
            "presence:",
            "public:has space",
            "public:é",
            "team/1",
            "",
            &long,
            &huge,
        ] {
            assert_eq!(policy(room, "u1"), Err(EventErrorCode::Forbidden), "{room}");
        }
    }

    #[test]
    fn user_rooms_belong_to_their_user_only_and_session_rooms_to_nobody() {
        assert_eq!(policy("user:u1", "u1"), Ok(Policy::Own));
        for room in ["user:u2", "user:", "session:s1"] {
            assert_eq!(policy(room, "u1"), Err(EventErrorCode::Forbidden), "{room}");
        }
    }

    #[test]
    fn other_rooms_go_to_the_hook_and_own_rooms_cannot_be_left() {
        for room in ["team:42", "doc.7", "PUBLIC:x", "lobby"] {
            assert_eq!(policy(room, "u1"), Ok(Policy::Hook), "{room}");
        }
        assert_eq!(may_leave("user:u1", "u1"), Err(EventErrorCode::Forbidden));
        assert_eq!(
            may_leave("session:s1", "u1"),
            Err(EventErrorCode::Forbidden)
        );
        assert_eq!(may_leave("public:lobby", "u1"), Ok(()));
        assert_eq!(may_leave("team:42", "u1"), Ok(()));
    }

    proptest::proptest! {
        /// Any room name: a user's own room only for that user, session
        /// rooms never, open rooms only under their prefixes, the hook only
        /// for well-formed names; and leaving never opens what joining
        /// forbids.
        #[test]
        fn the_policy_is_total_and_never_lets_a_malformed_name_through(
            room in "\\PC{0,140}|(public:|presence:|user:|session:)?[A-Za-z0-9_.:\\-]{0,70}",
        ) {
            let verdict = policy(&room, "u1");
            match verdict {
                Ok(Policy::Own) => proptest::prop_assert_eq!(room.as_str(), "user:u1"),
                Ok(Policy::Open { presence }) => {
                    let prefix = if presence { "presence:" } else { "public:" };
                    proptest::prop_assert!(room.starts_with(prefix));
                    proptest::prop_assert!(is_name(&room, MAX_ROOM));
                }
                Ok(Policy::Hook) => {
                    proptest::prop_assert!(is_name(&room, MAX_ROOM));
                    proptest::prop_assert!(!room.starts_with("user:") && !room.starts_with("session:"));
                }
                Err(code) => proptest::prop_assert_eq!(code, EventErrorCode::Forbidden),
            }
            if verdict.is_err() {
                proptest::prop_assert!(may_leave(&room, "u1").is_err());
            }
        }
    }
}
