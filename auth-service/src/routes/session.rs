//! Session issuance, shared by login (a new session and its first token
//! pair) and refresh (a new pair for a live session): the token response
//! both answer with.

use mongodb::bson::DateTime;
use shared_types::TokenResponse;

use crate::{
    error::ApiError,
    state::AppState,
    tokens::{IssuedToken, RefreshToken},
};

/// Opens a session for this user and issues its first pair of tokens.
pub(super) async fn open_session(
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
