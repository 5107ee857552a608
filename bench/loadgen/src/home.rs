//! The `home` run: targeted fan-out checked against the follow graph.
//!
//! N sockets sign in as N seeded users (tokens and follows come from the graph file
//! `bench/home-seed.mjs` writes) and `watch` their home timeline; authors then post on a
//! steady schedule. Each socket keeps what it received, with the instant it was read, and
//! only when the run is over is every delivery judged against the graph: the right
//! recipient (a follower of the author), not the author, not twice; and every follower
//! online got every tweet of whom they follow, unless they hide the author (a block either way
//! or a mute, from the graph's last field: a delivery to such a viewer counts as
//! `to_hider`, which must stay 0). Memory per home-watching socket is the
//! server's RSS growth from before the first connect to after the last `watch` was
//! acknowledged, divided by the sockets.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::Args;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::sync::{Semaphore, watch};
use tokio_tungstenite::tungstenite::Message;

use crate::modes::{Ctx, round3};
use crate::procfs::Snapshot;
use crate::record;
use crate::sio::{self, ClientSpec, Packet, Role};
use crate::target;

#[derive(Args)]
pub struct HomeArgs {
    /// The graph file of `bench/home-seed.mjs --graph`: `id username token followee,…
    /// [hidden,…]` a line.
    #[arg(long)]
    graph: String,
    /// Home-watching sockets, one per user, the first N users of the graph.
    #[arg(long, default_value_t = 10_000)]
    sockets: usize,
    /// Tweets per second, posted on schedule by authors picked at random (open loop).
    #[arg(long, default_value_t = 10.0)]
    rate: f64,
    /// How long to post.
    #[arg(long, default_value_t = 20.0)]
    seconds: f64,
    /// After the last post, wait at most this long for the missing deliveries.
    #[arg(long, default_value_t = 30.0)]
    drain_secs: f64,
    /// Seed of the author picks.
    #[arg(long, default_value_t = 7)]
    seed: u64,
    /// With `--top-share`, the lowest author ids (the seeder's most followed) that post it.
    #[arg(long, default_value_t = 0)]
    top_authors: usize,
    /// The share of tweets posted by one of the `--top-authors` (the rest: any author).
    #[arg(long, default_value_t = 0.0)]
    top_share: f64,
}

struct User {
    id: i64,
    token: String,
    followees: HashSet<i64>,
    /// Authors this user hides (blocks either way, mutes): none of theirs may reach them.
    hidden: HashSet<i64>,
}

impl User {
    /// Whether `author`'s tweets belong on this user's home.
    fn sees(&self, author: i64) -> bool {
        self.followees.contains(&author) && !self.hidden.contains(&author)
    }
}

/// A comma-separated list of ids (empty or absent: none).
fn ids(field: Option<&str>) -> Result<HashSet<i64>, std::num::ParseIntError> {
    field
        .unwrap_or("")
        .split(',')
        .filter(|s| !s.is_empty())
        .map(str::parse)
        .collect()
}

fn read_graph(path: &str) -> anyhow::Result<Vec<User>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {path}"))?;
    let mut users = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let mut f = line.split(' ');
        let (Some(id), Some(_name), Some(token)) = (f.next(), f.next(), f.next()) else {
            bail!("{path}:{}: want `id username token followees`", n + 1);
        };
        let followees = ids(f.next()).with_context(|| format!("{path}:{}: followee ids", n + 1))?;
        let hidden = ids(f.next()).with_context(|| format!("{path}:{}: hidden ids", n + 1))?;
        users.push(User {
            id: id
                .parse()
                .with_context(|| format!("{path}:{}: id", n + 1))?,
            token: token.to_string(),
            followees,
            hidden,
        });
    }
    Ok(users)
}

/// What one socket received: tweet ids with the instant each frame was read.
type Got = Vec<(i64, Instant)>;

struct Shared {
    gate: Semaphore,
    /// Every `newTweet` read by any socket (to know when the drain is done).
    received: AtomicU64,
    watching: AtomicU64,
    failed: AtomicU64,
    disconnected: AtomicU64,
    first_error: std::sync::Mutex<Option<String>>,
}

