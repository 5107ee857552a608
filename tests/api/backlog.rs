//! The non-blocking write path (`engine/session.rs`), over real sockets: a WebSocket whose
//! client stops reading is disconnected once what the kernel refused passes the backlog
//! bound, while the sockets beside it receive every announcement, in order.
//!
//! The stalled client shrinks its receive buffer and segment size before connecting, so the
//! kernels hold little; the server runs with a small `--max-backlog-bytes` and a heartbeat
//! too slow to close anyone during the test, so the backlog bound is the only thing that can.
//! How much the kernels take still varies with the load on the machine (the server's send
//! buffer grows with the congestion window), so tweets are posted in rounds until the server
//! has forgotten the stalled session, not in a fixed number.

use std::net::SocketAddr;
use std::time::Duration;

use serde_json::Value;
use tokio::net::TcpStream;
use tokio::sync::mpsc;

use crate::helpers::{Backend, TestApp, spawn_app_with};
use crate::socket_protocol::{RawWs, connected_ws};

/// Tweets posted per round, between two looks at whether the stalled socket is gone.
const ROUND: usize = 400;
/// Give up (the socket was never disconnected) after this many tweets.
const MAX_TWEETS: usize = 40_000;
/// Accounts posting concurrently (the writer stores concurrent posts in batches).
const POSTERS: usize = 8;
/// The server's bound on one socket's backlog, in bytes.
const MAX_BACKLOG: usize = 16 * 1024;

/// What a neighbour tells the test: `Ok((neighbour, tweet id))`, or `Err(neighbour)` when
/// its stream ended.
type Heard = Result<(usize, i64), usize>;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_socket_that_stops_reading_is_dropped_and_its_neighbours_miss_nothing() {
    let app = spawn_app_with(Backend::Sqlite, |c| {
        c.realtime.max_backlog_bytes = MAX_BACKLOG;
        c.realtime.ping_interval_ms = 600_000;
        c.realtime.ping_timeout_ms = 600_000;
    })
    .await;
    let mut posters = Vec::new();
    for i in 0..POSTERS {
        // Long names make long announcements: fewer tweets fill the buffers.
        posters.push(app.user(&format!("backlog_poster_{i:02}")).await.1);
    }

    let (mut stalled, stalled_sid) = stalled_socket(&app).await;
    let (heard, mut hearing) = mpsc::unbounded_channel();
    let neighbours = futures_util::future::join_all((0..2).map(|_| connected_ws(&app))).await;
    for (i, ws) in neighbours.into_iter().enumerate() {
        tokio::spawn(listen(i, ws, heard.clone()));
    }

    let mut posted = Vec::new();
    while session_exists(&app, &stalled_sid).await {
        assert!(
            posted.len() < MAX_TWEETS,
            "the stalled socket was still connected after {} tweets",
            posted.len()
        );
        posted.extend(post_round(&app, &posters).await);
    }
    posted.sort_unstable();

    // Each neighbour heard every tweet, in order.
    let mut by_neighbour = [Vec::new(), Vec::new()];
    while by_neighbour.iter().any(|ids| ids.len() < posted.len()) {
        match tokio::time::timeout(Duration::from_secs(10), hearing.recv()).await {
            Ok(Some(Ok((i, id)))) => by_neighbour[i].push(id),
            Ok(Some(Err(i))) => panic!("neighbour {i} was disconnected"),
            Ok(None) | Err(_) => panic!(
                "the neighbours heard {} and {} of {} tweets",
                by_neighbour[0].len(),
                by_neighbour[1].len(),
                posted.len()
            ),
        }
    }
    for ids in &by_neighbour {
        assert_eq!(ids, &posted, "a neighbour missed or reordered tweets");
    }

    // The stalled socket got a prefix of them, in order, then the end of the stream.
    let received = read_until_end(&mut stalled).await;
    assert!(received.len() < posted.len());
    assert_eq!(
        received,
        posted[..received.len()],
        "what the stalled socket did get came in order, without gaps"
    );
    eprintln!(
        "stalled socket: {} of {} announcements before it was dropped",
        received.len(),
        posted.len()
    );

    // The server is unharmed: a new socket connects and hears the next tweet.
    let mut fresh = connected_ws(&app).await;
    let tweet = app.tweet(&posters[0], "after the stall").await;
    let id = loop {
        if let Some(id) = new_tweet_id(&fresh.next().await.expect("a frame").1) {
            break id;
        }
    };
    assert_eq!(id, tweet["id"].as_i64().unwrap());
}

/// A socket with a 4 KiB receive buffer and 536-byte segments, connected to `/` and then
/// never read from until the test says so; with its Engine.IO session id.
async fn stalled_socket(app: &TestApp) -> (RawWs, String) {
    use socket2::{Domain, Socket, Type};
    let addr = app.base.trim_start_matches("http://").to_owned();
    let target: SocketAddr = addr.parse().unwrap();
    let socket = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
    // Both must be set before connecting: the window scale and the MSS are agreed in the
    // handshake, and the server's send buffer is sized from the segment size it learns there.
    socket.set_recv_buffer_size(4096).unwrap();
    socket.set_tcp_mss(536).unwrap();
    socket.connect(&target.into()).unwrap();
    socket.set_nonblocking(true).unwrap();
    let stream = TcpStream::from_std(socket.into()).unwrap();
    let mut ws = RawWs::handshake(stream, &addr, "EIO=4&transport=websocket").await;
    let open = ws.next_text().await;
    let open: Value = serde_json::from_str(open.strip_prefix('0').unwrap()).unwrap();
    ws.text("40").await;
    assert!(ws.next_text().await.starts_with("40{\"sid\":"));
    (ws, open["sid"].as_str().unwrap().to_owned())
}

/// Whether the server still holds Engine.IO session `sid`: a polling GET on a WebSocket
/// session is refused as a bad request (code 3), one on a forgotten session as unknown (1).
async fn session_exists(app: &TestApp, sid: &str) -> bool {
    let url = format!("{}/socket.io/?EIO=4&transport=polling&sid={sid}", app.base);
    let answer: Value = app
        .client
        .get(url)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    match answer["code"].as_i64() {
        Some(3) => true,
        Some(1) => false,
        _ => panic!("unexpected answer for a WebSocket session: {answer}"),
    }
}

/// Post `ROUND` tweets, spread over the posters, concurrently; returns their ids.
async fn post_round(app: &TestApp, posters: &[String]) -> Vec<i64> {
    let per_poster = ROUND / posters.len();
    let rounds = posters.iter().map(|token| async move {
        let mut ids = Vec::with_capacity(per_poster);
        for _ in 0..per_poster {
            let tweet = app.tweet(token, "posted while a reader sleeps").await;
            ids.push(tweet["id"].as_i64().unwrap());
        }
        ids
    });
    futures_util::future::join_all(rounds)
        .await
        .into_iter()
        .flatten()
        .collect()
}

/// Pass on a neighbour's `newTweet` ids as they come, until its stream ends or the test does.
async fn listen(i: usize, mut ws: RawWs, heard: mpsc::UnboundedSender<Heard>) {
    loop {
        let told = match ws.read_frame().await {
            Some((_, payload)) => match new_tweet_id(&payload) {
                Some(id) => heard.send(Ok((i, id))),
                None => Ok(()),
            },
            None => {
                let _ = heard.send(Err(i));
                return;
            }
        };
        if told.is_err() {
            return;
        }
    }
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
                "the stalled socket's stream stayed open after {} tweets",
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
