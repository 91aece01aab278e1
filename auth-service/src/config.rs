//! Settings, read once from the environment at start and validated there: a
//! bad value stops the service with an error that names its variable.

use std::{net::SocketAddr, path::PathBuf, time::Duration};

use service_kit::bearer::BearerKeys;

use crate::rate_limit::Policy;

pub use service_kit::telemetry::LogFormat;

/// Every setting of the auth-service.
#[derive(Debug, Clone)]
pub struct Settings {
    /// HTTP listen address (`AUTH_HTTP_ADDR`).
    pub http_addr: SocketAddr,
    /// gRPC listen address (`AUTH_GRPC_ADDR`).
    pub grpc_addr: SocketAddr,
    /// MongoDB connection string (`MONGODB_URI`).
    pub mongodb_uri: String,
    /// MongoDB database name (`MONGODB_DATABASE`).
    pub mongodb_database: String,
    /// PEM files of Ed25519 private keys; the first signs (`JWT_SIGNING_KEYS`).
    pub signing_keys: Vec<PathBuf>,
    /// `iss` of issued tokens (`JWT_ISSUER`).
    pub issuer: String,
    /// `aud` of issued tokens (`JWT_AUDIENCE`).
    pub audience: String,
    /// Access-token lifetime (`ACCESS_TOKEN_TTL`).
    pub access_token_ttl: Duration,
    /// Absolute refresh-token (session) lifetime (`REFRESH_TOKEN_TTL`).
    pub refresh_token_ttl: Duration,
    /// Log format (`LOG_FORMAT`).
    pub log_format: LogFormat,
    /// Login attempts per client address (`RATE_LIMIT_LOGIN_PER_ADDRESS`).
    pub login_per_address: Policy,
    /// Failed logins per account and address (`RATE_LIMIT_LOGIN_FAILURES`).
    pub login_failures: Policy,
    /// Registrations per client address (`RATE_LIMIT_REGISTER_PER_ADDRESS`).
    pub register_per_address: Policy,
    /// Refreshes per client address (`RATE_LIMIT_REFRESH_PER_ADDRESS`).
    pub refresh_per_address: Policy,
    /// Reverse proxies in front of the service (`TRUSTED_PROXY_HOPS`).
    pub trusted_proxy_hops: usize,
    /// Credentials gRPC callers must present (`AUTH_GRPC_TOKEN`); `None`
    /// only on a loopback `AUTH_GRPC_ADDR`.
    pub grpc_token: Option<BearerKeys>,
    /// Concurrent `WatchRevocations` streams served (`MAX_REVOCATION_STREAMS`).
    pub max_revocation_streams: usize,
    /// argon2 hashes computed at once (`HASH_CONCURRENCY`); `None` = one
    /// per core. Each holds about 19 MiB while it runs.
    pub hash_concurrency: Option<usize>,
}

