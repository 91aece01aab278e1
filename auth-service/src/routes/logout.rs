//! `POST /auth/logout`: end one session (by its refresh token, or the
//! bearer's own session) or, with a bearer token and `{all: true}`, every
//! session of the user. Each logout is appended to the revocation log, which
//! gateways follow to close the matching sockets.

use actix_web::{HttpRequest, HttpResponse, web};
use shared_types::LogoutRequest;

use super::me::authenticate;
use crate::{
    error::ApiError, startup::AppState, store::RevocationReason, tokens::hash_refresh_token,
};

/// Logs out; 204 on success.
#[tracing::instrument(skip_all, fields(user_id = tracing::field::Empty))]
pub async fn log_out(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Json<LogoutRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let (user_id, session_id, reason) = match (body.refresh_token, body.all) {
        (Some(_), Some(true)) => {
            return Err(ApiError::Malformed(
                "Send either refresh_token or all, not both".into(),
            ));
        }
        (Some(token), _) => {
            if token.len() > 128 {
                return Err(ApiError::InvalidRefreshToken);
            }
            let session = state
                .store
                .find_live_session_by_refresh(&hash_refresh_token(&token))
                .await?
                .ok_or(ApiError::InvalidRefreshToken)?;
            state
                .store
                .revoke_session(&session.user_id, &session.id)
                .await?;
            (session.user_id, session.id, RevocationReason::Logout)
        }
        (None, Some(true)) => {
            let claims = authenticate(&state, &req).await?;
            state.store.revoke_all_sessions(&claims.sub).await?;
            (claims.sub, String::new(), RevocationReason::LogoutAll)
        }
        (None, _) => {
            let claims = authenticate(&state, &req).await?;
            state.store.revoke_session(&claims.sub, &claims.sid).await?;
            (claims.sub, claims.sid, RevocationReason::Logout)
        }
    };
    tracing::Span::current().record("user_id", user_id.as_str());
    state
        .store
        .append_revocation(&user_id, &session_id, reason)
        .await?;
    tracing::info!(?reason, "logged out");
    Ok(HttpResponse::NoContent().finish())
}
