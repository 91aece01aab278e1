//! auth-service binary: parse settings, start logging, serve until SIGINT/SIGTERM.

use auth_service::{config::Settings, startup};
use service_kit::process::{healthcheck, shutdown_signal};

/// mimalloc instead of glibc malloc: argon2 allocates 19 MiB per hash, and
/// glibc's dynamic mmap threshold moves such blocks onto the heap after the
/// first one is freed, where they are never given back (a burst of 100
/// registrations left the process at 1.3 GiB). mimalloc returns freed large
/// blocks to the OS, so memory follows the hashes in flight (BENCHMARKS.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let settings = match std::env::args().nth(1).as_deref() {
        Some("-h" | "--help") => {
            print!("{}", Settings::help());
            return Ok(());
        }
        Some("healthcheck") => {
            std::process::exit(i32::from(!healthcheck(Settings::from_env()?.http_addr)))
        }
        Some(other) => anyhow::bail!("unknown argument `{other}`; see --help"),
        None => Settings::from_env()?,
    };
    service_kit::telemetry::init(settings.log_format, &[])?;
    let app = startup::Application::build(settings).await?;
    app.run_until_stopped(shutdown_signal()).await
}
