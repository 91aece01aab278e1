//! The server API over gRPC (`gatehouse.gateway.v1.ServerApi` on
//! `GATEWAY_API_GRPC_ADDR`): each call turns its message into the JSON body
//! of the HTTP operation (`*_json` fields parsed), runs the same
//! [`run`](super::ops::run), and turns the JSON answer back into its reply.
//! A refused call's status message starts with the HTTP API's stable code.

use std::sync::Arc;

use proto::gateway::v1::server_api_server::ServerApi;
use proto::gateway::v1::{
    BatchReply, BatchRequest, BroadcastRequest, DisconnectRequest, InfoReply, InfoRequest, Member,
    MembershipRequest, OkReply, PresenceReply, PresenceRequest, PublishReply, PublishRequest,
};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};
use tonic::{Code, Request, Response, Status};

use super::ApiContext;
use super::error::{ApiCode, ApiError};
use super::ops::{Method, run};

/// The tonic service.
pub struct GrpcApi(pub Arc<ApiContext>);

fn status(e: &ApiError) -> Status {
    let code = match e.code {
        ApiCode::InvalidApiKey => Code::Unauthenticated,
        ApiCode::MalformedRequest | ApiCode::InvalidEvent | ApiCode::InvalidRoom => {
            Code::InvalidArgument
        }
        ApiCode::PayloadTooLarge => Code::ResourceExhausted,
        ApiCode::NotFound => Code::NotFound,
        ApiCode::MethodNotAllowed => Code::Unimplemented,
        ApiCode::Unavailable => Code::Unavailable,
    };
    Status::new(code, format!("{}: {}", e.code.as_str(), e.message))
}

/// Parses a `*_json` field.
fn json_field(field: &str, text: &str) -> Result<Value, ApiError> {
    serde_json::from_str(text).map_err(|_| ApiError::malformed(format!("{field} is not JSON")))
}

/// A JSON object of the present fields.
fn object(fields: impl IntoIterator<Item = (&'static str, Option<Value>)>) -> Value {
    let map: Map<String, Value> = fields
        .into_iter()
        .filter_map(|(k, v)| Some((k.to_owned(), v?)))
        .collect();
    Value::Object(map)
}

fn text(s: String) -> Option<Value> {
    Some(Value::String(s))
}

impl GrpcApi {
    async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        body: Result<Value, ApiError>,
    ) -> Result<T, Status> {
        let answer = run(&self.0, method, body).await.map_err(|e| status(&e))?;
        serde_json::from_value(answer).map_err(|_| Status::internal("unexpected reply"))
    }
}

/// The JSON answers, read into the generated replies.
#[derive(Deserialize)]
struct OkAnswer {
    ok: bool,
    #[serde(default)]
    duplicate: bool,
}

#[derive(Deserialize)]
struct PresenceAnswer {
    members: Vec<MemberAnswer>,
    count: u64,
}

#[derive(Deserialize)]
struct MemberAnswer {
    id: String,
    username: String,
    sockets: u64,
}

#[derive(Deserialize)]
struct BatchAnswer {
    replies: Vec<Value>,
}

#[derive(Deserialize)]
struct InfoAnswer {
    connections: u64,
    users: u64,
    rooms: u64,
}

#[tonic::async_trait]
impl ServerApi for GrpcApi {
    async fn publish(&self, r: Request<PublishRequest>) -> Result<Response<PublishReply>, Status> {
        let r = r.into_inner();
        let body = json_field("data_json", &r.data_json).map(|data| {
            object([
                ("room", r.room.map(Value::String)),
                ("user_id", r.user_id.map(Value::String)),
                ("event", text(r.event)),
                ("data", Some(data)),
                ("idempotency_key", r.idempotency_key.map(Value::String)),
            ])
        });
        let ok: OkAnswer = self.call(Method::Publish, body).await?;
        Ok(Response::new(PublishReply {
            ok: ok.ok,
            duplicate: ok.duplicate,
        }))
    }

    async fn broadcast(&self, r: Request<BroadcastRequest>) -> Result<Response<OkReply>, Status> {
        let r = r.into_inner();
        let body = json_field("data_json", &r.data_json)
            .map(|data| json!({"rooms": r.rooms, "event": r.event, "data": data}));
        ok_reply(self.call(Method::Broadcast, body).await?)
    }

    async fn subscribe(&self, r: Request<MembershipRequest>) -> Result<Response<OkReply>, Status> {
        let r = r.into_inner();
        let body = json!({"user_id": r.user_id, "room": r.room});
        ok_reply(self.call(Method::Subscribe, Ok(body)).await?)
    }

    async fn unsubscribe(
        &self,
        r: Request<MembershipRequest>,
    ) -> Result<Response<OkReply>, Status> {
        let r = r.into_inner();
        let body = json!({"user_id": r.user_id, "room": r.room});
        ok_reply(self.call(Method::Unsubscribe, Ok(body)).await?)
    }

    async fn disconnect(&self, r: Request<DisconnectRequest>) -> Result<Response<OkReply>, Status> {
        let r = r.into_inner();
        let body = object([
            ("user_id", text(r.user_id)),
            ("session_id", r.session_id.map(Value::String)),
        ]);
        ok_reply(self.call(Method::Disconnect, Ok(body)).await?)
    }

    async fn presence(
        &self,
        r: Request<PresenceRequest>,
    ) -> Result<Response<PresenceReply>, Status> {
        let body = json!({"room": r.into_inner().room});
        let p: PresenceAnswer = self.call(Method::Presence, Ok(body)).await?;
        Ok(Response::new(PresenceReply {
            members: p
                .members
                .into_iter()
                .map(|m| Member {
                    id: m.id,
                    username: m.username,
                    sockets: m.sockets,
                })
                .collect(),
            count: p.count,
        }))
    }

    async fn batch(&self, r: Request<BatchRequest>) -> Result<Response<BatchReply>, Status> {
        let commands: Result<Vec<Value>, ApiError> = r
            .into_inner()
            .commands
            .into_iter()
            .map(|c| {
                let params = json_field("params_json", &c.params_json)?;
                Ok(json!({"method": c.method, "params": params}))
            })
            .collect();
        let body = commands.map(|commands| json!({"commands": commands}));
        let b: BatchAnswer = self.call(Method::Batch, body).await?;
        Ok(Response::new(BatchReply {
            replies_json: b.replies.iter().map(Value::to_string).collect(),
        }))
    }

    async fn info(&self, _: Request<InfoRequest>) -> Result<Response<InfoReply>, Status> {
        let i: InfoAnswer = self.call(Method::Info, Ok(Value::Null)).await?;
        Ok(Response::new(InfoReply {
            connections: i.connections,
            users: i.users,
            rooms: i.rooms,
        }))
    }
}

fn ok_reply(ok: OkAnswer) -> Result<Response<OkReply>, Status> {
    Ok(Response::new(OkReply { ok: ok.ok }))
}
