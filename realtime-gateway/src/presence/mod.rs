//! Presence: who is in a room, for rooms named `presence:<name>` and rooms
//! the room-authorization hook marked `presence: true`, across replicas.
//!
//! A socket is counted in a presence room from its `room:join` until its
//! `room:leave` or its disconnect, whichever comes first; the [`store`]
//! counts sockets per user, so a user on three devices is one member and
//! `presence:join` / `presence:leave` go out once per user. Each socket
//! remembers the presence rooms it is counted in ([`Tracked`]); its presence
//! changes run one at a time under that lock, so a join racing a leave or
//! a disconnect never leaves a count behind.

pub mod store;

use std::collections::HashSet;
use std::sync::Arc;

use serde::Serialize;
use shared_types::socket::{EventErrorCode, Members, PresenceChange, WhoAmI};
use socketioxide::SocketIo;
use socketioxide::adapter::Adapter;
use socketioxide::extract::SocketRef;
use tokio::sync::Mutex;

use crate::socket::principal::Principal;
use crate::state::AppState;
use store::Roster;

/// Most members listed in a `room:join` ack and a `room:members` ack.
pub const LISTED: usize = 100;

/// The presence rooms a socket is counted in (a socket extension set at
/// the handshake); `None` once the socket is gone, so a join still running
/// then counts nothing.
pub struct Tracked(Mutex<Option<HashSet<String>>>);

impl Tracked {
    /// An empty set for a new socket.
    pub fn new() -> Arc<Self> {
        Arc::new(Self(Mutex::new(Some(HashSet::new()))))
    }

    /// Whether the socket is counted in `room`.
    pub async fn contains<A: Adapter>(s: &SocketRef<A>, room: &str) -> bool {
        match s.extensions.get::<Arc<Self>>() {
            Some(t) => t.0.lock().await.as_ref().is_some_and(|r| r.contains(room)),
            None => false,
        }
    }
}

fn who(p: &Principal) -> WhoAmI {
    WhoAmI {
        id: p.user_id.clone(),
        username: p.username.clone(),
    }
}

/// The listing of an ack.
pub fn members(roster: Roster) -> Members {
    Members {
        members: roster.listed.into_iter().map(|m| m.user).collect(),
        count: roster.count,
    }
}

/// Sends `event` to everyone in `room`, on every replica.
async fn announce<A: Adapter>(
    io: &SocketIo<A>,
    state: &AppState,
    event: &str,
    change: &PresenceChange,
) {
    if let Ok(data) = serde_json::value::to_raw_value(change) {
        state.fanout.publish(io, &change.room, event, &data).await;
    }
}

fn unavailable(e: &impl std::fmt::Display) -> EventErrorCode {
    tracing::warn!(error = %e, "presence store unavailable");
    EventErrorCode::Unavailable
}

/// Counts socket `s` (already in `room`) as present; announces
/// `presence:join` if it is the user's first socket there; returns the
/// room's listing. If the store fails, the socket leaves the room again
/// and the join is refused with `unavailable`.
pub async fn enter<A: Adapter>(
    s: &SocketRef<A>,
    io: &SocketIo<A>,
    state: &AppState,
    p: &Principal,
    room: &str,
) -> Result<Members, EventErrorCode> {
    let tracked = s
        .extensions
        .get::<Arc<Tracked>>()
        .ok_or(EventErrorCode::Unavailable)?;
    let mut guard = tracked.0.lock().await;
    let Some(rooms) = guard.as_mut() else {
        // Disconnected meanwhile: its rooms are already released.
        return Err(EventErrorCode::Unavailable);
    };
    if !rooms.contains(room) {
        let first = match state.presence.join(room, &who(p)).await {
            Ok(first) => first,
            Err(e) => {
                s.leave(room.to_owned());
                return Err(unavailable(&e));
            }
        };
        rooms.insert(room.to_owned());
        if first {
            let change = PresenceChange {
                room: room.to_owned(),
                user: who(p),
            };
            announce(io, state, "presence:join", &change).await;
        }
    }
    drop(guard);
    let roster = state
        .presence
        .members(room, LISTED)
        .await
        .map_err(|e| unavailable(&e))?;
    Ok(members(roster))
}

/// Stops counting socket `s` in `room` (no-op if it was not counted);
/// announces `presence:leave` if it was the user's last socket there.
pub async fn exit<A: Adapter>(
    s: &SocketRef<A>,
    io: &SocketIo<A>,
    state: &AppState,
    p: &Principal,
    room: &str,
) {
    let Some(tracked) = s.extensions.get::<Arc<Tracked>>() else {
        return;
    };
    let mut guard = tracked.0.lock().await;
    if guard.as_mut().is_some_and(|rooms| rooms.remove(room)) {
        leave_store(io, state, p, room).await;
    }
}

/// Stops counting a disconnected socket in all its presence rooms.
pub async fn exit_all<A: Adapter>(
    s: &SocketRef<A>,
    io: &SocketIo<A>,
    state: &AppState,
    p: &Principal,
) {
    let Some(tracked) = s.extensions.get::<Arc<Tracked>>() else {
        return;
    };
    let rooms = tracked.0.lock().await.take().unwrap_or_default();
    for room in rooms {
        leave_store(io, state, p, &room).await;
    }
}

async fn leave_store<A: Adapter>(io: &SocketIo<A>, state: &AppState, p: &Principal, room: &str) {
    match state.presence.leave(room, &p.user_id).await {
        Ok(true) => {
            let change = PresenceChange {
                room: room.to_owned(),
                user: who(p),
            };
            announce(io, state, "presence:leave", &change).await;
        }
        Ok(false) => {}
        // The count stays one too high until the user's other sockets leave
        // or the room empties; logged so an operator sees it.
        Err(e) => tracing::warn!(error = %e, room, "presence leave not recorded"),
    }
}

/// One member with their sockets, as the server API lists them.
#[derive(Debug, Serialize)]
pub struct ApiMember {
    /// User id.
    pub id: String,
    /// Username.
    pub username: String,
    /// Their sockets in the room, cluster-wide.
    pub sockets: u64,
}

/// Every member of `room` (the server API's `presence`).
pub async fn roster(
    state: &AppState,
    room: &str,
) -> Result<(Vec<ApiMember>, u64), store::StoreError> {
    let roster = state.presence.members(room, 0).await?;
    let listed = roster
        .listed
        .into_iter()
        .map(|m| ApiMember {
            id: m.user.id,
            username: m.user.username,
            sockets: m.sockets,
        })
        .collect();
    Ok((listed, roster.count))
}
