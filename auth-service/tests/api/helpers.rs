//! `spawn_app()` and one helper per endpoint.

use std::{path::PathBuf, time::Duration};

use auth_service::{config::Settings, startup::Application};
use ed25519_dalek::{
    SigningKey,
    pkcs8::{EncodePrivateKey, spki::der::pem::LineEnding},
};
use mongodb::bson::{Document, doc};
use proto::auth::v1::{
    CheckSessionRequest, SessionStatus, user_directory_client::UserDirectoryClient,
};
use serde_json::{Value, json};
use tonic::service::interceptor::InterceptedService;

/// Load tests (hundreds of requests or streams) take turns: the MongoDB
/// wire-protocol server the suite shares is one process, and several of
/// them at once would measure its queue, not the service.
pub async fn heavy() -> tokio::sync::MutexGuard<'static, ()> {
    static HEAVY: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    HEAVY.lock().await
}

/// The gRPC credentials every test service is started with.
pub const GRPC_TOKEN: &str = "test-grpc-token-0123456789abcdef0123456789";

/// A directory client with credentials.
pub type Directory = UserDirectoryClient<InterceptedService<tonic::transport::Channel, Bearer>>;

/// Sends `authorization: Bearer <token>` on every call (or nothing).
pub type Bearer = service_kit::grpc::SendBearer;

/// A running auth-service and what a test needs to poke at it.
pub struct TestApp {
    pub address: String,
    pub grpc_port: u16,
    pub client: reqwest::Client,
    pub signing_key: SigningKey,
    pub db: mongodb::Database,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
}

/// The MongoDB the tests use: `MONGODB_URI` (the test script starts a
/// SecantusDB server and exports it; a real MongoDB works the same).
pub fn mongodb_uri() -> String {
    std::env::var("MONGODB_URI").expect(
        "MONGODB_URI is unset: run ./scripts/test.sh, which starts a MongoDB wire-protocol server",
    )
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(&mongodb_uri(), &[]).await
}

/// Starts the service on port 0 with a fresh database on `uri`, a signing
/// key the test knows, and extra environment `overrides`.
pub async fn spawn_app_with(uri: &str, overrides: &[(&str, &str)]) -> TestApp {
    spawn_app_on(uri, &fresh_database(), overrides).await
}

/// A database name no other test uses.
pub fn fresh_database() -> String {
    format!("test_{}", uuid::Uuid::new_v4().simple())
}

/// Starts the service on database `database` of `uri` (two apps on one
/// database behave as two replicas).
pub async fn spawn_app_on(uri: &str, database: &str, overrides: &[(&str, &str)]) -> TestApp {
    if std::env::var("TEST_LOG").is_ok() {
        let _ = service_kit::telemetry::init(auth_service::config::LogFormat::Pretty, &[]);
    }
    let database = database.to_owned();
    let mut secret = [0u8; 32];
    getrandom::fill(&mut secret).unwrap();
    let signing_key = SigningKey::from_bytes(&secret);
    let key_path = write_pem(&signing_key);
    let key_path_str = key_path.display().to_string();
    let mut vars: Vec<(&str, String)> = vec![
        ("AUTH_HTTP_ADDR", "127.0.0.1:0".into()),
        ("AUTH_GRPC_ADDR", "127.0.0.1:0".into()),
        ("MONGODB_URI", uri.into()),
        ("MONGODB_DATABASE", database.clone()),
        ("JWT_SIGNING_KEYS", key_path_str),
        // Generous limits by default; the rate-limit tests set their own.
        ("RATE_LIMIT_LOGIN_PER_ADDRESS", "100000/1m".into()),
        ("RATE_LIMIT_LOGIN_FAILURES", "100000/1m".into()),
        ("RATE_LIMIT_REGISTER_PER_ADDRESS", "100000/1m".into()),
        ("RATE_LIMIT_REFRESH_PER_ADDRESS", "100000/1m".into()),
        ("AUTH_GRPC_TOKEN", GRPC_TOKEN.into()),
    ];
    for (k, v) in overrides {
        vars.retain(|(name, _)| name != k);
        vars.push((k, v.to_string()));
    }
    let settings = Settings::from_lookup(|name| {
        vars.iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.clone())
    })
    .unwrap();
    let app = Application::build(settings).await.unwrap();
    let address = format!("http://127.0.0.1:{}", app.http_port());
    let grpc_port = app.grpc_port();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until_stopped(async {
        let _ = rx.await;
    }));
    let client = mongodb::Client::with_uri_str(uri).await.unwrap();
    TestApp {
        address,
        grpc_port,
        client: reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap(),
        signing_key,
        db: client.database(&database),
        shutdown: Some(tx),
        server: Some(server),
    }
}

fn write_pem(key: &SigningKey) -> PathBuf {
    let path =
        std::env::temp_dir().join(format!("gatehouse-test-key-{}.pem", uuid::Uuid::new_v4()));
    std::fs::write(&path, key.to_pkcs8_pem(LineEnding::LF).unwrap().as_bytes()).unwrap();
    path
}

/// A unique, valid registration body.
pub fn new_user() -> Value {
    let name = format!("user_{}", &uuid::Uuid::new_v4().simple().to_string()[..12]);
    json!({"username": name, "email": format!("{name}@example.com"), "password": "correct-horse-battery"})
}

