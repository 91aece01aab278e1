//! The tracing subscriber: pretty for a terminal, JSON lines on stdout in
//! containers. `RUST_LOG` wins over the default `info` filter — except that
//! socketioxide and engineioxide stay at `info` unless `RUST_LOG` names them
//! explicitly, because at `debug` they print handshake auth payloads
//! (tokens) and event bodies.

use tracing_subscriber::EnvFilter;
use tracing_subscriber::filter::Directive;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

use crate::config::LogFormat;

/// Crates whose debug output contains tokens.
const CHATTY: [&str; 2] = ["socketioxide", "engineioxide"];

/// The filter for a `RUST_LOG` value (`None` = unset).
pub fn filter(rust_log: Option<&str>) -> EnvFilter {
    let spec = rust_log.filter(|s| !s.trim().is_empty()).unwrap_or("info");
    let mut filter = EnvFilter::try_new(spec).unwrap_or_else(|_| EnvFilter::new("info"));
    for krate in CHATTY {
        if !spec.contains(krate)
            && let Ok(d) = format!("{krate}=info").parse::<Directive>()
        {
            filter = filter.add_directive(d);
        }
    }
    filter
}

/// Installs the global subscriber (a second call is a no-op).
pub fn init(format: LogFormat) {
    let filter = filter(std::env::var("RUST_LOG").ok().as_deref());
    let registry = tracing_subscriber::registry().with(filter);
    let _ = match format {
        LogFormat::Json => registry
            .with(
                tracing_subscriber::fmt::layer()
                    .json()
                    .with_writer(std::io::stdout),
            )
            .try_init(),
        LogFormat::Pretty => registry
            .with(tracing_subscriber::fmt::layer().with_writer(std::io::stdout))
            .try_init(),
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_everywhere_keeps_socketioxide_quiet_unless_named() {
        let f = filter(Some("debug")).to_string();
        assert!(
            f.contains("socketioxide=info") && f.contains("engineioxide=info"),
            "{f}"
        );
        let f = filter(Some("debug,socketioxide=trace")).to_string();
        assert!(
            f.contains("socketioxide=trace") && !f.contains("socketioxide=info"),
            "{f}"
        );
        assert!(filter(None).to_string().contains("info"));
    }
}
