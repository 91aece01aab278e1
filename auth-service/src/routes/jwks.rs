//! `GET /.well-known/jwks.json`: the public keys that verify access tokens.

use actix_web::{HttpResponse, web};

use crate::state::AppState;

/// The JWKS: the signing key first, then keys kept for verification.
pub async fn get_jwks(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(("Cache-Control", "public, max-age=300"))
        .json(state.tokens.ring().jwks())
}
