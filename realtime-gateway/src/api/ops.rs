//! The server API's operations, independent of the transport: each takes
//! the request's JSON and returns the reply's JSON or an [`ApiError`]. The
//! HTTP routes ([`super::http`]), the gRPC service ([`super::grpc`]) and a
//! batch call the same code.

use std::collections::HashSet;

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::ApiContext;
use super::error::{ApiCode, ApiError};
use super::validate;
use crate::socket::principal::session_room;

/// Most commands in a batch and rooms in a broadcast.
pub const MAX_ITEMS: usize = 100;

/// The operations, by their path name (the `method` of a batch command).
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::EnumString, strum::IntoStaticStr)]
#[strum(serialize_all = "snake_case")]
pub enum Method {
    /// `POST /api/v1/publish`.
    Publish,
    /// `POST /api/v1/broadcast`.
    Broadcast,
    /// `POST /api/v1/subscribe`.
    Subscribe,
    /// `POST /api/v1/unsubscribe`.
    Unsubscribe,
    /// `POST /api/v1/disconnect`.
    Disconnect,
    /// `POST /api/v1/presence`.
    Presence,
    /// `POST /api/v1/batch`.
    Batch,
    /// `GET /api/v1/info`.
    Info,
}

/// Reads an operation's body, which must be a JSON object: serde would also
/// map a JSON array's positions onto the fields.
fn parse<T: DeserializeOwned>(body: Value) -> Result<T, ApiError> {
    let mismatch = || ApiError::malformed("the body does not match the operation's fields");
    if !body.is_object() {
        return Err(mismatch());
    }
    serde_json::from_value(body).map_err(|_| mismatch())
}

/// Runs `method` with its JSON `body` (or the error reading it) and counts
/// the answer in `gatehouse_gateway_server_api_requests_total`. Both
/// transports (HTTP and gRPC) call this.
pub async fn run(
    ctx: &ApiContext,
    method: Method,
    body: Result<Value, ApiError>,
) -> Result<Value, ApiError> {
    let reply = match body {
        Ok(body) => execute(ctx, method, body).await,
        Err(e) => Err(e),
    };
    let code = reply.as_ref().map_or_else(|e| e.code.as_str(), |_| "ok");
    ctx.state.metrics.server_api_request(method.into(), code);
    reply
}

/// Runs `method` with its JSON `body`.
async fn execute(ctx: &ApiContext, method: Method, body: Value) -> Result<Value, ApiError> {
    match method {
        Method::Publish => publish(ctx, parse(body)?).await,
        Method::Broadcast => broadcast(ctx, parse(body)?).await,
        Method::Subscribe => membership(ctx, parse(body)?, true).await,
        Method::Unsubscribe => membership(ctx, parse(body)?, false).await,
        Method::Disconnect => disconnect(ctx, parse(body)?).await,
        Method::Presence => presence(ctx, parse(body)?).await,
        Method::Batch => batch(ctx, parse(body)?).await,
        Method::Info => info(ctx).await,
    }
}

/// This node's authenticated sockets, distinct users, and rooms other than
/// the per-user and per-session ones.
async fn info(ctx: &ApiContext) -> Result<Value, ApiError> {
    let (connections, users) = ctx.local.census();
    let rooms = ctx
        .cluster
        .local_rooms()
        .await
        .map_err(|e| ApiError::unavailable(&e))?;
    let rooms: HashSet<String> = rooms
        .into_iter()
        .filter(|r| !r.starts_with("user:") && !r.starts_with("session:"))
        .collect();
    Ok(json!({"connections": connections, "users": users, "rooms": rooms.len()}))
}

/// `publish`: exactly one of `room` and `user_id` (= room `user:<id>`).
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Publish {
    /// The room (`^[A-Za-z0-9_.:-]{1,128}$`).
    #[schema(pattern = "^[A-Za-z0-9_.:-]{1,128}$")]
    pub room: Option<String>,
    /// The user whose sockets receive it.
    #[schema(pattern = "^[A-Za-z0-9_.:-]{1,123}$")]
    pub user_id: Option<String>,
    /// Event name (`^[A-Za-z0-9_.:-]{1,64}$`, not reserved).
    pub event: String,
    /// Any JSON, at most `MAX_EVENT_BYTES` serialized.
    pub data: Value,
    /// 1-64 characters; a repeat within 5 minutes is not delivered again.
    #[schema(min_length = 1, max_length = 64)]
    pub idempotency_key: Option<String>,
}