impl Shared {
    fn fail(&self, e: String) {
        self.failed.fetch_add(1, Ordering::Relaxed);
        let mut first = self.first_error.lock().unwrap_or_else(|e| e.into_inner());
        first.get_or_insert(e);
    }
}

/// One home socket: connect, `watch` home (ack id 1), then collect `newTweet` until `stop`.
/// `ok` turns true once the watch is acknowledged.
async fn home_socket(
    spec: Arc<ClientSpec>,
    shared: Arc<Shared>,
    ok: Arc<AtomicBool>,
    mut stop: watch::Receiver<bool>,
) -> Got {
    let mut got = Got::new();
    let permit = shared.gate.acquire().await;
    let setup = async {
        let mut ws = sio::ws_connect(&spec).await?;
        ws.send(Message::Text(r#"421["watch","home"]"#.into()))
            .await?;
        while let Some(msg) = ws.next().await {
            let Message::Text(t) = msg.context("websocket read")? else {
                continue;
            };
            if let Some(ack) = t.as_str().strip_prefix("431") {
                if ack.contains(r#""ok":true"#) {
                    return Ok(ws);
                }
                bail!("watch refused: {ack}");
            }
            if matches!(sio::parse(t.as_str()), Packet::Ping) {
                ws.send(Message::Text("3".into())).await?;
            }
        }
        bail!("closed before the watch was acknowledged")
    };
    let ws = tokio::time::timeout(Duration::from_secs(60), setup).await;
    drop(permit);
    let mut ws = match ws {
        Ok(Ok(ws)) => ws,
        Ok(Err(e)) => {
            shared.fail(format!("{e:#}"));
            return got;
        }
        Err(_) => {
            shared.fail("connect + watch timed out after 60 s".into());
            return got;
        }
    };
    ok.store(true, Ordering::Relaxed);
    shared.watching.fetch_add(1, Ordering::Relaxed);
    loop {
        tokio::select! {
            biased;
            _ = stop.changed() => break,
            msg = ws.next() => {
                let at = Instant::now();
                let text = match msg {
                    Some(Ok(Message::Text(t))) => t,
                    Some(Ok(Message::Close(_))) | Some(Err(_)) | None => {
                        shared.disconnected.fetch_add(1, Ordering::Relaxed);
                        return got;
                    }
                    Some(Ok(_)) => continue,
                };
                match sio::parse(text.as_str()) {
                    Packet::NewTweet(id) => {
                        got.push((id, at));
                        shared.received.fetch_add(1, Ordering::Relaxed);
                    }
                    Packet::Ping
                        if ws.send(Message::Text("3".into())).await.is_err() => {
                            shared.disconnected.fetch_add(1, Ordering::Relaxed);
                            return got;
                        }
                    Packet::Closed => {
                        shared.disconnected.fetch_add(1, Ordering::Relaxed);
                        return got;
                    }
                    _ => {}
                }
            }
        }
    }
    let _ = tokio::time::timeout(Duration::from_secs(2), ws.close(None)).await;
    got
}

/// xorshift64*: author picks that repeat from run to run and server to server.
struct Rng(u64);
impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 33) as usize % n.max(1)
    }
}

/// Who posts tweet after tweet: with probability `top_share` one of the first `top` authors,
/// else any author, each pick uniform.
fn pick(rng: &mut Rng, authors: &[i64], top: usize, top_share: f64) -> i64 {
    let top = top.min(authors.len());
    // Without a top share, one draw per pick: the same authors as the plain home stage.
    if top > 0 && top_share > 0.0 && (rng.below(1_000_000) as f64) < top_share * 1_000_000.0 {
        authors[rng.below(top)]
    } else {
        authors[rng.below(authors.len())]
    }
}

