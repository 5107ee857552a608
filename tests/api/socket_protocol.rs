//! The Socket.IO endpoint at the protocol level, over real sockets: Engine.IO errors as the
//! reference server answers them, the `/` namespace only, acks, overlapping polls, size
//! limits, malformed input, WebSocket framing rules and the heartbeat. The official clients
//! are exercised by the JavaScript and Python suites; these are the edges they never reach.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use chirp::realtime::fuzzing::frame::opcode::{BINARY, CLOSE, CONTINUATION, PING, PONG, TEXT};

use crate::helpers::{Backend, TestApp, spawn_app, spawn_app_with};

const ENGINE: &str = "/socket.io/?EIO=4";

/// Open a polling session; returns its sid and the open packet.
async fn polling_open(app: &TestApp) -> (String, Value) {
    let body = app
        .client
        .get(format!("{}{ENGINE}&transport=polling", app.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(&body[..1], "0", "{body}");
    let open: Value = serde_json::from_str(&body[1..]).unwrap();
    (open["sid"].as_str().unwrap().to_owned(), open)
}

async fn poll(app: &TestApp, sid: &str) -> (StatusCode, String) {
    let res = app
        .client
        .get(format!("{}{ENGINE}&transport=polling&sid={sid}", app.base))
        .send()
        .await
        .unwrap();
    (res.status(), res.text().await.unwrap())
}

async fn post(app: &TestApp, sid: &str, body: impl Into<reqwest::Body>) -> (StatusCode, String) {
    let res = app
        .client
        .post(format!("{}{ENGINE}&transport=polling&sid={sid}", app.base))
        .body(body)
        .send()
        .await
        .unwrap();
    (res.status(), res.text().await.unwrap())
}

async fn engine_error(app: &TestApp, method: reqwest::Method, query: &str) -> (StatusCode, Value) {
    let res = app
        .client
        .request(method, format!("{}/socket.io/?{query}", app.base))
        .send()
        .await
        .unwrap();
    let status = res.status();
    (status, res.json().await.unwrap())
}

#[tokio::test]
async fn engine_errors_carry_the_reference_codes() {
    let app = spawn_app(Backend::Sqlite).await;
    let get = reqwest::Method::GET;
    for (query, code) in [
        ("EIO=3&transport=polling", 5),
        ("transport=polling", 5),
        ("EIO=4&transport=carrier-pigeon", 0),
        ("EIO=4", 0),
        ("EIO=4&transport=polling&sid=AAAAAAAAAAAAAAAAAAAA", 1),
        ("EIO=4&transport=polling&sid=../../etc", 1),
        ("EIO=4&transport=websocket", 3),
    ] {
        let (status, body) = engine_error(&app, get.clone(), query).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}");
        assert_eq!(body["code"], code, "{query}: {body}");
    }
    let (status, body) = engine_error(&app, reqwest::Method::POST, "EIO=4&transport=polling").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body,
        serde_json::json!({"code": 2, "message": "Bad handshake method"})
    );
    let (_, body) = engine_error(&app, get, "EIO=5&transport=polling").await;
    assert_eq!(
        body,
        serde_json::json!({"code": 5, "message": "Unsupported protocol version"})
    );
}

#[tokio::test]
async fn polling_connects_with_a_socket_id_distinct_from_the_session_id() {
    let app = spawn_app(Backend::Sqlite).await;
    let (sid, open) = polling_open(&app).await;
    assert_eq!(open["upgrades"], serde_json::json!(["websocket"]));
    assert_eq!(open["pingInterval"], 25_000);
    assert_eq!(open["pingTimeout"], 20_000);
    assert_eq!(open["maxPayload"], 1_000_000);
    assert_eq!(post(&app, &sid, "40").await, (StatusCode::OK, "ok".into()));
    let (status, body) = poll(&app, &sid).await;
    assert_eq!(status, StatusCode::OK);
    let connect: Value = serde_json::from_str(body.strip_prefix("40").unwrap()).unwrap();
    let socket_id = connect["sid"].as_str().unwrap();
    assert_eq!(socket_id.len(), 20);
    assert_ne!(
        socket_id, sid,
        "the Engine.IO sid is a credential: never the socket id"
    );

    // A client newTweet is acked (with no arguments) when it asks, and goes nowhere else.
    post(
        &app,
        &sid,
        "421[\"newTweet\",{\"x\":1}]\u{1e}42[\"newTweet\"]",
    )
    .await;
    assert_eq!(poll(&app, &sid).await.1, "431[]");
}

