//! `POST /auth/logout`: end one session (by its refresh token, or the
//! bearer's own session) or, with a bearer token and `{all: true}`, every
//! session of the user. Each logout is appended to the revocation log, which
//! gateways follow to close the matching sockets.

use actix_web::{HttpRequest, HttpResponse, web};
use shared_types::LogoutRequest;

use super::bearer::Bearer;
use crate::{
    error::ApiError, state::AppState, store::RevocationReason, tokens::hash_refresh_token,
};

/// Logs out; 204 on success.
#[tracing::instrument(skip_all, fields(user_id = tracing::field::Empty))]
pub async fn log_out(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: super::JsonBody<LogoutRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.0;
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
            let hash = hash_refresh_token(&token);
            match state.store.find_live_session_by_refresh(&hash).await? {
                Some(session) => {
                    state
                        .store
                        .revoke_session(&session.user_id, &session.id)
                        .await?;
                    (session.user_id, session.id, RevocationReason::Logout)
                }
                // A spent token: someone else refreshed with a copy. Ending
                // the session is what its owner asked for, and it is the
                // theft that refresh reuse already treats this way.
                None => {
                    let session = state
                        .store
                        .revoke_by_spent_refresh(&hash)
                        .await?
                        .ok_or(ApiError::InvalidRefreshToken)?;
                    tracing::warn!(user_id = %session.user_id, session_id = %session.id, "spent refresh token presented to logout: session revoked");
                    (session.user_id, session.id, RevocationReason::RefreshReuse)
                }
            }
        }
        (None, Some(true)) => {
            let claims = Bearer::authenticate(&state, &req).await?;
            state.store.revoke_all_sessions(&claims.sub).await?;
            (claims.sub, String::new(), RevocationReason::LogoutAll)
        }
        (None, _) => {
            let claims = Bearer::authenticate(&state, &req).await?;
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
