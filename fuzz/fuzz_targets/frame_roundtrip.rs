//! The WebSocket frame decoder on valid client streams built from the fuzzer's input, and the
//! server's frame encoders.
//!
//! A stream is a list of text messages, each cut into 1–4 fragments at any byte (even inside
//! a UTF-8 sequence), with pings and pongs between fragments, masked with any key, maybe
//! ending in a close frame followed by bytes that must never be read. Checks:
//! - fed whole or in pieces cut anywhere, it decodes to exactly the messages put in, in order;
//!   a message over the size limit gives 1009 (too big) and nothing else;
//! - every byte up to the close (or the end) is consumed;
//! - `frame::text`, `frame::pong` and `frame::close` write minimal headers that, once masked
//!   as a client would, decode back to the same payload.
#![no_main]

use chirp::realtime::fuzzing::frame::opcode::{CLOSE, CONTINUATION, PING, PONG, TEXT};
use chirp::realtime::fuzzing::frame::{self, Decoder, Message};
use libfuzzer_sys::arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;

/// A masked client frame with a minimal length header.
fn client_frame(out: &mut Vec<u8>, fin: bool, opcode: u8, mask: [u8; 4], payload: &[u8]) {
    out.extend(frame::client(fin, opcode, mask, payload));
}

/// A server frame made into a client frame: set the mask bit, insert the key, mask.
fn masked(server_frame: &[u8], mask: [u8; 4]) -> Vec<u8> {
    let header = match server_frame[1] {
        126 => 4,
        127 => 10,
        _ => 2,
    };
    let mut out = server_frame[..header].to_vec();
    out[1] |= 0x80;
    out.extend_from_slice(&mask);
    out.extend(server_frame[header..].iter().enumerate().map(|(i, b)| b ^ mask[i & 3]));
    out
}

/// Check a server frame: FIN, the opcode, the shortest length header, the payload as is.
fn check_server_frame(bytes: &[u8], opcode: u8, payload: &[u8]) {
    assert_eq!(bytes[0], 0x80 | opcode);
    let (len, header) = match bytes[1] {
        126 => (u16::from_be_bytes([bytes[2], bytes[3]]) as usize, 4),
        127 => (u64::from_be_bytes(bytes[2..10].try_into().unwrap()) as usize, 10),
        n => (n as usize, 2),
    };
    assert!(bytes[1] & 0x80 == 0, "server frames are not masked");
    let minimal = match len {
        0..=125 => 2,
        126..=0xFFFF => 4,
        _ => 10,
    };
    assert_eq!(header, minimal, "length header is not the shortest");
    assert_eq!(len, payload.len());
    assert_eq!(&bytes[header..], payload);
}

fn run(u: &mut Unstructured) -> Result<()> {
    let max = u.int_in_range(125..=1usize << 17)?;
    let mask: [u8; 4] = u.arbitrary()?;
    let mut stream = Vec::new();
    let mut expected = Vec::new();
    let mut too_big = false;
    for _ in 0..u.int_in_range(0..=6)? {
        let base: String = u.arbitrary()?;
        // Sometimes long, so the 16- and 64-bit length headers are used.
        let text = base.repeat(if u.ratio(1, 8)? { u.int_in_range(1..=400)? } else { 1 });
        let bytes = text.as_bytes();
        let mut cuts: Vec<usize> = (0..u.int_in_range(0..=3)?)
            .map(|_| u.int_in_range(0..=bytes.len()))
            .collect::<Result<_>>()?;
        cuts.sort_unstable();
        let mut bounds = vec![0];
        bounds.extend(cuts);
        bounds.push(bytes.len());
        let last = bounds.len() - 2;
        for (i, pair) in bounds.windows(2).enumerate() {
            let opcode = if i == 0 { TEXT } else { CONTINUATION };
            client_frame(&mut stream, i == last, opcode, mask, &bytes[pair[0]..pair[1]]);
            if i < last && u.ratio(1, 3)? {
                // A control frame between fragments.
                let len = u.int_in_range(0..=125)?.min(u.len());
                let payload = u.bytes(len)?.to_vec();
                if u.arbitrary::<bool>()? {
                    client_frame(&mut stream, true, PING, mask, &payload);
                    expected.push(Message::Ping(payload));
                } else {
                    client_frame(&mut stream, true, PONG, mask, &payload);
                    expected.push(Message::Pong);
                }
            }
        }
        if bytes.len() > max {
            too_big = true;
            break;
        }
        expected.push(Message::Text(text));
    }
    let mut consumed_all = stream.len();
    if !too_big && u.arbitrary::<bool>()? {
        let code = *u.choose(&[1000u16, 1001, 1002, 1003, 1007, 1008, 1011, 3000, 4999])?;
        let reason: String = u.arbitrary()?;
        let mut payload = code.to_be_bytes().to_vec();
        payload.extend_from_slice(&reason.as_bytes()[..reason.len().min(123)]);
        if std::str::from_utf8(&payload[2..]).is_ok() {
            client_frame(&mut stream, true, CLOSE, mask, &payload);
            expected.push(Message::Close(Some(code)));
            consumed_all = stream.len();
            // Never read: a new message after the close.
            let junk = u.int_in_range(0..=16)?.min(u.len());
            stream.extend_from_slice(u.bytes(junk)?);
        }
    }

    // Whole.
    let mut buf = stream.clone();
    let whole = Decoder::default().decode(&mut buf, max);
    if too_big {
        assert_eq!(whole, Err(frame::code::TOO_BIG));
    } else {
        assert_eq!(whole.as_ref(), Ok(&expected));
        assert_eq!(stream.len() - buf.len(), consumed_all, "not every frame was consumed");
    }

    // In pieces.
    let mut decoder = Decoder::default();
    let mut buf = Vec::new();
    let mut got = Vec::new();
    let mut error = None;
    let mut rest = &stream[..];
    while !rest.is_empty() && error.is_none() && !matches!(got.last(), Some(Message::Close(_))) {
        let n = u.int_in_range(1..=rest.len())?;
        buf.extend_from_slice(&rest[..n]);
        rest = &rest[n..];
        match decoder.decode(&mut buf, max) {
            Ok(messages) => got.extend(messages),
            Err(code) => error = Some(code),
        }
    }
    if too_big {
        assert_eq!(error, Some(frame::code::TOO_BIG));
    } else {
        assert_eq!(error, None);
        assert_eq!(got, expected);
    }

    // The server's encoders.
    let len = u.int_in_range(0..=u.len())?;
    let payload = u.bytes(len)?;
    let long = payload.repeat(if u.ratio(1, 8)? { u.int_in_range(1..=300)? } else { 1 });
    let text_frame = frame::text(&long);
    check_server_frame(&text_frame, TEXT, &long);
    if let Ok(text) = std::str::from_utf8(&long) {
        if long.len() <= max {
            let mut buf = masked(&text_frame, mask);
            assert_eq!(
                Decoder::default().decode(&mut buf, max),
                Ok(vec![Message::Text(text.to_owned())])
            );
            assert!(buf.is_empty());
        }
    }
    let ping = &long[..long.len().min(125)];
    let pong_frame = frame::pong(ping);
    check_server_frame(&pong_frame, PONG, ping);
    let code: u16 = u.arbitrary()?;
    check_server_frame(&frame::close(code), CLOSE, &code.to_be_bytes());
    Ok(())
}

fuzz_target!(|data: &[u8]| {
    let _ = run(&mut Unstructured::new(data));
});