pub async fn home(ctx: &Ctx, a: HomeArgs) -> anyhow::Result<Value> {
    if a.rate <= 0.0 || a.seconds <= 0.0 {
        bail!("--rate and --seconds must be positive");
    }
    if !(0.0..=1.0).contains(&a.top_share) {
        bail!("--top-share is a share between 0 and 1");
    }
    let users = read_graph(&a.graph)?;
    if users.len() < a.sockets {
        bail!(
            "{} has {} users; --sockets {} wants more",
            a.graph,
            users.len(),
            a.sockets
        );
    }
    target::ensure_open_files(a.sockets + 16)?;
    let by_id: HashMap<i64, &User> = users.iter().map(|u| (u.id, u)).collect();
    let mut authors: Vec<i64> = users
        .iter()
        .flat_map(|u| u.followees.iter().copied())
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    authors.sort_unstable();
    if authors.is_empty() {
        bail!("nobody in {} follows anyone", a.graph);
    }
    for id in &authors {
        if !by_id.contains_key(id) {
            bail!("author {id} has no line (no token) in {}", a.graph);
        }
    }

    // Connect and watch.
    let shared = Arc::new(Shared {
        gate: Semaphore::new(ctx.concurrency),
        received: AtomicU64::new(0),
        watching: AtomicU64::new(0),
        failed: AtomicU64::new(0),
        disconnected: AtomicU64::new(0),
        first_error: std::sync::Mutex::new(None),
    });
    let (stop, _) = watch::channel(false);
    let before_connect = Snapshot::take(ctx.server_pid);
    let t_connect = Instant::now();
    let mut tasks = Vec::with_capacity(a.sockets);
    let mut oks = Vec::with_capacity(a.sockets);
    for (i, u) in users.iter().take(a.sockets).enumerate() {
        let source = (!ctx.sources.is_empty()).then(|| ctx.sources[i % ctx.sources.len()]);
        let spec = Arc::new(ClientSpec {
            target: ctx.target.clone(),
            token: Some(u.token.clone()),
            role: Role::Listener,
            source,
        });
        let ok = Arc::new(AtomicBool::new(false));
        oks.push(ok.clone());
        tasks.push(tokio::spawn(home_socket(
            spec,
            shared.clone(),
            ok,
            stop.subscribe(),
        )));
    }
    let mut next_report = Instant::now() + Duration::from_secs(2);
    loop {
        let (ok, failed) = (
            shared.watching.load(Ordering::Relaxed),
            shared.failed.load(Ordering::Relaxed),
        );
        if (ok + failed) as usize >= a.sockets {
            break;
        }
        if Instant::now() >= next_report {
            eprintln!("  home: {ok}/{} watching, {failed} failed", a.sockets);
            next_report += Duration::from_secs(2);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let connect_secs = t_connect.elapsed().as_secs_f64();
    let watching = shared.watching.load(Ordering::Relaxed) as usize;
    if watching == 0 {
        let e = shared
            .first_error
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        bail!("no home socket connected: {}", e.unwrap_or_default());
    }
    // Let the server settle before reading its memory.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let settled = Snapshot::take(ctx.server_pid);

    // Who is online, and how many online followers each author has (who do not hide them).
    let online: Vec<bool> = oks.iter().map(|o| o.load(Ordering::Relaxed)).collect();
    let mut online_followers: HashMap<i64, u64> = HashMap::new();
    let mut online_hiders = 0u64;
    for (u, on) in users.iter().zip(&online) {
        if *on {
            for f in u.followees.iter().filter(|f| u.sees(**f)) {
                *online_followers.entry(*f).or_default() += 1;
            }
            online_hiders += u64::from(!u.hidden.is_empty());
        }
    }

    // Post on schedule.
    ctx.api.warm().await?;
    let total = (a.rate * a.seconds).round() as usize;
    let period = Duration::from_secs_f64(1.0 / a.rate);
    let mut rng = Rng(a.seed.max(1));
    let posted: Arc<std::sync::Mutex<HashMap<i64, (i64, Instant)>>> = Arc::default();
    let post_failed = Arc::new(AtomicU64::new(0));
    let mut posts = Vec::with_capacity(total);
    let before = Snapshot::take(ctx.server_pid);
    let start = Instant::now() + Duration::from_millis(20);
    for i in 0..total {
        let author = pick(&mut rng, &authors, a.top_authors, a.top_share);
        let scheduled = start + period * i as u32;
        tokio::time::sleep_until(scheduled.into()).await;
        let (api, token, posted, failed) = (
            ctx.api.clone(),
            by_id[&author].token.clone(),
            posted.clone(),
            post_failed.clone(),
        );
        posts.push(tokio::spawn(async move {
            let t0 = Instant::now();
            match api
                .post_tweet(&token, &format!("Home tweet {i} from the load generator."))
                .await
            {
                Ok(id) => {
                    posted
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .insert(id, (author, t0));
                }
                Err(e) => {
                    if failed.fetch_add(1, Ordering::Relaxed) == 0 {
                        eprintln!("  first failed post: {e:#}");
                    }
                }
            }
        }));
    }
    for p in posts {
        let _ = p.await;
    }
    let posted = std::mem::take(&mut *posted.lock().unwrap_or_else(|e| e.into_inner()));
    let expected: u64 = posted
        .values()
        .map(|(author, _)| online_followers.get(author).copied().unwrap_or(0))
        .sum();
    let drain_deadline = Instant::now() + Duration::from_secs_f64(a.drain_secs);
    while shared.received.load(Ordering::Relaxed) < expected && Instant::now() < drain_deadline {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let after = Snapshot::take(ctx.server_pid);
    // Deliveries the server must withhold: to online followers who mute the author (counted
    // after the measured window: this walks every user for every tweet).
    let withheld: u64 = posted
        .values()
        .map(|(author, _)| {
            users
                .iter()
                .zip(&online)
                .filter(|(u, on)| **on && u.followees.contains(author) && u.hidden.contains(author))
                .count() as u64
        })
        .sum();
    // Strays (duplicates, wrong recipients) still count.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let _ = stop.send(true);
    let mut gots = Vec::with_capacity(tasks.len());
    for t in tasks {
        gots.push(t.await.unwrap_or_default());
    }

    // Judge every delivery against the graph.
    let (mut correct, mut wrong, mut dup, mut to_author, mut to_hider, mut foreign) =
        (0u64, 0u64, 0u64, 0u64, 0u64, 0u64);
    let mut latency = record::new_histogram();
    let mut last_of: HashMap<i64, Instant> = HashMap::new();
    let mut per_socket_missed_sockets = 0u64;
    for ((u, got), on) in users.iter().zip(&gots).zip(&online) {
        let mut seen = HashSet::new();
        for &(id, at) in got {
            let Some(&(author, t0)) = posted.get(&id) else {
                foreign += 1;
                continue;
            };
            if author == u.id {
                to_author += 1;
            } else if u.hidden.contains(&author) {
                to_hider += 1;
            } else if !u.followees.contains(&author) {
                wrong += 1;
            } else if !seen.insert(id) {
                dup += 1;
            } else {
                correct += 1;
                record::record_duration(&mut latency, at.saturating_duration_since(t0));
                let l = last_of.entry(id).or_insert(at);
                *l = (*l).max(at);
            }
        }
        let want = posted
            .values()
            .filter(|(author, _)| u.sees(*author))
            .count();
        if *on && seen.len() < want {
            per_socket_missed_sockets += 1;
        }
    }
    let mut to_last = record::new_histogram();
    for (id, last) in &last_of {
        if let Some((_, t0)) = posted.get(id) {
            record::record_duration(&mut to_last, last.saturating_duration_since(*t0));
        }
    }
    let mut fo: Vec<u64> = online_followers.values().copied().collect();
    fo.sort_unstable();
    let rss = |s: &Snapshot| s.server_mem.map(|m| m.rss_kib);
    let per_socket = (|| {
        let (b, s) = (rss(&before_connect)? as f64, rss(&settled)? as f64);
        Some(((s - b) * 1024.0 / watching as f64).round())
    })();
    let report = json!({
        "mode": "home",
        "sockets": a.sockets,
        "authors": authors.len(),
        "follows_per_user": users.first().map(|u| u.followees.len()),
        "online_followers": {
            "max": fo.last(), "median": fo.get(fo.len() / 2), "min": fo.first(),
        },
        "rate": a.rate,
        "seconds": a.seconds,
        "connect": {
            "wanted": a.sockets,
            "watching": watching,
            "failed": shared.failed.load(Ordering::Relaxed),
            "first_error": shared.first_error.lock().unwrap_or_else(|e| e.into_inner()).clone(),
            "seconds": round3(connect_secs),
        },
        "disconnected": shared.disconnected.load(Ordering::Relaxed),
        "posted": posted.len(),
        "post_failed": post_failed.load(Ordering::Relaxed),
        "expected": expected,
        "delivered": correct,
        "missed": expected.saturating_sub(correct),
        "sockets_missing_some": per_socket_missed_sockets,
        "wrong_recipient": wrong,
        "duplicates": dup,
        "to_author": to_author,
        "online_hiders": online_hiders,
        "hide_pairs": users.iter().map(|u| u.hidden.len()).sum::<usize>(),
        "to_hider": to_hider,
        "withheld": withheld,
        "top_authors": a.top_authors,
        "top_share": a.top_share,
        "foreign": foreign,
        "latency": record::summarize_us(&latency),
        "time_to_last": record::summarize_us(&to_last),
        "rss_kib_before_connect": rss(&before_connect),
        "rss_kib_watching": rss(&settled),
        "bytes_per_socket": per_socket,
        "server": ctx.server_json(&before, &after, correct),
        "loadgen_cpu_s": round3(after.own_cpu - before.own_cpu),
    });
    eprintln!(
        "home: {watching}/{} sockets watching ({} bytes each); {} tweets by {} authors: {correct}/{expected} delivered, \
         {} missed, {wrong} wrong, {dup} duplicated, {to_author} to the author, {to_hider} to a viewer hiding the author \
         ({online_hiders} online viewers hide someone; {withheld} deliveries to followers who mute the author withheld); latency p50 {} p99 {} ms; server CPU {} µs/delivery",
        a.sockets,
        report["bytes_per_socket"],
        posted.len(),
        authors.len(),
        report["missed"],
        report["latency"]["p50_ms"],
        report["latency"]["p99_ms"],
        report["server"]["cpu_us_per_delivery"],
    );
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_seeders_graph_lines() {
        let path = std::env::temp_dir().join(format!("loadgen-graph-{}.txt", std::process::id()));
        std::fs::write(&path, "1 hu1 tokA 2,3\n2 hu2 tokB \n3 hu3 tokC 1 2\n").unwrap();
        let users = read_graph(path.to_str().unwrap()).unwrap();
        std::fs::remove_file(&path).unwrap();
        assert_eq!(users.len(), 3);
        assert_eq!(users[0].token, "tokA");
        assert_eq!(users[0].followees, HashSet::from([2, 3]));
        assert!(users[1].followees.is_empty());
        assert_eq!(users[2].id, 3);
        assert!(users[0].hidden.is_empty(), "no last field: hides nobody");
        assert_eq!(users[2].hidden, HashSet::from([2]));
        assert!(users[2].sees(1) && !users[2].sees(2));
    }

    #[test]
    fn top_authors_post_their_share() {
        let authors: Vec<i64> = (1..=100).collect();
        let mut r = Rng(7);
        let picks: Vec<i64> = (0..10_000)
            .map(|_| pick(&mut r, &authors, 5, 0.5))
            .collect();
        let top = picks.iter().filter(|&&a| a <= 5).count();
        assert!(
            (5_000..6_000).contains(&top),
            "{top} of 10,000 by the top 5"
        );
        // No top share: exactly the uniform picks.
        let (mut r, mut plain) = (Rng(7), Rng(7));
        assert!((0..1000).all(|_| pick(&mut r, &authors, 5, 0.0) == authors[plain.below(100)]));
    }

    #[test]
    fn author_picks_repeat_and_stay_in_range() {
        let picks = |seed| {
            let mut r = Rng(seed);
            (0..100).map(|_| r.below(7)).collect::<Vec<_>>()
        };
        assert_eq!(picks(7), picks(7));
        assert!(picks(7).iter().all(|&i| i < 7));
        assert_ne!(picks(7), picks(8));
    }
}
