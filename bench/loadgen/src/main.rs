//! `loadgen`: Chirp's load generator.
//!
//! Speaks raw Engine.IO v4 / Socket.IO v5 over WebSocket (and HTTP long-polling), so the
//! same figures can be taken from Chirp and from the Node baseline. A human summary goes to
//! stderr; the last line on stdout is one JSON object with every figure, for
//! `bench/compare.sh`.
//!
//! # Layout
//! - `modes`: seed, idle, fanout, rate, polling, listen: what each run does and reports
//! - `home`: home-timeline fan-out checked against a seeded follow graph
//! - `follows`: follows and unfollows stored per second
//! - `sio`: the WebSocket and long-polling Socket.IO clients
//! - `record`: deliveries → HDR histograms
//! - `api`: sign up, sign in, post over HTTP
//! - `target`: loopback-only targets, source addresses, the open-file budget
//! - `procfs`: CPU seconds and RSS of the server and of this process

mod api;
mod follows;
mod home;
mod modes;
mod procfs;
mod record;
mod sio;
mod target;

use clap::{Args, Parser, Subcommand};

#[derive(Parser)]
#[command(
    version,
    about = "Load generator for Chirp and the Node baseline (Socket.IO over WebSocket/polling)"
)]
struct Cli {
    #[command(flatten)]
    common: Common,
    #[command(subcommand)]
    mode: Mode,
}

#[derive(Args, Clone)]
pub struct Common {
    /// The server, http://<127.x.y.z>:<port>. Only 127.0.0.0/8 is accepted.
    #[arg(
        long,
        global = true,
        default_value = "http://127.0.0.1:8000",
        env = "LOADGEN_URL"
    )]
    url: String,
    /// Source addresses to spread sockets over ("a-b", "a,b,c" or "none").
    #[arg(long, global = true, default_value = "127.0.0.2-127.0.0.9")]
    sources: String,
    /// The server's pid: its CPU seconds and RSS are read from /proc around each phase.
    #[arg(long, global = true)]
    server_pid: Option<u32>,
    /// Socket handshakes in flight at once.
    #[arg(long, global = true, default_value_t = 200)]
    connect_concurrency: usize,
    /// Worker threads of the load generator's runtime.
    #[arg(long, global = true, default_value_t = 2)]
    threads: usize,
    /// A bearer token to post with, instead of signing up a fresh author.
    #[arg(long, global = true, env = "LOADGEN_TOKEN")]
    token: Option<String>,
}

#[derive(Subcommand)]
enum Mode {
    /// Create users and tweets (so timelines have full pages); prints their tokens.
    Seed(modes::SeedArgs),
    /// Hold N idle sockets and report the server's memory per socket.
    Idle(modes::IdleArgs),
    /// N sockets, K tweets posted one at a time: latency of every delivery, time to the last.
    Fanout(modes::FanoutArgs),
    /// Open loop: R tweets/s for S seconds to N sockets.
    Rate(modes::RateArgs),
    /// N long-polling clients receive K tweets posted one at a time.
    Polling(modes::PollingArgs),
    /// N signed-in sockets watch their home timelines; authors post on schedule; every
    /// delivery is checked against the follow graph (see bench/home-seed.mjs).
    Home(home::HomeArgs),
    /// Every ordered pair of N fresh users follows, then unfollows, M requests in flight:
    /// follows and unfollows per second.
    Follows(follows::FollowsArgs),
    /// Hold N anonymous sockets until a tweet posted by someone else reached them all (for
    /// several processes and nodes: bench/cluster100k.sh).
    Listen(modes::ListenArgs),
}

fn main() {
    let cli = Cli::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(cli.common.threads.max(1))
        .enable_all()
        .build()
        .expect("a tokio runtime starts");
    let result = runtime.block_on(async move {
        let ctx = modes::Ctx::new(&cli.common)?;
        match cli.mode {
            Mode::Seed(a) => modes::seed(&ctx, a).await,
            Mode::Idle(a) => modes::idle(&ctx, a).await,
            Mode::Fanout(a) => modes::fanout(&ctx, a).await,
            Mode::Rate(a) => modes::rate(&ctx, a).await,
            Mode::Polling(a) => modes::polling(&ctx, a).await,
            Mode::Home(a) => home::home(&ctx, a).await,
            Mode::Follows(a) => follows::follows(&ctx, a).await,
            Mode::Listen(a) => modes::listen(&ctx, a).await,
        }
    });
    // Sockets still closing must not hold the figures back.
    runtime.shutdown_timeout(std::time::Duration::from_secs(1));
    match result {
        Ok(report) => println!("{report}"),
        Err(e) => {
            eprintln!("loadgen: {e:#}");
            println!("{}", serde_json::json!({ "error": format!("{e:#}") }));
            std::process::exit(1);
        }
    }
}