/// One documented variable: name, default, meaning. `--help` prints these.
pub const VARIABLES: &[(&str, &str, &str)] = &[
    (
        "AUTH_HTTP_ADDR",
        "127.0.0.1:8080",
        "HTTP listen address (port 0 picks a free port)",
    ),
    (
        "AUTH_GRPC_ADDR",
        "127.0.0.1:50051",
        "gRPC listen address (port 0 picks a free port)",
    ),
    (
        "MONGODB_URI",
        "mongodb://127.0.0.1:27017",
        "MongoDB connection string",
    ),
    ("MONGODB_DATABASE", "gatehouse", "MongoDB database name"),
    (
        "JWT_SIGNING_KEYS",
        "(unset: generated dev key)",
        "comma-separated Ed25519 PEM paths; the first signs, all are published",
    ),
    ("JWT_ISSUER", "gatehouse", "iss claim of issued tokens"),
    ("JWT_AUDIENCE", "gatehouse", "aud claim of issued tokens"),
    (
        "ACCESS_TOKEN_TTL",
        "15m",
        "access-token lifetime (e.g. 30s, 15m, 1h)",
    ),
    (
        "REFRESH_TOKEN_TTL",
        "30d",
        "absolute lifetime of a session and its refresh tokens",
    ),
    (
        "LOG_FORMAT",
        "pretty",
        "pretty or json; RUST_LOG sets the filter (default info)",
    ),
    (
        "RATE_LIMIT_LOGIN_PER_ADDRESS",
        "30/1m",
        "login attempts per client address per window (N/duration)",
    ),
    (
        "RATE_LIMIT_LOGIN_FAILURES",
        "5/15m",
        "failed logins per account and client address per window",
    ),
    (
        "RATE_LIMIT_REGISTER_PER_ADDRESS",
        "10/1h",
        "registrations per client address per window",
    ),
    (
        "RATE_LIMIT_REFRESH_PER_ADDRESS",
        "120/1m",
        "token refreshes per client address per window",
    ),
    (
        "TRUSTED_PROXY_HOPS",
        "0",
        "reverse proxies in front; >0 takes the client address from X-Forwarded-For",
    ),
    (
        "AUTH_GRPC_TOKEN",
        "(unset: loopback AUTH_GRPC_ADDR only)",
        "comma-separated secrets (>= 32 chars) gRPC callers send as `authorization: Bearer`; \
         several are accepted during a rotation; unset refuses to start on a non-loopback address",
    ),
    (
        "HASH_CONCURRENCY",
        "auto (one per core)",
        "argon2 hashes computed at once; each holds ~19 MiB while it runs, so memory is bounded by \
         about 20 MiB x this + 30 MiB (size the memory limit from it)",
    ),
    (
        "MAX_REVOCATION_STREAMS",
        "1024",
        "concurrent WatchRevocations streams; more are refused with RESOURCE_EXHAUSTED",
    ),
];

/// A setting that could not be parsed; the message names the variable.
#[derive(Debug, thiserror::Error)]
#[error("invalid value for {name}: {reason}")]
pub struct ConfigError {
    /// The environment variable.
    pub name: &'static str,
    /// What is wrong with it.
    pub reason: String,
}

impl Settings {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads settings through `lookup` (the environment, or a map in tests).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |name: &'static str, default: &str| -> (&'static str, String) {
            let value = lookup(name).filter(|v| !v.trim().is_empty());
            (name, value.unwrap_or_else(|| default.to_owned()))
        };
        let access_token_ttl = duration(get("ACCESS_TOKEN_TTL", "15m"))?;
        let refresh_token_ttl = duration(get("REFRESH_TOKEN_TTL", "30d"))?;
        if access_token_ttl < Duration::from_secs(1)
            || access_token_ttl > Duration::from_secs(86_400)
        {
            return Err(invalid("ACCESS_TOKEN_TTL", "must be between 1s and 24h"));
        }
        if refresh_token_ttl < access_token_ttl {
            return Err(invalid(
                "REFRESH_TOKEN_TTL",
                "must not be shorter than ACCESS_TOKEN_TTL",
            ));
        }
        let (_, keys) = get("JWT_SIGNING_KEYS", "");
        let grpc_addr = socket_addr(get("AUTH_GRPC_ADDR", "127.0.0.1:50051"))?;
        let grpc_token = grpc_token(get("AUTH_GRPC_TOKEN", ""))?;
        if grpc_token.is_none() && !grpc_addr.ip().is_loopback() {
            return Err(invalid(
                "AUTH_GRPC_TOKEN",
                "must be set when AUTH_GRPC_ADDR is not a loopback address",
            ));
        }
        Ok(Self {
            http_addr: socket_addr(get("AUTH_HTTP_ADDR", "127.0.0.1:8080"))?,
            grpc_addr,
            mongodb_uri: mongodb_uri(get("MONGODB_URI", "mongodb://127.0.0.1:27017"))?,
            mongodb_database: database_name(get("MONGODB_DATABASE", "gatehouse"))?,
            signing_keys: keys
                .split(',')
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(PathBuf::from)
                .collect(),
            issuer: non_empty(get("JWT_ISSUER", "gatehouse"))?,
            audience: non_empty(get("JWT_AUDIENCE", "gatehouse"))?,
            access_token_ttl,
            refresh_token_ttl,
            log_format: log_format(get("LOG_FORMAT", "pretty"))?,
            login_per_address: policy(get("RATE_LIMIT_LOGIN_PER_ADDRESS", "30/1m"))?,
            login_failures: policy(get("RATE_LIMIT_LOGIN_FAILURES", "5/15m"))?,
            register_per_address: policy(get("RATE_LIMIT_REGISTER_PER_ADDRESS", "10/1h"))?,
            refresh_per_address: policy(get("RATE_LIMIT_REFRESH_PER_ADDRESS", "120/1m"))?,
            trusted_proxy_hops: hops(get("TRUSTED_PROXY_HOPS", "0"))?,
            grpc_token,
            max_revocation_streams: streams(get("MAX_REVOCATION_STREAMS", "1024"))?,
            hash_concurrency: hash_concurrency(get("HASH_CONCURRENCY", "auto"))?,
        })
    }

    /// The text printed by `--help`.
    pub fn help() -> String {
        let mut text = String::from(
            "auth-service: Gatehouse accounts, passwords and tokens (HTTP + gRPC)\n\n\
             USAGE: auth-service [healthcheck]\n\n\
             `healthcheck` GETs /healthz on AUTH_HTTP_ADDR and exits 0 when healthy.\n\n\
             ENVIRONMENT:\n",
        );
        for (name, default, meaning) in VARIABLES {
            text.push_str(&format!(
                "  {name:<20} {meaning}\n  {:<20} default: {default}\n",
                ""
            ));
        }
        text
    }
}

