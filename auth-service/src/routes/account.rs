//! `DELETE /auth/me`: delete the caller's account after re-checking the
//! password. The user, their sessions and refresh tokens are removed, and the
//! deletion is pushed to gateways, which close the user's sockets.

use actix_web::{HttpRequest, HttpResponse, web};
use shared_types::DeleteAccountRequest;

use super::bearer::Bearer;
use crate::{domain::Password, error::ApiError, state::AppState, store::RevocationReason};

/// Deletes the account; 204 on success, 401 on a wrong password.
#[tracing::instrument(skip_all, fields(user_id = tracing::field::Empty))]
pub async fn delete_account(
    state: web::Data<AppState>,
    req: HttpRequest,
    Bearer(claims): Bearer,
    body: super::JsonBody<DeleteAccountRequest>,
) -> Result<HttpResponse, ApiError> {
    tracing::Span::current().record("user_id", claims.sub.as_str());
    let password = Password::parse_candidate(&body.0.password)?;
    let user = state
        .store
        .find_user_by_id(&claims.sub)
        .await?
        .ok_or(ApiError::InvalidToken)?;
    // A stolen access token must not become a password-guessing oracle.
    let failure_key = format!(
        "{}|{}",
        user.id,
        super::client_address(&req, state.trusted_proxy_hops)
    );
    if !super::verify_password(&state, &failure_key, password, Some(user.password_hash)).await? {
        return Err(ApiError::InvalidCredentials);
    }
    state.store.revoke_all_sessions(&user.id).await?;
    state.store.delete_user(&user.id).await?;
    state
        .store
        .append_revocation(&user.id, "", RevocationReason::UserDeleted)
        .await?;
    tracing::info!("account deleted");
    Ok(HttpResponse::NoContent().finish())
}
