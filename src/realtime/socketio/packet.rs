//! Socket.IO v5 packets, carried in Engine.IO `message` packets:
//! `<type>[<attachments>-][<namespace>,][<ack id>][<JSON>]`.
//!
//! Parsing keeps only what the server acts on (namespace, CONNECT auth, event name, ack id)
//! and refuses binary packets and anything malformed. The encoders return whole Engine.IO
//! packets (the leading `4` included), ready for any transport.

use serde_json::Value;

/// Longest ack id accepted (digits); JavaScript clients count from 0 upward.
const MAX_ACK_DIGITS: usize = 15;

/// A packet received from a client.
#[derive(Debug, Clone, PartialEq)]
pub enum Packet<'a> {
    /// `0`: join a namespace, with the handshake `auth` object if any.
    Connect {
        /// Namespace.
        nsp: &'a str,
        /// The `auth` object.
        auth: Option<Value>,
    },
    /// `1`: leave a namespace.
    Disconnect {
        /// Namespace.
        nsp: &'a str,
    },
    /// `2`: an event.
    Event {
        /// Namespace.
        nsp: &'a str,
        /// Event name.
        name: String,
        /// Ack id, when the client asked for an acknowledgement.
        ack: Option<u64>,
        /// The event's arguments, in order.
        args: Vec<Value>,
    },
    /// `3`: the client acknowledges a server event (the server never asks).
    Ack {
        /// Namespace.
        nsp: &'a str,
    },
}

/// Why a packet was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PacketError {
    /// Not a packet a client may send.
    Malformed,
    /// A binary event or ack (types 5 and 6), which Chirp does not accept.
    Binary,
}

/// Parse the data of an Engine.IO message packet.
pub fn parse(text: &str) -> Result<Packet<'_>, PacketError> {
    let kind = *text.as_bytes().first().ok_or(PacketError::Malformed)?;
    if !kind.is_ascii_digit() {
        return Err(PacketError::Malformed);
    }
    // The first byte is ASCII, so 1 is a character boundary.
    let mut rest = &text[1..];
    if matches!(kind, b'5' | b'6') {
        return Err(PacketError::Binary);
    }
    let mut nsp = "/";
    if rest.starts_with('/') {
        match rest.find(',') {
            Some(comma) => {
                nsp = &rest[..comma];
                rest = &rest[comma + 1..];
            }
            None => {
                nsp = rest;
                rest = "";
            }
        }
    }
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    let ack = if digits == 0 {
        None
    } else if digits > MAX_ACK_DIGITS {
        return Err(PacketError::Malformed);
    } else {
        Some(rest[..digits].parse().map_err(|_| PacketError::Malformed)?)
    };
    let data = &rest[digits..];
    let json = || serde_json::from_str::<Value>(data).map_err(|_| PacketError::Malformed);
    match kind {
        b'0' if ack.is_none() => {
            let auth = if data.is_empty() {
                None
            } else {
                match json()? {
                    object @ Value::Object(_) => Some(object),
                    _ => return Err(PacketError::Malformed),
                }
            };
            Ok(Packet::Connect { nsp, auth })
        }
        b'1' if ack.is_none() && data.is_empty() => Ok(Packet::Disconnect { nsp }),
        b'2' => match json()? {
            Value::Array(mut items) if matches!(items.first(), Some(Value::String(_))) => {
                let Value::String(name) = items.remove(0) else {
                    return Err(PacketError::Malformed);
                };
                Ok(Packet::Event {
                    nsp,
                    name,
                    ack,
                    args: items,
                })
            }
            _ => Err(PacketError::Malformed),
        },
        b'3' if ack.is_some() => match json()? {
            Value::Array(_) => Ok(Packet::Ack { nsp }),
            _ => Err(PacketError::Malformed),
        },
        _ => Err(PacketError::Malformed),
    }
}

