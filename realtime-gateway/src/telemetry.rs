//! The gateway's logging: `service_kit::telemetry` (pretty or JSON lines on
//! stdout, `RUST_LOG` over the default `info`, an invalid `RUST_LOG` is an
//! error), with socketioxide and engineioxide held at `info` unless
//! `RUST_LOG` names them, because at `debug` they print handshake auth
//! payloads (tokens) and event bodies.

use service_kit::telemetry::{InvalidFilter, LogFormat};

/// Crates whose debug output contains tokens.
pub const QUIET: [&str; 2] = ["socketioxide", "engineioxide"];

/// Installs the global subscriber (a second call is a no-op).
pub fn init(format: LogFormat) -> Result<(), InvalidFilter> {
    service_kit::telemetry::init(format, &QUIET)
}