fn invalid(name: &'static str, reason: impl Into<String>) -> ConfigError {
    ConfigError {
        name,
        reason: reason.into(),
    }
}

fn socket_addr((name, value): (&'static str, String)) -> Result<SocketAddr, ConfigError> {
    value
        .trim()
        .parse()
        .map_err(|_| invalid(name, format!("`{value}` is not an IP:port address")))
}

fn duration((name, value): (&'static str, String)) -> Result<Duration, ConfigError> {
    humantime::parse_duration(value.trim()).map_err(|_| {
        invalid(
            name,
            format!("`{value}` is not a duration such as 30s, 15m or 1h"),
        )
    })
}

fn non_empty((name, value): (&'static str, String)) -> Result<String, ConfigError> {
    let value = value.trim().to_owned();
    if value.is_empty() {
        return Err(invalid(name, "must not be empty"));
    }
    Ok(value)
}

fn mongodb_uri((name, value): (&'static str, String)) -> Result<String, ConfigError> {
    let value = value.trim().to_owned();
    if !(value.starts_with("mongodb://") || value.starts_with("mongodb+srv://")) {
        return Err(invalid(
            name,
            "must start with mongodb:// or mongodb+srv://",
        ));
    }
    Ok(value)
}

fn database_name((name, value): (&'static str, String)) -> Result<String, ConfigError> {
    let value = value.trim().to_owned();
    let valid = !value.is_empty()
        && value.len() <= 63
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if !valid {
        return Err(invalid(name, "must be 1-63 of [A-Za-z0-9_-]"));
    }
    Ok(value)
}

fn policy((name, value): (&'static str, String)) -> Result<Policy, ConfigError> {
    value.trim().parse().map_err(|reason| invalid(name, reason))
}

fn hops((name, value): (&'static str, String)) -> Result<usize, ConfigError> {
    match value.trim().parse::<usize>() {
        Ok(n) if n <= 10 => Ok(n),
        _ => Err(invalid(
            name,
            format!("`{value}` is not a number from 0 to 10"),
        )),
    }
}

fn grpc_token((name, value): (&'static str, String)) -> Result<Option<BearerKeys>, ConfigError> {
    if value.trim().is_empty() {
        return Ok(None);
    }
    // The error names the entry's position, never its text: it is a secret.
    BearerKeys::parse(&value)
        .map(Some)
        .map_err(|e| invalid(name, e.to_string()))
}

fn hash_concurrency((name, value): (&'static str, String)) -> Result<Option<usize>, ConfigError> {
    match value.trim() {
        "auto" => Ok(None),
        v => match v.parse::<usize>() {
            Ok(n) if (1..=64).contains(&n) => Ok(Some(n)),
            _ => Err(invalid(name, "must be `auto` or a number from 1 to 64")),
        },
    }
}

fn streams((name, value): (&'static str, String)) -> Result<usize, ConfigError> {
    match value.trim().parse::<usize>() {
        Ok(n) if (1..=100_000).contains(&n) => Ok(n),
        _ => Err(invalid(name, "must be a number from 1 to 100000")),
    }
}

fn log_format((name, value): (&'static str, String)) -> Result<LogFormat, ConfigError> {
    value.trim().parse().map_err(|_| {
        invalid(
            name,
            format!("`{}` is neither pretty nor json", value.trim()),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn settings(vars: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Settings::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn defaults_match_the_design_contract() {
        let s = settings(&[]).unwrap();
        assert_eq!(s.http_addr.to_string(), "127.0.0.1:8080");
        assert_eq!(s.grpc_addr.to_string(), "127.0.0.1:50051");
        assert_eq!(s.access_token_ttl, Duration::from_secs(900));
        assert_eq!(s.refresh_token_ttl, Duration::from_secs(30 * 86_400));
        assert!(s.signing_keys.is_empty());
    }

    #[test]
    fn a_bad_value_names_its_variable() {
        let err = settings(&[("ACCESS_TOKEN_TTL", "soon")]).unwrap_err();
        assert_eq!(err.name, "ACCESS_TOKEN_TTL");
        let err = settings(&[("AUTH_HTTP_ADDR", "localhost")]).unwrap_err();
        assert!(err.to_string().contains("AUTH_HTTP_ADDR"));
        let err = settings(&[("LOG_FORMAT", "xml")]).unwrap_err();
        assert_eq!(err.name, "LOG_FORMAT");
        let err = settings(&[("RATE_LIMIT_LOGIN_FAILURES", "lots")]).unwrap_err();
        assert_eq!(err.name, "RATE_LIMIT_LOGIN_FAILURES");
    }

    #[test]
    fn help_lists_every_variable_the_parser_reads() {
        let read = service_kit::env::variables_read(|get| {
            Settings::from_lookup(get).unwrap();
        });
        assert!(read.len() >= 15, "{read:?}");
        let help = Settings::help();
        for name in &read {
            assert!(help.contains(name.as_str()), "--help does not list {name}");
        }
    }

    #[test]
    fn grpc_credentials_are_required_off_loopback_and_never_echoed() {
        let s = settings(&[]).unwrap();
        assert!(s.grpc_token.is_none(), "loopback default runs without");
        let err = settings(&[("AUTH_GRPC_ADDR", "0.0.0.0:50051")]).unwrap_err();
        assert_eq!(err.name, "AUTH_GRPC_TOKEN");
        let secret = "s3cret-but-too-short";
        let err = settings(&[("AUTH_GRPC_TOKEN", secret)]).unwrap_err();
        assert_eq!(err.name, "AUTH_GRPC_TOKEN");
        assert!(!err.to_string().contains(secret), "{err}");
        let long = "x".repeat(40);
        let s = settings(&[
            ("AUTH_GRPC_ADDR", "0.0.0.0:50051"),
            ("AUTH_GRPC_TOKEN", &long),
        ])
        .unwrap();
        assert!(s.grpc_token.unwrap().accepts(long.as_bytes()));
    }

    #[test]
    fn signing_keys_are_split_on_commas() {
        let s = settings(&[("JWT_SIGNING_KEYS", "a.pem, b.pem,")]).unwrap();
        assert_eq!(
            s.signing_keys,
            vec![PathBuf::from("a.pem"), PathBuf::from("b.pem")]
        );
    }
}
