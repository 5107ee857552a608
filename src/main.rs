//! The `chirp` binary: parse the command line, start logging, run the server until
//! SIGTERM or Ctrl-C.
//!
//! A failure to start (a busy port, a database that will not open) is one line on stderr,
//! `error: <what>: <why>`, and exit status 1: never `anyhow`'s multi-line report or a
//! stack trace, whatever `RUST_BACKTRACE` says.

use std::process::ExitCode;

use clap::Parser;

use chirp::App;
use chirp::config::{Cli, Command, ServeConfig};

#[tokio::main]
async fn main() -> ExitCode {
    let Cli {
        command: Command::Serve(config),
    } = Cli::parse();
    chirp::telemetry::init(config.server.log_format);
    match serve(&config).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // `{:#}`: the whole cause chain on one line, and no backtrace.
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Build the app from `config` and serve until a signal.
async fn serve(config: &ServeConfig) -> anyhow::Result<()> {
    let app = App::build(config).await?;
    tracing::info!("listening on http://{}", app.local_addr());
    app.run_until_stopped(shutdown_signal()).await
}

/// Resolves on SIGTERM or Ctrl-C.
async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
