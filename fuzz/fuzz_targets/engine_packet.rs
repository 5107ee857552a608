//! Engine.IO packets and long-polling payloads, as a polling POST body reaches the server.
//!
//! Input: the body. As the server does, a body that is not UTF-8 is refused before parsing.
//! Checks, beyond "no panic":
//! - `split_payload` loses nothing: its pieces joined with 0x1e give the body back, there is
//!   one more piece than separators, and no piece holds a separator;
//! - `parse` follows the type character alone: `1`–`6` are the client's packets, `b` is
//!   binary, everything else (empty, `0`, any other character) is malformed; ping, pong and
//!   message carry exactly the text after the type, borrowed from the input;
//! - the data of a message packet goes on to the Socket.IO parser, as on the server.
#![no_main]

use chirp::realtime::fuzzing::engine_packet::{self, Packet, PacketError, SEPARATOR};
use chirp::realtime::fuzzing::socketio_packet;
use libfuzzer_sys::fuzz_target;

fn check(text: &str) {
    let parsed = engine_packet::parse(text);
    let kind = text.chars().next();
    let data = kind.map(|c| &text[c.len_utf8()..]);
    match (kind, parsed) {
        (Some('1'), Ok(Packet::Close))
        | (Some('5'), Ok(Packet::Upgrade))
        | (Some('6'), Ok(Packet::Noop))
        | (Some('b'), Err(PacketError::Binary)) => {}
        (Some('2'), Ok(Packet::Ping(d)))
        | (Some('3'), Ok(Packet::Pong(d)))
        | (Some('4'), Ok(Packet::Message(d))) => {
            assert_eq!(Some(d), data);
            // Borrowed from the input, not copied.
            assert_eq!(d.as_ptr(), text[1..].as_ptr());
            if text.starts_with('4') {
                let _ = socketio_packet::parse(d);
            }
        }
        (None, Err(PacketError::Malformed)) => {}
        (Some(c), Err(PacketError::Malformed)) if !"123456b".contains(c) => {}
        (kind, parsed) => panic!("{kind:?} parsed as {parsed:?}"),
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(body) = std::str::from_utf8(data) else {
        return;
    };
    let pieces: Vec<&str> = engine_packet::split_payload(body).collect();
    assert_eq!(pieces.join("\u{1e}"), body);
    assert_eq!(
        pieces.len(),
        body.bytes().filter(|&b| b == SEPARATOR).count() + 1
    );
    for piece in &pieces {
        assert!(!piece.as_bytes().contains(&SEPARATOR));
        check(piece);
    }
    // The whole body as one packet too, as a WebSocket text message reaches the server.
    check(body);
});
