//! The room policy: `public:<name>` is open to every authenticated user
//! (`<name>` 1–64 of `[A-Za-z0-9_.:-]`), `user:<id>` only to that user,
//! anything else is forbidden. A socket may not leave its own `user:<id>`
//! room: the per-user connection limit counts its members.

use std::sync::Mutex;

use shared_types::socket::EventErrorCode;
use socketioxide::adapter::Adapter;
use socketioxide::extract::SocketRef;

use super::principal::user_room;

/// How many rooms a socket may be in besides its own `user:<id>`
/// (`MAX_ROOMS_PER_SOCKET`). Counting and joining are one step under a
/// per-socket lock, so concurrent `room:join`s cannot exceed it.
pub struct RoomQuota {
    max: usize,
    lock: Mutex<()>,
}

impl RoomQuota {
    /// A quota of `max` rooms.
    pub fn new(max: usize) -> Self {
        Self {
            max,
            lock: Mutex::new(()),
        }
    }

    /// Joins `room` (already allowed by the policy) unless the quota is full;
    /// joining a room the socket is already in always succeeds.
    pub fn join<A: Adapter>(
        &self,
        s: &SocketRef<A>,
        room: &str,
        own_room: &str,
    ) -> Result<(), EventErrorCode> {
        let _turn = self.lock.lock().unwrap_or_else(|p| p.into_inner());
        let rooms = s.rooms();
        if !rooms.iter().any(|r| r == room) {
            let joined = rooms.iter().filter(|r| *r != own_room).count();
            if joined >= self.max {
                return Err(EventErrorCode::TooManyRooms);
            }
            s.join(room.to_owned());
        }
        Ok(())
    }
}

/// Longest `public:` room name.
pub const MAX_PUBLIC_NAME: usize = 64;

/// May `user_id` join (or send to) `room`?
pub fn may_join(room: &str, user_id: &str) -> Result<(), EventErrorCode> {
    if let Some(name) = room.strip_prefix("public:") {
        let ok = (1..=MAX_PUBLIC_NAME).contains(&name.len())
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b':' | b'-'));
        return if ok {
            Ok(())
        } else {
            Err(EventErrorCode::Forbidden)
        };
    }
    if room == user_room(user_id) {
        return Ok(());
    }
    Err(EventErrorCode::Forbidden)
}

/// May `user_id` leave `room`? Public rooms only.
pub fn may_leave(room: &str, user_id: &str) -> Result<(), EventErrorCode> {
    if room == user_room(user_id) {
        return Err(EventErrorCode::Forbidden);
    }
    may_join(room, user_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_rooms_are_open_with_a_valid_name() {
        assert_eq!(may_join("public:lobby", "u1"), Ok(()));
        assert_eq!(may_join("public:a.b:c-d_9", "u1"), Ok(()));
        assert_eq!(
            may_join(&format!("public:{}", "x".repeat(64)), "u1"),
            Ok(())
        );
    }

    #[test]
    fn bad_public_names_are_forbidden() {
        for room in ["public:", "public:has space", "public:é", "public:a/b"] {
            assert_eq!(
                may_join(room, "u1"),
                Err(EventErrorCode::Forbidden),
                "{room}"
            );
        }
        let long = format!("public:{}", "x".repeat(65));
        assert_eq!(may_join(&long, "u1"), Err(EventErrorCode::Forbidden));
    }

    #[test]
    fn user_rooms_belong_to_their_user_only() {
        assert_eq!(may_join("user:u1", "u1"), Ok(()));
        assert_eq!(may_join("user:u2", "u1"), Err(EventErrorCode::Forbidden));
        assert_eq!(may_join("user:", "u1"), Err(EventErrorCode::Forbidden));
    }

    #[test]
    fn other_rooms_are_forbidden_and_the_own_user_room_cannot_be_left() {
        for room in ["lobby", "", "private:x", "PUBLIC:x"] {
            assert_eq!(
                may_join(room, "u1"),
                Err(EventErrorCode::Forbidden),
                "{room}"
            );
        }
        assert_eq!(may_leave("user:u1", "u1"), Err(EventErrorCode::Forbidden));
        assert_eq!(may_leave("public:lobby", "u1"), Ok(()));
    }
}
