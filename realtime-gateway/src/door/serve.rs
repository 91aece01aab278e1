//! The gateway's HTTP server loop: hyper's connection builder with a
//! header-read timeout (slow-loris clients are dropped after
//! `HEADER_READ_TIMEOUT`), caps on connections still waiting for their first
//! request (`MAX_PENDING_CONNECTIONS` per node, and `MAX_PENDING_PER_ADDRESS`
//! per TCP peer when no proxy is trusted; further connections are closed at
//! once, before any work), WebSocket upgrades, killable connections
//! ([`super::killable`]) and graceful shutdown. `axum::serve` exposes none
//! of these knobs, so the loop is written here over `hyper-util`.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tower::ServiceExt;

use super::Door;
use super::killable::Killable;
use super::slot::{Full, Pending};
use crate::metrics::ShedReason;

/// Serves `router` on `listener` until `stop` resolves, then lets open
/// connections finish for up to `grace`.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    door: Arc<Door>,
    stop: impl Future<Output = ()>,
    grace: Duration,
) {
    let mut builder = Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(door.limits().header_read_timeout);
    // Behind trusted proxies every connection comes from a proxy: only the
    // node-wide cap applies at this stage.
    let per_peer = match door.limits().trusted_proxy_hops {
        0 => door.limits().max_pending_per_address,
        _ => usize::MAX,
    };
    let waiting = Pending::new(door.limits().max_pending_connections, per_peer);
    let graceful = GracefulShutdown::new();
    tokio::pin!(stop);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of descriptors or similar: back off instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut stop => break,
        };
        let permit = match waiting.take(peer.ip()) {
            Ok(slot) => slot,
            Err(full) => {
                door.shed(match full {
                    Full::Address => ShedReason::PerAddressCap,
                    Full::Node => ShedReason::NodeCap,
                });
                drop(stream);
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let (stream, info) = Killable::new(stream, peer);
        let io = TokioIo::new(stream);
        let router = router.clone();
        let service = tower::service_fn(move |mut req: axum::http::Request<Incoming>| {
            permit.release();
            req.extensions_mut().insert(info.clone());
            req.extensions_mut().insert(ConnectInfo(info.peer));
            router.clone().oneshot(req.map(axum::body::Body::new))
        });
        let connection = builder
            .serve_connection_with_upgrades(io, TowerToHyperService::new(service))
            .into_owned();
        let connection = graceful.watch(connection);
        let door = door.clone();
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                let timed_out = e
                    .downcast_ref::<hyper::Error>()
                    .is_some_and(hyper::Error::is_timeout);
                if timed_out {
                    door.shed(ShedReason::HeaderTimeout);
                }
                tracing::debug!(error = %e, timed_out, "connection ended with an error");
            }
        });
    }
    drop(listener);
    if tokio::time::timeout(grace, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("connections still open after the grace period; stopping anyway");
    }
}
