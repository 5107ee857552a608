//! Logging: `tracing` to stdout as text or JSON, filtered by `RUST_LOG` (default `info`),
//! and the span each HTTP request is answered in.

use std::io::IsTerminal;

use axum::extract::{MatchedPath, Request};
use tower_http::LatencyUnit;
use tower_http::classify::{ServerErrorsAsFailures, SharedClassifier};
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::{Level, Span};
use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;

/// Install the global subscriber. Safe to call more than once (later calls do nothing).
pub fn init(format: LogFormat) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    let ansi = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    let _ = match format {
        LogFormat::Text => builder.with_ansi(ansi).try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
}

/// `TraceLayer` with Chirp's request span; see `request_spans`.
pub type RequestSpans = TraceLayer<
    SharedClassifier<ServerErrorsAsFailures>,
    fn(&Request) -> Span,
    (),
    DefaultOnResponse,
    (),
    (),
    (),
>;

/// Request spans, for the API and the pages (`app` leaves the socket endpoint out: its
/// connect and disconnect lines are its log). Whatever is logged while a request is answered,
/// such as a 500's cause (`ApiError` logs it at error level), names the request's method and
/// route. The span is at info level so that it exists at the default filter, yet it prints no
/// line of its own; each answer's status and latency are logged at debug (`RUST_LOG=debug`).
/// Failures get no extra line: `ApiError` has already logged them at the level they deserve
/// (a 503 while the database restarts is a warning, not an error per health probe).
pub fn request_spans() -> RequestSpans {
    TraceLayer::new_for_http()
        .make_span_with(request_span as fn(&Request) -> Span)
        .on_request(())
        .on_response(
            DefaultOnResponse::new()
                .level(Level::DEBUG)
                .latency_unit(LatencyUnit::Micros),
        )
        .on_body_chunk(())
        .on_eos(())
        .on_failure(())
}

/// `request{method=GET route=/api/tweets/{id}}`: the route pattern, as the metrics have it.
fn request_span(request: &Request) -> Span {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", MatchedPath::as_str);
    tracing::info_span!("request", method = %request.method(), route)
}
