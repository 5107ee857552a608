//! Raw Socket.IO v5 / Engine.IO v4 clients: over WebSocket, and over HTTP long-polling.
//!
//! Only what a listening client needs: the open packet, the namespace connect (with
//! `auth: {token}` when signed in), answering pings, and reading `newTweet`. No client
//! library sits between the socket and the figures, so a delivery is timestamped the moment
//! its frame is read.

use std::net::Ipv4Addr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use futures_util::{SinkExt, StreamExt};
use serde::Deserialize;
use serde::de::IgnoredAny;
use tokio::sync::{Semaphore, watch};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

use crate::record::Recorder;
use crate::target::{self, Target};

/// What a client is for: a listener counts deliveries; the author's own socket must get none.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Listener,
    Author,
}

pub struct ClientSpec {
    pub target: Target,
    pub token: Option<String>,
    pub role: Role,
    pub source: Option<Ipv4Addr>,
}

#[derive(Deserialize)]
struct Id {
    id: i64,
}

/// What one Socket.IO packet (already split out of its transport) means to us.
pub(crate) enum Packet {
    Ping,
    Connected,
    ConnectError(String),
    NewTweet(i64),
    Closed,
    Other,
}

pub(crate) fn parse(p: &str) -> Packet {
    match p.as_bytes().first() {
        Some(b'2') if p.len() == 1 => Packet::Ping,
        Some(b'1') => Packet::Closed,
        Some(b'4') => match p.as_bytes().get(1) {
            Some(b'0') => Packet::Connected,
            Some(b'1') => Packet::Closed,
            Some(b'4') => Packet::ConnectError(p[2..].to_string()),
            Some(b'2') if p[2..].starts_with("[\"newTweet\",") => {
                // ["newTweet", true, {"id": …, "author": …}]
                match serde_json::from_str::<(IgnoredAny, IgnoredAny, Id)>(&p[2..]) {
                    Ok((_, _, Id { id })) => Packet::NewTweet(id),
                    Err(_) => Packet::Other,
                }
            }
            _ => Packet::Other,
        },
        _ => Packet::Other,
    }
}

fn connect_packet(token: &Option<String>) -> String {
    match token {
        Some(t) => format!("40{}", serde_json::json!({ "token": t })),
        None => "40".to_string(),
    }
}

/// Per-socket bookkeeping of what it has received.
struct Seen {
    role: Role,
    last_id: i64,
}

impl Seen {
    fn new(role: Role) -> Self {
        Seen {
            role,
            last_id: i64::MIN,
        }
    }

    fn tweet(&mut self, rec: &Recorder, id: i64, at: Instant) {
        if self.role == Role::Author {
            rec.to_author.fetch_add(1, Ordering::Relaxed);
        } else if id <= self.last_id {
            rec.duplicates.fetch_add(1, Ordering::Relaxed);
        } else {
            self.last_id = id;
            rec.deliver(id, at);
        }
    }
}

/// Runs one WebSocket client until `stop` turns true. The connect holds a permit of `gate`
/// (so only so many handshakes are in flight) and reports into `rec`.
pub async fn run_websocket(
    spec: Arc<ClientSpec>,
    gate: Arc<Semaphore>,
    rec: Arc<Recorder>,
    mut stop: watch::Receiver<bool>,
) {
    let permit = gate.acquire_owned().await;
    let ws = tokio::time::timeout(Duration::from_secs(30), ws_connect(&spec)).await;
    drop(permit);
    let mut ws = match ws {
        Ok(Ok(ws)) => ws,
        Ok(Err(e)) => return rec.connect_error(format!("{e:#}")),
        Err(_) => return rec.connect_error("connect timed out after 30 s".into()),
    };
    rec.connected.fetch_add(1, Ordering::Relaxed);
    let mut seen = Seen::new(spec.role);
    loop {
        tokio::select! {
            biased;
            _ = stop.changed() => break,
            msg = ws.next() => {
                let at = Instant::now();
                let text = match msg {
                    Some(Ok(Message::Text(t))) => t,
                    Some(Ok(Message::Close(_))) | Some(Err(_)) | None => {
                        if !*stop.borrow() {
                            rec.disconnected.fetch_add(1, Ordering::Relaxed);
                        }
                        return;
                    }
                    Some(Ok(_)) => continue,
                };
                let lost = match parse(text.as_str()) {
                    Packet::NewTweet(id) => {
                        seen.tweet(&rec, id, at);
                        false
                    }
                    Packet::Ping => ws.send(Message::Text("3".into())).await.is_err(),
                    Packet::Closed => true,
                    _ => false,
                };
                if lost {
                    rec.disconnected.fetch_add(1, Ordering::Relaxed);
                    return;
                }
            }
        }
    }
    // Leave politely so the server frees the socket at once, not at its ping timeout.
    let _ = tokio::time::timeout(Duration::from_secs(2), ws.close(None)).await;
}

pub(crate) type Ws = tokio_tungstenite::WebSocketStream<tokio::net::TcpStream>;

pub(crate) async fn ws_connect(spec: &ClientSpec) -> anyhow::Result<Ws> {
    let tcp = target::connect(spec.target.addr, spec.source)
        .await
        .context("tcp connect")?;
    // Small buffers: thousands of these sockets each read a few hundred bytes at a time.
    let config = WebSocketConfig::default()
        .read_buffer_size(4096)
        .write_buffer_size(0);
    let (mut ws, _) =
        tokio_tungstenite::client_async_with_config(spec.target.ws_url(), tcp, Some(config))
            .await
            .context("websocket handshake")?;
    let mut sent_connect = false;
    while let Some(msg) = ws.next().await {
        let Message::Text(text) = msg.context("websocket read")? else {
            continue;
        };
        let text = text.as_str();
        if text.starts_with('0') && !sent_connect {
            ws.send(Message::Text(connect_packet(&spec.token).into()))
                .await?;
            sent_connect = true;
            continue;
        }
        match parse(text) {
            Packet::Connected => return Ok(ws),
            Packet::ConnectError(e) => bail!("connect_error {e}"),
            Packet::Ping => ws.send(Message::Text("3".into())).await?,
            Packet::Closed => bail!("closed during the handshake"),
            _ => {}
        }
    }
    bail!("closed during the handshake")
}

