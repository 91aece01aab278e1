//! Wiring and lifecycle: [`Application::build`] binds the listener (port 0
//! is fine), builds the socket.io server on the in-memory or the Redis
//! adapter, and starts the background tasks (JWKS loader, revocation
//! watcher); [`Application::run_until_stopped`] serves until the shutdown
//! future resolves, then drains: handshakes are refused with
//! `auth_unavailable`, `/readyz` turns 503, local sockets are disconnected in
//! batches over `GATEWAY_DRAIN_PERIOD`, and the server stops.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::Context;
use axum::Router;
use axum::http::{HeaderValue, Method};
use socketioxide::handler::ConnectHandler;
use socketioxide::{ParserConfig, SocketIo};
use socketioxide_redis::drivers::redis::redis_client;
use socketioxide_redis::{RedisAdapter, RedisAdapterCtr};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tower_http::cors::{AllowOrigin, Any, CorsLayer};

use crate::api::ApiContext;
use crate::api::cluster::Cluster;
use crate::api::idempotency::Idempotency;
use crate::config::{CorsOrigins, Settings};
use crate::door::{Door, DoorLimits};
use crate::fanout::Fanout;
use crate::grpc::revocations::OnRevoke;
use crate::grpc::{AuthLink, RevocationWatcher, SessionChecker, lazy_channel};
use crate::hooks::Hooks;
use crate::metrics::GatewayMetrics;
use crate::presence::store::Store;
use crate::redis_conn::RedisWatch;
use crate::socket::control::{LocalSockets, drain};
use crate::socket::limits::ConnectionLimiter;
use crate::socket::{authenticate, on_connect};
use crate::state::{AppState, GatewayState};
use crate::token::{JwksCache, TokenVerifier, jwks};

/// Engine-level payload cap above `MAX_EVENT_BYTES`, for packet framing: an
/// event between the two limits is acked `payload_too_large`, a bigger
/// packet closes the connection.
const FRAMING_ALLOWANCE: usize = 4096;
/// How long the HTTP server may take to stop after the drain.
const STOP_GRACE: Duration = Duration::from_secs(5);

/// A built, bound, not yet serving gateway.
pub struct Application {
    listener: TcpListener,
    addr: SocketAddr,
    api_addr: Option<SocketAddr>,
    api_grpc_addr: Option<SocketAddr>,
    router: Router,
    state: AppState,
    sockets: Arc<dyn LocalSockets>,
    drain_period: Duration,
    tasks: Vec<JoinHandle<()>>,
}

impl Application {
    /// Binds `settings.addr` and wires everything. Never waits for the
    /// auth-service: keys and the gRPC stream are acquired in the background.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(settings.addr)
            .await
            .with_context(|| format!("binding GATEWAY_ADDR {}", settings.addr))?;
        let addr = listener.local_addr().context("reading the bound address")?;

