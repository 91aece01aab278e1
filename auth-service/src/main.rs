//! auth-service binary: parse settings, start logging, serve until SIGINT/SIGTERM.

use auth_service::{config::Settings, healthcheck, startup, telemetry};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let settings = match std::env::args().nth(1).as_deref() {
        Some("-h" | "--help") => {
            print!("{}", Settings::help());
            return Ok(());
        }
        Some("healthcheck") => std::process::exit(i32::from(!healthcheck::probe(
            Settings::from_env()?.http_addr,
        ))),
        Some(other) => anyhow::bail!("unknown argument `{other}`; see --help"),
        None => Settings::from_env()?,
    };
    telemetry::init(settings.log_format);
    let app = startup::Application::build(settings).await?;
    app.run_until_stopped(startup::shutdown_signal()).await
}
