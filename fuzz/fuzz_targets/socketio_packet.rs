//! Socket.IO packets, as the data of an Engine.IO message reaches the server.
//!
//! Input: the packet text (inputs that are not UTF-8 are skipped: the engine hands over
//! `&str`). Checks, beyond "no panic":
//! - binary packets (types 5 and 6) and only they are refused as binary;
//! - a parsed packet, written back in the canonical form
//!   `<type>[<nsp>,][<ack id>][<JSON>]`, parses to the same packet (numbers in `auth`
//!   compared as numbers: serde_json's default float parsing is not exact to the last bit);
//! - a parsed namespace starts with `/` and holds no comma;
//! - the refusal the server sends for an unknown namespace (`connect_error`) is `44`, the
//!   namespace, and a JSON object carrying the message.
#![no_main]

use chirp::realtime::fuzzing::socketio_packet::{self, Packet, PacketError};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

/// The canonical text of a packet.
fn encode(packet: &Packet) -> String {
    let nsp_part = |nsp: &str| {
        if nsp == "/" {
            String::new()
        } else {
            format!("{nsp},")
        }
    };
    match packet {
        Packet::Connect { nsp, auth } => format!(
            "0{}{}",
            nsp_part(nsp),
            auth.as_ref().map(Value::to_string).unwrap_or_default()
        ),
        Packet::Disconnect { nsp } => format!("1{}", nsp_part(nsp)),
        Packet::Event {
            nsp,
            name,
            ack,
            args,
        } => format!(
            "2{}{}{}",
            nsp_part(nsp),
            ack.map(|id| id.to_string()).unwrap_or_default(),
            Value::Array(
                std::iter::once(Value::String(name.clone()))
                    .chain(args.iter().cloned())
                    .collect()
            )
        ),
        // The ack id is not kept: any will do.
        Packet::Ack { nsp } => format!("3{}0[]", nsp_part(nsp)),
    }
}

/// JSON equality, with floats equal when they agree to a few ulps.
fn same_json(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) if x.is_f64() || y.is_f64() => {
            let (x, y) = (x.as_f64().unwrap(), y.as_f64().unwrap());
            x == y
                || (x - y).abs() <= x.abs().max(y.abs()) * 1e-14
                || (x - y).abs() <= 1e-300
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same_json(x, y))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same_json(v, w)))
        }
        _ => a == b,
    }
}

fn same_packet(a: &Packet, b: &Packet) -> bool {
    match (a, b) {
        (
            Packet::Connect { nsp: n1, auth: a1 },
            Packet::Connect { nsp: n2, auth: a2 },
        ) => {
            n1 == n2
                && match (a1, a2) {
                    (Some(a1), Some(a2)) => same_json(a1, a2),
                    (None, None) => true,
                    _ => false,
                }
        }
        (
            Packet::Event {
                nsp: n1,
                name: e1,
                ack: k1,
                args: a1,
            },
            Packet::Event {
                nsp: n2,
                name: e2,
                ack: k2,
                args: a2,
            },
        ) => {
            n1 == n2
                && e1 == e2
                && k1 == k2
                && same_json(&Value::Array(a1.clone()), &Value::Array(a2.clone()))
        }
        _ => a == b,
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let parsed = socketio_packet::parse(text);
    let binary = matches!(text.as_bytes().first(), Some(b'5' | b'6'));
    assert_eq!(matches!(parsed, Err(PacketError::Binary)), binary, "{text:?}");
    let Ok(packet) = parsed else {
        return;
    };
    let nsp = match &packet {
        Packet::Connect { nsp, .. }
        | Packet::Disconnect { nsp }
        | Packet::Event { nsp, .. }
        | Packet::Ack { nsp } => *nsp,
    };
    assert!(nsp.starts_with('/') && !nsp.contains(','), "namespace {nsp:?}");

    let canonical = encode(&packet);
    let again = socketio_packet::parse(&canonical);
    assert!(
        again.as_ref().is_ok_and(|p| same_packet(&packet, p)),
        "{text:?} parsed as {packet:?}, written back as {canonical:?}, parsed again as {again:?}"
    );

    let refusal = socketio_packet::connect_error(nsp, "Invalid namespace");
    let body = if nsp == "/" {
        refusal.strip_prefix("44")
    } else {
        refusal
            .strip_prefix("44")
            .and_then(|r| r.strip_prefix(nsp))
            .and_then(|r| r.strip_prefix(','))
    };
    let json: Value = serde_json::from_str(body.expect("44, then the namespace")).unwrap();
    assert_eq!(json["message"], "Invalid namespace");
});
