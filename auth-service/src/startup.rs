//! Builds the application (binds both listeners, so port 0 works and the
//! real ports are known before serving) and runs it until a shutdown signal.

use std::{future::Future, net::TcpListener as StdTcpListener, sync::Arc, time::Duration};

use actix_web::{App, HttpServer, dev::Server, middleware::from_fn, web};
use anyhow::Context;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::{
    config::Settings,
    credentials::Hasher,
    grpc::{self, CallerCheck, Directory, RevocationFeed},
    metrics::Metrics,
    rate_limit::Limiter,
    routes,
    state::AppState,
    store::Store,
    telemetry,
    tokens::{AccessTokens, KeyRing},
};

/// A built, not yet running, auth-service.
pub struct Application {
    http_port: u16,
    grpc_port: u16,
    http: Server,
    grpc_listener: TcpListener,
    directory: Directory,
    callers: CallerCheck,
    closing: CancellationToken,
}

impl Application {
    /// Loads keys, configures the store and binds the HTTP and gRPC
    /// listeners. MongoDB need not be up yet.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        if settings.signing_keys.is_empty() {
            tracing::warn!(
                "JWT_SIGNING_KEYS is unset: GENERATED A THROWAWAY SIGNING KEY. Tokens die with this \
                 process and replicas will not accept each other's tokens. Never run like this in production."
            );
        }
        let ring = KeyRing::load(&settings.signing_keys)?;
        let tokens = Arc::new(AccessTokens::new(
            ring,
            &settings.issuer,
            &settings.audience,
            settings.access_token_ttl,
        ));
        let store = Store::connect(&settings.mongodb_uri, &settings.mongodb_database).await?;
        spawn_index_setup(store.clone());
        let cores = std::thread::available_parallelism().map_or(2, usize::from);
        let state = web::Data::new(AppState {
            store: store.clone(),
            hasher: Hasher::new(settings.hash_concurrency.unwrap_or(cores)).await?,
            tokens,
            refresh_token_ttl: settings.refresh_token_ttl,
            limiter: Limiter::new(
                store.clone(),
                settings.login_per_address,
                settings.login_failures,
                settings.register_per_address,
                settings.refresh_per_address,
            ),
            trusted_proxy_hops: settings.trusted_proxy_hops,
        });

        let http_listener = StdTcpListener::bind(settings.http_addr)
            .with_context(|| format!("AUTH_HTTP_ADDR: cannot bind {}", settings.http_addr))?;
        let http_addr = http_listener.local_addr()?;
        let grpc_listener = TcpListener::bind(settings.grpc_addr)
            .await
            .with_context(|| format!("AUTH_GRPC_ADDR: cannot bind {}", settings.grpc_addr))?;
        let grpc_addr = grpc_listener.local_addr()?;

        let closing = CancellationToken::new();
        if settings.grpc_token.is_none() {
            tracing::warn!(
                "AUTH_GRPC_TOKEN is unset: gRPC callers are NOT authenticated. Allowed only because \
                 AUTH_GRPC_ADDR is a loopback address; never run like this in production."
            );
        }
        let feed = RevocationFeed::start(
            store.clone(),
            store.revocations_appended(),
            settings.max_revocation_streams,
            closing.clone(),
        );
        let metrics = web::Data::new(Metrics::default());
        let http = HttpServer::new(move || {
            App::new()
                .app_data(state.clone())
                .app_data(metrics.clone())
                .wrap(from_fn(telemetry::trace_request))
                .configure(routes::configure)
                .default_service(web::to(routes::not_found))
        })
        .workers(cores)
        .disable_signals()
        .shutdown_timeout(20)
        .listen(http_listener)?
        .run();
        tracing::info!(%http_addr, %grpc_addr, "auth-service listening");
        Ok(Self {
            http_port: http_addr.port(),
            grpc_port: grpc_addr.port(),
            http,
            grpc_listener,
            directory: Directory::new(store, feed, closing.clone()),
            callers: CallerCheck::new(settings.grpc_token),
            closing,
        })
    }

    /// The bound HTTP port.
    pub fn http_port(&self) -> u16 {
        self.http_port
    }

    /// The bound gRPC port.
    pub fn grpc_port(&self) -> u16 {
        self.grpc_port
    }

    /// Serves until `shutdown` resolves, then ends the revocation streams,
    /// lets in-flight HTTP requests finish (up to 20 s) and stops gRPC.
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send,
    ) -> anyhow::Result<()> {
        let handle = self.http.handle();
        let (stop_grpc, grpc_stopped) = tokio::sync::oneshot::channel::<()>();
        let grpc = tokio::spawn(grpc::serve(
            self.grpc_listener,
            self.directory,
            self.callers,
            async {
                let _ = grpc_stopped.await;
            },
        ));
        let http = tokio::spawn(self.http);
        tokio::select! {
            _ = shutdown => tracing::info!("shutdown requested: draining requests"),
            result = http => { result.context("HTTP server task")?.context("HTTP server")?; }
        }
        self.closing.cancel();
        handle.stop(true).await;
        let _ = stop_grpc.send(());
        grpc.await.context("gRPC server task")??;
        tracing::info!("auth-service stopped");
        Ok(())
    }
}

/// Creates the indexes as soon as MongoDB answers, so readiness turns green
/// without waiting for the first request. Retries until it succeeds.
fn spawn_index_setup(store: Store) {
    tokio::spawn(async move {
        loop {
            match store.ensure_indexes().await {
                Ok(()) => return tracing::info!("database ready"),
                Err(e) => tracing::warn!(error = %e, "database not ready; retrying"),
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    });
}
