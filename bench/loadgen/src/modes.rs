//! The runs: seed, idle, fanout, rate, polling. Each returns one JSON object of figures and
//! prints a short human summary on stderr.
//!
//! Server CPU is read from /proc just before the measured phase (after every socket is
//! connected) and just after its last delivery, so "CPU per delivery" excludes the
//! connection storm and the teardown.

use std::net::Ipv4Addr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::Args;
use serde_json::{Value, json};
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinHandle;

use crate::Common;
use crate::api::{self, Api, Author};
use crate::procfs::Snapshot;
use crate::record::{self, Recorder};
use crate::sio::{self, ClientSpec, Role};
use crate::target::{self, Target};

pub struct Ctx {
    pub(crate) target: Target,
    pub(crate) sources: Vec<Ipv4Addr>,
    pub(crate) server_pid: Option<u32>,
    pub(crate) concurrency: usize,
    token: Option<String>,
    pub(crate) api: Api,
}

impl Ctx {
    pub fn new(c: &Common) -> anyhow::Result<Self> {
        let target = Target::parse(&c.url)?;
        let api = Api::new(&target.base);
        if let Some(pid) = c.server_pid
            && crate::procfs::cpu_seconds(pid).is_none()
        {
            bail!("no process {pid} to read the server's CPU and memory from");
        }
        Ok(Ctx {
            sources: target::parse_sources(&c.sources)?,
            server_pid: c.server_pid,
            concurrency: c.connect_concurrency.max(1),
            token: c.token.clone(),
            target,
            api,
        })
    }

    /// The user who posts: `--token`, or a fresh one signed up for this run.
    async fn author(&self) -> anyhow::Result<Author> {
        match &self.token {
            Some(t) => Ok(Author {
                id: 0,
                username: "(from --token)".into(),
                token: t.clone(),
            }),
            None => self.api.sign_up(&api::fresh_username("lga")).await,
        }
    }

    pub(crate) fn server_json(
        &self,
        before: &Snapshot,
        after: &Snapshot,
        deliveries: u64,
    ) -> Value {
        let Some(pid) = self.server_pid else {
            return Value::Null;
        };
        let cpu = after.server_cpu_since(before);
        json!({
            "pid": pid,
            "cpu_s": cpu.map(round3),
            "cpu_us_per_delivery": cpu.filter(|_| deliveries > 0).map(|c| round3(c * 1e6 / deliveries as f64)),
            "rss_kib_before": before.server_mem.map(|m| m.rss_kib),
            "rss_kib_after": after.server_mem.map(|m| m.rss_kib),
            "hwm_kib": after.server_mem.map(|m| m.hwm_kib),
        })
    }
}

pub(crate) fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

fn ms(d: Duration) -> f64 {
    round3(d.as_secs_f64() * 1000.0)
}

/// A set of clients sharing one recorder and one stop signal.
struct Fleet {
    rec: Arc<Recorder>,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
    gate: Arc<Semaphore>,
    wanted: usize,
    started: Instant,
}

impl Fleet {
    fn new(ctx: &Ctx) -> Self {
        Fleet {
            rec: Arc::new(Recorder::new()),
            stop: watch::channel(false).0,
            tasks: Vec::new(),
            gate: Arc::new(Semaphore::new(ctx.concurrency)),
            wanted: 0,
            started: Instant::now(),
        }
    }

    fn specs(ctx: &Ctx, token: &Option<String>, role: Role) -> Vec<Arc<ClientSpec>> {
        let sources: Vec<Option<Ipv4Addr>> = if ctx.sources.is_empty() {
            vec![None]
        } else {
            ctx.sources.iter().copied().map(Some).collect()
        };
        sources
            .into_iter()
            .map(|source| {
                Arc::new(ClientSpec {
                    target: ctx.target.clone(),
                    token: token.clone(),
                    role,
                    source,
                })
            })
            .collect()
    }

    fn spawn_websockets(&mut self, ctx: &Ctx, n: usize, token: Option<String>, role: Role) {
        let specs = Self::specs(ctx, &token, role);
        for i in 0..n {
            let spec = specs[(self.wanted + i) % specs.len()].clone();
            let task = sio::run_websocket(
                spec,
                self.gate.clone(),
                self.rec.clone(),
                self.stop.subscribe(),
            );
            self.tasks.push(tokio::spawn(task));
        }
        self.wanted += n;
    }

