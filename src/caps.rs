//! Caps that keep the process inside its means: how many connections may be open at once
//! (each holds a file descriptor; past the process's limit `accept` itself fails and nobody
//! gets an answer), and the client address that per-address caps count: behind a trusted
//! reverse proxy (loopback and private ranges by default), the one `X-Forwarded-For` names.
//!
//! Over the connection cap a connection is still accepted and answered `503` with
//! `Connection: close`, from a small budget of descriptors kept apart for refusing; only when
//! that budget is spent too is a connection closed unanswered. A connection's slot is held by
//! its hyper task and, after a WebSocket upgrade, by the socket's task: it is released when
//! the connection ends, whichever way.
//!
//! A request body over its size cap gets its 413 reliably (`read_body`), as nginx's lingering
//! close does. Answering after reading only part of a large body and then closing leaves the
//! rest unread in the kernel; closing a socket with unread data sends a reset, which can reach
//! the client before it has read the answer (it sees EPIPE or "connection reset"). So the rest
//! is read and thrown away first — at most `LINGER_BYTES`, for at most `LINGER_TIME` — and a
//! body larger still ends the connection after the answer: the reset risk is bounded, not the
//! server's work.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use bytes::BytesMut;
use futures_util::StreamExt;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::config::{ProxyEntry, ProxyList};

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

/// Most bytes of an over-long body read and discarded before its 413 is sent.
pub const LINGER_BYTES: usize = 4 * 1024 * 1024;
/// Longest time spent discarding an over-long body before its 413 is sent.
pub const LINGER_TIME: Duration = Duration::from_secs(2);

/// Why `read_body` kept no body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyRefusal {
    /// Over the cap (answer 413). `drained`: the rest was read, so the connection can stay
    /// open; otherwise answer with `Connection: close`.
    TooLarge {
        /// Whether the whole body was read and discarded.
        drained: bool,
    },
    /// The body could not be read (answer 400).
    Unreadable,
}

/// The whole body if it is at most `max` bytes; else, once what is left of it was drained
/// within the linger bounds, why not.
pub async fn read_body(headers: &HeaderMap, body: Body, max: usize) -> Result<Bytes, BodyRefusal> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let mut stream = body.into_data_stream();
    if declared.is_some_and(|n| n > max as u64) {
        return Err(drain(0, stream).await);
    }
    let mut kept = BytesMut::new();
    while let Some(chunk) = stream.next().await {
        let Ok(chunk) = chunk else {
            return Err(BodyRefusal::Unreadable);
        };
        if kept.len() + chunk.len() > max {
            return Err(drain(kept.len() + chunk.len(), stream).await);
        }
        kept.extend_from_slice(&chunk);
    }
    Ok(kept.freeze())
}

/// Read and drop what is left of a body (within the linger bounds).
async fn drain(
    mut read: usize,
    mut rest: impl futures_util::Stream<Item = Result<Bytes, axum::Error>> + Unpin,
) -> BodyRefusal {
    let drained = tokio::time::timeout(LINGER_TIME, async {
        while read <= LINGER_BYTES {
            match rest.next().await {
                Some(Ok(chunk)) => read += chunk.len(),
                // The end of the body, or a client that stopped sending.
                Some(Err(_)) | None => return true,
            }
        }
        false
    })
    .await
    .unwrap_or(false);
    BodyRefusal::TooLarge { drained }
}

/// The networks of `private` in `--trusted-proxies`: loopback and private ranges, the
/// addresses a reverse proxy on the same machine or network connects from (Rails'
/// `TRUSTED_PROXIES`). Nobody on the internet can connect from one of them.
const PRIVATE_NETWORKS: [(IpAddr, u8); 6] = [
    (IpAddr::V4(Ipv4Addr::new(127, 0, 0, 0)), 8),
    (IpAddr::V6(Ipv6Addr::LOCALHOST), 128),
    (IpAddr::V4(Ipv4Addr::new(10, 0, 0, 0)), 8),
    (IpAddr::V4(Ipv4Addr::new(172, 16, 0, 0)), 12),
    (IpAddr::V4(Ipv4Addr::new(192, 168, 0, 0)), 16),
    (IpAddr::V6(Ipv6Addr::new(0xfc00, 0, 0, 0, 0, 0, 0, 0)), 7),
];

/// The reverse proxies whose `X-Forwarded-For` is believed (`--trusted-proxies`), as
/// networks. Cheap to clone.
#[derive(Debug, Clone)]
pub struct TrustedProxies {
    networks: Arc<[(IpAddr, u8)]>,
}

impl TrustedProxies {
    /// What `--trusted-proxies` says (`private` expanded to its networks).
    pub fn new(list: &ProxyList) -> Self {
        let networks = list
            .0
            .iter()
            .flat_map(|entry| match *entry {
                ProxyEntry::Private => PRIVATE_NETWORKS.to_vec(),
                ProxyEntry::Network { addr, prefix } => vec![(addr, prefix)],
            })
            .collect();
        Self { networks }
    }

