//! `POST /auth/refresh`: spend a refresh token for a new token pair. A token
//! presented a second time means it was copied: the whole session (token
//! family) is revoked and every gateway hears of it. Refreshes are limited
//! per client address (`RATE_LIMIT_REFRESH_PER_ADDRESS`).

use actix_web::{HttpRequest, HttpResponse, web};
use shared_types::RefreshRequest;

use super::session::token_response;
use crate::{
    error::ApiError,
    rate_limit::Scope,
    state::AppState,
    store::{RevocationReason, RotateOutcome},
    tokens::{RefreshToken, hash_refresh_token},
};

/// Longest refresh token worth hashing (ours are 43 characters).
const MAX_REFRESH_TOKEN_LEN: usize = 128;

/// Rotates a refresh token.
#[tracing::instrument(skip_all, fields(user_id = tracing::field::Empty))]
pub async fn refresh_tokens(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: super::JsonBody<RefreshRequest>,
) -> Result<HttpResponse, ApiError> {
    let address = super::client_address(&req, state.trusted_proxy_hops);
    state
        .limiter
        .consume(Scope::RefreshAddress, &address)
        .await?;
    let presented = body.0.refresh_token;
    if presented.is_empty() || presented.len() > MAX_REFRESH_TOKEN_LEN {
        return Err(ApiError::InvalidRefreshToken);
    }
    let next = RefreshToken::generate()?;
    let session = match state
        .store
        .rotate_refresh(&hash_refresh_token(&presented), &next.hash)
        .await?
    {
        RotateOutcome::Rotated(session) => session,
        RotateOutcome::Reused(session) => {
            tracing::warn!(user_id = %session.user_id, session_id = %session.id, "refresh token reused: session revoked");
            state
                .store
                .append_revocation(
                    &session.user_id,
                    &session.id,
                    RevocationReason::RefreshReuse,
                )
                .await?;
            return Err(ApiError::InvalidRefreshToken);
        }
        RotateOutcome::Invalid => return Err(ApiError::InvalidRefreshToken),
    };
    tracing::Span::current().record("user_id", session.user_id.as_str());
    let user = match state.store.find_user_by_id(&session.user_id).await? {
        Some(user) if !user.disabled => user,
        _ => return Err(ApiError::InvalidRefreshToken),
    };
    let access = state.tokens.issue(
        &user.id,
        &user.username,
        &session.id,
        session.expires_at.timestamp_millis() / 1000,
    )?;
    Ok(HttpResponse::Ok().json(token_response(access, next.token, "Token refreshed")))
}
