//! The application's hooks: the gateway asks the application's backend what
//! only the application knows — may this user join this room
//! (`ROOM_AUTH_URL`), and what does this `rpc` call answer (`RPC_URL`).
//!
//! Every call is a POST of JSON through one pooled HTTP client, signed the
//! Standard Webhooks way with `HOOK_SECRET` (the `standardwebhooks` crate
//! computes the signature), with a deadline of `HOOK_TIMEOUT`. The identity
//! in a body always comes from the socket's [`Principal`]. A call that
//! fails in any way grants nothing: the caller answers `unavailable`.

use std::time::{Duration, Instant};

use reqwest::Url;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::metrics::Metrics;
use crate::socket::principal::Principal;

/// Largest hook answer read, in bytes; a longer one is a failed call.
const MAX_ANSWER_BYTES: usize = 1024 * 1024;

/// Where the hooks are and how they are signed (from the configuration).
#[derive(Debug, Clone)]
pub struct HookSettings {
    /// `ROOM_AUTH_URL`.
    pub room_auth_url: Option<Url>,
    /// `RPC_URL`.
    pub rpc_url: Option<Url>,
    /// `HOOK_SECRET` (required with either URL).
    pub secret: Option<HookSecret>,
    /// `HOOK_TIMEOUT`.
    pub timeout: Duration,
}

/// `HOOK_SECRET`: `whsec_<base64>` of at least 24 bytes, as Standard
/// Webhooks libraries generate them. Never printed.
#[derive(Clone)]
pub struct HookSecret(std::sync::Arc<standardwebhooks::Webhook>);

impl HookSecret {
    /// Shortest accepted key, in bytes.
    pub const MIN_BYTES: usize = 24;

    /// Parses `whsec_<base64>`; the reason it was refused otherwise.
    pub fn parse(value: &str) -> Result<Self, String> {
        use base64::Engine;
        let encoded = value
            .strip_prefix("whsec_")
            .ok_or("expected whsec_ followed by base64")?;
        let key = base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .map_err(|_| "expected whsec_ followed by base64")?;
        if key.len() < Self::MIN_BYTES {
            return Err(format!(
                "the key must be at least {} bytes",
                Self::MIN_BYTES
            ));
        }
        let hook = standardwebhooks::Webhook::from_bytes(key).map_err(|_| "unusable key")?;
        Ok(Self(std::sync::Arc::new(hook)))
    }
}

impl std::fmt::Debug for HookSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HookSecret(<redacted>)")
    }
}

/// Why a hook call granted nothing (the `outcome` label of
/// `gatehouse_gateway_hook_seconds`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error, strum::IntoStaticStr)]
#[strum(serialize_all = "snake_case")]
pub enum HookError {
    /// No answer within `HOOK_TIMEOUT`.
    #[error("the hook did not answer in time")]
    Timeout,
    /// Connection refused, reset, or another transport failure.
    #[error("the hook could not be reached")]
    Unreachable,
    /// A status other than 2xx.
    #[error("the hook answered a non-2xx status")]
    Status,
    /// The answer is not the documented JSON.
    #[error("the hook's answer is not the documented JSON")]
    Invalid,
}

/// A user as the hooks see them: always from the token.
#[derive(Serialize)]
struct User<'a> {
    id: &'a str,
    username: &'a str,
}

impl<'a> From<&'a Principal> for User<'a> {
    fn from(p: &'a Principal) -> Self {
        Self {
            id: &p.user_id,
            username: &p.username,
        }
    }
}

#[derive(Serialize)]
struct RoomAuthCall<'a> {
    user: User<'a>,
    session_id: &'a str,
    room: &'a str,
}

/// The room-authorization answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub struct RoomDecision {
    /// Whether the user may join.
    pub allow: bool,
    /// Whether the room carries presence for this join.
    #[serde(default)]
    pub presence: bool,
}

#[derive(Serialize)]
struct RpcCall<'a> {
    user: User<'a>,
    session_id: &'a str,
    method: &'a str,
    params: &'a Value,
}

/// The RPC answer: `{result}` or `{error: {code, message}}`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum RpcAnswer {
    /// The call's result, any JSON.
    Result {
        /// The result.
        result: Value,
    },
    /// The application refused the call.
    Error {
        /// Its error.
        error: AppError,
    },
}

/// An application error of an RPC answer.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct AppError {
    /// Passed to the client when it is `^[a-z0-9_]{1,64}$`.
    pub code: String,
}

/// The hook client: one connection pool for every hook call.
pub struct Hooks {
    client: reqwest::Client,
    settings: HookSettings,
    metrics: Metrics,
}

