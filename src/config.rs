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

    /// Sign-up and sign-in attempts allowed per client address per minute (0: no limit).
    #[arg(long, env = "CHIRP_AUTH_RATE_LIMIT", default_value_t = 60)]
    pub auth_rate_limit: u32,

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
}

impl ServeConfig {
    /// The defaults, as `chirp serve` with no flags and no environment would have them.
    pub fn defaults() -> Self {
        Self {
            addr: SocketAddr::from(([127, 0, 0, 1], 8000)),
            database_url: "sqlite://chirp.db".into(),
            db_pool_size: 8,
            redis_url: None,
            cors_origin: "*".into(),
            public_url: None,
            max_connections: None,
            max_sockets_per_address: 1000,
            auth_rate_limit: 60,
            trusted_proxies: Vec::new(),
            log_format: LogFormat::Text,
            shutdown_timeout: 10,
            ping_interval_ms: 25_000,
            ping_timeout_ms: 20_000,
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
        assert_eq!(c.cors_origin, "*");
        assert_eq!(c.public_url, d.public_url);
        assert_eq!(c.max_connections, d.max_connections);
        assert_eq!(c.max_sockets_per_address, d.max_sockets_per_address);
        assert_eq!(c.log_format, LogFormat::Text);
    }
}
