//! Test harness: a fake auth-service (JWKS over HTTP, and the one fake
//! `UserDirectory` of `test-support` over gRPC, both in-process on port 0), the real gateway on port 0, and a
//! minimal socket.io v4 client over HTTP long-polling.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::SigningKey;
use ed25519_dalek::pkcs8::EncodePrivateKey;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use proto::auth::v1::{Revocation, SessionStatus};
use realtime_gateway::config::Settings;
use realtime_gateway::startup::Application;
use serde_json::{Value, json};
use shared_types::{Jwk, JwkSet};
use test_support::FakeDirectory;
use tokio::sync::oneshot;

/// A running gateway plus its fake auth-service.
pub struct TestApp {
    pub addr: SocketAddr,
    /// The server API's address, when `GATEWAY_API_KEYS` was set.
    pub api_addr: Option<SocketAddr>,
    /// The gRPC server API's address, when also `GATEWAY_API_GRPC_ADDR` was set.
    pub api_grpc_addr: Option<SocketAddr>,
    /// The fake auth-service's `UserDirectory` (`test-support`).
    pub auth: Arc<FakeDirectory>,
    key: SigningKey,
    stop: Option<oneshot::Sender<()>>,
    pub server: tokio::task::JoinHandle<anyhow::Result<()>>,
}

/// Starts everything and waits until `/readyz` is 200.
pub async fn spawn_app(tweak: impl FnOnce(&mut Settings)) -> TestApp {
    let app = spawn_app_unready(tweak).await;
    app.wait_ready().await;
    app
}

