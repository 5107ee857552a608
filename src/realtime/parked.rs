//! What a recovering socket is, kept in Redis for the other nodes of a cluster (`Parked`):
//! whose it is, what it watches and the store's marks from which it watches that (its
//! connect, its last `watch` or recovery). A socket whose connection was lost may come back
//! on any node; that node reads this record to restore its watch and replays from the store
//! what the socket missed (`socketio::resume`).
//!
//! Writes go through one queue and one task, in order and without waiting (a connect, then a
//! `watch`, must not land the other way round); a record lives `CONNECTED_TTL` while its
//! socket is connected, renewed every `RENEW_EVERY` (so one whose node died without saying
//! goes soon after), and the recovery window once it left.
//! Reads wait at most `READ_WAIT`: a node that cannot ask Redis connects the socket afresh.

use std::time::Duration;

use redis::AsyncCommands;
use redis::aio::ConnectionManager;
use serde::{Deserialize, Serialize};
use tokio::sync::{OnceCell, mpsc};

use super::engine::session::Sid;
use super::watch::Timeline;
use crate::changes::Marks;

/// How long a connected socket's record lives without being renewed…
const CONNECTED_TTL: Duration = Duration::from_secs(600);
/// …and how often this node renews its connected sockets' records.
pub const RENEW_EVERY: Duration = Duration::from_secs(300);
/// Longest a recovery waits to read a record.
const READ_WAIT: Duration = Duration::from_secs(1);

/// A recovering socket, as any node can recover it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    /// Its signed-in user, if any.
    pub user: Option<i64>,
    /// What it watches (`Timeline::name`).
    pub watch: String,
    /// The store's marks from which it watches that.
    pub tweet: i64,
    /// …and the time mark.
    pub time: i64,
}

impl Record {
    /// The record of a socket of `user` watching `timeline` from `marks`.
    pub fn new(user: Option<i64>, timeline: &Timeline, marks: Marks) -> Self {
        Self {
            user,
            watch: name(timeline),
            tweet: marks.tweet,
            time: marks.time,
        }
    }

    /// Its watch, if the name is one.
    pub fn timeline(&self) -> Option<Timeline> {
        parse(&self.watch)
    }

    /// Its marks.
    pub fn marks(&self) -> Marks {
        Marks {
            tweet: self.tweet,
            time: self.time,
        }
    }
}

fn name(timeline: &Timeline) -> String {
    match timeline {
        Timeline::Everyone => "everyone".into(),
        Timeline::Home => "home".into(),
        Timeline::User(id) => format!("user:{id}"),
        Timeline::Replies(id) => format!("replies:{id}"),
        Timeline::Tag(tag) => format!("tag:{tag}"),
    }
}

fn parse(name: &str) -> Option<Timeline> {
    match name {
        "everyone" => Some(Timeline::Everyone),
        "home" => Some(Timeline::Home),
        _ => {
            let (kind, value) = name.split_once(':')?;
            match kind {
                "user" => value.parse().ok().map(Timeline::User),
                "replies" => value.parse().ok().map(Timeline::Replies),
                "tag" => Some(Timeline::Tag(value.into())),
                _ => None,
            }
        }
    }
}

enum Write {
    Set(Sid, Record, Duration),
    Expire(Sid, Duration),
    Delete(Sid),
}

/// The records in Redis.
pub struct Parked {
    client: redis::Client,
    connection: OnceCell<ConnectionManager>,
    writes: mpsc::UnboundedSender<Write>,
}

impl Parked {
    /// Records in the Redis at `url`; `None` for a malformed URL (a cluster without it
    /// recovers sockets only on the node they were on).
    pub fn start(url: &str) -> Option<std::sync::Arc<Self>> {
        let client = redis::Client::open(url).ok()?;
        let (writes, queue) = mpsc::unbounded_channel();
        let parked = std::sync::Arc::new(Self {
            client,
            connection: OnceCell::new(),
            writes,
        });
        tokio::spawn(write_loop(parked.clone(), queue));
        Some(parked)
    }

    async fn connection(&self) -> Option<ConnectionManager> {
        self.connection
            .get_or_try_init(|| ConnectionManager::new(self.client.clone()))
            .await
            .inspect_err(|e| tracing::warn!(error = %e, "socket recovery cannot reach redis"))
            .ok()
            .cloned()
    }

    /// A recovering socket connected, or watches something else: its record.
    pub fn connected(&self, pid: Sid, record: Record) {
        let _ = self.writes.send(Write::Set(pid, record, CONNECTED_TTL));
    }

    /// This node's connected recovering sockets: their records live on.
    pub fn renew(&self, pids: Vec<Sid>) {
        for pid in pids {
            let _ = self.writes.send(Write::Expire(pid, CONNECTED_TTL));
        }
    }

    /// A recovering socket's connection was lost: its record lives the recovery window.
    pub fn lost(&self, pid: Sid, window: Duration) {
        let _ = self.writes.send(Write::Expire(pid, window));
    }

    /// A recovering socket left for good (or another took its pid): no record.
    pub fn gone(&self, pid: Sid) {
        let _ = self.writes.send(Write::Delete(pid));
    }

    /// The record of `pid`, if there is one and Redis answers in time.
    pub async fn read(&self, pid: &Sid) -> Option<Record> {
        let read = async {
            let mut conn = self.connection().await?;
            let text: Option<String> = conn.get(key(pid)).await.ok()?;
            serde_json::from_str(&text?).ok()
        };
        tokio::time::timeout(READ_WAIT, read).await.ok().flatten()
    }
}

fn key(pid: &Sid) -> String {
    format!("chirp:socket-recovery:{pid}")
}

async fn write_loop(parked: std::sync::Arc<Parked>, mut queue: mpsc::UnboundedReceiver<Write>) {
    while let Some(write) = queue.recv().await {
        let Some(mut conn) = parked.connection().await else {
            continue;
        };
        let done: redis::RedisResult<()> = match write {
            Write::Set(pid, record, ttl) => match serde_json::to_string(&record) {
                Ok(json) => {
                    let ms = ttl.as_millis().max(1) as u64;
                    conn.pset_ex(key(&pid), json, ms).await
                }
                Err(_) => Ok(()),
            },
            Write::Expire(pid, ttl) => {
                let ms = ttl.as_millis().max(1) as i64;
                conn.pexpire(key(&pid), ms).await
            }
            Write::Delete(pid) => conn.del(key(&pid)).await,
        };
        if let Err(e) = done {
            tracing::debug!(error = %e, "socket recovery record not written");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn watches_read_back_as_written() {
        for timeline in [
            Timeline::Everyone,
            Timeline::Home,
            Timeline::User(7),
            Timeline::Replies(9),
            Timeline::Tag("café".into()),
        ] {
            assert_eq!(parse(&name(&timeline)), Some(timeline));
        }
        assert_eq!(parse("user:x"), None);
        assert_eq!(parse("nothing"), None);
    }
}
