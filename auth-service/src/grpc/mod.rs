//! The gRPC server gateways talk to: `UserDirectory`, the standard
//! `grpc.health.v1.Health` service and server reflection.

mod directory;
mod watch;

use std::future::Future;

use proto::auth::v1::{FILE_DESCRIPTOR_SET, user_directory_server::UserDirectoryServer};
use tokio::net::TcpListener;
use tokio_stream::wrappers::TcpListenerStream;

pub use directory::Directory;

/// Serves the gRPC services on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: TcpListener,
    directory: Directory,
    shutdown: impl Future<Output = ()> + Send,
) -> anyhow::Result<()> {
    let (health_reporter, health_service) = tonic_health::server::health_reporter();
    health_reporter
        .set_serving::<UserDirectoryServer<Directory>>()
        .await;
    let reflection = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .build_v1()?;
    tonic::transport::Server::builder()
        .trace_fn(|request| tracing::info_span!("grpc", path = %request.uri().path()))
        .add_service(health_service)
        .add_service(reflection)
        .add_service(UserDirectoryServer::new(directory))
        .serve_with_incoming_shutdown(TcpListenerStream::new(listener), shutdown)
        .await?;
    Ok(())
}
