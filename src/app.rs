//! Assembling and running the server: connect storage, build the socket layer, start the
//! path of change with its listeners (session cache, feed caches, sockets), build the
//! routers, bind the listener, serve until a shutdown signal, then close sockets and let
//! in-flight requests finish (for at most `--shutdown-timeout` seconds).
//!
//! Every accepted connection is counted against `--max-connections` (`caps`): over it, the
//! connection is answered 503 and closed by a minimal HTTP service, never left to fail in
//! `accept` once the process is out of file descriptors.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use anyhow::Context;
use axum::Router;
use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::response::IntoResponse;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, watch};
use tower::ServiceExt;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::set_header::SetResponseHeaderLayer;

use crate::auth::Hasher;
use crate::caps::{self, Admission, ConnectionCap, ConnectionSlot, TrustedProxies};
use crate::changes::{ChangeLog, Changes, ChangesConfig, Listener};
use crate::config::{ServeConfig, Switch};
use crate::domain::{CursorKey, Page, PageCursor};
use crate::feed::{Caches, Feed, FeedConfig, NotificationLimits};
use crate::http::{self, AppState, InFlight, RateLimits, Services, count_in_flight, track_latency};
use crate::limit::SharedLimits;
use crate::media::{Media, MediaConfig};
use crate::origin::OriginPolicy;
use crate::realtime::{HandshakeContext, Realtime, RealtimeConfig};
use crate::storage::{self, SessionCache, Store, StoreConfig};
use crate::{mastodon, telemetry, web};

/// The media service's settings, from the media flags.
fn media_config(config: &ServeConfig) -> MediaConfig {
    let media = &config.media;
    MediaConfig {
        url: media.media_url.clone(),
        max_bytes: media.media_max_bytes,
        max_pixels: media.media_max_pixels,
        workers: media.media_threads,
        queue: media.media_queue,
        wait: Duration::from_millis(media.media_wait_ms),
        sweep_age: Duration::from_secs(media.media_sweep_age),
        sweep_every: Duration::from_secs(media.media_sweep_every.max(1)),
    }
}

/// A bound, ready-to-run Chirp server.
pub struct App {
    listener: TcpListener,
    router: Router,
    realtime: Realtime,
    in_flight: InFlight,
    connections: ConnectionCap,
    shutdown_timeout: Duration,
    /// Background loops (the media sweep, moving new words into the search index), stopped
    /// with the server.
    background: Vec<tokio::task::JoinHandle<()>>,
}

/// How long a connection over the cap may take to send the request it is answered 503.
const REFUSAL_TIMEOUT: Duration = Duration::from_secs(5);

