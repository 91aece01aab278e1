//! Starts a whole stack: a real auth-service and a real gateway wired to it.

use std::{path::PathBuf, time::Duration};

use ed25519_dalek::{
    SigningKey,
    pkcs8::{EncodePrivateKey, spki::der::pem::LineEnding},
};
use serde_json::{Value, json};
use service_kit::bearer::BearerKeys;
use tokio::{sync::oneshot, task::JoinHandle};

/// The gRPC credentials both services of a test stack share.
const GRPC_TOKEN: &str = "stack-grpc-token-0123456789abcdef0123456789";

type Server = (oneshot::Sender<()>, JoinHandle<anyhow::Result<()>>);

/// A running auth-service + gateway pair.
pub struct Stack {
    pub auth_http: u16,
    pub auth_grpc: u16,
    pub gateway: u16,
    pub http: reqwest::Client,
    pub key: SigningKey,
    key_path: PathBuf,
    database: String,
    auth: Option<Server>,
    _gateway: Server,
}

fn serve<F>(run: impl FnOnce(oneshot::Receiver<()>) -> F) -> Server
where
    F: Future<Output = anyhow::Result<()>> + Send + 'static,
{
    let (tx, rx) = oneshot::channel();
    (tx, tokio::spawn(run(rx)))
}

async fn start_auth(key_path: &str, database: &str, http: u16, grpc: u16) -> (u16, u16, Server) {
    let uri = std::env::var("MONGODB_URI").expect("MONGODB_URI is unset: run ./scripts/test.sh");
    let vars = [
        ("AUTH_HTTP_ADDR", format!("127.0.0.1:{http}")),
        ("AUTH_GRPC_ADDR", format!("127.0.0.1:{grpc}")),
        ("MONGODB_URI", uri),
        ("MONGODB_DATABASE", database.to_owned()),
        ("JWT_SIGNING_KEYS", key_path.to_owned()),
        ("RATE_LIMIT_LOGIN_PER_ADDRESS", "100000/1m".into()),
        ("RATE_LIMIT_REGISTER_PER_ADDRESS", "100000/1m".into()),
        ("RATE_LIMIT_REFRESH_PER_ADDRESS", "100000/1m".into()),
        ("AUTH_GRPC_TOKEN", GRPC_TOKEN.into()),
    ];
    let settings = auth_service::config::Settings::from_lookup(|name| {
        vars.iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.clone())
    })
    .unwrap();
    let app = auth_service::startup::Application::build(settings)
        .await
        .unwrap();
    let ports = (app.http_port(), app.grpc_port());
    let server = serve(|rx| {
        app.run_until_stopped(async {
            let _ = rx.await;
        })
    });
    (ports.0, ports.1, server)
}

impl Stack {
    /// Starts both services on port 0 and waits until the gateway is ready.
    pub async fn start() -> Stack {
        let mut secret = [0u8; 32];
        getrandom::fill(&mut secret).unwrap();
        let key = SigningKey::from_bytes(&secret);
        let key_path =
            std::env::temp_dir().join(format!("gatehouse-stack-{}.pem", uuid::Uuid::new_v4()));
        std::fs::write(
            &key_path,
            key.to_pkcs8_pem(LineEnding::LF).unwrap().as_bytes(),
        )
        .unwrap();
        let database = format!("stack_{}", uuid::Uuid::new_v4().simple());
        let (auth_http, auth_grpc, auth) =
            start_auth(&key_path.display().to_string(), &database, 0, 0).await;

        let settings = realtime_gateway::config::Settings {
            addr: "127.0.0.1:0".parse().unwrap(),
            auth_grpc_url: format!("http://127.0.0.1:{auth_grpc}"),
            auth_jwks_url: format!("http://127.0.0.1:{auth_http}/.well-known/jwks.json"),
            auth_grpc_token: Some(BearerKeys::parse(GRPC_TOKEN).unwrap()),
            ..Default::default()
        };
        let gateway_app = realtime_gateway::startup::Application::build(settings)
            .await
            .unwrap();
        let gateway = gateway_app.port();
        let gateway_server = serve(|rx| {
            gateway_app.run_until_stopped(async {
                let _ = rx.await;
            })
        });
        let stack = Stack {
            auth_http,
            auth_grpc,
            gateway,
            http: reqwest::Client::new(),
            key,
            key_path,
            database,
            auth: Some(auth),
            _gateway: gateway_server,
        };
        stack.wait_until_gateway_ready().await;
        stack
    }

    async fn wait_until_gateway_ready(&self) {
        for _ in 0..200 {
            let ready = self
                .http
                .get(format!("http://127.0.0.1:{}/readyz", self.gateway))
                .send()
                .await;
            if ready.is_ok_and(|r| r.status() == 200) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("gateway never became ready");
    }

    /// Stops the auth-service (gracefully) and waits until it is gone.
    pub async fn stop_auth(&mut self) {
        let (tx, task) = self.auth.take().expect("auth-service running");
        let _ = tx.send(());
        task.await.unwrap().unwrap();
    }

    /// Starts the auth-service again on the same ports, key and database.
    pub async fn restart_auth(&mut self) {
        let key_path = self.key_path.display().to_string();
        let (_, _, server) =
            start_auth(&key_path, &self.database, self.auth_http, self.auth_grpc).await;
        self.auth = Some(server);
    }

    pub async fn post(&self, path: &str, bearer: Option<&str>, body: Value) -> reqwest::Response {
        let mut request = self
            .http
            .post(format!("http://127.0.0.1:{}{path}", self.auth_http))
            .json(&body);
        if let Some(token) = bearer {
            request = request.bearer_auth(token);
        }
        request.send().await.unwrap()
    }

    /// Registers a fresh user and logs in; returns the login body plus
    /// `username` and `password`.
    pub async fn new_session(&self) -> Value {
        let username = format!("u{}", &uuid::Uuid::new_v4().simple().to_string()[..12]);
        let password = "stack-test-password";
        let register = json!({"username": username, "email": format!("{username}@example.com"), "password": password});
        assert_eq!(
            self.post("/auth/register", None, register).await.status(),
            201
        );
        self.log_in(&username, password).await
    }

    /// Logs an existing user in again (a new session).
    pub async fn log_in(&self, username: &str, password: &str) -> Value {
        let response = self
            .post(
                "/auth/login",
                None,
                json!({"username": username, "password": password}),
            )
            .await;
        assert_eq!(response.status(), 200);
        let mut body: Value = response.json().await.unwrap();
        body["username"] = json!(username);
        body["password"] = json!(password);
        body
    }

    /// Signs `claims` with the auth-service's real key and `kid`.
    pub fn forge(&self, claims: &Value) -> String {
        use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
        use sha2::{Digest, Sha256};
        let x = URL_SAFE_NO_PAD.encode(self.key.verifying_key().to_bytes());
        let kid = URL_SAFE_NO_PAD.encode(Sha256::digest(format!(
            r#"{{"crv":"Ed25519","kty":"OKP","x":"{x}"}}"#
        )));
        let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::EdDSA);
        header.typ = Some("at+jwt".into());
        header.kid = Some(kid);
        let pem = self.key.to_pkcs8_pem(LineEnding::LF).unwrap();
        jsonwebtoken::encode(
            &header,
            claims,
            &jsonwebtoken::EncodingKey::from_ed_pem(pem.as_bytes()).unwrap(),
        )
        .unwrap()
    }
}

/// The claims of a token, read without verification.
pub fn claims_of(token: &str) -> Value {
    use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}
