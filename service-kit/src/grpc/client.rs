//! The caller's side of the shared-secret gRPC credentials: a tonic
//! interceptor that sends `authorization: Bearer <secret>` on every call
//! (the server's side is [`super::CallerCheck`]).

use tonic::metadata::{Ascii, MetadataValue};

/// Adds the `authorization` metadata to each call (none without a secret).
#[derive(Clone)]
pub struct SendBearer(Option<MetadataValue<Ascii>>);

/// The secret cannot be a header value.
#[derive(Debug, thiserror::Error)]
#[error("the gRPC secret is not a valid header value")]
pub struct InvalidSecret;

impl SendBearer {
    /// Sends `secret` (marked sensitive, so it is never printed), or nothing.
    pub fn new(secret: Option<&str>) -> Result<Self, InvalidSecret> {
        secret
            .map(|s| {
                let mut value: MetadataValue<Ascii> =
                    format!("Bearer {s}").parse().map_err(|_| InvalidSecret)?;
                value.set_sensitive(true);
                Ok(value)
            })
            .transpose()
            .map(Self)
    }
}

impl tonic::service::Interceptor for SendBearer {
    fn call(
        &mut self,
        mut request: tonic::Request<()>,
    ) -> Result<tonic::Request<()>, tonic::Status> {
        if let Some(value) = &self.0 {
            request
                .metadata_mut()
                .insert("authorization", value.clone());
        }
        Ok(request)
    }
}
