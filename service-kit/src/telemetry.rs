//! Logging for both services: `tracing` to stdout, pretty for a terminal or
//! one JSON object per line for collectors (`LOG_FORMAT`). `RUST_LOG` wins
//! over the default `info`; a `RUST_LOG` that does not parse stops start-up
//! with an error instead of being ignored. Crates named as `quiet` stay at
//! `info` unless `RUST_LOG` names them: at `debug` some libraries print
//! secrets (socketioxide prints handshake payloads, which carry tokens).

use tracing_subscriber::EnvFilter;
use tracing_subscriber::filter::Directive;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// How log lines are written (`LOG_FORMAT`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::EnumString, strum::IntoStaticStr)]
#[strum(serialize_all = "lowercase", ascii_case_insensitive)]
pub enum LogFormat {
    /// Human-readable, for a terminal.
    Pretty,
    /// One JSON object per line on stdout, for containers.
    Json,
}

/// `RUST_LOG` is not a valid filter.
#[derive(Debug, thiserror::Error)]
#[error("invalid RUST_LOG: {0}")]
pub struct InvalidFilter(String);

/// The filter for a `RUST_LOG` value (`None` or blank = `info`), with the
/// `quiet` crates held at `info` unless named.
pub fn filter(rust_log: Option<&str>, quiet: &[&str]) -> Result<EnvFilter, InvalidFilter> {
    let spec = rust_log
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .unwrap_or("info");
    let mut filter = EnvFilter::builder()
        .parse(spec)
        .map_err(|e| InvalidFilter(e.to_string()))?;
    for krate in quiet {
        if !spec.contains(krate) {
            let directive: Directive = format!("{krate}=info").parse().map_err(
                |e: tracing_subscriber::filter::ParseError| InvalidFilter(e.to_string()),
            )?;
            filter = filter.add_directive(directive);
        }
    }
    Ok(filter)
}

/// Installs the global subscriber from `RUST_LOG` (a second call, in tests,
/// is a no-op).
pub fn init(format: LogFormat, quiet: &[&str]) -> Result<(), InvalidFilter> {
    let filter = filter(std::env::var("RUST_LOG").ok().as_deref(), quiet)?;
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
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quiet_crates_stay_at_info_unless_named() {
        let quiet = ["socketioxide", "engineioxide"];
        let f = filter(Some("debug"), &quiet).unwrap().to_string();
        assert!(
            f.contains("socketioxide=info") && f.contains("engineioxide=info"),
            "{f}"
        );
        let f = filter(Some("debug,socketioxide=trace"), &quiet)
            .unwrap()
            .to_string();
        assert!(
            f.contains("socketioxide=trace") && !f.contains("socketioxide=info"),
            "{f}"
        );
        assert!(filter(None, &quiet).unwrap().to_string().contains("info"));
        assert!(
            filter(Some("  "), &[])
                .unwrap()
                .to_string()
                .contains("info")
        );
    }

    #[test]
    fn an_invalid_rust_log_is_an_error() {
        for bad in ["info,[", "=debug", "foo=notalevel"] {
            assert!(filter(Some(bad), &[]).is_err(), "{bad}");
        }
    }

    #[test]
    fn log_formats_parse_case_insensitively() {
        assert_eq!("JSON".parse::<LogFormat>().unwrap(), LogFormat::Json);
        assert_eq!("pretty".parse::<LogFormat>().unwrap(), LogFormat::Pretty);
        assert!("xml".parse::<LogFormat>().is_err());
    }
}
