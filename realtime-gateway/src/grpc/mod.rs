//! The gateway's gRPC client side of `gatehouse.auth.v1.UserDirectory`:
//! session checks ([`session`]) and the revocation stream ([`revocations`]),
//! each call carrying W3C trace context ([`trace`]) and the gateway's
//! credentials ([`link`]).

#[cfg(test)]
mod fake;
pub mod link;
pub mod revocations;
pub mod session;
pub mod trace;

use std::time::Duration;

use anyhow::Context;
use tonic::transport::{Channel, Endpoint};

pub use link::{AuthLink, LinkState, LinkStatus};
pub use revocations::RevocationWatcher;
pub use session::SessionChecker;

/// A lazily connecting channel to `url`: start-up never waits for the
/// auth-service; calls fail fast (connect timeout 1 s) while it is down.
pub fn lazy_channel(url: &str) -> anyhow::Result<Channel> {
    let endpoint = Endpoint::from_shared(url.to_owned())
        .with_context(|| format!("AUTH_GRPC_URL {url:?} is not a valid URI"))?
        .connect_timeout(Duration::from_secs(1))
        .http2_keep_alive_interval(Duration::from_secs(20))
        .keep_alive_while_idle(true);
    Ok(endpoint.connect_lazy())
}