    fn spawn_polling(&mut self, ctx: &Ctx, n: usize) {
        let http = reqwest::Client::builder()
            .pool_max_idle_per_host(usize::MAX)
            .tcp_nodelay(true)
            .timeout(Duration::from_secs(90))
            .build()
            .expect("a plain HTTP client builds");
        let spec = Self::specs(ctx, &None, Role::Listener).swap_remove(0);
        for _ in 0..n {
            let task = sio::run_polling(
                spec.clone(),
                http.clone(),
                self.gate.clone(),
                self.rec.clone(),
                self.stop.subscribe(),
            );
            self.tasks.push(tokio::spawn(task));
        }
        self.wanted += n;
    }

    fn connected(&self) -> usize {
        self.rec.connected.load(Ordering::Relaxed)
    }

    /// Post one tweet and wait (up to `timeout_ms`) until every live socket has it.
    /// Returns whether all did, and the time from just before the POST to the last receipt.
    async fn post_and_wait(
        &self,
        ctx: &Ctx,
        token: &str,
        text: &str,
        timeout_ms: u64,
    ) -> anyhow::Result<(bool, Option<Duration>)> {
        let expected = self.alive();
        let t0 = Instant::now();
        let id = ctx.api.post_tweet(token, text).await?;
        self.rec.start(id, t0);
        let deadline = t0 + Duration::from_millis(timeout_ms);
        loop {
            let (count, last) = self.rec.tweet(id);
            let to_last = last.map(|l| l.saturating_duration_since(t0));
            if count >= expected {
                return Ok((true, to_last));
            }
            if Instant::now() >= deadline {
                return Ok((false, to_last));
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }

    fn alive(&self) -> usize {
        self.connected()
            .saturating_sub(self.rec.disconnected.load(Ordering::Relaxed))
    }

    /// Waits until every client has connected or failed; the seconds it took.
    async fn wait_connected(&self, label: &str) -> f64 {
        let mut next_report = Instant::now() + Duration::from_secs(2);
        loop {
            let ok = self.connected();
            let failed = self.rec.connect_failed.load(Ordering::Relaxed);
            if ok + failed >= self.wanted {
                break;
            }
            if Instant::now() >= next_report {
                eprintln!("  {label}: {ok}/{} connected, {failed} failed", self.wanted);
                next_report += Duration::from_secs(2);
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        self.started.elapsed().as_secs_f64()
    }

    fn connect_json(&self, seconds: f64) -> Value {
        let first_error = self
            .rec
            .first_error
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        json!({
            "wanted": self.wanted,
            "connected": self.connected(),
            "failed": self.rec.connect_failed.load(Ordering::Relaxed),
            "first_error": first_error,
            "seconds": round3(seconds),
        })
    }

    async fn stop(self) {
        let _ = self.stop.send(true);
        let all = futures_util::future::join_all(self.tasks);
        let _ = tokio::time::timeout(Duration::from_secs(10), all).await;
    }
}

fn require_connected(fleet: &Fleet, what: &str) -> anyhow::Result<()> {
    if fleet.connected() == 0 {
        let err = fleet
            .rec
            .first_error
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        bail!("no {what} connected: {}", err.unwrap_or_default());
    }
    Ok(())
}

// ------------------------------------------------------------------------------------ seed

#[derive(Args)]
pub struct SeedArgs {
    /// Users to create (each signs in; their tokens are printed).
    #[arg(long, default_value_t = 1)]
    users: usize,
    /// Tweets to post, round-robin over the users.
    #[arg(long, default_value_t = 100)]
    tweets: usize,
    /// Username prefix; users are <prefix>1, <prefix>2, …
    #[arg(long, default_value = "seed")]
    prefix: String,
    /// Posts in flight at once.
    #[arg(long, default_value_t = 8)]
    concurrency: usize,
}

pub async fn seed(ctx: &Ctx, a: SeedArgs) -> anyhow::Result<Value> {
    let started = Instant::now();
    let mut users = Vec::new();
    for i in 1..=a.users.max(1) {
        users.push(ctx.api.sign_up(&format!("{}{i}", a.prefix)).await?);
    }
    let gate = Arc::new(Semaphore::new(a.concurrency.max(1)));
    let mut posts = Vec::new();
    for i in 0..a.tweets {
        let (api, token, gate) = (
            ctx.api.clone(),
            users[i % users.len()].token.clone(),
            gate.clone(),
        );
        posts.push(tokio::spawn(async move {
            let _permit = gate.acquire_owned().await;
            api.post_tweet(
                &token,
                &format!("Seed tweet number {i}, so timelines have full pages."),
            )
            .await
        }));
    }
    let mut ids = Vec::new();
    for p in posts {
        ids.push(p.await.context("post task")??);
    }
    eprintln!(
        "seed: {} users, {} tweets in {:.1} s",
        users.len(),
        ids.len(),
        started.elapsed().as_secs_f64()
    );
    Ok(json!({
        "mode": "seed",
        "users": users.iter().map(|u| json!({"id": u.id, "username": u.username, "token": u.token})).collect::<Vec<_>>(),
        "tweets": ids.len(),
        "first_tweet_id": ids.iter().min(),
        "last_tweet_id": ids.iter().max(),
        "token": users[0].token,
    }))
}

// ------------------------------------------------------------------------------------ idle

#[derive(Args)]
pub struct IdleArgs {
    /// Idle WebSocket clients to hold.
    #[arg(long, default_value_t = 1000)]
    sockets: usize,
    /// Seconds to hold them after they are all connected.
    #[arg(long, default_value_t = 10.0)]
    hold_secs: f64,
    /// Long-polling clients instead (each holds one GET while idle).
    #[arg(long)]
    polling: bool,
}

pub async fn idle(ctx: &Ctx, a: IdleArgs) -> anyhow::Result<Value> {
    target::ensure_open_files(a.sockets)?;
    let before = Snapshot::take(ctx.server_pid);
    let mut fleet = Fleet::new(ctx);
    if a.polling {
        fleet.spawn_polling(ctx, a.sockets);
    } else {
        fleet.spawn_websockets(ctx, a.sockets, None, Role::Listener);
    }
    let connect_secs = fleet.wait_connected("idle").await;
    require_connected(&fleet, "socket")?;
    let connected = fleet.connected();
    // Let the server settle (allocator, first heartbeat) before the first reading.
    tokio::time::sleep(Duration::from_secs_f64(2.0_f64.min(a.hold_secs))).await;
    let settled = Snapshot::take(ctx.server_pid);
    tokio::time::sleep(Duration::from_secs_f64((a.hold_secs - 2.0).max(0.0))).await;
    let held = Snapshot::take(ctx.server_pid);
    let disconnected = fleet.rec.disconnected.load(Ordering::Relaxed);
    let connect = fleet.connect_json(connect_secs);
    fleet.stop().await;

    let per_socket = |s: &Snapshot| -> Option<f64> {
        let (b, a) = (
            before.server_mem?.rss_kib as f64,
            s.server_mem?.rss_kib as f64,
        );
        Some(((a - b) * 1024.0 / connected as f64).round())
    };
    let report = json!({
        "mode": "idle",
        "transport": if a.polling { "polling" } else { "websocket" },
        "sockets": a.sockets,
        "hold_secs": a.hold_secs,
        "connect": connect,
        "disconnected": disconnected,
        "rss_kib_before": before.server_mem.map(|m| m.rss_kib),
        "rss_kib_settled": settled.server_mem.map(|m| m.rss_kib),
        "rss_kib_held": held.server_mem.map(|m| m.rss_kib),
        "bytes_per_socket_settled": per_socket(&settled),
        "bytes_per_socket": per_socket(&held),
        "server": ctx.server_json(&before, &held, 0),
        "loadgen_cpu_s": round3(held.own_cpu - before.own_cpu),
    });
    eprintln!(
        "idle: {connected}/{} sockets in {connect_secs:.1} s, {disconnected} dropped; server RSS {} → {} KiB: {} bytes per socket",
        a.sockets, report["rss_kib_before"], report["rss_kib_held"], report["bytes_per_socket"],
    );
    Ok(report)
}

// ---------------------------------------------------------------------------------- fanout

#[derive(Args)]
pub struct FanoutArgs {
    /// Listening WebSocket clients (anonymous unless --auth-listeners).
    #[arg(long, default_value_t = 1000)]
    sockets: usize,
    /// Tweets, posted one at a time; the next goes once every socket has the last one.
    #[arg(long, default_value_t = 10)]
    tweets: usize,
    /// Pause between one tweet's last delivery and the next POST.
    #[arg(long, default_value_t = 10)]
    gap_ms: u64,
    /// Give up on a tweet's missing deliveries after this long.
    #[arg(long, default_value_t = 10_000)]
    timeout_ms: u64,
    /// Hold the sockets this long before posting (checks they survive heartbeats).
    #[arg(long, default_value_t = 0.0)]
    hold_secs: f64,
    /// Sign the listeners in (one shared user) instead of connecting anonymously.
    #[arg(long)]
    auth_listeners: bool,
}

pub async fn fanout(ctx: &Ctx, a: FanoutArgs) -> anyhow::Result<Value> {
    target::ensure_open_files(a.sockets + 1)?;
    let author = ctx.author().await?;
    let listener_token = if a.auth_listeners {
        Some(ctx.api.sign_up(&api::fresh_username("lgl")).await?.token)
    } else {
        None
    };
    let mut own = Fleet::new(ctx);
    own.spawn_websockets(ctx, 1, Some(author.token.clone()), Role::Author);
    own.wait_connected("author").await;
    require_connected(&own, "author socket")?;

    let mut fleet = Fleet::new(ctx);
    fleet.spawn_websockets(ctx, a.sockets, listener_token, Role::Listener);
    let connect_secs = fleet.wait_connected("fanout").await;
    require_connected(&fleet, "socket")?;
    if a.hold_secs > 0.0 {
        eprintln!(
            "  holding {} sockets for {} s",
            fleet.connected(),
            a.hold_secs
        );
        tokio::time::sleep(Duration::from_secs_f64(a.hold_secs)).await;
    }
    let dropped_while_holding = fleet.rec.disconnected.load(Ordering::Relaxed);
    ctx.api.warm().await?;

    let listeners = fleet.connected();
    let mut to_last = record::new_histogram();
    let mut incomplete = 0usize;
    let before = Snapshot::take(ctx.server_pid);
    let t_start = Instant::now();
    for k in 0..a.tweets {
        let text = format!("Fan-out tweet {k} from the load generator.");
        let (complete, last) = fleet
            .post_and_wait(ctx, &author.token, &text, a.timeout_ms)
            .await?;
        incomplete += usize::from(!complete);
        if let Some(last) = last {
            record::record_duration(&mut to_last, last);
        }
        if a.gap_ms > 0 {
            tokio::time::sleep(Duration::from_millis(a.gap_ms)).await;
        }
    }
    let after = Snapshot::take(ctx.server_pid);
    let elapsed = t_start.elapsed();
    // Late or stray deliveries (to the author, duplicates) still count.
    tokio::time::sleep(Duration::from_millis(300)).await;

    let delivered = fleet.rec.own_deliveries();
    let expected_total = (listeners * a.tweets) as u64;
    let to_author = own.rec.to_author.load(Ordering::Relaxed);
    let report = json!({
        "mode": "fanout",
        "sockets": a.sockets,
        "tweets": a.tweets,
        "connect": fleet.connect_json(connect_secs),
        "hold_secs": a.hold_secs,
        "dropped_while_holding": dropped_while_holding,
        "disconnected": fleet.rec.disconnected.load(Ordering::Relaxed),
        "expected": expected_total,
        "delivered": delivered,
        "missed": expected_total.saturating_sub(delivered),
        "incomplete_tweets": incomplete,
        "duplicates": fleet.rec.duplicates.load(Ordering::Relaxed),
        "foreign": fleet.rec.foreign_deliveries(),
        "to_author": to_author,
        "latency": fleet.rec.latency_summary(),
        "time_to_last": record::summarize_us(&to_last),
        "seconds": round3(elapsed.as_secs_f64()),
        "server": ctx.server_json(&before, &after, delivered),
        "loadgen_cpu_s": round3(after.own_cpu - before.own_cpu),
    });
    fleet.stop().await;
    own.stop().await;
    eprintln!(
        "fanout: {listeners} sockets × {} tweets: {delivered}/{expected_total} delivered, {} missed, {to_author} to the author; \
         latency p50 {} p99 {} ms; last delivery p50 {} max {} ms; server CPU {} µs/delivery",
        a.tweets,
        report["missed"],
        report["latency"]["p50_ms"],
        report["latency"]["p99_ms"],
        report["time_to_last"]["p50_ms"],
        report["time_to_last"]["max_ms"],
        report["server"]["cpu_us_per_delivery"],
    );
    Ok(report)
}

// ------------------------------------------------------------------------------------ rate

#[derive(Args)]
pub struct RateArgs {
    /// Listening WebSocket clients.
    #[arg(long, default_value_t = 1000)]
    sockets: usize,
    /// Tweets per second, posted on schedule whether or not earlier ones were delivered.
    #[arg(long, default_value_t = 20.0)]
    rate: f64,
    /// How long to post.
    #[arg(long, default_value_t = 20.0)]
    seconds: f64,
    /// After the last post, wait at most this long for the backlog to drain.
    #[arg(long, default_value_t = 20.0)]
    drain_secs: f64,
}

pub async fn rate(ctx: &Ctx, a: RateArgs) -> anyhow::Result<Value> {
    target::ensure_open_files(a.sockets + 1)?;
    if a.rate <= 0.0 || a.seconds <= 0.0 {
        bail!("--rate and --seconds must be positive");
    }
    let author = ctx.author().await?;
    let mut own = Fleet::new(ctx);
    own.spawn_websockets(ctx, 1, Some(author.token.clone()), Role::Author);
    own.wait_connected("author").await;
    require_connected(&own, "author socket")?;
    let mut fleet = Fleet::new(ctx);
    fleet.spawn_websockets(ctx, a.sockets, None, Role::Listener);
    let connect_secs = fleet.wait_connected("rate").await;
    require_connected(&fleet, "socket")?;
    ctx.api.warm().await?;

    let listeners = fleet.connected();
    let total = (a.rate * a.seconds).round() as usize;
    let period = Duration::from_secs_f64(1.0 / a.rate);
    let posted = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let mut post_lag = record::new_histogram();
    let mut posts = Vec::with_capacity(total);
    let before = Snapshot::take(ctx.server_pid);
    let start = Instant::now() + Duration::from_millis(20);
    for i in 0..total {
        let scheduled = start + period * i as u32;
        tokio::time::sleep_until(scheduled.into()).await;
        record::record_duration(
            &mut post_lag,
            Instant::now().saturating_duration_since(scheduled),
        );
        let (api, token, rec, posted, failed) = (
            ctx.api.clone(),
            author.token.clone(),
            fleet.rec.clone(),
            posted.clone(),
            failed.clone(),
        );
        posts.push(tokio::spawn(async move {
            match api
                .post_tweet(&token, &format!("Rate tweet {i} from the load generator."))
                .await
            {
                Ok(id) => {
                    rec.start(id, scheduled);
                    posted.fetch_add(1, Ordering::Relaxed);
                }
                Err(e) => {
                    if failed.fetch_add(1, Ordering::Relaxed) == 0 {
                        eprintln!("  first failed post: {e:#}");
                    }
                }
            }
        }));
    }
    let window_end = start + period * total as u32;
    tokio::time::sleep_until(window_end.into()).await;
    let delivered_at_end = fleet.rec.deliveries();
    for p in posts {
        let _ = p.await;
    }
    let posted = posted.load(Ordering::Relaxed);
    let expected = posted * listeners as u64;
    let drain_deadline = Instant::now() + Duration::from_secs_f64(a.drain_secs);
    while fleet.rec.own_deliveries() < expected.min(posted * fleet.alive() as u64)
        && Instant::now() < drain_deadline
    {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let after = Snapshot::take(ctx.server_pid);
    tokio::time::sleep(Duration::from_millis(300)).await;

    let delivered = fleet.rec.own_deliveries();
    let last = fleet.rec.last_delivery().unwrap_or(window_end);
    let active = last
        .saturating_duration_since(start)
        .as_secs_f64()
        .max(1e-9);
    let report = json!({
        "mode": "rate",
        "sockets": a.sockets,
        "rate": a.rate,
        "seconds": a.seconds,
        "connect": fleet.connect_json(connect_secs),
        "disconnected": fleet.rec.disconnected.load(Ordering::Relaxed),
        "posted": posted,
        "post_failed": failed.load(Ordering::Relaxed),
        "post_lag": record::summarize_us(&post_lag),
        "expected": expected,
        "delivered": delivered,
        "missed": expected.saturating_sub(delivered),
        "duplicates": fleet.rec.duplicates.load(Ordering::Relaxed),
        "to_author": own.rec.to_author.load(Ordering::Relaxed),
        "deliveries_per_s": round3(delivered as f64 / active),
        "offered_per_s": round3(a.rate * listeners as f64),
        "behind_at_end": expected.saturating_sub(delivered_at_end),
        "drain_ms": ms(last.saturating_duration_since(window_end)),
        "latency": fleet.rec.latency_summary(),
        "server": ctx.server_json(&before, &after, delivered),
        "loadgen_cpu_s": round3(after.own_cpu - before.own_cpu),
    });
    fleet.stop().await;
    own.stop().await;
    eprintln!(
        "rate: {listeners} sockets at {} tweets/s for {} s: {delivered}/{expected} delivered ({} /s), \
         latency p50 {} p99 {} max {} ms, {} behind at the end, drained {} ms later; server CPU {} µs/delivery",
        a.rate,
        a.seconds,
        report["deliveries_per_s"],
        report["latency"]["p50_ms"],
        report["latency"]["p99_ms"],
        report["latency"]["max_ms"],
        report["behind_at_end"],
        report["drain_ms"],
        report["server"]["cpu_us_per_delivery"],
    );
    Ok(report)
}

// --------------------------------------------------------------------------------- polling

#[derive(Args)]
pub struct PollingArgs {
    /// Long-polling clients.
    #[arg(long, default_value_t = 500)]
    clients: usize,
    /// Tweets, posted one at a time; the next goes once every client has the last one.
    #[arg(long, default_value_t = 10)]
    tweets: usize,
    /// Pause between one tweet's last delivery and the next POST.
    #[arg(long, default_value_t = 50)]
    gap_ms: u64,
    /// Give up on a tweet's missing deliveries after this long.
    #[arg(long, default_value_t = 10_000)]
    timeout_ms: u64,
}

pub async fn polling(ctx: &Ctx, a: PollingArgs) -> anyhow::Result<Value> {
    // Each client may hold a long poll and a POST at once.
    target::ensure_open_files(a.clients * 2)?;
    let author = ctx.author().await?;
    let before_connect = Snapshot::take(ctx.server_pid);
    let mut fleet = Fleet::new(ctx);
    fleet.spawn_polling(ctx, a.clients);
    let connect_secs = fleet.wait_connected("polling").await;
    require_connected(&fleet, "polling client")?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    ctx.api.warm().await?;

    let clients = fleet.connected();
    let mut to_last = record::new_histogram();
    let mut incomplete = 0usize;
    let before = Snapshot::take(ctx.server_pid);
    for k in 0..a.tweets {
        let text = format!("Polling tweet {k} from the load generator.");
        let (complete, last) = fleet
            .post_and_wait(ctx, &author.token, &text, a.timeout_ms)
            .await?;
        incomplete += usize::from(!complete);
        if let Some(last) = last {
            record::record_duration(&mut to_last, last);
        }
        tokio::time::sleep(Duration::from_millis(a.gap_ms)).await;
    }
    let after = Snapshot::take(ctx.server_pid);
    tokio::time::sleep(Duration::from_millis(300)).await;

    let delivered = fleet.rec.own_deliveries();
    let expected = (clients * a.tweets) as u64;
    let per_client = (|| {
        let (b, a) = (
            before_connect.server_mem?.rss_kib as f64,
            before.server_mem?.rss_kib as f64,
        );
        Some(((a - b) * 1024.0 / clients as f64).round())
    })();
    let report = json!({
        "mode": "polling",
        "clients": a.clients,
        "tweets": a.tweets,
        "connect": fleet.connect_json(connect_secs),
        "disconnected": fleet.rec.disconnected.load(Ordering::Relaxed),
        "expected": expected,
        "delivered": delivered,
        "missed": expected.saturating_sub(delivered),
        "incomplete_tweets": incomplete,
        "duplicates": fleet.rec.duplicates.load(Ordering::Relaxed),
        "latency": fleet.rec.latency_summary(),
        "time_to_last": record::summarize_us(&to_last),
        "rss_kib_before_connect": before_connect.server_mem.map(|m| m.rss_kib),
        "rss_kib_connected": before.server_mem.map(|m| m.rss_kib),
        "bytes_per_client": per_client,
        "server": ctx.server_json(&before, &after, delivered),
        "loadgen_cpu_s": round3(after.own_cpu - before.own_cpu),
    });
    fleet.stop().await;
    eprintln!(
        "polling: {clients} clients × {} tweets: {delivered}/{expected} delivered, latency p50 {} p99 {} ms, \
         last delivery p50 {} ms; server CPU {} µs/delivery; {} bytes per client",
        a.tweets,
        report["latency"]["p50_ms"],
        report["latency"]["p99_ms"],
        report["time_to_last"]["p50_ms"],
        report["server"]["cpu_us_per_delivery"],
        report["bytes_per_client"],
    );
    Ok(report)
}

// ---------------------------------------------------------------------------------- listen

#[derive(Args)]
pub struct ListenArgs {
    /// Anonymous WebSocket clients to hold on --url.
    #[arg(long, default_value_t = 1000)]
    sockets: usize,
    /// Written (with the count of connected sockets) once every socket connected or failed.
    #[arg(long)]
    ready_file: Option<String>,
    /// Give up this long after all connected if no tweet reached every live socket.
    #[arg(long, default_value_t = 120.0)]
    timeout_secs: f64,
    /// Once a tweet was first seen, wait at most this long for its last delivery.
    #[arg(long, default_value_t = 30.0)]
    deliver_secs: f64,
}

/// Unix time in microseconds of a monotonic instant, through one (Instant, SystemTime) pair.
fn unix_us(at: Instant, anchor: (Instant, std::time::SystemTime)) -> Option<i64> {
    let wall = if at >= anchor.0 {
        anchor.1.checked_add(at - anchor.0)?
    } else {
        anchor.1.checked_sub(anchor.0 - at)?
    };
    Some(wall.duration_since(std::time::UNIX_EPOCH).ok()?.as_micros() as i64)
}

/// Holds N sockets for a tweet someone else posts (bench/cluster100k.sh posts it once every
/// listener process wrote its ready file). Reports the first and last delivery as Unix
/// microseconds, so figures of several processes can be put together.
pub async fn listen(ctx: &Ctx, a: ListenArgs) -> anyhow::Result<Value> {
    target::ensure_open_files(a.sockets)?;
    let anchor = (Instant::now(), std::time::SystemTime::now());
    let mut fleet = Fleet::new(ctx);
    fleet.spawn_websockets(ctx, a.sockets, None, Role::Listener);
    let connect_secs = fleet.wait_connected("listen").await;
    require_connected(&fleet, "socket")?;
    let connected = fleet.connected();
    let settled = Snapshot::take(ctx.server_pid);
    if let Some(f) = &a.ready_file {
        std::fs::write(f, format!("{connected}\n")).with_context(|| format!("writing {f}"))?;
    }
    eprintln!(
        "listen: {connected}/{} sockets connected in {connect_secs:.1} s",
        a.sockets
    );
    let deadline = Instant::now() + Duration::from_secs_f64(a.timeout_secs);
    let mut first_seen: Option<Instant> = None;
    let (id, count, last) = loop {
        let seen = fleet.rec.seen();
        let best = seen.iter().max_by_key(|(_, c, _)| *c).copied();
        let now = Instant::now();
        if let Some((_, c, _)) = best {
            first_seen.get_or_insert(now);
            if c >= fleet.alive() {
                break best.unwrap_or((0, 0, None));
            }
        }
        let give_up = now >= deadline
            || first_seen.is_some_and(|f| now >= f + Duration::from_secs_f64(a.deliver_secs));
        if give_up {
            break best.unwrap_or((0, 0, None));
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    };
    let held = Snapshot::take(ctx.server_pid);
    let report = json!({
        "mode": "listen",
        "sockets": a.sockets,
        "connect": fleet.connect_json(connect_secs),
        "disconnected": fleet.rec.disconnected.load(Ordering::Relaxed),
        "tweet_id": id,
        "delivered": count,
        "missed": connected.saturating_sub(count),
        "duplicates": fleet.rec.duplicates.load(Ordering::Relaxed),
        "tweets_seen": fleet.rec.seen().len(),
        "last_delivery_unix_us": last.and_then(|l| unix_us(l, anchor)),
        "server_rss_kib_connected": settled.server_mem.map(|m| m.rss_kib),
        "server_rss_kib_held": held.server_mem.map(|m| m.rss_kib),
        "server_hwm_kib": held.server_mem.map(|m| m.hwm_kib),
        "loadgen_cpu_s": round3(held.own_cpu - settled.own_cpu),
    });
    fleet.stop().await;
    eprintln!(
        "listen: tweet {id}: {count}/{connected} delivered, {} dropped",
        report["disconnected"]
    );
    Ok(report)
}