impl App {
    /// Connect storage, build everything and bind `config.server.addr`.
    pub async fn build(config: &ServeConfig) -> anyhow::Result<Self> {
        // First, so that everything registered below (and while building) is recorded.
        let metrics = metrics_handle();
        register_metrics(config.cluster.redis_url.is_some());
        let mut origins = OriginPolicy::parse(&config.server.cors_origin)?;
        if let Some(url) = &config.server.public_url {
            origins = origins.with_public_url(url)?;
        }
        let origins = Arc::new(origins);
        // Always raise the open-file limit; the default cap is derived from it.
        let default_max_connections = caps::default_max_connections();
        let max_connections = config
            .server
            .max_connections
            .unwrap_or(default_max_connections);
        tracing::debug!(
            max_connections,
            max_sockets_per_address = config.realtime.max_sockets_per_address,
            "connection caps"
        );
        let store = connect_store(config).await?;
        let single_node = config.cluster.redis_url.is_none();
        if single_node && !config.storage.database_url.starts_with("sqlite:") {
            tracing::warn!(
                "no --redis-url: this node assumes it is the only one on this database \
                 (sessions and the first page are cached); give every node --redis-url"
            );
        }
        // Both caches are on in a cluster too: they listen to every node's changes, and while
        // the broker is down or unsettled they are bypassed (`Changes::coherent`).
        let sessions = Arc::new(SessionCache::new(store.clone()));
        let caches = Arc::new(Caches::new(config.caches.home_cache_tweets));
        let newest = store
            .tweets(
                None,
                Page {
                    limit: 1,
                    cursor: PageCursor::Newest,
                },
                None,
            )
            .await?;
        let watch_rate_limit = std::num::NonZeroU32::new(config.limits.watch_rate_limit)
            .filter(|_| config.limits.rate_limits == Switch::On);
        // The one ordered log of delivered events that Socket.IO recovery and the Mastodon
        // SSE `Last-Event-ID` resume from.
        let recovery_window = Duration::from_millis(config.realtime.socket_recovery_window_ms);
        let newest_tweet_id = newest.first().map_or(0, |t| t.id);
        let log = ChangeLog::new(
            mastodon::REPLAY_WINDOW.max(recovery_window),
            newest_tweet_id,
        );
        let realtime = Realtime::build(RealtimeConfig {
            watch_rate_limit,
            handshake: HandshakeContext {
                store: store.clone(),
                sessions: sessions.clone(),
                origins: origins.clone(),
            },
            trusted_proxies: TrustedProxies::new(&config.server.trusted_proxies),
            max_sockets_per_address: config.realtime.max_sockets_per_address,
            ping_interval: Duration::from_millis(config.realtime.ping_interval_ms.max(1)),
            ping_timeout: Duration::from_millis(config.realtime.ping_timeout_ms.max(1)),
            max_backlog: config.realtime.max_backlog_bytes,
            recovery: config.realtime.socket_recovery,
            recovery_window,
            log: log.clone(),
            redis_url: config.cluster.redis_url.clone(),
        });
        // Who hears of changes: caches first (a change drops what it makes stale before it
        // is delivered anywhere), then this node's sockets.
        let streams = mastodon::Streams::new(store.clone(), log.clone());
        let listeners: Vec<Arc<dyn Listener>> = vec![
            sessions.clone(),
            caches.clone(),
            // Before the sockets and the streams: they read the number of the event they are told.
            log.clone(),
            realtime.listener(),
            streams.clone(),
        ];
        let changes = Changes::start(
            ChangesConfig {
                store: store.clone(),
                redis_url: config.cluster.redis_url.clone(),
                newest_tweet_id,
            },
            listeners,
        )?;
        sessions.trust_only_while(changes.coherence());
        let shared_limits = match config.cluster.rate_limit_redis() {
            Ok(Some(url)) => Some(Arc::new(SharedLimits::new(url)?)),
            Ok(None) => None,
            Err(e) => anyhow::bail!(e),
        };
        let limits = RateLimits::new(config, shared_limits);
        let media = Arc::new(
            Media::open(media_config(config), store.clone())
                .context("cannot open the media store (--media-url)")?,
        );
        let sweeper = crate::media::start_sweeper(media.clone());
        let feed = Feed::start(
            store.clone(),
            changes.clone(),
            caches,
            FeedConfig {
                notifications: notification_limits(config),
                clustered: config.cluster.redis_url.is_some(),
            },
        );
        let hasher = Hasher::start(
            config.hashing.hash_threads,
            Duration::from_millis(config.hashing.hash_wait_ms),
        )
        .context("cannot start the password-hashing threads")?;
        let mastodon = mastodon_state(
            config, &store, &sessions, &changes, &feed, &hasher, &limits, &origins, streams, &media,
        );
        let state = AppState::new(Services {
            store: store.clone(),
            sessions: sessions.clone(),
            changes: changes.clone(),
            origins: origins.clone(),
            metrics,
            feed,
            limits,
            media,
            registrations: config.server.registrations,
            cursor_key: CursorKey::new(
                store
                    .secret("cursor_key")
                    .await
                    .context("cannot read the cursor key")?,
            ),
            hasher,
        });
        // After start-up's own writes (the cursor key above), which they would otherwise delay.
        tokio::spawn(crate::feed::backfill_search(store.clone()));
        let indexer = tokio::spawn(crate::feed::index_pending_words(store.clone()));
        let app = Router::new()
            .merge(http::router())
            .merge(web::pages(store.clone()))
            .fallback(|method: Method, headers: HeaderMap| async move {
                web::unknown_path(&method, &headers).unwrap_or_else(|| {
                    http::ApiError::NotFound("There is nothing here.".into()).into_response()
                })
            })
            .with_state(state)
            // The Mastodon API's bodies are read to the same limit, with the same lingering
            // 413, as Chirp's own.
            .merge(
                mastodon::router(mastodon.clone())
                    .layer(axum::middleware::from_fn(http::limit_body)),
            )
            // Its uploads read their own bodies, within `--media-max-bytes`.
            .merge(mastodon::upload_router(mastodon))
            // Before `mount`, so the Socket.IO endpoint's long-polls and upgrades are left as
            // they are; the app, its files and the JSON answers are compressed.
            .layer(CompressionLayer::new())
            .layer(telemetry::request_spans());
        let in_flight = InFlight::default();
        let router = realtime
            .mount(app)
            .merge(web::client_bundle().layer(CompressionLayer::new()))
            .layer(axum::middleware::from_fn(track_latency))
            .layer(axum::middleware::from_fn_with_state(
                in_flight.clone(),
                count_in_flight,
            ))
            .layer(origins.cors_layer())
            .layer(SetResponseHeaderLayer::if_not_present(
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ))
            // Pages carry user names in their paths: never tell other sites about them.
            .layer(SetResponseHeaderLayer::if_not_present(
                header::REFERRER_POLICY,
                HeaderValue::from_static("no-referrer"),
            ))
            .layer(CatchPanicLayer::new());
        let listener = TcpListener::bind(config.server.addr)
            .await
            .with_context(|| {
                format!(
                    "cannot listen on {} (is another server running there? stop it or pass another --addr)",
                    config.server.addr
                )
            })?;
        Ok(Self {
            listener,
            router,
            realtime,
            in_flight,
            connections: ConnectionCap::new(max_connections),
            shutdown_timeout: Duration::from_secs(config.server.shutdown_timeout),
            background: vec![sweeper, indexer],
        })
    }

