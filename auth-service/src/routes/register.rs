//! `POST /auth/register`: parse, hash, insert; the unique indexes decide
//! races, so two registrations of one name can never both succeed.

use actix_web::{HttpRequest, HttpResponse, web};
use shared_types::{RegisterRequest, RegisterResponse, UserView};

use crate::{
    domain::{Email, Password, Username},
    error::ApiError,
    rate_limit::Scope,
    state::AppState,
    store::NewUser,
};

/// Creates an account: 201 with the new user, 409 when the name or email is taken.
#[tracing::instrument(skip_all, fields(user_id = tracing::field::Empty))]
pub async fn register_user(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: super::JsonBody<RegisterRequest>,
) -> Result<HttpResponse, ApiError> {
    let address = super::client_address(&req, state.trusted_proxy_hops);
    state
        .limiter
        .consume(Scope::RegisterAddress, &address)
        .await?;
    let body = body.0;
    let username = Username::parse(&body.username)?;
    let email = Email::parse(&body.email)?;
    let password = Password::parse_new(&body.password, &username, &email)?;
    let password_hash = state.hasher.hash(password).await?;
    let user = state
        .store
        .insert_user(NewUser {
            username,
            email,
            password_hash,
        })
        .await?;
    tracing::Span::current().record("user_id", user.id.as_str());
    tracing::info!("account registered");
    Ok(HttpResponse::Created().json(RegisterResponse {
        message: "Registration successful".into(),
        user: UserView {
            id: user.id,
            username: user.username,
            email: user.email,
        },
    }))
}