        let link = AuthLink::new(
            lazy_channel(&settings.auth_grpc_url)?,
            settings.auth_grpc_token.as_ref(),
        )?;
        if settings.auth_grpc_token.is_none() {
            tracing::warn!(
                "AUTH_GRPC_TOKEN is unset: calling the auth-service without credentials"
            );
        }
        let jwks = Arc::new(JwksCache::new(
            settings.jwt_issuer.clone(),
            jwks::http_source(settings.auth_jwks_url.clone())?,
        ));
        let metrics = Arc::new(GatewayMetrics::new());
        let listener = match &settings.redis_url {
            Some(url) => crate::redis_conn::until_redis_answers(listener, url).await?,
            None => listener,
        };
        let redis_watch = match &settings.redis_url {
            Some(url) => Some(RedisWatch::new(url).context("REDIS_URL")?),
            None => None,
        };
        let door = Door::new(door_limits(&settings), metrics.clone());
        let fanout = Arc::new(match &settings.redis_url {
            Some(url) => Fanout::redis(url).context("REDIS_URL")?,
            None => Fanout::single(),
        });
        let state: AppState = Arc::new(GatewayState {
            verifier: TokenVerifier::new(
                jwks.clone(),
                &settings.jwt_issuer,
                &settings.jwt_audience,
            ),
            sessions: SessionChecker::new(
                &link,
                settings.session_cache_ttl,
                metrics.check_session(),
            ),
            limiter: ConnectionLimiter::new(settings.max_connections_per_user),
            auth_link: link.status().clone(),
            draining: AtomicBool::new(false),
            max_event_bytes: settings.max_event_bytes,
            event_burst: settings.event_burst,
            max_rooms_per_socket: settings.max_rooms_per_socket,
            event_rate_per_sec: settings.event_rate_per_sec,
            auth_expiring_lead: settings.auth_expiring_lead,
            metrics: metrics.clone(),
            door: door.clone(),
            fanout: fanout.clone(),
            presence: match &settings.redis_url {
                Some(url) => Store::redis(url).context("REDIS_URL")?,
                None => Store::memory(),
            },
            hooks: Hooks::new(settings.hooks.clone(), metrics.clone())
                .context("building the hook client")?,
            rpc_max_inflight: settings.rpc_max_inflight,
            redis: redis_watch.clone(),
        });

        let routes = {
            let (state, metrics) = (state.clone(), metrics.clone());
            move |sockets| {
                crate::health::router(state).merge(crate::health::metrics_router(metrics, sockets))
            }
        };
        let (router, sockets, cluster) = socket_server(&settings, state.clone(), routes).await?;
        let router = router
            .layer(axum::middleware::map_request(
                crate::compact::detach_request,
            ))
            .layer(axum::middleware::from_fn_with_state(
                door.clone(),
                crate::door::admission::admit,
            ));
        let router = match cors_layer(&settings.cors_origins)? {
            Some(cors) => router.layer(cors),
            None => router,
        };

        let on_revoke: OnRevoke = {
            let sockets = sockets.clone();
            let metrics = metrics.clone();
            Arc::new(move |rev| {
                let lag = crate::socket::lifetime::now_unix_ms().saturating_sub(rev.at);
                metrics.revocation_applied(Duration::from_millis(u64::try_from(lag).unwrap_or(0)));
                let n = sockets.disconnect_session(&rev.user_id, &rev.session_id);
                if n > 0 {
                    tracing::info!(user_id = rev.user_id, sockets = n, "closed revoked sockets");
                }
            })
        };
        let watcher = RevocationWatcher::new(&link, state.sessions.clone(), on_revoke);
        let forget = async move {
            let mut every = tokio::time::interval(Duration::from_secs(60));
            loop {
                every.tick().await;
                door.forget_idle();
            }
        };
        let (api_addr, api_grpc_addr, api_tasks) = match &settings.api_keys {
            Some(keys) => {
                let ctx = Arc::new(ApiContext {
                    state: state.clone(),
                    local: sockets.clone(),
                    cluster,
                    keys: keys.clone(),
                    idempotency: match &settings.redis_url {
                        Some(url) => Idempotency::redis(url).context("REDIS_URL")?,
                        None => Idempotency::memory(),
                    },
                });
                let (addr, task) = serve_api(settings.api_addr, ctx.clone()).await?;
                let mut tasks = vec![task];
                let grpc_addr = match settings.api_grpc_addr {
                    Some(grpc_addr) => {
                        let (grpc_addr, task) = serve_api_grpc(grpc_addr, ctx).await?;
                        tasks.push(task);
                        Some(grpc_addr)
                    }
                    None => None,
                };
                (Some(addr), grpc_addr, tasks)
            }
            None => {
                tracing::info!("GATEWAY_API_KEYS is unset: server API off (HTTP and gRPC)");
                (None, None, vec![])
            }
        };
        let mut tasks = vec![
            tokio::spawn(jwks.run_loader()),
            tokio::spawn(watcher.run()),
            tokio::spawn(forget),
            tokio::spawn(fanout.follow(sockets.clone())),
        ];
        tasks.extend(api_tasks);
        tasks.extend(redis_watch.map(|w| tokio::spawn(w.run())));

