//! Caps that keep the process inside its means: how many connections may be open at once
//! (each holds a file descriptor; past the process's limit `accept` itself fails and nobody
//! gets an answer), and the client address that per-address caps count.
//!
//! Over the connection cap a connection is still accepted and answered `503` with
//! `Connection: close`, from a small budget of descriptors kept apart for refusing; only when
//! that budget is spent too is a connection closed unanswered. A connection's slot is held by
//! its hyper task and, after a WebSocket upgrade, by the socket's task: it is released when
//! the connection ends, whichever way.

use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::body::Body;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Descriptors left for everything but client connections: the database pool, Redis, the
/// listener, logs, and the connections being refused (`REFUSING`).
pub const RESERVED_FDS: u64 = 512;
/// The default cap never goes above this, however high the open-file limit: past it the
/// memory of the connections, not descriptors, is what runs out first.
pub const MAX_DEFAULT_CONNECTIONS: usize = 65_536;
/// Connections over the cap that may be answered 503 at the same time.
const REFUSING: usize = 256;

/// Raise the soft open-file limit to the hard one (as Go's runtime does at start: the soft
/// limit of 1024 that many systems set is a leftover of `select`) and derive the default
/// connection cap from it: the limit less `RESERVED_FDS`, at most `MAX_DEFAULT_CONNECTIONS`.
pub fn default_max_connections() -> usize {
    let limit = match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => limit,
        Err(e) => {
            tracing::warn!(error = %e, "cannot read the open-file limit; assuming 1024");
            1024
        }
    };
    let usable = usize::try_from(limit.saturating_sub(RESERVED_FDS)).unwrap_or(usize::MAX);
    usable.clamp(16, MAX_DEFAULT_CONNECTIONS)
}

/// Counts open connections against the cap. Cheap to clone.
#[derive(Clone)]
pub struct ConnectionCap {
    open: Option<Arc<Semaphore>>,
    refusing: Arc<Semaphore>,
    warned: Arc<AtomicBool>,
}

/// What to do with a connection just accepted.
pub enum Admission {
    /// Serve it, holding the slot (none when there is no cap) for as long as it is open.
    Serve(Option<ConnectionSlot>),
    /// Answer 503 and close, holding a refusal permit meanwhile.
    Refuse(OwnedSemaphorePermit),
    /// Close it at once: even the refusal budget is spent.
    Drop,
}

/// One open connection's place under the cap; released when the last clone is dropped.
#[derive(Clone)]
pub struct ConnectionSlot {
    _permit: Arc<OwnedSemaphorePermit>,
}

impl ConnectionCap {
    /// A cap of `max` open connections; 0 means none.
    pub fn new(max: usize) -> Self {
        Self {
            open: (max > 0).then(|| Arc::new(Semaphore::new(max.min(Semaphore::MAX_PERMITS)))),
            refusing: Arc::new(Semaphore::new(REFUSING)),
            warned: Arc::new(AtomicBool::new(false)),
        }
    }

    /// Decide about a connection just accepted.
    pub fn admit(&self) -> Admission {
        let Some(open) = &self.open else {
            return Admission::Serve(None);
        };
        if let Ok(permit) = open.clone().try_acquire_owned() {
            return Admission::Serve(Some(ConnectionSlot {
                _permit: Arc::new(permit),
            }));
        }
        metrics::counter!("chirp_connections_refused_total").increment(1);
        if !self.warned.swap(true, Ordering::Relaxed) {
            tracing::warn!(
                "--max-connections reached: refusing new connections with 503 until some close \
                 (logged once)"
            );
        }
        match self.refusing.clone().try_acquire_owned() {
            Ok(permit) => Admission::Refuse(permit),
            Err(_) => Admission::Drop,
        }
    }
}

/// The answer to a connection over the cap: 503 in the API's error shape, then close.
pub fn too_many_connections() -> Response {
    let body = r#"{"error":{"code":"too_many_connections","message":"The server has too many open connections; try again shortly."}}"#;
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/json"),
    );
    headers.insert(header::RETRY_AFTER, header::HeaderValue::from_static("1"));
    headers.insert(
        header::CONNECTION,
        header::HeaderValue::from_static("close"),
    );
    response
}

/// The client's address: the peer's, or, when the peer is one of `trusted_proxies`, the
/// rightmost `X-Forwarded-For` entry that is not itself a trusted proxy (nobody else can
/// set it).
pub fn client_address(peer: IpAddr, headers: &HeaderMap, trusted_proxies: &[IpAddr]) -> IpAddr {
    if !trusted_proxies.contains(&peer) {
        return peer;
    }
    let forwarded = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|entry| entry.trim().parse::<IpAddr>().ok())
        .collect::<Vec<_>>();
    forwarded
        .into_iter()
        .rev()
        .find(|ip| !trusted_proxies.contains(ip))
        .unwrap_or(peer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cap_admits_up_to_max_then_refuses_then_drops() {
        let cap = ConnectionCap::new(1);
        let Admission::Serve(Some(slot)) = cap.admit() else {
            panic!("the first connection is served");
        };
        let mut refusals = Vec::new();
        for _ in 0..REFUSING {
            match cap.admit() {
                Admission::Refuse(permit) => refusals.push(permit),
                _ => panic!("over the cap: refused with 503"),
            }
        }
        assert!(matches!(cap.admit(), Admission::Drop));
        drop(slot);
        assert!(matches!(cap.admit(), Admission::Serve(Some(_))));
        assert!(matches!(
            ConnectionCap::new(0).admit(),
            Admission::Serve(None)
        ));
    }

    #[test]
    fn the_default_stays_below_the_open_file_limit() {
        let max = default_max_connections();
        let (soft, _) = rlimit::getrlimit(rlimit::Resource::NOFILE).unwrap();
        assert!(
            max as u64 + RESERVED_FDS <= soft.max(16 + RESERVED_FDS),
            "{max} vs {soft}"
        );
        assert!(max <= MAX_DEFAULT_CONNECTIONS);
    }

    #[test]
    fn forwarded_addresses_count_only_behind_a_trusted_proxy() {
        let proxy: IpAddr = "127.0.0.1".parse().unwrap();
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-for", "10.0.0.9, 10.0.0.7".parse().unwrap());
        assert_eq!(client_address(proxy, &headers, &[]), proxy);
        assert_eq!(
            client_address(proxy, &headers, &[proxy]),
            "10.0.0.7".parse::<IpAddr>().unwrap()
        );
    }
}
