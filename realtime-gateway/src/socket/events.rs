//! Event handlers of an authenticated socket: `whoami`, `room:join`,
//! `room:leave`, `room:members`, `message`, `auth:refresh`, `rpc` (in
//! [`super::rpc`]), and a fallback that answers unknown events with
//! `invalid_payload`.
//!
//! Every handler first passes the socket's [`EventGuard`] (rate, then size),
//! validates its payload itself (never `Data<T>`, which would drop a bad
//! event silently), and answers through the ack when one was requested.
//! `message` is broadcast to the whole room **including the sender**, so all
//! of a user's devices see the same stream; the sender identity comes from
//! the [`Principal`], any `from` in the payload is ignored.

use std::sync::Arc;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use shared_types::socket::{
    Ack, AuthRefresh, ChatMessage, EventErrorCode, Members, MessageRequest, OkAck, RefreshAck,
    RoomAck, RoomRequest, WhoAmI,
};
use socketioxide::adapter::Adapter;
use socketioxide::extract::{AckSender, Event, Extension, SocketRef, State, TryData};
use socketioxide::{SendError, SocketError, SocketIo};
use tracing::Instrument;

use super::close::close;
use super::lifetime::now_unix_ms;
use super::principal::{LiveSession, Principal};
use super::rate::{Admission, EventGuard};
use super::rooms;
use crate::metrics::{CloseReason, Metrics};
use crate::state::AppState;

/// Longest `message` body, in characters.
pub const MAX_BODY_CHARS: usize = 4096;

/// Registers every handler on `s`; `rpc` only when `RPC_URL` is set.
pub fn register<A: Adapter>(s: &SocketRef<A>, state: &AppState) {
    s.on("whoami", whoami::<A>);
    s.on("room:join", room_join::<A>);
    s.on("room:leave", room_leave::<A>);
    s.on("room:members", room_members::<A>);
    s.on("message", message::<A>);
    s.on("auth:refresh", refresh::<A>);
    if state.hooks.has_rpc() {
        s.extensions.insert(Arc::new(tokio::sync::Semaphore::new(
            state.rpc_max_inflight,
        )));
        s.on("rpc", super::rpc::rpc::<A>);
    }
    s.on_fallback(fallback::<A>);
}

pub(super) type Reply<T> = Result<T, EventErrorCode>;

/// Acks an event. An ack is never dropped while the socket stays
/// connected: if the socket's send buffer is full, it is disconnected as a
/// slow consumer instead.
fn send_ack<A: Adapter, T: Serialize>(s: &SocketRef<A>, ack: AckSender<A>, reply: Reply<T>) {
    let body = match reply {
        Ok(v) => Ack::Ok(v),
        Err(error) => Ack::Err { error },
    };
    // Otherwise it fails only when no ack was requested or the socket is gone.
    if let Err(SendError::Socket(SocketError::InternalChannelFull)) = ack.send(&body) {
        tracing::info!("send buffer full on an ack: slow consumer disconnected");
        close(s.clone(), CloseReason::SlowConsumer);
    }
}

/// Runs `body` inside a span for this event, after admission control.
pub(super) async fn handle<A, T, F>(
    s: &SocketRef<A>,
    event: &'static str,
    p: &Principal,
    payload: &Value,
    ack: AckSender<A>,
    body: F,
) where
    A: Adapter,
    T: Serialize,
    F: Future<Output = Reply<T>>,
{
    let span = tracing::info_span!("socket_event", event, user_id = %p.user_id, socket_id = %s.id);
    async move {
        let admission = s
            .extensions
            .get::<Arc<EventGuard>>()
            .map_or(Admission::Refuse(EventErrorCode::RateLimited), |g| {
                g.admit(payload)
            });
        let outcome = match admission {
            Admission::Accept => {
                let reply = body.await;
                let outcome = reply.as_ref().map(|_| ()).map_err(|code| *code);
                if let Err(code) = &reply {
                    tracing::debug!(?code, "event refused");
                }
                send_ack(s, ack, reply);
                outcome
            }
            Admission::Refuse(code) => {
                tracing::debug!(?code, "event refused by admission control");
                send_ack::<A, ()>(s, ack, Err(code));
                Err(code)
            }
            Admission::Disconnect => {
                tracing::warn!("sustained rate-limit abuse; disconnecting");
                send_ack::<A, ()>(s, ack, Err(EventErrorCode::RateLimited));
                close(s.clone(), CloseReason::RateAbuse);
                Err(EventErrorCode::RateLimited)
            }
        };
        if let Some(metrics) = s.extensions.get::<Metrics>() {
            metrics.event(event, outcome);
        }
    }
    .instrument(span)
    .await;
}

