//! The WebSocket frame decoder on arbitrary bytes from a client.
//!
//! Input: two bytes choose the message size limit, two more where the stream is cut; the
//! rest is the stream. Checks, beyond "no panic":
//! - the decoder only ever takes a prefix of the buffer: what stays is an unchanged suffix
//!   of what was given (so it never claims more bytes than it was given);
//! - after an `Ok` that did not end in a close, what stays is an incomplete frame: decoding
//!   it again gives nothing and leaves it as it is;
//! - no text message is longer than the limit, no ping payload longer than 125 bytes;
//! - decoding is a function of the byte stream: the stream fed whole, or in three pieces cut
//!   anywhere (even inside a header or a UTF-8 sequence), gives the same messages and the
//!   same close code.
#![no_main]

use chirp::realtime::fuzzing::frame::{Decoder, Message};
use libfuzzer_sys::fuzz_target;

/// What feeding a stream to one decoder, piece by piece, gives: the messages up to the first
/// close or breach, and the breach's close code if any.
#[derive(Debug, PartialEq)]
struct Outcome {
    messages: Vec<Message>,
    error: Option<u16>,
}

fn feed(pieces: &[&[u8]], max: usize) -> Outcome {
    let mut decoder = Decoder::default();
    let mut buf = Vec::new();
    let mut messages = Vec::new();
    for piece in pieces {
        buf.extend_from_slice(piece);
        let before = buf.clone();
        match decoder.decode(&mut buf, max) {
            Ok(got) => {
                assert!(buf.len() <= before.len(), "grew the buffer");
                assert_eq!(
                    &before[before.len() - buf.len()..],
                    &buf[..],
                    "what stays must be an unchanged suffix"
                );
                let closed = matches!(got.last(), Some(Message::Close(_)));
                for message in &got {
                    match message {
                        Message::Text(text) => assert!(text.len() <= max, "over the limit"),
                        Message::Ping(payload) => assert!(payload.len() <= 125),
                        Message::Pong | Message::Close(_) => {}
                    }
                }
                assert!(
                    got.iter().take(got.len().saturating_sub(1)).all(|m| !matches!(m, Message::Close(_))),
                    "nothing is decoded after a close"
                );
                messages.extend(got);
                if closed {
                    // The connection ends here: the rest of the stream is never read.
                    return Outcome { messages, error: None };
                }
                // What stays is an incomplete frame.
                let stays = buf.clone();
                assert_eq!(decoder.decode(&mut buf, max), Ok(vec![]), "a complete frame stayed");
                assert_eq!(buf, stays);
            }
            Err(code) => {
                assert!(
                    matches!(code, 1002 | 1003 | 1007 | 1009),
                    "unexpected close code {code}"
                );
                return Outcome { messages, error: Some(code) };
            }
        }
    }
    Outcome { messages, error: None }
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 4 {
        return;
    }
    // Limits from 0 up to 64 KiB + a bit, so every length encoding meets the limit.
    let max = u16::from_le_bytes([data[0], data[1]]) as usize % 70_000;
    let cut = data[2] as usize;
    let cut2 = data[3] as usize;
    let stream = &data[4..];
    let a = cut.min(stream.len());
    let b = (a + cut2).min(stream.len());

    let whole = feed(&[stream], max);
    let pieces = feed(&[&stream[..a], &stream[a..b], &stream[b..]], max);
    // A breach found in one call drops that call's messages (the connection is closed anyway),
    // so on a breach only the code must agree.
    assert_eq!(whole.error, pieces.error, "close code depends on how the stream was cut");
    if whole.error.is_none() {
        assert_eq!(whole.messages, pieces.messages, "messages depend on how the stream was cut");
    }
});
