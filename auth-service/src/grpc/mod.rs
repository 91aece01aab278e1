//! The gRPC server gateways talk to: `UserDirectory`, the standard
//! `grpc.health.v1.Health` service and server reflection. Every service but
//! health checks its caller's credentials (`service_kit::grpc::CallerCheck`); revocations
//! reach every subscriber through one follower per replica ([`feed`]).

mod directory;
pub mod feed;
mod watch;

use std::future::Future;

use proto::auth::v1::{FILE_DESCRIPTOR_SET, user_directory_server::UserDirectoryServer};
use tokio::net::TcpListener;

pub use directory::Directory;
pub use feed::RevocationFeed;
pub use service_kit::grpc::CallerCheck;

/// Serves the gRPC services on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: TcpListener,
    directory: Directory,
    callers: CallerCheck,
    shutdown: impl Future<Output = ()> + Send,
) -> anyhow::Result<()> {
    service_kit::grpc::serve(
        listener,
        FILE_DESCRIPTOR_SET,
        UserDirectoryServer::new(directory),
        callers,
        shutdown,
    )
    .await?;
    Ok(())
}
