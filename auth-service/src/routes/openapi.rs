//! `GET /openapi.json`: the OpenAPI 3.1 description of this HTTP API.
//!
//! The document is hand-written next to this file and compiled into the
//! binary, so it ships with exactly the code it describes and costs nothing
//! at request time. The integration tests keep it true: every routed path and
//! method is documented, every documented operation answers, and the error
//! `code` enum matches `ErrorCode`.

use actix_web::{HttpResponse, http::header::ContentType};

/// The OpenAPI document, verbatim.
const OPENAPI_JSON: &str = include_str!("openapi.json");

/// Serves the OpenAPI document as `application/json`.
pub async fn get_openapi() -> HttpResponse {
    HttpResponse::Ok()
        .content_type(ContentType::json())
        .body(OPENAPI_JSON)
}
