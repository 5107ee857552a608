//! Command line and environment: every knob is a flag with a `CHIRP_*` variable and a
//! default that works on a fresh machine (SQLite file in the working directory, no Redis).
//!
//! The flags of `chirp serve` come in groups (`#[command(flatten)]`), one struct per
//! concern: where it listens and whom it trusts, storage, rate limits, password hashing,
//! the cluster, the sockets, the caches. Each default is written once, in its `#[arg]`;
//! `ServeConfig::defaults()` reads them from clap. The tests check every flag's variable
//! and default, and that docs/API.md lists each one. `chirp admin` takes the storage group
//! only: it works on the database `serve` uses, with the same flag and variable.

use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;

use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};

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
// One value per process, parsed once: its size is of no concern.
#[allow(clippy::large_enum_variant)]
pub enum Command {
    /// Run the server: JSON API, web app and Socket.IO endpoint.
    Serve(ServeConfig),
    /// Operator tasks on the server's database (safe while `serve` runs).
    #[command(subcommand)]
    Admin(AdminCommand),
}

/// `chirp admin …`: what an operator does from the shell. Each prints its result on stdout
/// and exits 0, or prints one line `error: …` on stderr and exits 1.
#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Set an account's role: `user`, `moderator` or `admin` (how an instance gets its first
    /// admin). Prints the new role; the moderation log records it with no actor.
    Role {
        /// The account (any case).
        username: String,
        /// `user`, `moderator` or `admin`.
        role: String,
        /// The database.
        #[command(flatten)]
        storage: StorageArgs,
    },
    /// Create an account, also while sign-ups are closed. The password is read from standard
    /// input: one line, its trailing newline dropped. Prints the new user as JSON.
    CreateUser {
        /// 3–20 of `[A-Za-z0-9_]`, unique ignoring case.
        username: String,
        /// The database.
        #[command(flatten)]
        storage: StorageArgs,
    },
}

/// Whether anyone may sign up (`POST /api/users`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Registrations {
    /// Anyone may sign up.
    Open,
    /// Sign-up answers 403 `registrations_closed`; `chirp admin create-user` still works.
    Closed,
}

/// One entry of `--trusted-proxies`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProxyEntry {
    /// `private`: every loopback and private-range address (127.0.0.0/8, ::1, 10.0.0.0/8,
    /// 172.16.0.0/12, 192.168.0.0/16, fc00::/7), as Rails trusts by default.
    Private,
    /// One address (`10.0.0.1`) or a network (`10.1.0.0/16`, `2001:db8::/32`).
    Network {
        /// The address, its bits past `prefix` cleared.
        addr: IpAddr,
        /// How many leading bits count.
        prefix: u8,
    },
}

/// `--trusted-proxies`: the reverse proxies whose `X-Forwarded-For` names the client.
/// Written `private` (the default), `none`, or a comma-separated list of addresses,
/// networks and `private`; a list replaces the default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProxyList(pub Vec<ProxyEntry>);

impl FromStr for ProxyList {
    type Err = String;

    fn from_str(value: &str) -> Result<Self, String> {
        let value = value.trim();
        if value.eq_ignore_ascii_case("none") {
            return Ok(Self(Vec::new()));
        }
        value
            .split(',')
            .map(|entry| parse_proxy_entry(entry.trim()))
            .collect::<Result<_, _>>()
            .map(Self)
    }
}

/// One entry: `private`, an address, or `ADDR/PREFIX`.
fn parse_proxy_entry(entry: &str) -> Result<ProxyEntry, String> {
    if entry.eq_ignore_ascii_case("private") {
        return Ok(ProxyEntry::Private);
    }
    if entry.eq_ignore_ascii_case("none") {
        return Err("`none` trusts nobody and stands alone, not in a list".into());
    }
    let (addr, prefix) = match entry.split_once('/') {
        Some((addr, prefix)) => (addr, Some(prefix)),
        None => (entry, None),
    };
    let addr: IpAddr = addr.parse().map_err(|_| {
        format!("{entry:?} is not an IP address or network (use e.g. 10.0.0.1, 10.0.0.0/8, private or none)")
    })?;
    // `::ffff:10.0.0.1` is 10.0.0.1: peers are compared in their canonical form too.
    let addr = if prefix.is_none() {
        addr.to_canonical()
    } else {
        addr
    };
    let bits = if addr.is_ipv4() { 32 } else { 128 };
    let prefix = match prefix {
        None => bits,
        Some(p) => p
            .parse::<u8>()
            .ok()
            .filter(|p| *p <= bits)
            .ok_or_else(|| format!("{entry:?}: the prefix length must be 0 to {bits}"))?,
    };
    Ok(ProxyEntry::Network {
        addr: mask(addr, prefix),
        prefix,
    })
}

