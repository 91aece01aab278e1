//! `GET /auth/me`: the account behind a bearer token whose session is live.

use actix_web::{HttpResponse, web};
use shared_types::MeResponse;

use super::bearer::Bearer;
use crate::{error::ApiError, state::AppState};

/// The caller's own account.
#[tracing::instrument(skip_all, fields(user_id = tracing::field::Empty))]
pub async fn get_me(
    state: web::Data<AppState>,
    Bearer(claims): Bearer,
) -> Result<HttpResponse, ApiError> {
    tracing::Span::current().record("user_id", claims.sub.as_str());
    let user = state
        .store
        .find_user_by_id(&claims.sub)
        .await?
        .ok_or(ApiError::InvalidToken)?;
    Ok(HttpResponse::Ok().json(MeResponse {
        created_at: rfc3339(user.created_at, &user.id)?,
        id: user.id,
        username: user.username,
        email: user.email,
    }))
}

/// A stored date as RFC 3339. One outside RFC 3339's range (years 0-9999)
/// is a corrupt record: an error that is logged and answered 500, never an
/// empty string.
fn rfc3339(date: mongodb::bson::DateTime, user_id: &str) -> Result<String, ApiError> {
    date.try_to_rfc3339_string().map_err(|e| {
        ApiError::Unexpected(anyhow::anyhow!(
            "user {user_id} has an unformattable created_at: {e}"
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unformattable_date_is_an_error_not_an_empty_string() {
        // SecantusDB cannot store such a date, so this is checked here; a
        // real MongoDB can hold it (a record written by another tool).
        let err = rfc3339(mongodb::bson::DateTime::MAX, "u1").unwrap_err();
        assert!(matches!(err, ApiError::Unexpected(_)));
        let ok = rfc3339(mongodb::bson::DateTime::from_millis(0), "u1").unwrap();
        assert_eq!(ok, "1970-01-01T00:00:00Z");
    }
}
