//! The project's gRPC contracts, generated at build time:
//! - `gatehouse.auth.v1.UserDirectory` (`auth/v1/`): between the
//!   auth-service and gateways (`CheckSession`, `WatchRevocations`);
//! - `gatehouse.gateway.v1.ServerApi` (`gateway/v1/`): the gateway's server
//!   API for the application's backends.

/// Generated messages, client and server for `gatehouse.auth.v1`.
pub mod auth {
    /// Version 1 of the auth directory API.
    pub mod v1 {
        #![allow(missing_docs, clippy::all)]
        tonic::include_proto!("gatehouse.auth.v1");

        /// Encoded file descriptor set, for gRPC server reflection.
        pub const FILE_DESCRIPTOR_SET: &[u8] =
            tonic::include_file_descriptor_set!("gatehouse_auth_v1_descriptor");
    }
}

/// Generated messages, client and server for `gatehouse.gateway.v1`.
pub mod gateway {
    /// Version 1 of the gateway's server API.
    pub mod v1 {
        #![allow(missing_docs, clippy::all)]
        tonic::include_proto!("gatehouse.gateway.v1");

        /// Encoded file descriptor set, for gRPC server reflection.
        pub const FILE_DESCRIPTOR_SET: &[u8] =
            tonic::include_file_descriptor_set!("gatehouse_gateway_v1_descriptor");
    }
}