/// `addr` with every bit past the first `prefix` cleared.
fn mask(addr: IpAddr, prefix: u8) -> IpAddr {
    match addr {
        IpAddr::V4(v4) => {
            let keep = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
            IpAddr::V4((u32::from(v4) & keep).into())
        }
        IpAddr::V6(v6) => {
            let keep = u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
            IpAddr::V6((u128::from(v6) & keep).into())
        }
    }
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

/// Settings for `chirp serve`, by group.
#[derive(Debug, Clone, Args)]
pub struct ServeConfig {
    /// Where it listens, whom it serves and trusts, how it logs and stops.
    #[command(flatten)]
    pub server: ServerArgs,
    /// The database.
    #[command(flatten)]
    pub storage: StorageArgs,
    /// Rate limits, per address and per account.
    #[command(flatten)]
    pub limits: LimitArgs,
    /// The password-hashing threads.
    #[command(flatten)]
    pub hashing: HashingArgs,
    /// Several nodes as one service.
    #[command(flatten)]
    pub cluster: ClusterArgs,
    /// The Socket.IO endpoint.
    #[command(flatten)]
    pub realtime: RealtimeArgs,
    /// What is kept in memory.
    #[command(flatten)]
    pub caches: CacheArgs,
    /// Image uploads.
    #[command(flatten)]
    pub media: MediaArgs,
}

/// Where it listens, whom it serves and trusts, how it logs and stops.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Server")]
pub struct ServerArgs {
    /// Address to listen on (port 0 picks a free port and logs it).
    #[arg(long, env = "CHIRP_ADDR", default_value = "127.0.0.1:8000")]
    pub addr: SocketAddr,

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

    /// Reverse proxies whose `X-Forwarded-For` names the client: `private` (every loopback
    /// and private-range address, as Rails does), `none`, or a comma-separated list of
    /// addresses and networks (`10.0.0.1,192.0.2.0/24`; may include `private`) that replaces
    /// the default. The client address is what the per-address rate limits (sign-in,
    /// sign-up) and the per-address socket cap (`--max-sockets-per-address`) count.
    #[arg(long, env = "CHIRP_TRUSTED_PROXIES", default_value = "private")]
    pub trusted_proxies: ProxyList,

    /// Whether anyone may sign up: `open`, or `closed` (`POST /api/users` answers 403
    /// `registrations_closed`; `chirp admin create-user` still makes accounts).
    #[arg(long, env = "CHIRP_REGISTRATIONS", value_enum, default_value_t = Registrations::Open)]
    pub registrations: Registrations,

    /// Most open connections (HTTP and WebSocket); over it a connection is answered 503 and
    /// closed. Default: the open-file limit less 512 for the database, Redis and the
    /// refusals, at most 65,536. 0: no cap.
    #[arg(long, env = "CHIRP_MAX_CONNECTIONS")]
    pub max_connections: Option<usize>,

    /// Log format.
    #[arg(long, env = "CHIRP_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,

    /// Seconds to wait for in-flight requests after SIGTERM/Ctrl-C before exiting anyway.
    #[arg(long, env = "CHIRP_SHUTDOWN_TIMEOUT", default_value_t = 10)]
    pub shutdown_timeout: u64,
}

/// The database.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Storage")]
pub struct StorageArgs {
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
}

/// Rate limits: each its own flag (0 turns that one off), all lifted by `--rate-limits off`.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Rate limits")]
pub struct LimitArgs {
    /// Every rate limit at once: `off` lifts them all (sign-in, sign-up, posts, likes,
    /// follows, profile edits, marking read, mention notifications, watch changes), for load
    /// tests and test suites; `on` applies each one's own flag.
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

    /// Profile edits (`PATCH /api/me`) one account may make per minute (0: no limit).
    /// Each edit drops cached pages on every node, so a script must not loop on it.
    #[arg(long, env = "CHIRP_PROFILE_RATE_LIMIT", default_value_t = 30)]
    pub profile_rate_limit: u32,

    /// Times one account may mark notifications read per minute (0: no limit). The web
    /// app marks read as notifications arrive on an open page; a person never nears this.
    #[arg(long, env = "CHIRP_MARK_READ_RATE_LIMIT", default_value_t = 120)]
    pub mark_read_rate_limit: u32,

    /// Blocks and unblocks one account may make per minute (0: no limit). Each one changes
    /// routes on every node.
    #[arg(long, env = "CHIRP_BLOCK_RATE_LIMIT", default_value_t = 30)]
    pub block_rate_limit: u32,

    /// Mutes and unmutes one account may make per minute (0: no limit).
    #[arg(long, env = "CHIRP_MUTE_RATE_LIMIT", default_value_t = 30)]
    pub mute_rate_limit: u32,

    /// Reports one account may file per hour (0: no limit). Each one notifies every
    /// moderator.
    #[arg(long, env = "CHIRP_REPORT_RATE_LIMIT", default_value_t = 20)]
    pub report_rate_limit: u32,

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
}

/// The password-hashing threads.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Password hashing")]
pub struct HashingArgs {
    /// Threads that hash and check passwords (0: one per core). Each hash takes ~19 MiB
    /// while it runs, so this bounds the memory sign-ins can take.
    #[arg(long, env = "CHIRP_HASH_THREADS", default_value_t = 0)]
    pub hash_threads: usize,

    /// Milliseconds a sign-up or sign-in may wait for a hashing thread before it is
    /// answered 503 `unavailable` with `Retry-After`.
    #[arg(long, env = "CHIRP_HASH_WAIT_MS", default_value_t = 5000)]
    pub hash_wait_ms: u64,
}

/// Several nodes as one service.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Cluster")]
pub struct ClusterArgs {
    /// Redis URL for fan-out across several nodes (`redis://127.0.0.1:6379`); unset means
    /// in-process fan-out only.
    #[arg(long, env = "CHIRP_REDIS_URL")]
    pub redis_url: Option<String>,

    /// Where the API's rate limits are counted: `local` (each node its own buckets, so N
    /// nodes allow N times a limit), `redis` (one allowance per key for the whole cluster,
    /// in the Redis of --redis-url; each node counts its own while Redis does not answer),
    /// or `auto`: `redis` when --redis-url is set, else `local`.
    #[arg(long, env = "CHIRP_RATE_LIMIT_STORE", value_enum, default_value_t = RateLimitStore::Auto)]
    pub rate_limit_store: RateLimitStore,
}

/// Where the API's rate limits are counted (`--rate-limit-store`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RateLimitStore {
    /// `redis` with --redis-url, else `local`.
    Auto,
    /// On each node.
    Local,
    /// In Redis, shared by the cluster.
    Redis,
}