impl TestApp {
    /// Signals a graceful shutdown and waits for the service to stop.
    pub async fn stop(&mut self) -> anyhow::Result<()> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        match self.server.take() {
            Some(server) => server.await?,
            None => Ok(()),
        }
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> reqwest::Response {
        self.client
            .post(format!("{}{path}", self.address))
            .json(body)
            .send()
            .await
            .unwrap()
    }

    pub async fn post_raw(
        &self,
        path: &str,
        content_type: Option<&str>,
        body: Vec<u8>,
    ) -> reqwest::Response {
        let mut request = self
            .client
            .post(format!("{}{path}", self.address))
            .body(body);
        if let Some(ct) = content_type {
            request = request.header("Content-Type", ct);
        }
        request.send().await.unwrap()
    }

    pub async fn register(&self, body: &Value) -> reqwest::Response {
        self.post_json("/auth/register", body).await
    }

    pub async fn login(&self, username: &str, password: &str) -> reqwest::Response {
        self.post_json(
            "/auth/login",
            &json!({"username": username, "password": password}),
        )
        .await
    }

    /// Registers `user` and logs in; returns the login body.
    pub async fn register_and_login(&self, user: &Value) -> Value {
        assert_eq!(self.register(user).await.status(), 201);
        let response = self
            .login(
                user["username"].as_str().unwrap(),
                user["password"].as_str().unwrap(),
            )
            .await;
        assert_eq!(response.status(), 200);
        response.json().await.unwrap()
    }

    pub async fn get_me(&self, token: Option<&str>) -> reqwest::Response {
        let mut request = self.client.get(format!("{}/auth/me", self.address));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send().await.unwrap()
    }

    pub async fn refresh(&self, refresh_token: &str) -> reqwest::Response {
        self.post_json("/auth/refresh", &json!({"refresh_token": refresh_token}))
            .await
    }

    pub async fn logout(&self, bearer: Option<&str>, body: &Value) -> reqwest::Response {
        let mut request = self
            .client
            .post(format!("{}/auth/logout", self.address))
            .json(body);
        if let Some(token) = bearer {
            request = request.bearer_auth(token);
        }
        request.send().await.unwrap()
    }

    pub async fn delete_me(&self, bearer: &str, password: &str) -> reqwest::Response {
        self.client
            .delete(format!("{}/auth/me", self.address))
            .bearer_auth(bearer)
            .json(&json!({"password": password}))
            .send()
            .await
            .unwrap()
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.address))
            .send()
            .await
            .unwrap()
    }

    /// Every user document, sorted by id (to prove nothing changed).
    pub async fn all_users(&self) -> Vec<Document> {
        use futures::TryStreamExt;
        self.db
            .collection::<Document>("users")
            .find(doc! {})
            .sort(doc! {"_id": 1})
            .await
            .unwrap()
            .try_collect()
            .await
            .unwrap()
    }
}

/// The `(sub, sid)` of a login or refresh body's access token.
pub fn token_ids(body: &Value) -> (String, String) {
    let claims = claims(body);
    (
        claims["sub"].as_str().unwrap().to_owned(),
        claims["sid"].as_str().unwrap().to_owned(),
    )
}

/// The claims of the access token in a token response (unverified).
pub fn claims(body: &Value) -> Value {
    use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
    let payload = body["token"].as_str().unwrap().split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

impl TestApp {
    /// A gRPC channel to the service.
    pub async fn grpc_channel(&self) -> tonic::transport::Channel {
        tonic::transport::Channel::from_shared(format!("http://127.0.0.1:{}", self.grpc_port))
            .unwrap()
            .connect()
            .await
            .unwrap()
    }

    /// A `UserDirectory` client presenting the service's gRPC token.
    pub async fn directory(&self) -> Directory {
        self.directory_as(Some(GRPC_TOKEN)).await
    }

    /// A `UserDirectory` client presenting `token` (or nothing).
    pub async fn directory_as(&self, token: Option<&str>) -> Directory {
        UserDirectoryClient::with_interceptor(
            self.grpc_channel().await,
            Bearer::new(token).unwrap(),
        )
    }

    /// The revocation stream from position `from` (after it), as a gateway
    /// follows it.
    pub async fn revocations_from(
        &self,
        from: u64,
    ) -> tonic::Streaming<proto::auth::v1::Revocation> {
        self.directory()
            .await
            .watch_revocations(proto::auth::v1::WatchRevocationsRequest { from })
            .await
            .unwrap()
            .into_inner()
    }

    /// `CheckSession` over real gRPC: the status and username.
    pub async fn check_session(&self, user_id: &str, session_id: &str) -> (SessionStatus, String) {
        let request = CheckSessionRequest {
            user_id: user_id.into(),
            session_id: session_id.into(),
        };
        let response = self
            .directory()
            .await
            .check_session(request)
            .await
            .unwrap()
            .into_inner();
        (response.status(), response.username)
    }
}

/// Asserts an error response: the status, JSON `{code, message}` and the code.
pub async fn assert_error(response: reqwest::Response, status: u16, code: &str) {
    assert_eq!(response.status().as_u16(), status);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], code, "{body}");
    assert!(
        body["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{body}"
    );
}
