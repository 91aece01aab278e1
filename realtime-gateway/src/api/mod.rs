//! The server API for the application's own backends, on its own listener
//! (`GATEWAY_API_ADDR`, on only with `GATEWAY_API_KEYS`): publish to a room
//! or a user, broadcast, subscribe / unsubscribe a user's sockets, disconnect
//! a user or a session, presence of a room, batch, and `GET /api/v1/info`. Every operation acts
//! on the whole cluster (events through [`crate::fanout`], membership and
//! disconnects through the socketioxide adapter).
//!
//! - [`http`]: routes, API-key check, body limits.
//! - [`grpc`]: the same operations as `gatehouse.gateway.v1.ServerApi`.
//! - [`openapi`]: the OpenAPI document, generated from the code.
//! - [`ops`]: the operations, transport-independent, and their metrics.
//! - [`validate`]: event, room, id and data rules.
//! - [`idempotency`]: repeat suppression (Redis or in memory).
//! - [`cluster`]: adapter-erased cluster-wide socket operations.
//! - [`error`]: `ApiError` and its status / `code` mapping.

pub mod cluster;
pub mod error;
pub mod grpc;
pub mod http;
pub mod idempotency;
pub mod openapi;
pub mod ops;
pub mod validate;

use std::sync::Arc;

use serde_json::value::RawValue;
use service_kit::bearer::BearerKeys;

use crate::socket::control::LocalSockets;
use crate::state::AppState;
use cluster::Cluster;
use idempotency::Idempotency;

/// Everything the server API uses.
pub struct ApiContext {
    /// The gateway state (limits, metrics, the fan-out between replicas).
    pub state: AppState,
    /// This node's sockets.
    pub local: Arc<dyn LocalSockets>,
    /// The cluster's sockets.
    pub cluster: Arc<dyn Cluster>,
    /// `GATEWAY_API_KEYS`.
    pub keys: BearerKeys,
    /// Idempotency keys seen in the last 5 minutes.
    pub idempotency: Idempotency,
}

impl ApiContext {
    fn max_event_bytes(&self) -> usize {
        self.state.max_event_bytes
    }

    /// Delivers an event to `room` on this node and relays it to the other
    /// replicas, exactly as a client `message` is.
    async fn deliver(&self, room: &str, event: &str, data: &RawValue) {
        self.state
            .fanout
            .publish(self.local.as_ref(), room, event, data)
            .await;
    }
}
