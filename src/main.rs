//! The `chirp` binary: parse the command line, then either start logging and run the
//! server until SIGTERM or Ctrl-C, or run one `chirp admin` task and print its result.
//!
//! A failure (a busy port, a database that will not open, no such user) is one line on
//! stderr, `error: <what>: <why>`, and exit status 1: never `anyhow`'s multi-line report or
//! a stack trace, whatever `RUST_BACKTRACE` says.

use std::process::ExitCode;

use clap::Parser;

use chirp::App;
use chirp::config::{Cli, Command, ServeConfig};

#[tokio::main]
async fn main() -> ExitCode {
    let result = match Cli::parse().command {
        Command::Serve(config) => {
            chirp::telemetry::init(config.server.log_format);
            serve(&config).await
        }
        // No logging: what the task did is its one line of output.
        Command::Admin(task) => chirp::admin::run(task, std::io::stdin().lock())
            .await
            .map(|done| println!("{done}")),
    };
    match result {
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
