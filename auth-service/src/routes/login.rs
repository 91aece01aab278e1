//! `POST /auth/login`: check the password (against a dummy hash when the
//! account does not exist, so both failures look and last the same), open a
//! session and issue an access token and a refresh token.

use actix_web::{HttpRequest, HttpResponse, web};
use shared_types::LoginRequest;

use crate::{domain::Password, error::ApiError, rate_limit::Scope, state::AppState};

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
    let response = super::session::open_session(&state, &user.id, &user.username).await?;
    tracing::info!("logged in");
    Ok(HttpResponse::Ok().json(response))
}