impl ClusterArgs {
    /// The Redis URL the rate limits are counted in, if they are shared; an error for
    /// `--rate-limit-store redis` without --redis-url.
    pub fn rate_limit_redis(&self) -> Result<Option<&str>, String> {
        match (self.rate_limit_store, self.redis_url.as_deref()) {
            (RateLimitStore::Local, _) | (RateLimitStore::Auto, None) => Ok(None),
            (RateLimitStore::Redis | RateLimitStore::Auto, Some(url)) => Ok(Some(url)),
            (RateLimitStore::Redis, None) => {
                Err("--rate-limit-store redis needs --redis-url (CHIRP_REDIS_URL)".into())
            }
        }
    }
}

/// The Socket.IO endpoint.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Sockets")]
pub struct RealtimeArgs {
    /// Most Socket.IO sessions open at once from one client address (behind
    /// `--trusted-proxies`, the forwarded address); over it the handshake is answered 503.
    /// 0: no cap.
    #[arg(long, env = "CHIRP_MAX_SOCKETS_PER_ADDRESS", default_value_t = 1000)]
    pub max_sockets_per_address: usize,

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

    /// Bytes queued for one WebSocket whose client stopped reading, beyond what the kernel
    /// holds, before that socket is disconnected. For tests; 1 MiB by default.
    #[arg(
        long,
        env = "CHIRP_MAX_BACKLOG_BYTES",
        default_value_t = 1 << 20,
        hide = true
    )]
    pub max_backlog_bytes: usize,

    /// Socket.IO connection state recovery: `ask` recovers the sockets whose handshake
    /// `auth` has `recover: true` (the web app's), `all` every socket, `off` none. A
    /// recovering socket gets a `pid` and an offset after each event, and after a short
    /// disconnection what it missed.
    #[arg(long, env = "CHIRP_SOCKET_RECOVERY", value_enum, default_value_t = SocketRecovery::Ask)]
    pub socket_recovery: SocketRecovery,

    /// Milliseconds after a disconnection during which a socket may still be recovered.
    /// For tests; 2 minutes by default (as socket.io's `maxDisconnectionDuration`).
    #[arg(
        long,
        env = "CHIRP_SOCKET_RECOVERY_WINDOW_MS",
        default_value_t = 120_000,
        hide = true
    )]
    pub socket_recovery_window_ms: u64,
}

