//! `InFlight`: counts the requests being answered, so that shutdown can wait for exactly
//! those. Socket.IO long-polls (`/socket.io/` itself) are not counted: they may be held open
//! for a whole ping interval and are ended by closing the sockets, not by waiting.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use tokio::sync::Notify;

/// Shared count of requests in flight.
#[derive(Clone, Default)]
pub struct InFlight(Arc<Counter>);

#[derive(Default)]
struct Counter {
    requests: AtomicUsize,
    idle: Notify,
}

/// Decrements on drop, so a request whose connection is cut still leaves the count.
struct Guard(Arc<Counter>);

impl Drop for Guard {
    fn drop(&mut self) {
        if self.0.requests.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.0.idle.notify_waiters();
        }
    }
}

impl InFlight {
    /// Wait until no request is in flight, for at most `limit`. False if time ran out.
    pub async fn wait_idle(&self, limit: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            let idle = self.0.idle.notified();
            if self.0.requests.load(Ordering::Acquire) == 0 {
                return true;
            }
            if tokio::time::timeout_at(deadline, idle).await.is_err() {
                return false;
            }
        }
    }
}

/// Middleware: count every request but the Socket.IO endpoint's own.
pub async fn count_in_flight(
    State(in_flight): State<InFlight>,
    request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path();
    if path == "/socket.io/" || path == "/socket.io" {
        return next.run(request).await;
    }
    in_flight.0.requests.fetch_add(1, Ordering::AcqRel);
    let _guard = Guard(in_flight.0.clone());
    next.run(request).await
}
