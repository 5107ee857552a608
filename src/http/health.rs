//! Operations endpoints: `/healthz` (are storage and fan-out answering?) and `/metrics`
//! (Prometheus text), plus the middleware that times every HTTP request.

use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use super::state::AppState;

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(render_metrics))
}

/// How long a health check waits for each dependency.
const CHECK_TIMEOUT: Duration = Duration::from_secs(2);

/// Are storage and fan-out answering?
#[utoipa::path(
    get,
    path = "/healthz",
    tag = "operations",
    responses(
        (status = 200, description = "`ok`.", body = String, content_type = "text/plain"),
        (status = 503, description = "What is away (storage, Redis).", body = String, content_type = "text/plain"),
    ),
)]
async fn healthz(State(state): State<AppState>) -> Response {
    let storage = match tokio::time::timeout(CHECK_TIMEOUT, state.store.ping()).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(format!("storage unavailable: {e}")),
        Err(_) => Err("storage unavailable: no answer in 2 s".to_owned()),
    };
    let problems: Vec<String> = [storage, state.changes.health().await]
        .into_iter()
        .filter_map(Result::err)
        .collect();
    if problems.is_empty() {
        (StatusCode::OK, "ok").into_response()
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, problems.join("; ")).into_response()
    }
}

/// Prometheus metrics.
#[utoipa::path(
    get,
    path = "/metrics",
    tag = "operations",
    responses(
        (status = 200, description = "Prometheus text format 0.0.4.", body = String, content_type = "text/plain"),
    ),
)]
async fn render_metrics(State(state): State<AppState>) -> Response {
    let body = state.metrics.render();
    ([("content-type", "text/plain; version=0.0.4")], body).into_response()
}

/// Record every request's latency in `chirp_http_request_duration_seconds`, labelled by
/// method, route pattern (never the raw path, to keep label sets bounded) and status.
pub async fn track_latency(request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let method = request.method().to_string();
    let started = Instant::now();
    let response = next.run(request).await;
    let labels = [
        ("method", method),
        ("route", route),
        ("status", response.status().as_u16().to_string()),
    ];
    metrics::histogram!("chirp_http_request_duration_seconds", &labels)
        .record(started.elapsed().as_secs_f64());
    response
}