    /// The address actually bound (useful with port 0).
    pub fn local_addr(&self) -> SocketAddr {
        // A bound TcpListener always has a local address.
        self.listener
            .local_addr()
            .expect("bound listener has an address")
    }

    /// Serve until `shutdown` completes, then shut down gracefully: stop accepting, close
    /// sockets, let in-flight requests finish (at most the shutdown timeout).
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let (stop, stopping) = watch::channel(false);
        tokio::pin!(shutdown);
        loop {
            tokio::select! {
                () = &mut shutdown => break,
                accepted = self.listener.accept() => match accepted {
                    Ok((stream, peer)) => match self.connections.admit() {
                        Admission::Serve(slot) => {
                            serve_connection(stream, peer, self.router.clone(), stopping.clone(), slot);
                        }
                        Admission::Refuse(permit) => refuse_connection(stream, permit),
                        Admission::Drop => drop(stream),
                    },
                    Err(e) => {
                        // Out of file descriptors, most likely: give connections time to end.
                        tracing::warn!(error = %e, "cannot accept a connection");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                },
            }
        }
        drop(self.listener);
        drop(stopping);
        tracing::info!("shutting down: closing sockets and finishing requests");
        self.realtime.shutdown().await;
        for task in &self.background {
            task.abort();
        }
        let _ = stop.send(true);
        // Sockets are closed; wait for the requests being answered (not for idle long-polls,
        // which ended with their sessions), then give the connections a moment to write the
        // last answers out.
        if !self.in_flight.wait_idle(self.shutdown_timeout).await {
            tracing::warn!("in-flight requests did not finish in time; exiting anyway");
        }
        let _ = tokio::time::timeout(Duration::from_millis(250), stop.closed()).await;
        tracing::info!("stopped");
        Ok(())
    }
}

/// Serve one connection with hyper's plain HTTP/1.1 builder (so that a WebSocket upgrade
/// hands back the raw `TcpStream`), until it ends or the server stops. The connection's
/// `slot` under the cap lives as long as the service (that is, the connection), and rides
/// along in each request so that a WebSocket upgrade can keep it for the socket's life.
fn serve_connection(
    stream: TcpStream,
    peer: SocketAddr,
    router: Router,
    mut stopping: watch::Receiver<bool>,
    slot: Option<ConnectionSlot>,
) {
    let _ = stream.set_nodelay(true);
    let service = TowerToHyperService::new(router.map_request(
        move |mut request: axum::http::Request<Incoming>| {
            request.extensions_mut().insert(ConnectInfo(peer));
            if let Some(slot) = &slot {
                request.extensions_mut().insert(slot.clone());
            }
            request
        },
    ));
    tokio::spawn(async move {
        let connection = http1::Builder::new()
            .timer(TokioTimer::new())
            .serve_connection(TokioIo::new(stream), service)
            .with_upgrades();
        tokio::pin!(connection);
        let stopped = async move {
            let _ = stopping.wait_for(|stop| *stop).await;
        };
        let result = tokio::select! {
            result = connection.as_mut() => result,
            () = stopped => {
                connection.as_mut().graceful_shutdown();
                connection.await
            }
        };
        if let Err(e) = result {
            tracing::debug!(error = %e, "connection ended with an error");
        }
    });
}

/// Answer a connection over the cap: read its request, answer 503 with `Connection: close`
/// (so the client reads a clear answer rather than a reset), and close; at most
/// `REFUSAL_TIMEOUT` in all. The refusal permit bounds how many are answered at once.
fn refuse_connection(stream: TcpStream, permit: OwnedSemaphorePermit) {
    tokio::spawn(async move {
        let service = hyper::service::service_fn(|_request: axum::http::Request<Incoming>| async {
            Ok::<_, Infallible>(caps::too_many_connections())
        });
        let connection = http1::Builder::new()
            .timer(TokioTimer::new())
            .keep_alive(false)
            .header_read_timeout(REFUSAL_TIMEOUT)
            .serve_connection(TokioIo::new(stream), service);
        let _ = tokio::time::timeout(REFUSAL_TIMEOUT, connection).await;
        drop(permit);
    });
}

