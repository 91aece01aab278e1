//! `GET /auth/me`: the account behind a bearer token whose session is live.

use actix_web::{HttpRequest, HttpResponse, web};
use shared_types::{AccessClaims, MeResponse};

use crate::{error::ApiError, startup::AppState, store::SessionState};

/// The caller's own account.
#[tracing::instrument(skip_all, fields(user_id = tracing::field::Empty))]
pub async fn get_me(
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let claims = authenticate(&state, &req).await?;
    tracing::Span::current().record("user_id", claims.sub.as_str());
    let user = state
        .store
        .find_user_by_id(&claims.sub)
        .await?
        .ok_or(ApiError::InvalidToken)?;
    Ok(HttpResponse::Ok().json(MeResponse {
        id: user.id,
        username: user.username,
        email: user.email,
        created_at: user.created_at.try_to_rfc3339_string().unwrap_or_default(),
    }))
}

/// Verifies the request's bearer token and that its session is still live.
pub async fn authenticate(state: &AppState, req: &HttpRequest) -> Result<AccessClaims, ApiError> {
    let token = req
        .headers()
        .get(actix_web::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or(ApiError::InvalidToken)?;
    let claims = state
        .tokens
        .verify(token)
        .map_err(|_| ApiError::InvalidToken)?;
    match state.store.session_state(&claims.sub, &claims.sid).await? {
        SessionState::Active { .. } => Ok(claims),
        _ => Err(ApiError::InvalidToken),
    }
}
