//! Bearer authentication: the request's `Authorization: Bearer <access
//! token>` must verify (`service_kit::access_token` rules) and its session
//! must still be live. [`Bearer`] is the actix extractor for handlers that
//! always need it; [`Bearer::authenticate`] is the same check for a handler
//! that needs it only on some paths (logout).

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use futures::future::LocalBoxFuture;
use shared_types::AccessClaims;

use crate::{error::ApiError, state::AppState, store::SessionState};

/// The verified claims of a live session's bearer token.
pub struct Bearer(pub AccessClaims);

impl Bearer {
    /// Verifies the request's bearer token and that its session is still live.
    pub async fn authenticate(
        state: &AppState,
        req: &HttpRequest,
    ) -> Result<AccessClaims, ApiError> {
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
}

impl FromRequest for Bearer {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let state = req
                .app_data::<web::Data<AppState>>()
                .cloned()
                .ok_or_else(|| {
                    ApiError::Unexpected(anyhow::anyhow!("AppState is not registered"))
                })?;
            Self::authenticate(&state, &req).await.map(Bearer)
        })
    }
}