/// Which sockets get connection state recovery (`--socket-recovery`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SocketRecovery {
    /// Those that ask (`auth.recover === true`).
    Ask,
    /// Every socket.
    All,
    /// None.
    Off,
}

/// What is kept in memory.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Caches")]
pub struct CacheArgs {
    /// Recent tweets (ids and authors) kept in memory to pick home timeline pages from,
    /// so a home page costs one read of its 20 tweets instead of a walk of the table
    /// (~2.4 MB per 100,000). 0 reads every home page from the database.
    #[arg(long, env = "CHIRP_HOME_CACHE_TWEETS", default_value_t = 100_000)]
    pub home_cache_tweets: usize,
}

/// Image uploads: where their files go, what is accepted, and the image workers.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Media")]
pub struct MediaArgs {
    /// Where image files are kept: `file://PATH` (a directory, created if missing) or
    /// `s3://BUCKET/PREFIX` (any S3-compatible store; credentials, region and endpoint from
    /// the standard `AWS_*` variables, `AWS_ENDPOINT_URL` for servers other than AWS). Every
    /// node of a cluster needs the same store.
    #[arg(long, env = "CHIRP_MEDIA_URL", default_value = "file://./media")]
    pub media_url: String,

    /// Largest image upload accepted, in bytes (over it: 413).
    #[arg(long, env = "CHIRP_MEDIA_MAX_BYTES", default_value_t = 10 * 1024 * 1024)]
    pub media_max_bytes: usize,

    /// Largest image accepted, in pixels (width × height, read from the file's header
    /// before anything is decoded; over it: 400 `invalid_media`).
    #[arg(long, env = "CHIRP_MEDIA_MAX_PIXELS", default_value_t = 40_000_000)]
    pub media_max_pixels: u64,

    /// Images decoded and re-encoded at once (0: one per core). Each takes up to ~4 bytes
    /// per pixel of its image while it runs, so this bounds the memory uploads can take.
    #[arg(long, env = "CHIRP_MEDIA_THREADS", default_value_t = 0)]
    pub media_threads: usize,

    /// Most uploads being processed or waiting at once (each holds its body meanwhile);
    /// over it an upload is answered 503 `unavailable` with `Retry-After`.
    #[arg(long, env = "CHIRP_MEDIA_QUEUE", default_value_t = 64)]
    pub media_queue: usize,

    /// Milliseconds an upload may wait for an image worker before it is answered 503
    /// `unavailable` with `Retry-After`.
    #[arg(long, env = "CHIRP_MEDIA_WAIT_MS", default_value_t = 30_000)]
    pub media_wait_ms: u64,

    /// Seconds after which an upload never attached to a tweet is removed (files and row).
    #[arg(long, env = "CHIRP_MEDIA_SWEEP_AGE", default_value_t = 24 * 60 * 60)]
    pub media_sweep_age: u64,

    /// Seconds between two sweeps of unattached uploads and of deleted tweets' images.
    #[arg(long, env = "CHIRP_MEDIA_SWEEP_EVERY", default_value_t = 15 * 60)]
    pub media_sweep_every: u64,
}

impl ServeConfig {
    /// The defaults, as `chirp serve` with no flags and no environment would have them
    /// (read from the `#[arg]` attributes, so they are written only there).
    pub fn defaults() -> Self {
        let command = Self::augment_args(clap::Command::new("serve"))
            .mut_args(|arg| arg.env(None::<&'static str>));
        // Every flag has a default or is optional, so an empty command line parses.
        let matches = command
            .try_get_matches_from(["serve"])
            .expect("every flag of chirp serve has a default or is optional");
        Self::from_arg_matches(&matches).expect("the defaults fit their types")
    }
}

/// The `chirp serve` command as clap sees it (for `--help` and the tests).
pub fn serve_command() -> clap::Command {
    Cli::command()
        .find_subcommand("serve")
        .cloned()
        .expect("chirp has a serve command")
}

#[cfg(test)]
mod tests;