pub(super) fn parse<T: DeserializeOwned>(payload: &Value) -> Reply<T> {
    serde_json::from_value(payload.clone()).map_err(|_| EventErrorCode::InvalidPayload)
}

pub(super) fn payload_of<E>(data: Result<Value, E>) -> Value {
    data.unwrap_or(Value::Null)
}

async fn whoami<A: Adapter>(
    s: SocketRef<A>,
    Extension(p): Extension<Principal>,
    TryData(data): TryData<Value>,
    ack: AckSender<A>,
) {
    let payload = payload_of(data);
    let me = WhoAmI {
        id: p.user_id.clone(),
        username: p.username.clone(),
    };
    handle(&s, "whoami", &p, &payload, ack, async { Ok(me) }).await;
}

async fn room_join<A: Adapter>(
    s: SocketRef<A>,
    io: SocketIo<A>,
    State(state): State<AppState>,
    Extension(p): Extension<Principal>,
    TryData(data): TryData<Value>,
    ack: AckSender<A>,
) {
    change_room(s, io, state, p, payload_of(data), ack, true).await;
}

async fn room_leave<A: Adapter>(
    s: SocketRef<A>,
    io: SocketIo<A>,
    State(state): State<AppState>,
    Extension(p): Extension<Principal>,
    TryData(data): TryData<Value>,
    ack: AckSender<A>,
) {
    change_room(s, io, state, p, payload_of(data), ack, false).await;
}

/// `room:join` (`join = true`) or `room:leave`, under the room policy.
async fn change_room<A: Adapter>(
    s: SocketRef<A>,
    io: SocketIo<A>,
    state: AppState,
    p: Principal,
    payload: Value,
    ack: AckSender<A>,
    join: bool,
) {
    let body = async {
        let req: RoomRequest = parse(&payload)?;
        let presence = if join {
            join_room(&s, &io, &state, &p, &req.room).await?
        } else {
            rooms::may_leave(&req.room, &p.user_id)?;
            s.leave(req.room.clone());
            crate::presence::exit(&s, &io, &state, &p, &req.room).await;
            None
        };
        tracing::debug!(room = req.room, join, "room changed");
        Ok(RoomAck {
            ok: true,
            room: req.room,
            presence,
        })
    };
    let event = if join { "room:join" } else { "room:leave" };
    handle(&s, event, &p, &payload, ack, body).await;
}

/// Joins `room` if the policy (or the application's hook) allows it;
/// returns the presence listing when the room carries presence.
async fn join_room<A: Adapter>(
    s: &SocketRef<A>,
    io: &SocketIo<A>,
    state: &AppState,
    p: &Principal,
    room: &str,
) -> Reply<Option<Members>> {
    let presence = match rooms::policy(room, &p.user_id)? {
        rooms::Policy::Own => return Ok(None),
        rooms::Policy::Open { presence } => presence,
        rooms::Policy::Hook => match state.hooks.room_auth(p, room).await {
            None => return Err(EventErrorCode::Forbidden),
            Some(Err(_)) => return Err(EventErrorCode::Unavailable),
            Some(Ok(decision)) if !decision.allow => return Err(EventErrorCode::Forbidden),
            Some(Ok(decision)) => decision.presence,
        },
    };
    let quota = s
        .extensions
        .get::<Arc<rooms::RoomQuota>>()
        .ok_or(EventErrorCode::TooManyRooms)?;
    quota.join(s, room)?;
    if !presence {
        return Ok(None);
    }
    crate::presence::enter(s, io, state, p, room)
        .await
        .map(Some)
}