impl Hooks {
    /// A hook client for `settings`.
    pub fn new(settings: HookSettings, metrics: Metrics) -> anyhow::Result<Self> {
        let client = reqwest::Client::builder()
            .timeout(settings.timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        Ok(Self {
            client,
            settings,
            metrics,
        })
    }

    /// Whether `RPC_URL` is set.
    pub fn has_rpc(&self) -> bool {
        self.settings.rpc_url.is_some()
    }

    /// Asks `ROOM_AUTH_URL` whether `p` may join `room`; `None` when no
    /// hook is configured (the room stays forbidden).
    pub async fn room_auth(
        &self,
        p: &Principal,
        room: &str,
    ) -> Option<Result<RoomDecision, HookError>> {
        let url = self.settings.room_auth_url.as_ref()?;
        let body = RoomAuthCall {
            user: p.into(),
            session_id: &p.session_id,
            room,
        };
        Some(self.call("room_auth", url, &body).await)
    }

    /// Calls `RPC_URL` for `p`; `None` when no hook is configured.
    pub async fn rpc(
        &self,
        p: &Principal,
        method: &str,
        params: &Value,
    ) -> Option<Result<RpcAnswer, HookError>> {
        let url = self.settings.rpc_url.as_ref()?;
        let body = RpcCall {
            user: p.into(),
            session_id: &p.session_id,
            method,
            params,
        };
        Some(self.call("rpc", url, &body).await)
    }

    async fn call<T: DeserializeOwned>(
        &self,
        hook: &'static str,
        url: &Url,
        body: &impl Serialize,
    ) -> Result<T, HookError> {
        let started = Instant::now();
        let answer = tokio::time::timeout(self.settings.timeout, self.send(url, body))
            .await
            .unwrap_or(Err(HookError::Timeout));
        let outcome = answer.as_ref().map_or_else(|e| e.into(), |_| "ok");
        self.metrics.hook(hook, outcome, started.elapsed());
        if let Err(e) = &answer {
            tracing::warn!(hook, error = %e, "hook call failed");
        }
        answer
    }

    async fn send<T: DeserializeOwned>(
        &self,
        url: &Url,
        body: &impl Serialize,
    ) -> Result<T, HookError> {
        let secret = self
            .settings
            .secret
            .as_ref()
            .ok_or(HookError::Unreachable)?;
        let body = serde_json::to_vec(body).map_err(|_| HookError::Invalid)?;
        let id = format!("msg_{}", uuid::Uuid::new_v4().simple());
        let timestamp = crate::socket::lifetime::now_unix_ms() / 1000;
        let signature = secret
            .0
            .sign(&id, timestamp, &body)
            .map_err(|_| HookError::Invalid)?;
        let response = self
            .client
            .post(url.clone())
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(standardwebhooks::HEADER_WEBHOOK_ID, id)
            .header(standardwebhooks::HEADER_WEBHOOK_TIMESTAMP, timestamp)
            .header(standardwebhooks::HEADER_WEBHOOK_SIGNATURE, signature)
            .body(body)
            .send()
            .await
            .map_err(|e| {
                if e.is_timeout() {
                    HookError::Timeout
                } else {
                    HookError::Unreachable
                }
            })?;
        if !response.status().is_success() {
            return Err(HookError::Status);
        }
        if response
            .content_length()
            .is_some_and(|n| n > MAX_ANSWER_BYTES as u64)
        {
            return Err(HookError::Invalid);
        }
        let bytes = response.bytes().await.map_err(|e| {
            if e.is_timeout() {
                HookError::Timeout
            } else {
                HookError::Unreachable
            }
        })?;
        if bytes.len() > MAX_ANSWER_BYTES {
            return Err(HookError::Invalid);
        }
        serde_json::from_slice(&bytes).map_err(|_| HookError::Invalid)
    }
}

/// Whether an application's RPC error code may be passed to the client.
pub fn is_app_code(code: &str) -> bool {
    (1..=64).contains(&code.len())
        && code
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signs_the_standard_webhooks_test_vector() {
        // The example of the Standard Webhooks specification.
        let hook =
            standardwebhooks::Webhook::new("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        let sig = hook
            .sign(
                "msg_p5jXN8AQM9LWM0D4loKWxJek",
                1_614_265_330,
                br#"{"test": 2432232314}"#,
            )
            .unwrap();
        assert_eq!(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    #[test]
    fn secrets_need_the_prefix_base64_and_24_bytes() {
        assert!(HookSecret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").is_ok());
        for bad in [
            "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "whsec_not base64!",
            "whsec_c2hvcnQ=",
        ] {
            assert!(HookSecret::parse(bad).is_err(), "{bad}");
        }
        let s = HookSecret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        assert!(!format!("{s:?}").contains("MfKQ"));
    }

    #[test]
    fn rpc_answers_are_a_result_or_an_error() {
        let ok: RpcAnswer = serde_json::from_str(r#"{"result":{"n":1}}"#).unwrap();
        assert_eq!(
            ok,
            RpcAnswer::Result {
                result: serde_json::json!({"n":1})
            }
        );
        let null: RpcAnswer = serde_json::from_str(r#"{"result":null}"#).unwrap();
        assert_eq!(
            null,
            RpcAnswer::Result {
                result: Value::Null
            }
        );
        let err: RpcAnswer =
            serde_json::from_str(r#"{"error":{"code":"no_stock","message":"x"}}"#).unwrap();
        assert!(matches!(err, RpcAnswer::Error { error } if error.code == "no_stock"));
        assert!(serde_json::from_str::<RpcAnswer>("{}").is_err());
        assert!(serde_json::from_str::<RpcAnswer>(r#"{"error":"x"}"#).is_err());
    }

    #[test]
    fn app_codes_are_short_lowercase_words() {
        assert!(is_app_code("out_of_stock"));
        assert!(is_app_code(&"a".repeat(64)));
        for bad in ["", "Bad", "has space", "é", &"a".repeat(65), "a-b"] {
            assert!(!is_app_code(bad), "{bad}");
        }
    }
}
