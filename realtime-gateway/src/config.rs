//! Gateway configuration: one [`Settings`] struct read from environment
//! variables at start. Every value is parsed and validated once; a bad value
//! fails start-up with an error naming its variable. [`HELP`] lists them all.

use std::net::SocketAddr;
use std::time::Duration;

use service_kit::bearer::BearerKeys;

use crate::hooks::{HookSecret, HookSettings};

/// `--help` text: every variable, its default and its meaning.
pub const HELP: &str = "\
realtime-gateway: authenticated socket.io gateway of Gatehouse

USAGE:
    realtime-gateway               run the gateway
    realtime-gateway healthcheck   GET /healthz on GATEWAY_ADDR; exit 0 on 200, else 1
    realtime-gateway --help        print this text

ENVIRONMENT (default in brackets):
    GATEWAY_ADDR              [127.0.0.1:3000] socket.io + HTTP listen address; port 0 picks a free port
    AUTH_GRPC_URL             [http://127.0.0.1:50051] auth-service gRPC endpoint (CheckSession, WatchRevocations)
    AUTH_JWKS_URL             [http://127.0.0.1:8080/.well-known/jwks.json] public keys of the access tokens
    AUTH_GRPC_TOKEN           [unset = sends none] secret (>= 32 chars) sent as `authorization: Bearer` on every
                              gRPC call; must be one of the auth-service's AUTH_GRPC_TOKEN values
    REDIS_URL                 [unset = single node, in memory] Redis >= 7 shared by replicas; RESP3 is
                              required, `?protocol=resp3` is appended when the URL has no protocol
    JWT_ISSUER                [gatehouse] required `iss` of access tokens
    JWT_AUDIENCE              [gatehouse] required `aud` of access tokens
    CORS_ORIGINS              [unset = same origin only] comma-separated origins, or `*` for any
    MAX_CONNECTIONS_PER_USER  [10] live sockets per user (cluster-wide with Redis)
    MAX_EVENT_BYTES           [16384] largest event payload (JSON bytes); larger events are refused
    EVENT_RATE_PER_SEC        [20] sustained events per second per socket (token bucket refill)
    EVENT_BURST               [40] token bucket size: events allowed in a burst
    MAX_ROOMS_PER_SOCKET      [100] rooms a socket may be in besides user:<id>; more joins ack too_many_rooms
    SOCKET_BUFFER_PACKETS     [128] packets queued per socket; a socket whose queue is full when an
                              event or ack is due is disconnected as a slow consumer (never skipped)
    SESSION_CACHE_TTL         [5s] how long an ACTIVE CheckSession answer is reused
    AUTH_EXPIRING_LEAD        [60s] how long before token expiry `auth:expiring` is emitted
    GATEWAY_DRAIN_PERIOD      [10s] on SIGTERM, sockets are disconnected in batches over this period
  Front door (what an unauthenticated client may hold; see the README section Protecting the gateway):
    HEADER_READ_TIMEOUT       [5s] a connection must send its request headers within this time
    MAX_PENDING_CONNECTIONS   [2048] connections waiting for their first request; more are closed at once
    MAX_PENDING_SESSIONS      [4096] unauthenticated engine.io sessions on this node; more get 503
    MAX_PENDING_PER_ADDRESS   [32] unauthenticated sessions per client address; more get 429
    HANDSHAKE_RATE_PER_ADDRESS [20] new sessions per second per client address (burst 2x); 0 = unlimited
    CONNECT_TIMEOUT           [10s] a session that has not sent socket.io CONNECT by then is closed (1s-10s)
    REFUSED_SESSION_GRACE     [1s] after a refused handshake (not auth_unavailable) the session is closed
                              this much later, once the client has read its code (at most 2s)
    TRUSTED_PROXY_HOPS        [0] reverse proxies in front; >0 takes client addresses from X-Forwarded-For
  Server API (for the application's backends; see the README section Build on Gatehouse):
    GATEWAY_API_ADDR          [127.0.0.1:3001] listener of the server API (never expose it publicly)
    GATEWAY_API_KEYS          [unset = server API off] comma-separated keys (>= 32 chars each) a
                              backend sends as `Authorization: Bearer <key>`
    GATEWAY_API_GRPC_ADDR     [unset = off] listener of the same API over gRPC (gatehouse.gateway.v1.ServerApi)
  Application hooks (signed POSTs to the application's backend; see Build on Gatehouse):
    ROOM_AUTH_URL             [unset = other rooms forbidden] asked whether a user may join a room
                              that is not public:*, presence:* or user:*
    RPC_URL                   [unset = no rpc event] answers the client event `rpc {method, params}`
    HOOK_SECRET               [unset; required with a hook URL] `whsec_<base64>` (>= 24 bytes) signing
                              every hook call the Standard Webhooks way
    HOOK_TIMEOUT              [2s] deadline of one hook call (100ms-30s); late = `unavailable`
    RPC_MAX_INFLIGHT          [8] rpc calls in flight per socket; more ack rate_limited
    LOG_FORMAT                [pretty] `pretty` or `json` (json goes to stdout)
    RUST_LOG                  [info] tracing filter; wins over the default

Durations are written like `500ms`, `5s`, `15m`.
";

pub use service_kit::telemetry::LogFormat;

/// Which browser origins may open a socket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CorsOrigins {
    /// No CORS headers: only the gateway's own origin.
    SameOrigin,
    /// Any origin (`*`).
    Any,
    /// Exactly these origins.
    List(Vec<String>),
}

/// Every setting of the gateway, validated.
#[derive(Debug, Clone)]
pub struct Settings {
    /// `GATEWAY_ADDR`.
    pub addr: SocketAddr,
    /// `AUTH_GRPC_URL`.
    pub auth_grpc_url: String,
    /// `AUTH_JWKS_URL`.
    pub auth_jwks_url: String,
    /// `AUTH_GRPC_TOKEN`: the first entry is sent.
    pub auth_grpc_token: Option<BearerKeys>,
    /// `REDIS_URL` (with `protocol=resp3` ensured), `None` for a single node.
    pub redis_url: Option<String>,
    /// `JWT_ISSUER`.
    pub jwt_issuer: String,
    /// `JWT_AUDIENCE`.
    pub jwt_audience: String,
    /// `CORS_ORIGINS`.
    pub cors_origins: CorsOrigins,
    /// `MAX_CONNECTIONS_PER_USER` (at least 1).
    pub max_connections_per_user: usize,
    /// `MAX_EVENT_BYTES` (at least 256).
    pub max_event_bytes: usize,
    /// `EVENT_RATE_PER_SEC` (> 0).
    pub event_rate_per_sec: f64,
    /// `EVENT_BURST` (at least 1).
    pub event_burst: u32,
    /// `MAX_ROOMS_PER_SOCKET` (at least 1).
    pub max_rooms_per_socket: usize,
    /// `SOCKET_BUFFER_PACKETS` (at least 16).
    pub socket_buffer_packets: usize,
    /// `SESSION_CACHE_TTL`.
    pub session_cache_ttl: Duration,
    /// `AUTH_EXPIRING_LEAD`.
    pub auth_expiring_lead: Duration,
    /// `GATEWAY_DRAIN_PERIOD`.
    pub drain_period: Duration,
    /// `LOG_FORMAT`.
    pub log_format: LogFormat,
    /// `HEADER_READ_TIMEOUT`.
    pub header_read_timeout: Duration,
    /// `MAX_PENDING_CONNECTIONS` (at least 1).
    pub max_pending_connections: usize,
    /// `MAX_PENDING_SESSIONS` (at least 1).
    pub max_pending_sessions: usize,
    /// `MAX_PENDING_PER_ADDRESS` (at least 1).
    pub max_pending_per_address: usize,
    /// `HANDSHAKE_RATE_PER_ADDRESS` (per second, 0 = unlimited).
    pub handshake_rate_per_address: u32,
    /// `CONNECT_TIMEOUT` (1 s to 10 s).
    pub connect_timeout: Duration,
    /// `REFUSED_SESSION_GRACE` (at most 2 s).
    pub refused_session_grace: Duration,
    /// `TRUSTED_PROXY_HOPS` (0 to 10).
    pub trusted_proxy_hops: usize,
    /// `GATEWAY_API_ADDR`: the server API's listener.
    pub api_addr: SocketAddr,
    /// `GATEWAY_API_KEYS`: the server API is off without them.
    pub api_keys: Option<BearerKeys>,
    /// `GATEWAY_API_GRPC_ADDR`: the server API over gRPC (off when unset).
    pub api_grpc_addr: Option<SocketAddr>,
    /// `ROOM_AUTH_URL`, `RPC_URL`, `HOOK_SECRET`, `HOOK_TIMEOUT`.
    pub hooks: HookSettings,
    /// `RPC_MAX_INFLIGHT`.
    pub rpc_max_inflight: usize,
}

impl Default for Settings {
    /// The documented defaults.
    fn default() -> Self {
        Self {
            addr: SocketAddr::from(([127, 0, 0, 1], 3000)),
            auth_grpc_url: "http://127.0.0.1:50051".into(),
            auth_jwks_url: "http://127.0.0.1:8080/.well-known/jwks.json".into(),
            auth_grpc_token: None,
            redis_url: None,
            jwt_issuer: "gatehouse".into(),
            jwt_audience: "gatehouse".into(),
            cors_origins: CorsOrigins::SameOrigin,
            max_connections_per_user: 10,
            max_event_bytes: 16 * 1024,
            event_rate_per_sec: 20.0,
            event_burst: 40,
            socket_buffer_packets: 128,
            max_rooms_per_socket: 100,
            session_cache_ttl: Duration::from_secs(5),
            auth_expiring_lead: Duration::from_secs(60),
            drain_period: Duration::from_secs(10),
            log_format: LogFormat::Pretty,
            header_read_timeout: Duration::from_secs(5),
            max_pending_connections: 2048,
            max_pending_sessions: 4096,
            max_pending_per_address: 32,
            handshake_rate_per_address: 20,
            connect_timeout: Duration::from_secs(10),
            refused_session_grace: Duration::from_secs(1),
            trusted_proxy_hops: 0,
            api_addr: SocketAddr::from(([127, 0, 0, 1], 3001)),
            api_keys: None,
            api_grpc_addr: None,
            hooks: HookSettings {
                room_auth_url: None,
                rpc_url: None,
                secret: None,
                timeout: Duration::from_secs(2),
            },
            rpc_max_inflight: 8,
        }
    }
}

/// A configuration value that could not be used.
#[derive(Debug, thiserror::Error)]
#[error("invalid {var}={value:?}: {reason}")]
pub struct ConfigError {
    /// The environment variable.
    pub var: &'static str,
    /// The value given.
    pub value: String,
    /// Why it was refused.
    pub reason: String,
}

impl Settings {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads settings through `lookup` (a variable name → its value), so
    /// tests can configure the gateway without touching the environment.
    /// Empty values count as unset.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let d = Self::default();
        Ok(Self {
            addr: parse_or(&get, "GATEWAY_ADDR", d.addr, |v| v.parse().map_err(str_err))?,
            auth_grpc_url: parse_or(&get, "AUTH_GRPC_URL", d.auth_grpc_url, http_url)?,
            auth_jwks_url: parse_or(&get, "AUTH_JWKS_URL", d.auth_jwks_url, http_url)?,
            auth_grpc_token: get("AUTH_GRPC_TOKEN")
                .map(|v| secrets("AUTH_GRPC_TOKEN", &v))
                .transpose()?,
            api_addr: parse_or(&get, "GATEWAY_API_ADDR", d.api_addr, |v| {
                v.parse().map_err(str_err)
            })?,
            api_keys: get("GATEWAY_API_KEYS")
                .map(|v| secrets("GATEWAY_API_KEYS", &v))
                .transpose()?,
            redis_url: get("REDIS_URL")
                .map(|v| redis_url(&v).map_err(|r| bad("REDIS_URL", &v, r)))
                .transpose()?,
            jwt_issuer: get("JWT_ISSUER").map_or(d.jwt_issuer, |v| v.trim().to_owned()),
            jwt_audience: get("JWT_AUDIENCE").map_or(d.jwt_audience, |v| v.trim().to_owned()),
            cors_origins: parse_or(&get, "CORS_ORIGINS", d.cors_origins, cors)?,
            max_connections_per_user: parse_or(
                &get,
                "MAX_CONNECTIONS_PER_USER",
                d.max_connections_per_user,
                |v| at_least(v, 1),
            )?,
            max_event_bytes: parse_or(&get, "MAX_EVENT_BYTES", d.max_event_bytes, |v| {
                at_least(v, 256)
            })?,
            event_rate_per_sec: parse_or(&get, "EVENT_RATE_PER_SEC", d.event_rate_per_sec, |v| {
                match v.parse::<f64>() {
                    Ok(r) if r.is_finite() && r > 0.0 => Ok(r),
                    _ => Err("expected a positive number".into()),
                }
            })?,
            event_burst: parse_or(&get, "EVENT_BURST", d.event_burst, |v| {
                at_least(v, 1).map(|n| u32::try_from(n).unwrap_or(u32::MAX))
            })?,
            max_rooms_per_socket: parse_or(
                &get,
                "MAX_ROOMS_PER_SOCKET",
                d.max_rooms_per_socket,
                |v| at_least(v, 1),
            )?,
            socket_buffer_packets: parse_or(
                &get,
                "SOCKET_BUFFER_PACKETS",
                d.socket_buffer_packets,
                |v| at_least(v, 16),
            )?,
            session_cache_ttl: parse_or(&get, "SESSION_CACHE_TTL", d.session_cache_ttl, duration)?,
            auth_expiring_lead: parse_or(
                &get,
                "AUTH_EXPIRING_LEAD",
                d.auth_expiring_lead,
                duration,
            )?,
            drain_period: parse_or(&get, "GATEWAY_DRAIN_PERIOD", d.drain_period, duration)?,
            log_format: parse_or(&get, "LOG_FORMAT", d.log_format, |v| {
                v.parse().map_err(|_| "expected `pretty` or `json`".into())
            })?,
            header_read_timeout: parse_or(
                &get,
                "HEADER_READ_TIMEOUT",
                d.header_read_timeout,
                |v| {
                    between(
                        duration(v)?,
                        Duration::from_millis(100),
                        Duration::from_secs(60),
                    )
                },
            )?,
            max_pending_connections: parse_or(
                &get,
                "MAX_PENDING_CONNECTIONS",
                d.max_pending_connections,
                |v| at_least(v, 1),
            )?,
            max_pending_sessions: parse_or(
                &get,
                "MAX_PENDING_SESSIONS",
                d.max_pending_sessions,
                |v| at_least(v, 1),
            )?,
            max_pending_per_address: parse_or(
                &get,
                "MAX_PENDING_PER_ADDRESS",
                d.max_pending_per_address,
                |v| at_least(v, 1),
            )?,
            handshake_rate_per_address: parse_or(
                &get,
                "HANDSHAKE_RATE_PER_ADDRESS",
                d.handshake_rate_per_address,
                |v| at_least(v, 0).map(|n| u32::try_from(n).unwrap_or(u32::MAX)),
            )?,
            connect_timeout: parse_or(&get, "CONNECT_TIMEOUT", d.connect_timeout, |v| {
                between(
                    duration(v)?,
                    Duration::from_secs(1),
                    Duration::from_secs(10),
                )
            })?,
            refused_session_grace: parse_or(
                &get,
                "REFUSED_SESSION_GRACE",
                d.refused_session_grace,
                |v| between(duration(v)?, Duration::ZERO, Duration::from_secs(2)),
            )?,
            trusted_proxy_hops: parse_or(&get, "TRUSTED_PROXY_HOPS", d.trusted_proxy_hops, |v| {
                match v.parse::<usize>() {
                    Ok(n) if n <= 10 => Ok(n),
                    _ => Err("expected a number from 0 to 10".into()),
                }
            })?,
            api_grpc_addr: get("GATEWAY_API_GRPC_ADDR")
                .map(|v| {
                    v.trim()
                        .parse()
                        .map_err(|e| bad("GATEWAY_API_GRPC_ADDR", &v, str_err(e)))
                })
                .transpose()?,
            hooks: hook_settings(&get, d.hooks)?,
            rpc_max_inflight: parse_or(&get, "RPC_MAX_INFLIGHT", d.rpc_max_inflight, |v| {
                at_least(v, 1)
            })?,
        })
    }
}

/// The hook settings; a hook URL without `HOOK_SECRET` is refused (hook
/// calls are never sent unsigned).
fn hook_settings(
    get: &impl Fn(&str) -> Option<String>,
    d: HookSettings,
) -> Result<HookSettings, ConfigError> {
    let url = |var: &'static str| {
        get(var)
            .map(|v| {
                http_url(v.trim())
                    .and_then(|u| reqwest::Url::parse(&u).map_err(str_err))
                    .map_err(|r| bad(var, &v, r))
            })
            .transpose()
    };
    let hooks = HookSettings {
        room_auth_url: url("ROOM_AUTH_URL")?,
        rpc_url: url("RPC_URL")?,
        secret: get("HOOK_SECRET")
            .map(|v| {
                HookSecret::parse(v.trim()).map_err(|reason| ConfigError {
                    var: "HOOK_SECRET",
                    value: "(redacted)".into(),
                    reason,
                })
            })
            .transpose()?,
        timeout: parse_or(get, "HOOK_TIMEOUT", d.timeout, |v| {
            between(
                duration(v)?,
                Duration::from_millis(100),
                Duration::from_secs(30),
            )
        })?,
    };
    if hooks.secret.is_none() && (hooks.room_auth_url.is_some() || hooks.rpc_url.is_some()) {
        return Err(bad(
            "HOOK_SECRET",
            "",
            "required when ROOM_AUTH_URL or RPC_URL is set".into(),
        ));
    }
    Ok(hooks)
}

fn parse_or<T>(
    get: &impl Fn(&str) -> Option<String>,
    var: &'static str,
    default: T,
    parse: impl FnOnce(&str) -> Result<T, String>,
) -> Result<T, ConfigError> {
    match get(var) {
        None => Ok(default),
        Some(v) => parse(v.trim()).map_err(|reason| bad(var, &v, reason)),
    }
}

/// A list of secrets; the error never holds the value.
fn secrets(var: &'static str, v: &str) -> Result<BearerKeys, ConfigError> {
    BearerKeys::parse(v).map_err(|e| ConfigError {
        var,
        value: "(redacted)".into(),
        reason: e.to_string(),
    })
}

fn bad(var: &'static str, value: &str, reason: String) -> ConfigError {
    ConfigError {
        var,
        value: value.to_owned(),
        reason,
    }
}

fn str_err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

fn at_least(v: &str, min: usize) -> Result<usize, String> {
    match v.parse::<usize>() {
        Ok(n) if n >= min => Ok(n),
        _ => Err(format!("expected an integer >= {min}")),
    }
}

fn between(d: Duration, min: Duration, max: Duration) -> Result<Duration, String> {
    if d < min || d > max {
        return Err(format!(
            "expected a duration from {} to {}",
            humantime::format_duration(min),
            humantime::format_duration(max)
        ));
    }
    Ok(d)
}

fn duration(v: &str) -> Result<Duration, String> {
    humantime::parse_duration(v).map_err(str_err)
}

fn http_url(v: &str) -> Result<String, String> {
    if v.starts_with("http://") || v.starts_with("https://") {
        Ok(v.to_owned())
    } else {
        Err("expected an http:// or https:// URL".into())
    }
}

/// socketioxide-redis speaks RESP3 only: make sure the URL asks for it.
fn redis_url(v: &str) -> Result<String, String> {
    let v = v.trim();
    if !(v.starts_with("redis://") || v.starts_with("rediss://")) {
        return Err("expected a redis:// or rediss:// URL".into());
    }
    if v.to_ascii_lowercase().contains("protocol=") {
        return Ok(v.to_owned());
    }
    let sep = if v.contains('?') { '&' } else { '?' };
    Ok(format!("{v}{sep}protocol=resp3"))
}

fn cors(v: &str) -> Result<CorsOrigins, String> {
    if v == "*" {
        return Ok(CorsOrigins::Any);
    }
    let list: Vec<String> = v
        .split(',')
        .map(str::trim)
        .filter(|o| !o.is_empty())
        .map(str::to_owned)
        .collect();
    if list
        .iter()
        .any(|o| !(o.starts_with("http://") || o.starts_with("https://")))
    {
        return Err("expected `*` or a comma-separated list of http(s) origins".into());
    }
    Ok(CorsOrigins::List(list))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(vars: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Settings::from_lookup(|n| vars.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone()))
    }

    #[test]
    fn defaults_match_the_design() {
        let s = with(&[]).unwrap();
        assert_eq!(s.addr.to_string(), "127.0.0.1:3000");
        assert_eq!(s.max_connections_per_user, 10);
        assert_eq!(s.cors_origins, CorsOrigins::SameOrigin);
        assert!(s.redis_url.is_none());
    }

    #[test]
    fn a_bad_value_names_its_variable() {
        let err = with(&[("SESSION_CACHE_TTL", "soon")]).unwrap_err();
        assert_eq!(err.var, "SESSION_CACHE_TTL");
        assert!(err.to_string().contains("SESSION_CACHE_TTL"));
        assert_eq!(
            with(&[("MAX_CONNECTIONS_PER_USER", "0")]).unwrap_err().var,
            "MAX_CONNECTIONS_PER_USER"
        );
        assert_eq!(
            with(&[("GATEWAY_ADDR", "nowhere")]).unwrap_err().var,
            "GATEWAY_ADDR"
        );
    }

    #[test]
    fn front_door_limits_stay_within_their_documented_ranges() {
        assert_eq!(
            with(&[("CONNECT_TIMEOUT", "11s")]).unwrap_err().var,
            "CONNECT_TIMEOUT"
        );
        assert_eq!(
            with(&[("REFUSED_SESSION_GRACE", "3s")]).unwrap_err().var,
            "REFUSED_SESSION_GRACE"
        );
        assert_eq!(
            with(&[("TRUSTED_PROXY_HOPS", "11")]).unwrap_err().var,
            "TRUSTED_PROXY_HOPS"
        );
        let s = with(&[
            ("HANDSHAKE_RATE_PER_ADDRESS", "0"),
            ("CONNECT_TIMEOUT", "2s"),
        ])
        .unwrap();
        assert_eq!(s.handshake_rate_per_address, 0);
        assert_eq!(s.connect_timeout, Duration::from_secs(2));
    }

    #[test]
    fn a_bad_grpc_token_is_refused_without_echoing_it() {
        let err = with(&[("AUTH_GRPC_TOKEN", "tooshort-secret")]).unwrap_err();
        assert_eq!(err.var, "AUTH_GRPC_TOKEN");
        assert!(!err.to_string().contains("tooshort-secret"), "{err}");
        let token = "t".repeat(40);
        let s = with(&[("AUTH_GRPC_TOKEN", &token)]).unwrap();
        assert!(s.auth_grpc_token.unwrap().accepts(token.as_bytes()));
    }

    #[test]
    fn durations_ports_and_redis_urls_parse() {
        let s = with(&[
            ("GATEWAY_ADDR", "0.0.0.0:0"),
            ("AUTH_EXPIRING_LEAD", "15m"),
            ("REDIS_URL", "redis://127.0.0.1:6379"),
            ("CORS_ORIGINS", "http://a.test, https://b.test"),
        ])
        .unwrap();
        assert_eq!(s.addr.port(), 0);
        assert_eq!(s.auth_expiring_lead, Duration::from_secs(900));
        assert_eq!(
            s.redis_url.as_deref(),
            Some("redis://127.0.0.1:6379?protocol=resp3")
        );
        assert_eq!(
            s.cors_origins,
            CorsOrigins::List(vec!["http://a.test".into(), "https://b.test".into()])
        );
    }

    #[test]
    fn api_keys_are_checked_and_never_echoed() {
        let short = "short-api-key";
        let err = with(&[("GATEWAY_API_KEYS", short)]).unwrap_err();
        assert_eq!(err.var, "GATEWAY_API_KEYS");
        assert!(!err.to_string().contains(short));
        let key = "k".repeat(32);
        let s = with(&[
            ("GATEWAY_API_KEYS", &key),
            ("GATEWAY_API_ADDR", "127.0.0.1:0"),
        ])
        .unwrap();
        assert!(s.api_keys.unwrap().accepts(key.as_bytes()));
        assert_eq!(s.api_addr.port(), 0);
        assert!(with(&[]).unwrap().api_keys.is_none());
    }

    #[test]
    fn hook_urls_need_a_valid_secret_that_is_never_echoed() {
        const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let err = with(&[("ROOM_AUTH_URL", "http://127.0.0.1:9/room")]).unwrap_err();
        assert_eq!(err.var, "HOOK_SECRET");
        let err = with(&[("RPC_URL", "http://127.0.0.1:9/rpc")]).unwrap_err();
        assert_eq!(err.var, "HOOK_SECRET");
        let bad = "whsec_dG9vLXNob3J0LXNlY3JldA==";
        let err = with(&[("RPC_URL", "http://h/rpc"), ("HOOK_SECRET", bad)]).unwrap_err();
        assert_eq!(err.var, "HOOK_SECRET");
        assert!(!err.to_string().contains("dG9v"), "{err}");
        let err = with(&[("ROOM_AUTH_URL", "ftp://h/room"), ("HOOK_SECRET", SECRET)]).unwrap_err();
        assert_eq!(err.var, "ROOM_AUTH_URL");
        let err = with(&[("HOOK_TIMEOUT", "50ms")]).unwrap_err();
        assert_eq!(err.var, "HOOK_TIMEOUT");
        let s = with(&[
            ("ROOM_AUTH_URL", "http://127.0.0.1:9/room"),
            ("RPC_URL", "https://hooks.internal/rpc"),
            ("HOOK_SECRET", SECRET),
            ("HOOK_TIMEOUT", "300ms"),
            ("RPC_MAX_INFLIGHT", "2"),
            ("GATEWAY_API_GRPC_ADDR", "127.0.0.1:0"),
        ])
        .unwrap();
        assert_eq!(s.hooks.timeout, Duration::from_millis(300));
        assert_eq!(s.rpc_max_inflight, 2);
        assert!(s.hooks.room_auth_url.is_some() && s.hooks.rpc_url.is_some());
        assert_eq!(s.api_grpc_addr.unwrap().port(), 0);
        assert!(!format!("{s:?}").contains("MfKQ"));
        let d = with(&[]).unwrap();
        assert_eq!(
            (d.hooks.timeout, d.rpc_max_inflight, d.api_grpc_addr),
            (Duration::from_secs(2), 8, None)
        );
    }

    #[test]
    fn help_lists_every_variable_the_parser_reads() {
        let read = service_kit::env::variables_read(|get| {
            Settings::from_lookup(get).unwrap();
        });
        assert!(read.len() >= 30, "{read:?}");
        let help = HELP;
        for name in &read {
            assert!(help.contains(name.as_str()), "--help does not list {name}");
        }
    }
}
