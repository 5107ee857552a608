//! Command line and environment: every knob is a flag with a `CHIRP_*` variable and a
//! default that works on a fresh machine (SQLite file in the working directory, no Redis).

use std::net::SocketAddr;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// `chirp`: a real-time microblog server.
#[derive(Debug, Parser)]
#[command(name = "chirp", version, about = "Chirp: a real-time microblog server")]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server: JSON API, web app and Socket.IO endpoint.
    Serve(ServeConfig),
}

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// A switch for a group of features (`on` / `off`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Switch {
    /// Enabled.
    On,
    /// Disabled.
    Off,
}

/// Settings for `chirp serve`.
#[derive(Debug, Clone, Args)]
pub struct ServeConfig {
    /// Address to listen on (port 0 picks a free port and logs it).
    #[arg(long, env = "CHIRP_ADDR", default_value = "127.0.0.1:8000")]
    pub addr: SocketAddr,

    /// Storage: `sqlite://PATH` (created on first start) or `postgres://USER@HOST/DB`.
    #[arg(long, env = "CHIRP_DATABASE_URL", default_value = "sqlite://chirp.db")]
    pub database_url: String,

    /// Connections in the database pool.
    #[arg(long, env = "CHIRP_DB_POOL_SIZE", default_value_t = 8)]
    pub db_pool_size: u32,

    /// SQLite only: KiB of page cache per pooled connection (SQLite's own default is 2000).
    /// Pages read stay cached until this fills, so with many connections a large cache is
    /// mostly memory held for reads the OS page cache would answer nearly as fast.
    #[arg(long, env = "CHIRP_SQLITE_CACHE_KIB", default_value_t = 512)]
    pub sqlite_cache_kib: u32,

    /// Redis URL for fan-out across several nodes (`redis://127.0.0.1:6379`); unset means
    /// in-process fan-out only.
    #[arg(long, env = "CHIRP_REDIS_URL")]
    pub redis_url: Option<String>,

    /// Origins allowed by CORS and for cookie-authenticated requests from other sites:
    /// `*` (any origin may read; cookies count only from this server's own origin) or a
    /// comma-separated list such as `https://a.example,https://b.example`.
    #[arg(long, env = "CHIRP_CORS_ORIGIN", default_value = "*")]
    pub cors_origin: String,

    /// The server's public URL (`https://chirp.example`): pins its own origin for the cookie
    /// rule (scheme, host and port; the `Host` header is then not consulted) and, when https,
    /// marks the session cookie `Secure`. Unset: the own origin is `http://` + `Host`.
    #[arg(long, env = "CHIRP_PUBLIC_URL")]
    pub public_url: Option<String>,

    /// Most open connections (HTTP and WebSocket); over it a connection is answered 503 and
    /// closed. Default: the open-file limit less 512 for the database, Redis and the
    /// refusals, at most 65,536. 0: no cap.
    #[arg(long, env = "CHIRP_MAX_CONNECTIONS")]
    pub max_connections: Option<usize>,

    /// Most Socket.IO sessions open at once from one client address (behind
    /// `--trusted-proxies`, the forwarded address); over it the handshake is answered 503.
    /// 0: no cap.
    #[arg(long, env = "CHIRP_MAX_SOCKETS_PER_ADDRESS", default_value_t = 1000)]
    pub max_sockets_per_address: usize,

    /// Every rate limit at once: `off` lifts them all (sign-in, sign-up, posts, likes,
    /// follows, mention notifications, watch changes), for load tests and test suites; `on`
    /// applies each one's own flag.
    #[arg(long, env = "CHIRP_RATE_LIMITS", value_enum, default_value_t = Switch::On)]
    pub rate_limits: Switch,

    /// Sign-in attempts allowed per client address per minute (0: no limit).
    #[arg(long, env = "CHIRP_AUTH_RATE_LIMIT", default_value_t = 60)]
    pub auth_rate_limit: u32,

    /// Sign-ups allowed per client address per hour (0: no limit). Counted apart from
    /// sign-ins, so making accounts cannot lock anyone out of signing in.
    #[arg(long, env = "CHIRP_SIGNUP_RATE_LIMIT", default_value_t = 20)]
    pub signup_rate_limit: u32,

    /// Tweets one account may post per minute, in a burst of up to the same number
    /// (0: no limit). A person posts a few a minute; a script posts thousands.
    #[arg(long, env = "CHIRP_POST_RATE_LIMIT", default_value_t = 30)]
    pub post_rate_limit: u32,

    /// Likes and unlikes one account may make per minute (0: no limit).
    #[arg(long, env = "CHIRP_LIKE_RATE_LIMIT", default_value_t = 120)]
    pub like_rate_limit: u32,

    /// Follows and unfollows one account may make per minute (0: no limit).
    #[arg(long, env = "CHIRP_FOLLOW_RATE_LIMIT", default_value_t = 60)]
    pub follow_rate_limit: u32,

    /// Mention notifications one account's tweets may make per hour (0: no limit). Past it
    /// tweets are still posted, and list their mentions, but notify nobody of them.
    #[arg(long, env = "CHIRP_MENTION_RATE_LIMIT", default_value_t = 200)]
    pub mention_rate_limit: u32,

    /// Most people one tweet notifies of a mention: the first N it names (the tweet still
    /// lists every mention). Not a rate limit: `--rate-limits off` leaves it.
    #[arg(long, env = "CHIRP_MAX_MENTION_NOTIFICATIONS", default_value_t = 10)]
    pub max_mention_notifications: usize,