/// `room:members {room}`: the listing of a presence room the socket is
/// counted in; `forbidden` otherwise.
async fn room_members<A: Adapter>(
    s: SocketRef<A>,
    State(state): State<AppState>,
    Extension(p): Extension<Principal>,
    TryData(data): TryData<Value>,
    ack: AckSender<A>,
) {
    let payload = payload_of(data);
    let body = async {
        let req: RoomRequest = parse(&payload)?;
        if !crate::presence::Tracked::contains(&s, &req.room).await {
            return Err(EventErrorCode::Forbidden);
        }
        let roster = state
            .presence
            .members(&req.room, crate::presence::LISTED)
            .await
            .map_err(|_| EventErrorCode::Unavailable)?;
        Ok(crate::presence::members(roster))
    };
    handle(&s, "room:members", &p, &payload, ack, body).await;
}

async fn message<A: Adapter>(
    s: SocketRef<A>,
    io: SocketIo<A>,
    State(state): State<AppState>,
    Extension(p): Extension<Principal>,
    TryData(data): TryData<Value>,
    ack: AckSender<A>,
) {
    let payload = payload_of(data);
    let body = async {
        let req: MessageRequest = parse(&payload)?;
        let chars = req.body.chars().count();
        if chars == 0 || chars > MAX_BODY_CHARS {
            return Err(EventErrorCode::InvalidPayload);
        }
        if !s.rooms().iter().any(|r| *r == req.room) {
            return Err(EventErrorCode::NotInRoom);
        }
        let msg = ChatMessage {
            from: WhoAmI {
                id: p.user_id.clone(),
                username: p.username.clone(),
            },
            room: req.room.clone(),
            body: req.body,
            at: now_unix_ms(),
        };
        let data =
            serde_json::value::to_raw_value(&msg).map_err(|_| EventErrorCode::InvalidPayload)?;
        state.fanout.publish(&io, &req.room, "message", &data).await;
        Ok(OkAck { ok: true })
    };
    handle(&s, "message", &p, &payload, ack, body).await;
}

async fn refresh<A: Adapter>(
    s: SocketRef<A>,
    State(state): State<AppState>,
    Extension(p): Extension<Principal>,
    Extension(live): Extension<Arc<LiveSession>>,
    TryData(data): TryData<Value>,
    ack: AckSender<A>,
) {
    let payload = payload_of(data);
    let body = async {
        let req: AuthRefresh = parse(&payload)?;
        let claims = state
            .verifier
            .verify(&req.token)
            .await
            .map_err(|e| e.event_code())?;
        if claims.sub != p.user_id || claims.sid != p.session_id {
            return Err(EventErrorCode::InvalidToken);
        }
        state
            .sessions
            .check(&claims.sub, &claims.sid)
            .await
            .map_err(|e| e.event_code())?;
        s.extensions.insert(Principal {
            expires_at: claims.exp,
            ..p.clone()
        });
        live.expiry.send_replace(claims.exp);
        tracing::info!(expires_at = claims.exp, "session refreshed");
        Ok(RefreshAck {
            ok: true,
            expires_at: claims.exp,
        })
    };
    handle(&s, "auth:refresh", &p, &payload, ack, body).await;
}

async fn fallback<A: Adapter>(
    s: SocketRef<A>,
    Event(event): Event,
    Extension(p): Extension<Principal>,
    TryData(data): TryData<Value>,
    ack: AckSender<A>,
) {
    let payload = payload_of(data);
    tracing::debug!(event, "unknown event");
    handle::<A, (), _>(&s, "unknown", &p, &payload, ack, async {
        Err(EventErrorCode::InvalidPayload)
    })
    .await;
}
