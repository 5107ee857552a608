//! The `follows` run: how many follows and unfollows a server stores per second.
//!
//! N users sign up (a few at a time), then every ordered pair of them is followed, in a
//! shuffled order so that requests in flight touch different users, `--in-flight` requests at
//! once over keep-alive connections; then every pair is unfollowed the same way. Each answer
//! must be a 200; the rate, latency percentiles and (with `--server-pid`) the server's CPU per
//! request are reported for each phase.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use anyhow::{Context, bail};
use clap::Args;
use serde_json::{Value, json};
use tokio::sync::Semaphore;

use crate::api::{self, Author};
use crate::modes::{Ctx, round3};
use crate::procfs::Snapshot;
use crate::record::{new_histogram, record_duration, summarize_us};

#[derive(Args)]
pub struct FollowsArgs {
    /// Users who follow each other (every ordered pair: N × (N − 1) follows).
    #[arg(long, default_value_t = 150)]
    users: usize,
    /// Follow requests in flight at once.
    #[arg(long, default_value_t = 64)]
    in_flight: usize,
    /// Sign-ups in flight at once.
    #[arg(long, default_value_t = 8)]
    sign_up_concurrency: usize,
}

pub async fn follows(ctx: &Ctx, a: FollowsArgs) -> anyhow::Result<Value> {
    if a.users < 2 {
        bail!("--users must be at least 2");
    }
    let users = sign_up(ctx, a.users, a.sign_up_concurrency.max(1)).await?;
    let mut pairs: Vec<(usize, usize)> = (0..users.len())
        .flat_map(|i| {
            (0..users.len())
                .filter(move |&j| j != i)
                .map(move |j| (i, j))
        })
        .collect();
    shuffle(&mut pairs);
    let users = Arc::new(users);
    let pairs = Arc::new(pairs);
    let follow = phase(ctx, &users, &pairs, true, a.in_flight).await?;
    let unfollow = phase(ctx, &users, &pairs, false, a.in_flight).await?;
    Ok(json!({
        "mode": "follows",
        "users": users.len(),
        "in_flight": a.in_flight,
        "follow": follow,
        "unfollow": unfollow,
    }))
}

async fn sign_up(ctx: &Ctx, n: usize, concurrency: usize) -> anyhow::Result<Vec<Author>> {
    let started = Instant::now();
    let prefix = api::fresh_username("f");
    let gate = Arc::new(Semaphore::new(concurrency));
    let mut tasks = Vec::with_capacity(n);
    for i in 0..n {
        let (api, gate) = (ctx.api.clone(), gate.clone());
        let mut name = prefix.clone();
        name.truncate(14);
        let name = format!("{name}_{i}");
        tasks.push(tokio::spawn(async move {
            let _permit = gate.acquire_owned().await;
            api.sign_up(&name).await
        }));
    }
    let mut users = Vec::with_capacity(n);
    for t in tasks {
        users.push(t.await.context("sign-up task")??);
    }
    eprintln!(
        "follows: {n} users signed up in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(users)
}

/// Follow (`on`) or unfollow every pair, `in_flight` at once; the phase's figures.
async fn phase(
    ctx: &Ctx,
    users: &Arc<Vec<Author>>,
    pairs: &Arc<Vec<(usize, usize)>>,
    on: bool,
    in_flight: usize,
) -> anyhow::Result<Value> {
    let next = Arc::new(AtomicUsize::new(0));
    let before = Snapshot::take(ctx.server_pid);
    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..in_flight.max(1) {
        let (api, users, pairs, next) =
            (ctx.api.clone(), users.clone(), pairs.clone(), next.clone());
        workers.push(tokio::spawn(async move {
            let mut latency = new_histogram();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(&(from, to)) = pairs.get(i) else {
                    return Ok::<_, anyhow::Error>(latency);
                };
                let t0 = Instant::now();
                api.follow(&users[from].token, &users[to].username, on)
                    .await?;
                record_duration(&mut latency, t0.elapsed());
            }
        }));
    }
    let mut latency = new_histogram();
    for w in workers {
        latency.add(w.await.context("follow worker")??)?;
    }
    let seconds = started.elapsed().as_secs_f64();
    let after = Snapshot::take(ctx.server_pid);
    let requests = pairs.len() as u64;
    let rate = requests as f64 / seconds;
    let what = if on { "follows" } else { "unfollows" };
    eprintln!(
        "follows: {requests} {what} in {seconds:.2} s: {rate:.0}/s, p50 {} p99 {} ms",
        summarize_us(&latency)["p50_ms"],
        summarize_us(&latency)["p99_ms"],
    );
    Ok(json!({
        "requests": requests,
        "seconds": round3(seconds),
        "per_second": rate.round(),
        "latency": summarize_us(&latency),
        "server": ctx.server_json(&before, &after, requests),
    }))
}

/// A fixed shuffle (xorshift), the same every run.
fn shuffle<T>(items: &mut [T]) {
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    for i in (1..items.len()).rev() {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        items.swap(i, (state % (i as u64 + 1)) as usize);
    }
}