/// What the Mastodon API shares with Chirp's own: the same services and rate-limit buckets.
#[allow(clippy::too_many_arguments)]
fn mastodon_state(
    config: &ServeConfig,
    store: &Arc<dyn Store>,
    sessions: &Arc<SessionCache>,
    changes: &Changes,
    feed: &Feed,
    hasher: &Hasher,
    limits: &RateLimits,
    origins: &Arc<OriginPolicy>,
    streams: Arc<mastodon::Streams>,
    media: &Arc<Media>,
) -> mastodon::MastodonState {
    mastodon::MastodonState::new(mastodon::Services {
        store: store.clone(),
        sessions: sessions.clone(),
        changes: changes.clone(),
        feed: feed.clone(),
        hasher: hasher.clone(),
        media: media.clone(),
        limits: mastodon::Limits {
            sign_in: limits.sign_in.shared(),
            sign_up: limits.sign_up.shared(),
            posts: limits.posts.shared(),
            likes: limits.likes.shared(),
            follows: limits.follows.shared(),
            profile_edits: limits.profile_edits.shared(),
            blocks: limits.blocks.shared(),
            mutes: limits.mutes.shared(),
            reports: limits.reports.shared(),
            mark_read: limits.mark_read.shared(),
        },
        trusted_proxies: TrustedProxies::new(&config.server.trusted_proxies),
        registrations: config.server.registrations,
        origins: origins.clone(),
        public_url: config.server.public_url.clone(),
        streams,
        idempotency: mastodon::Services::idempotency_cache(),
    })
}

/// The limits on the notifications tweets make (`--max-mention-notifications`, and
/// `--mention-rate-limit` unless `--rate-limits off`).
fn notification_limits(config: &ServeConfig) -> NotificationLimits {
    let on = config.limits.rate_limits == Switch::On;
    NotificationLimits {
        max_mentions_per_tweet: config.limits.max_mention_notifications,
        mentions_per_hour: std::num::NonZeroU32::new(config.limits.mention_rate_limit)
            .filter(|_| on),
    }
}

/// Connect to the database, waiting up to 30 s for one that is still starting.
async fn connect_store(config: &ServeConfig) -> anyhow::Result<Arc<dyn Store>> {
    let store_config = StoreConfig {
        url: config.storage.database_url.clone(),
        pool_size: config.storage.db_pool_size,
        sqlite_cache_kib: config.storage.sqlite_cache_kib,
    };
    let mut attempt = 0;
    loop {
        match storage::connect(&store_config).await {
            Ok(store) => return Ok(store),
            Err(e) if attempt < 15 && is_connection_error(&e) => {
                attempt += 1;
                tracing::warn!(error = %e, attempt, "database not answering yet; retrying in 2 s");
                tokio::time::sleep(Duration::from_secs(2)).await;
            }
            Err(e) => {
                return Err(e.context(format!(
                    "cannot open {}",
                    redact(&config.storage.database_url)
                )));
            }
        }
    }
}

fn is_connection_error(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        matches!(
            cause.downcast_ref::<sqlx::Error>(),
            Some(sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut)
        )
    })
}

/// A database URL without its password, for logs and error messages.
pub(crate) fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let credentials = &url[scheme_end + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme_end + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

/// Show every counter and gauge on `/metrics` from the start, at 0, rather than only after
/// its first event: a dashboard or alert then sees a series, not a gap. (`increment(0)`
/// registers without touching a value another `App` in this process may have counted.)
fn register_metrics(with_redis: bool) {
    metrics::counter!("chirp_tweets_created_total").increment(0);
    for event in ["newTweet", "tweetDeleted"] {
        metrics::counter!("chirp_broadcasts_total", "event" => event).increment(0);
    }
    metrics::gauge!("chirp_connected_sockets").increment(0.0);
    for cache in ["first_page", "home", "sessions"] {
        metrics::counter!("chirp_cache_hits_total", "cache" => cache).increment(0);
    }
    metrics::counter!("chirp_cache_misses_total", "cache" => "home").increment(0);
    if with_redis {
        metrics::counter!("chirp_redis_publish_dropped_total").increment(0);
        metrics::gauge!("chirp_redis_up").increment(0.0);
    }
}

/// The process-wide Prometheus recorder (installed once, shared by every `App`).
fn metrics_handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let buckets = [
                0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
            ];
            PrometheusBuilder::new()
                .set_buckets_for_metric(
                    Matcher::Full("chirp_http_request_duration_seconds".into()),
                    &buckets,
                )
                // Only fails for an empty bucket list.
                .expect("bucket list is not empty")
                .install_recorder()
                // Only fails if another recorder was installed, and this is the only place.
                .expect("no other metrics recorder")
        })
        .clone()
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn redacts_passwords_only() {
        assert_eq!(redact("postgres://u:secret@h/db"), "postgres://u:***@h/db");
        assert_eq!(redact("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(redact("sqlite://chirp.db"), "sqlite://chirp.db");
    }
}
