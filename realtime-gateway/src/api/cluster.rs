//! Operations on sockets of the whole cluster, through the socketioxide
//! adapter (Redis between replicas, or this node alone). [`Cluster`] erases
//! the adapter type so the server API holds either.

use futures::future::BoxFuture;
use socketioxide::SocketIo;
use socketioxide::adapter::Adapter;

use crate::metrics::CloseReason;
use crate::socket::close::close;

/// The adapter failed (Redis unreachable, a replica did not answer).
#[derive(Debug, thiserror::Error)]
#[error("adapter: {0}")]
pub struct ClusterError(String);

/// The cluster's sockets.
pub trait Cluster: Send + Sync {
    /// Every socket in `target` (on any node) joins `room`.
    fn join(&self, target: String, room: String) -> BoxFuture<'_, Result<(), ClusterError>>;
    /// Every socket in `target` (on any node) leaves `room`.
    fn leave(&self, target: String, room: String) -> BoxFuture<'_, Result<(), ClusterError>>;
    /// Every socket in `target` (on any node) is disconnected.
    fn disconnect(&self, target: String) -> BoxFuture<'_, Result<(), ClusterError>>;
    /// The rooms with a socket on this node.
    fn local_rooms(&self) -> BoxFuture<'_, Result<Vec<String>, ClusterError>>;
}

fn err(e: impl std::fmt::Display) -> ClusterError {
    ClusterError(e.to_string())
}

impl<A: Adapter> Cluster for SocketIo<A> {
    fn join(&self, target: String, room: String) -> BoxFuture<'_, Result<(), ClusterError>> {
        Box::pin(async move { self.to(target).join(room).await.map_err(err) })
    }

    fn leave(&self, target: String, room: String) -> BoxFuture<'_, Result<(), ClusterError>> {
        Box::pin(async move { self.to(target).leave(room).await.map_err(err) })
    }

    fn disconnect(&self, target: String) -> BoxFuture<'_, Result<(), ClusterError>> {
        Box::pin(async move {
            // This node's sockets first, so their metrics say `server_api`;
            // the adapter then closes those on the other replicas.
            for s in self.local().to(target.clone()).sockets() {
                close(s, CloseReason::ServerApi);
            }
            self.to(target).disconnect().await.map_err(err)
        })
    }

    fn local_rooms(&self) -> BoxFuture<'_, Result<Vec<String>, ClusterError>> {
        Box::pin(async move {
            let rooms = self.local().rooms().await.map_err(err)?;
            Ok(rooms.into_iter().map(|r| r.to_string()).collect())
        })
    }
}