/// Runs one long-polling client until `stop` turns true.
pub async fn run_polling(
    spec: Arc<ClientSpec>,
    http: reqwest::Client,
    gate: Arc<Semaphore>,
    rec: Arc<Recorder>,
    mut stop: watch::Receiver<bool>,
) {
    let permit = gate.acquire_owned().await;
    let session =
        tokio::time::timeout(Duration::from_secs(30), polling_connect(&spec, &http)).await;
    drop(permit);
    let (url, early) = match session {
        Ok(Ok(s)) => s,
        Ok(Err(e)) => return rec.connect_error(format!("{e:#}")),
        Err(_) => return rec.connect_error("connect timed out after 30 s".into()),
    };
    rec.connected.fetch_add(1, Ordering::Relaxed);
    let mut seen = Seen::new(spec.role);
    let mut pending = early;
    loop {
        for p in std::mem::take(&mut pending) {
            let lost = match parse(&p.0) {
                Packet::NewTweet(id) => {
                    seen.tweet(&rec, id, p.1);
                    false
                }
                Packet::Ping => post(&http, &url, "3").await.is_err(),
                Packet::Closed => true,
                _ => false,
            };
            if lost {
                rec.disconnected.fetch_add(1, Ordering::Relaxed);
                return;
            }
        }
        tokio::select! {
            biased;
            _ = stop.changed() => break,
            got = poll(&http, &url) => match got {
                Ok(packets) => pending = packets,
                Err(_) => {
                    if !*stop.borrow() {
                        rec.disconnected.fetch_add(1, Ordering::Relaxed);
                    }
                    return;
                }
            }
        }
    }
    // Engine.IO close packet, so the server drops the session now.
    let _ = tokio::time::timeout(Duration::from_secs(2), post(&http, &url, "1")).await;
}

type Timed = (String, Instant);

/// Opens an Engine.IO polling session and connects to `/`; the session URL and any packets
/// that arrived after the connect acknowledgement in the same response.
async fn polling_connect(
    spec: &ClientSpec,
    http: &reqwest::Client,
) -> anyhow::Result<(String, Vec<Timed>)> {
    #[derive(Deserialize)]
    struct Open {
        sid: String,
    }
    let base = format!("{}/socket.io/?EIO=4&transport=polling", spec.target.base);
    let res = http.get(&base).send().await.context("polling open")?;
    let body = res.text().await?;
    let open = body.split('\x1e').next().unwrap_or_default();
    let Some(json) = open.strip_prefix('0') else {
        bail!("unexpected open packet {body:?}")
    };
    let open: Open = serde_json::from_str(json).context("open packet")?;
    let url = format!("{base}&sid={}", open.sid);
    post(http, &url, &connect_packet(&spec.token)).await?;
    loop {
        let packets = poll(http, &url).await?;
        for (i, (p, _)) in packets.iter().enumerate() {
            match parse(p) {
                Packet::Connected => return Ok((url, packets[i + 1..].to_vec())),
                Packet::ConnectError(e) => bail!("connect_error {e}"),
                Packet::Ping => post(http, &url, "3").await?,
                Packet::Closed => bail!("closed during the handshake"),
                _ => {}
            }
        }
    }
}

async fn poll(http: &reqwest::Client, url: &str) -> anyhow::Result<Vec<Timed>> {
    let res = http.get(url).send().await?;
    if !res.status().is_success() {
        bail!("poll answered {}", res.status());
    }
    let body = res.text().await?;
    let at = Instant::now();
    Ok(body
        .split('\x1e')
        .filter(|p| !p.is_empty())
        .map(|p| (p.to_string(), at))
        .collect())
}

async fn post(http: &reqwest::Client, url: &str, packet: &str) -> anyhow::Result<()> {
    let res = http
        .post(url)
        .header("content-type", "text/plain;charset=UTF-8")
        .body(packet.to_string())
        .send()
        .await?;
    if !res.status().is_success() {
        bail!("polling POST answered {}", res.status());
    }
    res.bytes().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_new_tweet_ids_whatever_the_key_order() {
        let p = r#"42["newTweet",true,{"author":{"id":1,"username":"a"},"id":42}]"#;
        assert!(matches!(parse(p), Packet::NewTweet(42)));
        let p = r#"42["newTweet",true,{"id":7,"author":{"id":1,"username":"a"}}]"#;
        assert!(matches!(parse(p), Packet::NewTweet(7)));
        assert!(matches!(
            parse(r#"42["tweetDeleted",{"id":7}]"#),
            Packet::Other
        ));
        assert!(matches!(parse("2"), Packet::Ping));
        assert!(matches!(parse(r#"40{"sid":"x"}"#), Packet::Connected));
        assert!(matches!(
            parse(r#"44{"message":"unauthorized"}"#),
            Packet::ConnectError(_)
        ));
        assert!(matches!(parse("41"), Packet::Closed));
    }

    #[test]
    fn connect_packet_carries_the_token() {
        assert_eq!(connect_packet(&None), "40");
        assert_eq!(connect_packet(&Some("abc".into())), r#"40{"token":"abc"}"#);
    }
}
