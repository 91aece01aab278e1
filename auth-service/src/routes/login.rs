//! `POST /auth/login`: check the password (against a dummy hash when the
//! account does not exist, so both failures look and last the same), open a
//! session and issue an access token and a refresh token.

use actix_web::{HttpRequest, HttpResponse, web};
use mongodb::bson::DateTime;
use shared_types::{LoginRequest, TokenResponse};

use crate::{
    domain::Password,
    error::ApiError,
    rate_limit::Scope,
    startup::AppState,
    tokens::{IssuedToken, RefreshToken},
};

/// Longest login (username or email) worth looking up.
const MAX_LOGIN_CHARS: usize = 254;

/// Logs in with a username or an email and a password.
#[tracing::instrument(skip_all, fields(user_id = tracing::field::Empty))]
pub async fn log_in(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: super::JsonBody<LoginRequest>,
) -> Result<HttpResponse, ApiError> {
    let address = super::client_address(&req, state.trusted_proxy_hops);
    state.limiter.consume(Scope::LoginAddress, &address).await?;
    let body = body.0;
    let password = Password::parse_candidate(&body.password)?;
    let user = if body.username.is_empty() || body.username.chars().count() > MAX_LOGIN_CHARS {
        None
    } else {
        state.store.find_user_by_login(&body.username).await?
    };
    // Failures count per (account, address): a guesser is stopped without
    // locking the real user out. Unknown accounts count under the login text,
    // so they are limited exactly like real ones (no enumeration).
    let account = user.as_ref().map_or_else(
        || {
            body.username
                .chars()
                .take(MAX_LOGIN_CHARS)
                .collect::<String>()
                .to_lowercase()
        },
        |u| u.id.clone(),
    );
    let failure_key = format!("{account}|{address}");
    let stored_hash = user.as_ref().map(|u| u.password_hash.clone());
    let verified = super::verify_password(&state, &failure_key, password, stored_hash).await?;
    let user = match user {
        Some(user) if verified && !user.disabled => user,
        _ => return Err(ApiError::InvalidCredentials),
    };
    tracing::Span::current().record("user_id", user.id.as_str());
    let response = open_session(&state, &user.id, &user.username).await?;
    tracing::info!("logged in");
    Ok(HttpResponse::Ok().json(response))
}

/// Opens a session for this user and issues its first pair of tokens.
async fn open_session(
    state: &AppState,
    user_id: &str,
    username: &str,
) -> Result<TokenResponse, ApiError> {
    let refresh = RefreshToken::generate()?;
    let expires_at = DateTime::from_millis(
        DateTime::now().timestamp_millis() + state.refresh_token_ttl.as_millis() as i64,
    );
    let session = state
        .store
        .create_session(user_id, refresh.hash, expires_at)
        .await?;
    let access = state.tokens.issue(
        user_id,
        username,
        &session.id,
        session.expires_at.timestamp_millis() / 1000,
    )?;
    Ok(token_response(access, refresh.token, "Login successful"))
}

/// The body login and refresh answer with.
pub(super) fn token_response(
    access: IssuedToken,
    refresh_token: String,
    message: &str,
) -> TokenResponse {
    TokenResponse {
        token: access.token,
        token_type: "Bearer".into(),
        expires_in: access.expires_in,
        refresh_token,
        message: message.into(),
    }
}