    /// Trust nobody: every request's client is its peer.
    pub fn none() -> Self {
        Self {
            networks: Arc::from([]),
        }
    }

    /// Whether `ip` is one of the trusted proxies.
    pub fn trusts(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.networks
            .iter()
            .any(|&(network, prefix)| in_network(ip, network, prefix))
    }
}

/// Whether `ip` is in `network/prefix` (never across IPv4 and IPv6; `ip` canonical).
fn in_network(ip: IpAddr, network: IpAddr, prefix: u8) -> bool {
    match (ip, network) {
        (IpAddr::V4(ip), IpAddr::V4(net)) => {
            let keep = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
            u32::from(ip) & keep == u32::from(net) & keep
        }
        (IpAddr::V6(ip), IpAddr::V6(net)) => {
            let keep = u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
            u128::from(ip) & keep == u128::from(net) & keep
        }
        _ => false,
    }
}

/// Whether `ip` is loopback or in a private range: where a reverse proxy usually is.
pub fn is_private(ip: IpAddr) -> bool {
    let ip = ip.to_canonical();
    PRIVATE_NETWORKS
        .iter()
        .any(|&(network, prefix)| in_network(ip, network, prefix))
}

/// The client's address, as Rails' `RemoteIp` finds it: the peer's, unless the peer is a
/// trusted proxy; then the rightmost `X-Forwarded-For` entry that is not itself a trusted
/// proxy (each proxy appends the address it saw, so nobody past the last trusted one can
/// forge it), or, when every entry is a trusted proxy, the leftmost (a client inside the
/// private network); with no usable entry, the peer.
pub fn client_address(peer: IpAddr, headers: &HeaderMap, trusted: &TrustedProxies) -> IpAddr {
    let peer = peer.to_canonical();
    if !trusted.trusts(peer) {
        return peer;
    }
    let forwarded = forwarded_for(headers);
    forwarded
        .iter()
        .rev()
        .find(|ip| !trusted.trusts(**ip))
        .or(forwarded.first())
        .copied()
        .unwrap_or(peer)
}

/// The addresses of the `X-Forwarded-For` headers, in order; entries that are not an
/// address (`unknown`, garbage) are left out.
fn forwarded_for(headers: &HeaderMap) -> Vec<IpAddr> {
    headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|entry| entry.trim().parse::<IpAddr>().ok())
        .map(|ip| ip.to_canonical())
        .collect()
}

/// Once a per-address cap has refused a request, why the address it counted looks like a
/// reverse proxy's rather than a client's (every client behind the proxy then shares one
/// allowance), or `None` when it does not: the counted address is the peer itself, and the
/// peer is loopback or private.
pub fn proxy_hint(peer: IpAddr, headers: &HeaderMap, trusted: &TrustedProxies) -> Option<String> {
    let peer = peer.to_canonical();
    if client_address(peer, headers, trusted) != peer || !is_private(peer) {
        return None;
    }
    Some(if !trusted.trusts(peer) {
        format!(
            "{peer} looks like a reverse proxy (a loopback or private address) but is not in \
             --trusted-proxies, so its X-Forwarded-For is ignored and every client behind it \
             shares one allowance: add it to --trusted-proxies (or `private`)"
        )
    } else {
        format!(
            "{peer} is a trusted proxy but sent no X-Forwarded-For, so every client behind it \
             shares one allowance: have the proxy send it (nginx: `proxy_set_header \
             X-Forwarded-For $proxy_add_x_forwarded_for;`), or, if {peer} is a client and no \
             proxy, raise the limit"
        )
    })
}