        tracing::info!(addr = %addr, "realtime-gateway listening");
        Ok(Self {
            listener,
            addr,
            api_addr,
            api_grpc_addr,
            router,
            state,
            sockets,
            drain_period: settings.drain_period,
            tasks,
        })
    }

    /// The bound port (useful with port 0).
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// The bound address.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The server API's bound address (`None` when it is off).
    pub fn api_addr(&self) -> Option<SocketAddr> {
        self.api_addr
    }

    /// The gRPC server API's bound address (`None` when it is off).
    pub fn api_grpc_addr(&self) -> Option<SocketAddr> {
        self.api_grpc_addr
    }

    /// The shared state (readiness, limits), for tests.
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `shutdown` resolves, then drains and stops.
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let server = crate::door::serve::serve(
            self.listener,
            self.router,
            self.state.door.clone(),
            async move {
                let _ = stop_rx.await;
            },
            STOP_GRACE,
        );
        let mut server = tokio::spawn(server);
        tokio::select! {
            res = &mut server => {
                self.tasks.iter().for_each(JoinHandle::abort);
                res.context("server task")?;
                anyhow::bail!("the HTTP server stopped unexpectedly");
            }
            () = shutdown => {}
        }
        tracing::info!("shutdown requested");
        self.state.draining.store(true, Ordering::Release);
        drain(self.sockets.as_ref(), self.drain_period).await;
        let _ = stop_tx.send(());
        self.tasks.iter().for_each(JoinHandle::abort);
        // The server waits up to STOP_GRACE for open connections itself.
        if tokio::time::timeout(STOP_GRACE * 2, &mut server)
            .await
            .is_err()
        {
            server.abort();
        }
        tracing::info!("realtime-gateway stopped");
        Ok(())
    }
}

/// Builds the socket.io layer on the configured adapter and returns the
/// routes made by `routes` (given the local sockets) wrapped in it (the
/// layer serves `/socket.io/`, the rest falls through) plus an
/// adapter-independent handle on local sockets.
async fn socket_server(
    settings: &Settings,
    state: AppState,
    routes: impl FnOnce(Arc<dyn LocalSockets>) -> Router,
) -> anyhow::Result<(Router, Arc<dyn LocalSockets>, Arc<dyn Cluster>)> {
    let max_payload = settings.max_event_bytes + FRAMING_ALLOWANCE;
    // Binary attachments: at most MAX_BINARY_ATTACHMENTS per packet and
    // MAX_EVENT_BYTES in total, completed within CONNECT_TIMEOUT; beyond
    // any of these socketioxide drops the packet and closes the connection.
    let parser = ParserConfig::common()
        .max_incoming_binaries(crate::door::MAX_BINARY_ATTACHMENTS)
        .max_incoming_binary_buf_size(settings.max_event_bytes)
        .packet_completion_timeout(settings.connect_timeout);
    let builder = SocketIo::builder()
        .with_state(state)
        .max_buffer_size(settings.socket_buffer_packets)
        .with_parser(parser)
        .connect_timeout(settings.connect_timeout)
        .max_payload(max_payload as u64)
        .ws_max_message_size(max_payload)
        .ws_max_frame_size(max_payload);
    match &settings.redis_url {
        None => {
            let (layer, io) = builder.build_layer();
            io.ns("/", on_connect.with(authenticate));
            tracing::info!("single node: in-memory adapter");
            let cluster: Arc<dyn Cluster> = Arc::new(io.clone());
            let sockets: Arc<dyn LocalSockets> = Arc::new(io);
            Ok((routes(sockets.clone()).layer(layer), sockets, cluster))
        }
        Some(url) => {
            let client = redis_client::Client::open(url.as_str()).context("REDIS_URL")?;
            let ctr = RedisAdapterCtr::new_with_redis(&client)
                .await
                .context("connecting to Redis (REDIS_URL)")?;
            let (layer, io) = builder.with_adapter::<RedisAdapter<_>>(ctr).build_layer();
            io.ns("/", on_connect.with(authenticate))
                .await
                .context("initialising the Redis adapter")?;
            tracing::info!("cluster: Redis adapter");
            let cluster: Arc<dyn Cluster> = Arc::new(io.clone());
            let sockets: Arc<dyn LocalSockets> = Arc::new(io);
            Ok((routes(sockets.clone()).layer(layer), sockets, cluster))
        }
    }
}