/// `40{"sid":…}`: the connection to `/` is accepted; with `"pid":…` for a socket with
/// connection state recovery.
pub fn connect_ok(sid: &str, pid: Option<&str>) -> String {
    match pid {
        Some(pid) => format!(r#"40{{"sid":"{sid}","pid":"{pid}"}}"#),
        None => format!(r#"40{{"sid":"{sid}"}}"#),
    }
}

/// `44[nsp,]{"message":…}`: the connection is refused.
pub fn connect_error(nsp: &str, message: &str) -> String {
    let body = serde_json::json!({ "message": message });
    if nsp == "/" {
        format!("44{body}")
    } else {
        format!("44{nsp},{body}")
    }
}

/// `41`: the server ends the client's connection to `/` (the client does not retry on its own).
pub const DISCONNECT: &str = "41";

/// `43<id>[]`: an acknowledgement with no arguments.
pub fn ack(id: u64) -> String {
    format!("43{id}[]")
}

/// `43<id>[<value>]`: an acknowledgement with one argument.
pub fn ack_with(id: u64, value: &Value) -> String {
    format!("43{id}[{value}]")
}

/// `42[…]`: an event, from its arguments already encoded as a JSON array.
pub fn event(json_array: &str) -> String {
    format!("42{json_array}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_client_packets() {
        assert_eq!(
            parse("0"),
            Ok(Packet::Connect {
                nsp: "/",
                auth: None
            })
        );
        assert_eq!(
            parse(r#"0{"token":"t"}"#),
            Ok(Packet::Connect {
                nsp: "/",
                auth: Some(json!({"token": "t"}))
            })
        );
        assert_eq!(
            parse("0/admin,"),
            Ok(Packet::Connect {
                nsp: "/admin",
                auth: None
            })
        );
        assert_eq!(
            parse("0/admin"),
            Ok(Packet::Connect {
                nsp: "/admin",
                auth: None
            })
        );
        assert_eq!(parse("1"), Ok(Packet::Disconnect { nsp: "/" }));
        assert_eq!(
            parse(r#"2["newTweet",{"a":1}]"#),
            Ok(Packet::Event {
                nsp: "/",
                name: "newTweet".into(),
                ack: None,
                args: vec![json!({"a": 1})],
            })
        );
        assert_eq!(
            parse(r#"2/x,12["e"]"#),
            Ok(Packet::Event {
                nsp: "/x",
                name: "e".into(),
                ack: Some(12),
                args: vec![],
            })
        );
        assert_eq!(parse("31[]"), Ok(Packet::Ack { nsp: "/" }));
    }

    #[test]
    fn refuses_malformed_and_binary_packets() {
        for bad in [
            "",
            "0[1]",
            "0\"x\"",
            "0{",
            "01{}",
            "1x",
            "2",
            "2{}",
            "2[]",
            "2[1]",
            "2[\"a\"",
            "2999999999999999999[\"a\"]",
            "3[]",
            "4{}",
            "7",
            "é",
        ] {
            assert_eq!(parse(bad), Err(PacketError::Malformed), "{bad:?}");
        }
        assert_eq!(
            parse(r#"51-["e",{"_placeholder":true,"num":0}]"#),
            Err(PacketError::Binary)
        );
        assert_eq!(parse("61-0[]"), Err(PacketError::Binary));
    }

    #[test]
    fn encodes_server_packets() {
        assert_eq!(connect_ok("abc", None), r#"40{"sid":"abc"}"#);
        assert_eq!(
            connect_ok("abc", Some("p1")),
            r#"40{"sid":"abc","pid":"p1"}"#
        );
        assert_eq!(
            connect_error("/", "invalid token"),
            r#"44{"message":"invalid token"}"#
        );
        assert_eq!(
            connect_error("/admin", "Invalid namespace"),
            r#"44/admin,{"message":"Invalid namespace"}"#
        );
        assert_eq!(ack(7), "437[]");
        assert_eq!(event(r#"["x",1]"#), r#"42["x",1]"#);
    }

    /// Randomized: strings built from the packet grammar's pieces (and random characters)
    /// are either parsed or refused, never a panic.
    #[test]
    fn random_packets_never_panic() {
        let pieces = [
            "0",
            "1",
            "2",
            "3",
            "4",
            "5",
            "6",
            "/",
            "/admin",
            ",",
            "-",
            "12",
            "99999999999999999",
            "[",
            "]",
            "{",
            "}",
            "\"",
            "newTweet",
            "é",
            "\u{1e}",
            "null",
            ":",
            "true",
        ];
        let mut seed = 0x2545_F491_4F6C_DD1Du64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for _ in 0..50_000 {
            let mut text = String::new();
            for _ in 0..(next() % 8) {
                if next() % 5 == 0 {
                    text.push(char::from_u32((next() % 0x3000) as u32).unwrap_or('x'));
                } else {
                    text.push_str(pieces[(next() as usize) % pieces.len()]);
                }
            }
            let _ = parse(&text);
            let _ = crate::realtime::engine::parse_engine_packet(&text);
        }
    }
}
