//! The non-blocking write path (`engine/session.rs`), over real sockets: a WebSocket whose
//! client stops reading is disconnected once what the kernel refused passes the backlog
//! bound, while the sockets beside it receive every announcement, in order.
//!
//! The stalled client shrinks its receive buffer and segment size before connecting, so the
//! kernels on both sides hold little and the server's own backlog fills after a few thousand
//! announcements; the server runs with a small `--max-backlog-bytes` and a heartbeat too slow
//! to close anyone during the test, so the backlog bound is the only thing that can.

use std::net::SocketAddr;
use std::time::Duration;

use serde_json::Value;
use tokio::net::TcpStream;

use crate::helpers::{Backend, TestApp, spawn_app_with};
use crate::socket_protocol::{RawWs, connected_ws, socketio_connect};

/// Tweets posted while the stalled socket does not read.
const TWEETS: usize = 2_000;
/// Accounts posting them concurrently (the writer stores concurrent posts in batches).
const POSTERS: usize = 8;
/// The server's bound on one socket's backlog, in bytes.
const MAX_BACKLOG: usize = 16 * 1024;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_socket_that_stops_reading_is_dropped_and_its_neighbours_miss_nothing() {
    let app = spawn_app_with(Backend::Sqlite, |c| {
        c.max_backlog_bytes = MAX_BACKLOG;
        c.ping_interval_ms = 600_000;
        c.ping_timeout_ms = 600_000;
    })
    .await;
    let mut posters = Vec::new();
    for i in 0..POSTERS {
        // Long names make long announcements: fewer tweets fill the buffers.
        posters.push(app.user(&format!("backlog_poster_{i:02}")).await.1);
    }

    let mut stalled = stalled_socket(&app).await;
    let neighbours: Vec<_> = futures_util::future::join_all((0..2).map(|_| connected_ws(&app)))
        .await
        .into_iter()
        .map(|ws| tokio::spawn(read_announcements(ws, TWEETS)))
        .collect();

    let mut posted = post_concurrently(&app, &posters).await;
    posted.sort_unstable();

    for neighbour in neighbours {
        let (received, ended) = neighbour.await.unwrap();
        assert!(!ended, "a reading neighbour was disconnected");
        assert_eq!(received, posted, "a neighbour missed or reordered tweets");
    }
    // Every announcement has been written or queued to the stalled socket too (one pass over
    // every socket per announcement), so its fate is decided: read what reached it.
    let received = read_until_end(&mut stalled).await;
    assert!(
        received.len() < TWEETS,
        "the stalled socket got every tweet: the buffers never filled, post more"
    );
    assert_eq!(
        received,
        posted[..received.len()],
        "what the stalled socket did get came in order, without gaps"
    );
    eprintln!(
        "stalled socket: {} of {TWEETS} announcements before it was dropped",
        received.len()
    );

    // The server is unharmed: a new socket connects and hears the next tweet.
    let fresh = connected_ws(&app).await;
    let tweet = app.tweet(&posters[0], "after the stall").await;
    let (ids, _) = read_announcements(fresh, 1).await;
    assert_eq!(ids, vec![tweet["id"].as_i64().unwrap()]);
}

/// A socket with a 4 KiB receive buffer and 536-byte segments, connected to `/` and then
/// never read from until the test says so.
async fn stalled_socket(app: &TestApp) -> RawWs {
    use socket2::{Domain, Socket, Type};
    let addr = app.base.trim_start_matches("http://").to_owned();
    let target: SocketAddr = addr.parse().unwrap();
    let socket = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
    // Both must be set before connecting: the window scale and the MSS are agreed in the
    // handshake, and the server's send buffer grows with the segment size it learns there.
    socket.set_recv_buffer_size(4096).unwrap();
    socket.set_tcp_mss(536).unwrap();
    socket.connect(&target.into()).unwrap();
    socket.set_nonblocking(true).unwrap();
    let stream = TcpStream::from_std(socket.into()).unwrap();
    socketio_connect(RawWs::handshake(stream, &addr, "EIO=4&transport=websocket").await).await
}

/// Post `TWEETS` tweets, spread over the posters, concurrently; returns their ids.
async fn post_concurrently(app: &TestApp, posters: &[String]) -> Vec<i64> {
    let per_poster = TWEETS / posters.len();
    assert_eq!(per_poster * posters.len(), TWEETS);
    let text = "a tweet long enough to look like one, posted while a reader sleeps".repeat(2);
    let batches = posters.iter().map(|token| {
        let text = &text;
        async move {
            let mut ids = Vec::with_capacity(per_poster);
            for _ in 0..per_poster {
                ids.push(app.tweet(token, text).await["id"].as_i64().unwrap());
            }
            ids
        }
    });
    futures_util::future::join_all(batches)
        .await
        .into_iter()
        .flatten()
        .collect()
}

/// Read until `count` `newTweet` ids arrived or the stream ended; returns (ids, ended).
async fn read_announcements(mut ws: RawWs, count: usize) -> (Vec<i64>, bool) {
    let mut ids = Vec::with_capacity(count);
    while ids.len() < count {
        match ws.next().await {
            Some((_, payload)) => ids.extend(new_tweet_id(&payload)),
            None => return (ids, true),
        }
    }
    (ids, false)
}

/// Read every `newTweet` id until the server ends the stream. Fails if the stream stays
/// open with nothing more to read: the server did not disconnect it.
async fn read_until_end(ws: &mut RawWs) -> Vec<i64> {
    let mut ids = Vec::new();
    loop {
        match tokio::time::timeout(Duration::from_secs(10), ws.read_frame()).await {
            Ok(Some((_, payload))) => ids.extend(new_tweet_id(&payload)),
            Ok(None) => return ids,
            Err(_) => panic!(
                "the stalled socket was not disconnected (it received {} of {TWEETS})",
                ids.len()
            ),
        }
    }
}

/// The tweet id of a `42["newTweet",true,{"id":…}]` text frame, if it is one.
fn new_tweet_id(payload: &[u8]) -> Option<i64> {
    let text = std::str::from_utf8(payload).ok()?;
    let event: Value = serde_json::from_str(text.strip_prefix("42")?).ok()?;
    (event[0] == "newTweet").then(|| event[2]["id"].as_i64())?
}