/// Starts everything; `tweak` adjusts the settings.
pub async fn spawn_app_unready(tweak: impl FnOnce(&mut Settings)) -> TestApp {
    if std::env::var_os("TEST_LOG").is_some() {
        let _ = realtime_gateway::telemetry::init(realtime_gateway::config::LogFormat::Pretty);
    }
    let key = SigningKey::from_bytes(&[7; 32]);
    let jwks = JwkSet {
        keys: vec![Jwk {
            kty: "OKP".into(),
            crv: "Ed25519".into(),
            x: URL_SAFE_NO_PAD.encode(key.verifying_key().to_bytes()),
            kid: "k1".into(),
            alg: "EdDSA".into(),
            use_: "sig".into(),
        }],
    };
    let http = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let jwks_addr = http.local_addr().unwrap();
    let router = axum::Router::new().route(
        "/jwks.json",
        axum::routing::get(move || async move { axum::Json(jwks.clone()) }),
    );
    tokio::spawn(async move { axum::serve(http, router).await });

    let (auth, grpc_addr) = FakeDirectory::spawn().await;

    let mut settings = Settings {
        addr: "127.0.0.1:0".parse().unwrap(),
        auth_grpc_url: format!("http://{grpc_addr}"),
        auth_jwks_url: format!("http://{jwks_addr}/jwks.json"),
        drain_period: Duration::from_millis(200),
        ..Settings::default()
    };
    tweak(&mut settings);
    let app = Application::build(settings).await.unwrap();
    let addr = app.local_addr();
    let api_addr = app.api_addr();
    let api_grpc_addr = app.api_grpc_addr();
    let (stop, stopped) = oneshot::channel();
    let server = tokio::spawn(app.run_until_stopped(async {
        let _ = stopped.await;
    }));
    TestApp {
        addr,
        api_addr,
        api_grpc_addr,
        auth,
        key,
        stop: Some(stop),
        server,
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub async fn status(&self, path: &str) -> u16 {
        reqwest::get(self.url(path))
            .await
            .unwrap()
            .status()
            .as_u16()
    }

    async fn wait_ready(&self) {
        for _ in 0..100 {
            if self.status("/readyz").await == 200 {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("gateway never became ready");
    }

    /// Signs an access token for user `u1`, session `sid`, expiring in `ttl` s.
    pub fn token(&self, sid: &str, ttl: i64) -> String {
        self.token_for("u1", sid, ttl)
    }

    /// Signs an access token for `user`, session `sid`, expiring in `ttl` s.
    pub fn token_for(&self, user: &str, sid: &str, ttl: i64) -> String {
        let now = jsonwebtoken::get_current_timestamp() as i64;
        let claims = json!({"iss":"gatehouse","aud":"gatehouse","sub":user,"sid":sid,
            "iat":now,"nbf":now,"exp":now + ttl,"jti":"j","username":"alice"});
        let mut header = Header::new(Algorithm::EdDSA);
        header.typ = Some("at+jwt".into());
        header.kid = Some("k1".into());
        let pem = self.key.to_pkcs8_pem(Default::default()).unwrap();
        jsonwebtoken::encode(
            &header,
            &claims,
            &EncodingKey::from_ed_pem(pem.as_bytes()).unwrap(),
        )
        .unwrap()
    }

    pub fn set_status(&self, s: SessionStatus) {
        self.auth.set_status(s);
    }

    pub async fn revoke(&self, user_id: &str, session_id: &str, position: u64) {
        let rev = Revocation {
            user_id: user_id.into(),
            session_id: session_id.into(),
            position,
            at: realtime_gateway::socket::lifetime::now_unix_ms(),
            ..Default::default()
        };
        self.auth.revoke(rev).await;
    }

    /// Triggers the shutdown future (as SIGTERM would).
    pub fn shutdown(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }

    /// A socket.io client connected with `auth`; returns it and the server's
    /// answer packet (`0{sid}` connect or `4{message}` connect_error).
    pub async fn connect(&self, auth: Value) -> (Client, String) {
        let mut c = Client::open(self.addr).await;
        c.send(&format!("40{auth}")).await;
        let answer = c
            .next_matching(|p| p.starts_with('0') || p.starts_with('4'))
            .await;
        (c, answer)
    }

    /// A connected, authenticated client.
    pub async fn connected(&self, sid: &str) -> Client {
        self.connected_as("u1", sid).await
    }

    /// A connected client of `user`, session `sid`.
    pub async fn connected_as(&self, user: &str, sid: &str) -> Client {
        let (c, answer) = self
            .connect(json!({"token": self.token_for(user, sid, 900)}))
            .await;
        assert!(answer.starts_with('0'), "connect refused: {answer}");
        c
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// A socket.io v4 client over engine.io long-polling (text packets only).
pub struct Client {
    http: reqwest::Client,
    base: String,
    queue: std::collections::VecDeque<String>,
    next_ack: u64,
}

impl Client {
    async fn open(addr: SocketAddr) -> Self {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap();
        let url = format!("http://{addr}/socket.io/?EIO=4&transport=polling");
        let body = http.get(&url).send().await.unwrap().text().await.unwrap();
        let open: Value = serde_json::from_str(body.strip_prefix('0').unwrap()).unwrap();
        let sid = open["sid"].as_str().unwrap();
        Self {
            http,
            base: format!("{url}&sid={sid}"),
            queue: Default::default(),
            next_ack: 0,
        }
    }

    pub async fn send(&self, packet: &str) {
        let resp = self
            .http
            .post(&self.base)
            .body(packet.to_owned())
            .send()
            .await
            .unwrap();
        assert!(resp.status().is_success(), "POST {}", resp.status());
    }

    /// Next socket.io packet (engine.io `4` stripped), answering pings.
    /// `None` once the server closed the session.
    pub async fn next(&mut self) -> Option<String> {
        loop {
            if let Some(p) = self.queue.pop_front() {
                match p.as_str() {
                    "2" => self.send("3").await,
                    "1" => return None,
                    _ => return Some(p.strip_prefix('4').unwrap_or(&p).to_owned()),
                }
                continue;
            }
            let resp =
                tokio::time::timeout(Duration::from_secs(10), self.http.get(&self.base).send())
                    .await
                    .expect("poll timed out")
                    .ok()?;
            if !resp.status().is_success() {
                return None;
            }
            let body = resp.text().await.ok()?;
            self.queue.extend(body.split('\x1e').map(str::to_owned));
        }
    }

    pub async fn next_matching(&mut self, pred: impl Fn(&str) -> bool) -> String {
        loop {
            let p = self.next().await.expect("session closed");
            if pred(&p) {
                return p;
            }
        }
    }

    /// Emits `event` with `data` and waits for its ack payload.
    pub async fn call(&mut self, event: &str, data: Value) -> Value {
        self.next_ack += 1;
        let id = self.next_ack;
        self.send(&format!("42{id}{}", json!([event, data]))).await;
        let prefix = format!("3{id}");
        let p = self.next_matching(|p| p.starts_with(&prefix)).await;
        let args: Value = serde_json::from_str(&p[prefix.len()..]).unwrap();
        args[0].clone()
    }

    /// Waits for a server socket.io `disconnect` packet or the session's end.
    pub async fn disconnected(&mut self) -> bool {
        loop {
            match self.next().await {
                None => return true,
                Some(p) if p.starts_with('1') => return true,
                Some(_) => {}
            }
        }
    }
}
