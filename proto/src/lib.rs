//! The gRPC contract between the auth-service and gateways: package
//! `gatehouse.auth.v1`, service `UserDirectory` (`CheckSession`,
//! `WatchRevocations`), generated at build time from `auth/v1/*.proto`.

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
