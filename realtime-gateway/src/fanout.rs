//! Room events delivered with no silent loss.
//!
//! socketioxide's broadcast drops a packet for a socket whose send buffer
//! (`SOCKET_BUFFER_PACKETS`) is full and does not say which socket it was;
//! across replicas the drop happens on another node, silently. So the
//! gateway fans room events out itself:
//! - on each node, [`deliver_local`] serializes the event once and sends it
//!   to every local member; a member whose buffer is full is disconnected
//!   with reason `slow_consumer` (its client reconnects knowing it may have
//!   missed events), never skipped while staying connected;
//! - between nodes, [`Fanout::relay`] publishes the event once on a Redis
//!   channel that every other gateway follows ([`Fanout::follow`]) and
//!   delivers locally the same way. Rooms, membership queries and remote
//!   socket operations still go through the socketioxide Redis adapter.

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use socketioxide::adapter::Adapter;
use socketioxide::{SendError, SocketError, SocketIo};

use crate::metrics::CloseReason;
use crate::redis_conn::RedisConn;
use crate::socket::close::close;
use crate::socket::control::LocalSockets;

/// The Redis channel events travel on between gateways.
const CHANNEL: &str = "gatehouse:fanout";
/// Longest pause before following the channel again after Redis failed.
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// What one local delivery did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Delivered {
    /// Sockets that were sent the event.
    pub sent: usize,
    /// Sockets disconnected because their buffer was full.
    pub slow: usize,
}

/// Sends `event` with `data` to every socket of this node in `room`.
pub fn deliver_local<A: Adapter>(
    io: &SocketIo<A>,
    room: &str,
    event: &str,
    data: &RawValue,
) -> Delivered {
    let mut delivered = Delivered::default();
    for socket in io.local().to(room.to_owned()).sockets() {
        match socket.emit(event, data) {
            Ok(()) => delivered.sent += 1,
            Err(SendError::Socket(SocketError::InternalChannelFull)) => {
                tracing::info!(socket_id = %socket.id, "send buffer full: slow consumer disconnected");
                close(socket, CloseReason::SlowConsumer);
                delivered.slow += 1;
            }
            // Closed meanwhile, or unserializable (cannot happen: raw JSON).
            Err(_) => {}
        }
    }
    delivered
}

#[derive(Serialize, Deserialize)]
struct Relayed<'a> {
    /// The node that published it (it delivered locally already).
    origin: &'a str,
    room: &'a str,
    event: &'a str,
    #[serde(borrow)]
    data: &'a RawValue,
}

/// The link between gateways (none on a single node).
pub struct Fanout {
    node: String,
    redis: Option<RedisConn>,
}

impl Fanout {
    /// A single node: nothing to relay.
    pub fn single() -> Self {
        Self {
            node: uuid::Uuid::new_v4().to_string(),
            redis: None,
        }
    }

    /// Relays through the Redis at `url`.
    pub fn redis(url: &str) -> anyhow::Result<Self> {
        Ok(Self {
            node: uuid::Uuid::new_v4().to_string(),
            redis: Some(RedisConn::new(url)?),
        })
    }

    /// Delivers an event to `room` on this node and on every other gateway.
    pub async fn publish(
        &self,
        local: &dyn LocalSockets,
        room: &str,
        event: &str,
        data: &RawValue,
    ) {
        local.deliver(room, event, data);
        self.relay(room, event, data).await;
    }

    /// Publishes an event already delivered on this node to the other
    /// gateways. While Redis is unreachable other replicas miss it (logged);
    /// local delivery is unaffected.
    pub async fn relay(&self, room: &str, event: &str, data: &RawValue) {
        let Some(redis) = &self.redis else {
            return;
        };
        let message = Relayed {
            origin: &self.node,
            room,
            event,
            data,
        };
        let Ok(payload) = serde_json::to_string(&message) else {
            return;
        };
        let mut publish = redis::cmd("PUBLISH");
        publish.arg(CHANNEL).arg(payload);
        if let Err(e) = redis.query::<()>(&publish).await {
            tracing::warn!(error = %e, "relaying an event to other gateways failed");
        }
    }

    /// Follows the other gateways' events for the life of the gateway and
    /// delivers them to `sockets` (returns at once on a single node).
    pub async fn follow(self: Arc<Self>, sockets: Arc<dyn LocalSockets>) {
        let Some(redis) = &self.redis else {
            return;
        };
        let client = redis.client();
        let mut backoff = Duration::from_millis(100);
        loop {
            match client.get_async_pubsub().await {
                Ok(mut pubsub) => match pubsub.subscribe(CHANNEL).await {
                    Ok(()) => {
                        backoff = Duration::from_millis(100);
                        let mut messages = pubsub.on_message();
                        while let Some(message) = messages.next().await {
                            self.receive(message.get_payload_bytes(), sockets.as_ref());
                        }
                        tracing::warn!("lost the Redis event channel; following it again");
                    }
                    Err(e) => tracing::warn!(error = %e, "subscribing to the Redis event channel"),
                },
                Err(e) => tracing::warn!(error = %e, "connecting to Redis for events"),
            }
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(MAX_BACKOFF);
        }
    }

    fn receive(&self, payload: &[u8], sockets: &dyn LocalSockets) {
        match serde_json::from_slice::<Relayed<'_>>(payload) {
            Ok(m) if m.origin == self.node => {}
            Ok(m) => {
                sockets.deliver(m.room, m.event, m.data);
            }
            Err(e) => tracing::warn!(error = %e, "unreadable event on the Redis channel"),
        }
    }
}