/// Called when a per-address cap (`what`: the socket cap, a sign-in or sign-up limit)
/// refuses a request: the first time in this process that the refused address looks like a
/// reverse proxy's (`proxy_hint`), log one warning saying how to fix it. A misconfigured
/// proxy would otherwise cap the whole site silently.
pub fn warn_if_proxy_refused(
    what: &str,
    peer: IpAddr,
    headers: &HeaderMap,
    trusted: &TrustedProxies,
) {
    static WARNED: AtomicBool = AtomicBool::new(false);
    if WARNED.load(Ordering::Relaxed) {
        return;
    }
    if let Some(hint) = proxy_hint(peer, headers, trusted)
        && !WARNED.swap(true, Ordering::Relaxed)
    {
        tracing::warn!("{what} refused {peer}: {hint} (logged once)");
    }
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

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn trusted(list: &str) -> TrustedProxies {
        TrustedProxies::new(&list.parse().unwrap())
    }

    fn forwarded(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-for", value.parse().unwrap());
        headers
    }

    #[test]
    fn private_trusts_loopback_and_private_ranges_only() {
        let private = trusted("private");
        for inside in [
            "127.0.0.1",
            "127.255.0.9",
            "::1",
            "::ffff:127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "fc00::1",
            "fd12:3456::1",
        ] {
            assert!(private.trusts(ip(inside)), "{inside}");
            assert!(is_private(ip(inside)), "{inside}");
        }
        for outside in [
            "203.0.113.7",
            "172.32.0.1",
            "172.15.255.255",
            "192.169.0.1",
            "11.0.0.1",
            "2001:db8::1",
            "fe00::1",
            "::2",
            "::ffff:8.8.8.8",
        ] {
            assert!(!private.trusts(ip(outside)), "{outside}");
            assert!(!is_private(ip(outside)), "{outside}");
        }
        assert!(!trusted("none").trusts(ip("127.0.0.1")));
        assert!(!TrustedProxies::none().trusts(ip("10.0.0.1")));
    }

    #[test]
    fn an_explicit_list_replaces_the_default() {
        let list = trusted("192.0.2.0/24,2001:db8::1");
        assert!(list.trusts(ip("192.0.2.200")));
        assert!(list.trusts(ip("2001:db8::1")));
        assert!(!list.trusts(ip("2001:db8::2")));
        assert!(
            !list.trusts(ip("127.0.0.1")),
            "loopback is no longer trusted"
        );
        let both = trusted("private,203.0.113.5");
        assert!(both.trusts(ip("203.0.113.5")) && both.trusts(ip("10.0.0.1")));
        assert!(trusted("0.0.0.0/0").trusts(ip("8.8.8.8")));
    }

    #[test]
    fn forwarded_addresses_count_only_behind_a_trusted_proxy() {
        let proxy = ip("127.0.0.1");
        let headers = forwarded("10.0.0.9, 203.0.113.7");
        assert_eq!(client_address(proxy, &headers, &trusted("none")), proxy);
        // By default loopback is a trusted proxy: the rightmost untrusted entry counts.
        assert_eq!(
            client_address(proxy, &headers, &trusted("private")),
            ip("203.0.113.7")
        );
        assert_eq!(
            client_address(proxy, &headers, &trusted("127.0.0.1")),
            ip("203.0.113.7")
        );
        // A client may prepend anything; the proxy appends the address it saw, last.
        assert_eq!(
            client_address(
                proxy,
                &forwarded("1.2.3.4, 203.0.113.7, 10.0.0.2"),
                &trusted("private")
            ),
            ip("203.0.113.7")
        );
        // Every entry a trusted proxy: the leftmost, a client inside the private network.
        assert_eq!(
            client_address(proxy, &forwarded("10.0.0.9, 10.0.0.2"), &trusted("private")),
            ip("10.0.0.9")
        );
        // From a peer that is no trusted proxy, the header is ignored.
        let stranger = ip("203.0.113.50");
        assert_eq!(
            client_address(stranger, &forwarded("1.2.3.4"), &trusted("private")),
            stranger
        );
        // No header, or nothing usable in it: the peer.
        assert_eq!(
            client_address(proxy, &HeaderMap::new(), &trusted("private")),
            proxy
        );
        assert_eq!(
            client_address(proxy, &forwarded("unknown, garbage"), &trusted("private")),
            proxy
        );
        // An IPv4-mapped peer is its IPv4 address.
        assert_eq!(
            client_address(
                ip("::ffff:127.0.0.1"),
                &forwarded("203.0.113.7"),
                &trusted("private")
            ),
            ip("203.0.113.7")
        );
        let mut two = HeaderMap::new();
        two.append("x-forwarded-for", "198.51.100.1".parse().unwrap());
        two.append("x-forwarded-for", "198.51.100.2".parse().unwrap());
        assert_eq!(
            client_address(proxy, &two, &trusted("private")),
            ip("198.51.100.2"),
            "several headers read as one list"
        );
    }

    #[test]
    fn a_refused_proxy_looking_address_gets_a_hint() {
        let private = trusted("private");
        let hint = proxy_hint(ip("127.0.0.1"), &HeaderMap::new(), &private).unwrap();
        assert!(hint.contains("sent no X-Forwarded-For"), "{hint}");
        let hint = proxy_hint(ip("10.0.0.3"), &forwarded("203.0.113.7"), &trusted("none"));
        assert!(hint.unwrap().contains("not in --trusted-proxies"));
        // A forwarded client refused is just a client over its limit; so is a public peer.
        assert!(proxy_hint(ip("127.0.0.1"), &forwarded("203.0.113.7"), &private).is_none());
        assert!(proxy_hint(ip("203.0.113.7"), &HeaderMap::new(), &private).is_none());
    }
}
