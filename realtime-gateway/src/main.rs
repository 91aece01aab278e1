//! realtime-gateway binary: parse config → init telemetry → build → run.

use std::process::ExitCode;

use realtime_gateway::config::{HELP, Settings};
use realtime_gateway::startup::Application;
use realtime_gateway::telemetry;
use service_kit::process::{healthcheck, shutdown_signal};

#[tokio::main]
async fn main() -> anyhow::Result<ExitCode> {
    let arg = std::env::args().nth(1);
    if matches!(arg.as_deref(), Some("--help" | "-h" | "help")) {
        print!("{HELP}");
        return Ok(ExitCode::SUCCESS);
    }
    let settings = Settings::from_env()?;
    match arg.as_deref() {
        Some("healthcheck") => {
            return Ok(if healthcheck(settings.addr) {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            });
        }
        Some(other) => anyhow::bail!("unknown argument {other:?}; see --help"),
        None => {}
    }
    telemetry::init(settings.log_format)?;
    Application::build(settings)
        .await?
        .run_until_stopped(shutdown_signal())
        .await?;
    Ok(ExitCode::SUCCESS)
}
