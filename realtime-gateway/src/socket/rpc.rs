//! The client event `rpc {method, params}` (registered only with `RPC_URL`):
//! forwarded to the application's RPC hook with the socket's identity, at
//! most `RPC_MAX_INFLIGHT` at a time per socket. The ack is `{ok: true,
//! result}`, the application's `{error: code}` when its code is a valid
//! code, `rpc_failed` when it is not, and `unavailable` when the hook failed.

use std::sync::Arc;

use serde::Serialize;
use serde_json::Value;
use shared_types::socket::{EventErrorCode, RpcRequest};
use socketioxide::adapter::Adapter;
use socketioxide::extract::{AckSender, Extension, SocketRef, State, TryData};
use tokio::sync::Semaphore;

use super::events::{Reply, handle, parse, payload_of};
use super::principal::Principal;
use super::rooms::is_name;
use crate::hooks::{RpcAnswer, is_app_code};
use crate::state::AppState;

/// Longest method name.
const MAX_METHOD: usize = 64;

/// A successful `rpc` ack: the result, or the application's own error code.
#[derive(Serialize)]
#[serde(untagged)]
pub enum RpcAck {
    /// `{ok: true, result}`.
    Done {
        /// Always `true`.
        ok: bool,
        /// The hook's result.
        result: Value,
    },
    /// `{error: code}` with the application's code.
    Refused {
        /// The application's code.
        error: String,
    },
}

/// Handles one `rpc` event.
pub async fn rpc<A: Adapter>(
    s: SocketRef<A>,
    State(state): State<AppState>,
    Extension(p): Extension<Principal>,
    Extension(slots): Extension<Arc<Semaphore>>,
    TryData(data): TryData<Value>,
    ack: AckSender<A>,
) {
    let payload = payload_of(data);
    let body = async {
        let req: RpcRequest = parse(&payload)?;
        if !is_name(&req.method, MAX_METHOD) {
            return Err(EventErrorCode::InvalidPayload);
        }
        let _slot = slots
            .try_acquire()
            .map_err(|_| EventErrorCode::RateLimited)?;
        call(&state, &p, &req).await
    };
    handle(&s, "rpc", &p, &payload, ack, body).await;
}

async fn call(state: &AppState, p: &Principal, req: &RpcRequest) -> Reply<RpcAck> {
    match state.hooks.rpc(p, &req.method, &req.params).await {
        None => Err(EventErrorCode::InvalidPayload),
        Some(Err(_)) => Err(EventErrorCode::Unavailable),
        Some(Ok(RpcAnswer::Result { result })) => Ok(RpcAck::Done { ok: true, result }),
        Some(Ok(RpcAnswer::Error { error })) if is_app_code(&error.code) => {
            Ok(RpcAck::Refused { error: error.code })
        }
        Some(Ok(RpcAnswer::Error { .. })) => Err(EventErrorCode::RpcFailed),
    }
}