/// Binds `GATEWAY_API_ADDR` and serves the server API there until the
/// gateway stops (the task is aborted with the others).
async fn serve_api(
    addr: SocketAddr,
    ctx: Arc<ApiContext>,
) -> anyhow::Result<(SocketAddr, JoinHandle<()>)> {
    let listener = TcpListener::bind(addr)
        .await
        .with_context(|| format!("binding GATEWAY_API_ADDR {addr}"))?;
    let addr = listener.local_addr().context("reading the bound address")?;
    let router = crate::api::http::router(ctx);
    tracing::info!(addr = %addr, "server API listening");
    let task = tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, router).await {
            tracing::error!(error = %e, "server API listener failed");
        }
    });
    Ok((addr, task))
}

/// Binds `GATEWAY_API_GRPC_ADDR` and serves `gatehouse.gateway.v1.ServerApi`
/// there (with health and reflection) until the gateway stops.
async fn serve_api_grpc(
    addr: SocketAddr,
    ctx: Arc<ApiContext>,
) -> anyhow::Result<(SocketAddr, JoinHandle<()>)> {
    use proto::gateway::v1::{FILE_DESCRIPTOR_SET, server_api_server::ServerApiServer};
    let listener = TcpListener::bind(addr)
        .await
        .with_context(|| format!("binding GATEWAY_API_GRPC_ADDR {addr}"))?;
    let addr = listener.local_addr().context("reading the bound address")?;
    let callers = service_kit::grpc::CallerCheck::new(Some(ctx.keys.clone()));
    let service = ServerApiServer::new(crate::api::grpc::GrpcApi(ctx))
        .max_decoding_message_size(crate::api::http::MAX_BODY);
    tracing::info!(addr = %addr, "server API (gRPC) listening");
    let task = tokio::spawn(async move {
        let served = service_kit::grpc::serve(
            listener,
            FILE_DESCRIPTOR_SET,
            service,
            callers,
            std::future::pending(),
        )
        .await;
        if let Err(e) = served {
            tracing::error!(error = %e, "server API gRPC listener failed");
        }
    });
    Ok((addr, task))
}

fn door_limits(settings: &Settings) -> DoorLimits {
    DoorLimits {
        header_read_timeout: settings.header_read_timeout,
        max_pending_connections: settings.max_pending_connections,
        max_pending_sessions: settings.max_pending_sessions,
        max_pending_per_address: settings.max_pending_per_address,
        handshake_rate_per_address: settings.handshake_rate_per_address,
        connect_timeout: settings.connect_timeout,
        refused_session_grace: settings.refused_session_grace,
        trusted_proxy_hops: settings.trusted_proxy_hops,
    }
}

fn cors_layer(origins: &CorsOrigins) -> anyhow::Result<Option<CorsLayer>> {
    let base = CorsLayer::new()
        .allow_methods([Method::GET, Method::POST])
        .allow_headers(Any);
    Ok(match origins {
        CorsOrigins::SameOrigin => None,
        CorsOrigins::Any => Some(base.allow_origin(Any)),
        CorsOrigins::List(list) => {
            let values = list
                .iter()
                .map(|o| {
                    HeaderValue::from_str(o).with_context(|| format!("CORS_ORIGINS entry {o:?}"))
                })
                .collect::<anyhow::Result<Vec<_>>>()?;
            Some(base.allow_origin(AllowOrigin::list(values)))
        }
    })
}