#[tokio::test]
async fn other_namespaces_are_refused_and_invalid_tokens_get_connect_error() {
    let app = spawn_app(Backend::Sqlite).await;
    let (sid, _) = polling_open(&app).await;
    post(&app, &sid, "40/admin,").await;
    assert_eq!(
        poll(&app, &sid).await.1,
        r#"44/admin,{"message":"Invalid namespace"}"#
    );
    post(&app, &sid, r#"40{"token":"nope"}"#).await;
    assert_eq!(poll(&app, &sid).await.1, r#"44{"message":"invalid token"}"#);
    // Still usable: an anonymous CONNECT then succeeds.
    post(&app, &sid, "40").await;
    assert!(poll(&app, &sid).await.1.starts_with("40{\"sid\":"));
}

#[tokio::test]
async fn a_second_concurrent_poll_closes_the_session() {
    let app = spawn_app(Backend::Sqlite).await;
    let (sid, _) = polling_open(&app).await;
    let first = tokio::spawn({
        let url = format!("{}{ENGINE}&transport=polling&sid={sid}", app.base);
        let client = app.client.clone();
        async move { client.get(url).send().await.unwrap().text().await.unwrap() }
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    let (status, body) = poll(&app, &sid).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("\"code\":3"), "{body}");
    let first = tokio::time::timeout(Duration::from_secs(5), first)
        .await
        .expect("the pending poll ends")
        .unwrap();
    assert_eq!(first, "1", "the pending poll answers a close packet");
    assert_eq!(poll(&app, &sid).await.0, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn oversized_and_malformed_posts_close_the_session() {
    let app = spawn_app(Backend::Sqlite).await;
    let (sid, _) = polling_open(&app).await;
    let (status, _) = post(&app, &sid, vec![b'4'; 1_000_001]).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    let (status, body) = poll(&app, &sid).await;
    assert_eq!(
        (status, body.contains("\"code\":1")),
        (StatusCode::BAD_REQUEST, true)
    );

    for bad in [
        &b"9"[..],
        b"bAQID",
        b"4\xff",
        b"42{not json",
        b"451-[\"e\",{\"_placeholder\":true,\"num\":0}]",
        b"\xc3\xa9",
        b"",
    ] {
        let (sid, _) = polling_open(&app).await;
        post(&app, &sid, "40").await;
        poll(&app, &sid).await;
        post(&app, &sid, bad.to_vec()).await;
        let (status, body) = poll(&app, &sid).await;
        assert!(
            status == StatusCode::BAD_REQUEST || body.ends_with('1'),
            "{bad:?}: the session is closed ({status} {body})"
        );
    }
    // The server is unharmed.
    let (sid, _) = polling_open(&app).await;
    assert_eq!(post(&app, &sid, "40").await.0, StatusCode::OK);
}

/// A raw WebSocket client: the handshake, masked frames out, frames in.
pub(crate) struct RawWs {
    stream: TcpStream,
}

impl RawWs {
    async fn connect(app: &TestApp, query: &str) -> Self {
        let addr = app.base.trim_start_matches("http://");
        Self::handshake(TcpStream::connect(addr).await.unwrap(), addr, query).await
    }

    /// The WebSocket handshake over a stream the caller connected to `addr` (`host:port`).
    pub(crate) async fn handshake(mut stream: TcpStream, addr: &str, query: &str) -> Self {
        let request = format!(
            "GET /socket.io/?{query} HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\n\
             Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
             Sec-WebSocket-Version: 13\r\n\r\n"
        );
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut head = Vec::new();
        while !head.ends_with(b"\r\n\r\n") {
            let mut byte = [0u8];
            stream.read_exact(&mut byte).await.unwrap();
            head.push(byte[0]);
        }
        let head = String::from_utf8(head).unwrap();
        assert!(head.starts_with("HTTP/1.1 101"), "{head}");
        assert!(
            head.to_ascii_lowercase()
                .contains("sec-websocket-accept: s3pplmbitxaq9kygzzhzrbk+xoo="),
            "{head}"
        );
        Self { stream }
    }

    async fn send_raw(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).await.unwrap();
    }

    async fn send(&mut self, opcode: u8, payload: &[u8]) {
        self.send_raw(&masked(true, opcode, payload)).await;
    }

    pub(crate) async fn text(&mut self, text: &str) {
        self.send(TEXT, text.as_bytes()).await;
    }

    /// The next frame: (opcode, payload), or None when the server closed the TCP stream.
    pub(crate) async fn next(&mut self) -> Option<(u8, Vec<u8>)> {
        tokio::time::timeout(Duration::from_secs(5), self.read_frame())
            .await
            .expect("a frame or the end within 5 s")
    }

    /// The next frame, however long it takes; None when the stream ends (a frame cut short
    /// by the end counts as the end).
    pub(crate) async fn read_frame(&mut self) -> Option<(u8, Vec<u8>)> {
        let mut head = [0u8; 2];
        self.stream.read_exact(&mut head).await.ok()?;
        let len = match head[1] & 0x7F {
            126 => self.stream.read_u16().await.ok()? as usize,
            127 => self.stream.read_u64().await.ok()? as usize,
            n => n as usize,
        };
        assert_eq!(head[1] & 0x80, 0, "server frames are not masked");
        let mut payload = vec![0u8; len];
        self.stream.read_exact(&mut payload).await.ok()?;
        Some((head[0] & 0x0F, payload))
    }

    pub(crate) async fn next_text(&mut self) -> String {
        let (opcode, payload) = self.next().await.expect("a frame");
        assert_eq!(opcode, TEXT, "text frame, got {opcode} {payload:?}");
        String::from_utf8(payload).unwrap()
    }

    /// Expect a close frame with `code`, then the end of the stream.
    async fn expect_close(&mut self, code: u16) {
        loop {
            match self.next().await {
                Some((CLOSE, payload)) => {
                    assert_eq!(u16::from_be_bytes([payload[0], payload[1]]), code);
                    break;
                }
                Some(_) => continue,
                None => panic!("stream ended without a close frame"),
            }
        }
        assert!(self.next().await.is_none(), "nothing after the close frame");
    }
}

fn masked(fin: bool, opcode: u8, payload: &[u8]) -> Vec<u8> {
    chirp::realtime::fuzzing::frame::client(fin, opcode, [7, 1, 200, 33], payload)
}

pub(crate) async fn connected_ws(app: &TestApp) -> RawWs {
    socketio_connect(RawWs::connect(app, "EIO=4&transport=websocket").await).await
}

/// Read the Engine.IO open packet, then connect to `/` anonymously.
pub(crate) async fn socketio_connect(mut ws: RawWs) -> RawWs {
    let open = ws.next_text().await;
    let open: Value = serde_json::from_str(open.strip_prefix('0').unwrap()).unwrap();
    assert_eq!(open["upgrades"], serde_json::json!([]));
    ws.text("40").await;
    assert!(ws.next_text().await.starts_with("40{\"sid\":"));
    ws
}

#[tokio::test]
async fn websocket_speaks_fragmented_text_pings_and_acks() {
    let app = spawn_app(Backend::Sqlite).await;
    let mut ws = connected_ws(&app).await;
    // A fragmented event with a ping between the fragments.
    let event = "427[\"newTweet\",\"é\"]".as_bytes();
    ws.send_raw(&masked(false, TEXT, &event[..8])).await;
    ws.send(PING, b"hi").await;
    ws.send_raw(&masked(true, CONTINUATION, &event[8..])).await;
    assert_eq!(ws.next().await, Some((PONG, b"hi".to_vec())), "pong first");
    assert_eq!(ws.next_text().await, "437[]");
    // A client close is answered with a close frame, then the end.
    ws.send(CLOSE, &1000u16.to_be_bytes()).await;
    ws.expect_close(1000).await;
}

#[tokio::test]
async fn websocket_breaches_close_with_the_rfc_code() {
    let app = spawn_app(Backend::Sqlite).await;
    let cases: Vec<(&str, Vec<u8>, u16)> = vec![
        ("unmasked", vec![0x81, 0x02, b'4', b'0'], 1002),
        ("binary", masked(true, BINARY, b"\x04"), 1003),
        ("invalid UTF-8", masked(true, TEXT, b"4\xff"), 1007),
        (
            "reserved bits",
            {
                let mut f = masked(true, TEXT, b"3");
                f[0] |= 0x20;
                f
            },
            1002,
        ),
        (
            "oversized",
            {
                let mut f = vec![0x81, 0xFF];
                f.extend_from_slice(&(2_000_000u64).to_be_bytes());
                f
            },
            1009,
        ),
        (
            "continuation first",
            masked(true, CONTINUATION, b"40"),
            1002,
        ),
    ];
    for (what, bytes, code) in cases {
        let mut ws = connected_ws(&app).await;
        ws.send_raw(&bytes).await;
        ws.expect_close(code).await;
        eprintln!("{what}: closed with {code}");
    }
    for packet in ["9", "42", "4é", "451-[\"e\",{}]", "1"] {
        let mut ws = connected_ws(&app).await;
        ws.text(packet).await;
        ws.expect_close(1000).await;
    }
    // Still serving.
    connected_ws(&app).await;
}

#[tokio::test]
async fn websocket_probe_takes_over_a_polling_session() {
    let app = spawn_app(Backend::Sqlite).await;
    let (sid, _) = polling_open(&app).await;
    post(&app, &sid, "40").await;
    assert!(poll(&app, &sid).await.1.starts_with("40"));
    let pending = tokio::spawn({
        let url = format!("{}{ENGINE}&transport=polling&sid={sid}", app.base);
        let client = app.client.clone();
        async move { client.get(url).send().await.unwrap().text().await.unwrap() }
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut ws = RawWs::connect(&app, &format!("EIO=4&transport=websocket&sid={sid}")).await;
    // A second probe while one is under way is refused.
    let addr = app.base.clone();
    let second = reqwest::get(format!("{addr}{ENGINE}&transport=websocket&sid={sid}"))
        .await
        .unwrap();
    assert_eq!(second.status(), StatusCode::BAD_REQUEST);
    ws.text("2probe").await;
    assert_eq!(ws.next_text().await, "3probe");
    assert_eq!(
        pending.await.unwrap(),
        "6",
        "the pending poll ends with a noop"
    );
    ws.text("5").await;
    ws.text("421[\"newTweet\"]").await;
    assert_eq!(ws.next_text().await, "431[]");
    // Polling is over for this session, and another WebSocket for it is closed at once.
    assert_eq!(poll(&app, &sid).await.0, StatusCode::BAD_REQUEST);
    let mut late = RawWs::connect(&app, &format!("EIO=4&transport=websocket&sid={sid}")).await;
    late.expect_close(1008).await;
    ws.text("421[\"newTweet\"]").await;
    assert_eq!(
        ws.next_text().await,
        "431[]",
        "the upgraded socket is unharmed"
    );
}

#[tokio::test]
async fn leaving_the_namespace_keeps_the_session_and_a_client_close_ends_the_poll() {
    let app = spawn_app(Backend::Sqlite).await;
    let (sid, _) = polling_open(&app).await;
    post(&app, &sid, "40").await;
    assert!(poll(&app, &sid).await.1.starts_with("40"));
    post(&app, &sid, "41").await;
    post(&app, &sid, "40").await;
    assert!(
        poll(&app, &sid).await.1.starts_with("40{\"sid\":"),
        "connects again"
    );
    let pending = tokio::spawn({
        let url = format!("{}{ENGINE}&transport=polling&sid={sid}", app.base);
        let client = app.client.clone();
        async move { client.get(url).send().await.unwrap().text().await.unwrap() }
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(post(&app, &sid, "1").await.0, StatusCode::OK);
    assert_eq!(
        pending.await.unwrap(),
        "6",
        "the client closed: a noop ends its poll"
    );
    assert_eq!(poll(&app, &sid).await.0, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn silent_clients_are_closed_after_the_ping_timeout() {
    let app = spawn_app_with(Backend::Sqlite, |c| {
        c.realtime.ping_interval_ms = 200;
        c.realtime.ping_timeout_ms = 300;
    })
    .await;
    let mut answering = connected_ws(&app).await;
    let answerer = tokio::spawn(async move {
        // Answers four pings in a row: never closed.
        for _ in 0..4 {
            assert_eq!(answering.next_text().await, "2");
            answering.text("3").await;
        }
    });
    let mut silent = connected_ws(&app).await;
    let started = std::time::Instant::now();
    assert_eq!(silent.next_text().await, "2");
    silent.expect_close(1000).await;
    let elapsed = started.elapsed();
    assert!(
        elapsed >= Duration::from_millis(250) && elapsed < Duration::from_millis(1500),
        "closed after {elapsed:?}"
    );
    answerer.await.unwrap();
}