    /// Timeline changes (`watch` events) one account may make per minute over all its
    /// sockets, or one address when signed out (0: no limit). Past it the `watch` is
    /// answered `rate_limited` and the socket keeps its timeline.
    #[arg(long, env = "CHIRP_WATCH_RATE_LIMIT", default_value_t = 120)]
    pub watch_rate_limit: u32,

    /// Threads that hash and check passwords (0: one per core). Each hash takes ~19 MiB
    /// while it runs, so this bounds the memory sign-ins can take.
    #[arg(long, env = "CHIRP_HASH_THREADS", default_value_t = 0)]
    pub hash_threads: usize,

    /// Milliseconds a sign-up or sign-in may wait for a hashing thread before it is
    /// answered 503 `unavailable` with `Retry-After`.
    #[arg(long, env = "CHIRP_HASH_WAIT_MS", default_value_t = 5000)]
    pub hash_wait_ms: u64,

    /// Reverse proxies (comma-separated IP addresses) whose `X-Forwarded-For` names the
    /// client for rate limiting; none by default.
    #[arg(long, env = "CHIRP_TRUSTED_PROXIES", value_delimiter = ',')]
    pub trusted_proxies: Vec<std::net::IpAddr>,

    /// Log format.
    #[arg(long, env = "CHIRP_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,

    /// Seconds to wait for in-flight requests after SIGTERM/Ctrl-C before exiting anyway.
    #[arg(long, env = "CHIRP_SHUTDOWN_TIMEOUT", default_value_t = 10)]
    pub shutdown_timeout: u64,

    /// Socket.IO heartbeat: milliseconds between the server's pings (Engine.IO
    /// `pingInterval`). For tests and tuning; the default is socket.io's.
    #[arg(
        long,
        env = "CHIRP_PING_INTERVAL_MS",
        default_value_t = 25_000,
        hide = true
    )]
    pub ping_interval_ms: u64,

    /// Socket.IO heartbeat: milliseconds a ping may go unanswered (`pingTimeout`).
    #[arg(
        long,
        env = "CHIRP_PING_TIMEOUT_MS",
        default_value_t = 20_000,
        hide = true
    )]
    pub ping_timeout_ms: u64,

    /// Recent tweets (ids and authors) kept in memory to pick home timeline pages from,
    /// so a home page costs one read of its 20 tweets instead of a walk of the table
    /// (~2.4 MB per 100,000). 0 reads every home page from the database.
    #[arg(long, env = "CHIRP_HOME_CACHE_TWEETS", default_value_t = 100_000)]
    pub home_cache_tweets: usize,

    /// Bytes queued for one WebSocket whose client stopped reading, beyond what the kernel
    /// holds, before that socket is disconnected. For tests; 1 MiB by default.
    #[arg(
        long,
        env = "CHIRP_MAX_BACKLOG_BYTES",
        default_value_t = 1 << 20,
        hide = true
    )]
    pub max_backlog_bytes: usize,
}

impl ServeConfig {
    /// The defaults, as `chirp serve` with no flags and no environment would have them.
    pub fn defaults() -> Self {
        Self {
            addr: SocketAddr::from(([127, 0, 0, 1], 8000)),
            database_url: "sqlite://chirp.db".into(),
            db_pool_size: 8,
            sqlite_cache_kib: 512,
            redis_url: None,
            cors_origin: "*".into(),
            public_url: None,
            max_connections: None,
            max_sockets_per_address: 1000,
            rate_limits: Switch::On,
            auth_rate_limit: 60,
            signup_rate_limit: 20,
            post_rate_limit: 30,
            like_rate_limit: 120,
            follow_rate_limit: 60,
            mention_rate_limit: 200,
            max_mention_notifications: 10,
            watch_rate_limit: 120,
            hash_threads: 0,
            hash_wait_ms: 5000,
            trusted_proxies: Vec::new(),
            log_format: LogFormat::Text,
            shutdown_timeout: 10,
            ping_interval_ms: 25_000,
            ping_timeout_ms: 20_000,
            max_backlog_bytes: 1 << 20,
            home_cache_tweets: 100_000,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_match_the_contract() {
        let cli = Cli::try_parse_from(["chirp", "serve"]).unwrap();
        let Command::Serve(c) = cli.command;
        let d = ServeConfig::defaults();
        assert_eq!(c.addr, d.addr);
        assert_eq!(c.database_url, d.database_url);
        assert_eq!(c.sqlite_cache_kib, d.sqlite_cache_kib);
        assert_eq!(c.cors_origin, "*");
        assert_eq!(c.public_url, d.public_url);
        assert_eq!(c.max_connections, d.max_connections);
        assert_eq!(c.max_sockets_per_address, d.max_sockets_per_address);
        assert_eq!(c.log_format, LogFormat::Text);
        assert_eq!(c.rate_limits, Switch::On);
        assert_eq!(
            (
                c.auth_rate_limit,
                c.signup_rate_limit,
                c.post_rate_limit,
                c.like_rate_limit,
                c.follow_rate_limit
            ),
            (
                d.auth_rate_limit,
                d.signup_rate_limit,
                d.post_rate_limit,
                d.like_rate_limit,
                d.follow_rate_limit
            )
        );
        assert_eq!(
            (
                c.mention_rate_limit,
                c.max_mention_notifications,
                c.watch_rate_limit
            ),
            (
                d.mention_rate_limit,
                d.max_mention_notifications,
                d.watch_rate_limit
            )
        );
    }

    #[test]
    fn rate_limits_switch_off() {
        let cli = Cli::try_parse_from(["chirp", "serve", "--rate-limits", "off"]).unwrap();
        let Command::Serve(c) = cli.command;
        assert_eq!(c.rate_limits, Switch::Off);
    }
}