async fn publish(ctx: &ApiContext, req: Publish) -> Result<Value, ApiError> {
    let room = match (&req.room, &req.user_id) {
        (Some(room), None) => {
            validate::room(room)?;
            room.clone()
        }
        (None, Some(user_id)) => validate::user(user_id)?,
        _ => return Err(ApiError::malformed("give exactly one of room and user_id")),
    };
    validate::event(&req.event)?;
    let data = validate::data(&req.data, ctx.max_event_bytes())?;
    if let Some(key) = &req.idempotency_key {
        validate::idempotency_key(key)?;
        if !ctx.idempotency.first_use(key).await? {
            return Ok(json!({"ok": true, "duplicate": true}));
        }
    }
    ctx.deliver(&room, &req.event, &data).await;
    Ok(json!({"ok": true}))
}

/// `broadcast`: one event to each room.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Broadcast {
    /// 1 to 100 rooms.
    #[schema(min_items = 1, max_items = 100)]
    pub rooms: Vec<String>,
    /// Event name.
    pub event: String,
    /// Any JSON.
    pub data: Value,
}

/// Each room is published to on its own (as Centrifugo's broadcast does):
/// a socket in two of the rooms receives the event twice.
async fn broadcast(ctx: &ApiContext, req: Broadcast) -> Result<Value, ApiError> {
    if !(1..=MAX_ITEMS).contains(&req.rooms.len()) {
        return Err(ApiError::malformed("rooms must hold 1 to 100 rooms"));
    }
    req.rooms.iter().try_for_each(|r| validate::room(r))?;
    validate::event(&req.event)?;
    let data = validate::data(&req.data, ctx.max_event_bytes())?;
    for room in &req.rooms {
        ctx.deliver(room, &req.event, &data).await;
    }
    Ok(json!({"ok": true}))
}

/// `subscribe` / `unsubscribe`: every live socket of the user joins / leaves the room.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Membership {
    /// The user.
    pub user_id: String,
    /// The room.
    pub room: String,
}

async fn membership(ctx: &ApiContext, req: Membership, join: bool) -> Result<Value, ApiError> {
    let own = validate::user(&req.user_id)?;
    validate::room(&req.room)?;
    if !join && req.room == own {
        return Err(ApiError::new(
            ApiCode::InvalidRoom,
            "a user's sockets cannot leave their own user room",
        ));
    }
    let done = if join {
        ctx.cluster.join(own, req.room).await
    } else {
        ctx.cluster.leave(own, req.room).await
    };
    done.map_err(|e| ApiError::unavailable(&e))?;
    Ok(json!({"ok": true}))
}

/// `disconnect`: the user's sockets, or one session's, are closed.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Disconnect {
    /// The user.
    pub user_id: String,
    /// Only this session.
    pub session_id: Option<String>,
}

async fn disconnect(ctx: &ApiContext, req: Disconnect) -> Result<Value, ApiError> {
    let own = validate::user(&req.user_id)?;
    let target = match &req.session_id {
        Some(sid) => {
            validate::session(sid)?;
            session_room(sid)
        }
        None => own,
    };
    ctx.cluster
        .disconnect(target)
        .await
        .map_err(|e| ApiError::unavailable(&e))?;
    Ok(json!({"ok": true}))
}

/// `presence`: every member of a presence room.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Presence {
    /// The room.
    pub room: String,
}

/// Every member of any room (the backend is trusted: no membership needed).
/// Rooms without presence have no members.
async fn presence(ctx: &ApiContext, req: Presence) -> Result<Value, ApiError> {
    validate::room(&req.room)?;
    let (members, count) = crate::presence::roster(&ctx.state, &req.room)
        .await
        .map_err(|e| ApiError::unavailable(&e))?;
    Ok(json!({"members": members, "count": count}))
}

/// `batch`: commands run in order, one reply each.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Batch {
    /// 1 to 100 commands.
    #[schema(min_items = 1, max_items = 100)]
    pub commands: Vec<Command>,
}

/// One command of a batch.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Command {
    /// `publish`, `broadcast`, `subscribe`, `unsubscribe`, `disconnect` or `presence`.
    pub method: String,
    /// The operation's body.
    pub params: Value,
}

/// Runs each command in order; one reply per command. A nested batch, and
/// `info`, are unknown methods.
async fn batch(ctx: &ApiContext, req: Batch) -> Result<Value, ApiError> {
    if !(1..=MAX_ITEMS).contains(&req.commands.len()) {
        return Err(ApiError::malformed("commands must hold 1 to 100 commands"));
    }
    let mut replies = Vec::with_capacity(req.commands.len());
    for cmd in req.commands {
        let reply = match cmd.method.parse::<Method>() {
            Ok(Method::Batch | Method::Info) | Err(_) => Err(ApiError::malformed("unknown method")),
            Ok(method) => Box::pin(execute(ctx, method, cmd.params)).await,
        };
        replies.push(reply.unwrap_or_else(|e| json!({"error": e.body()})));
    }
    Ok(json!({"replies": replies}))
}
