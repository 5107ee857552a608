//! WebSocket framing (RFC 6455), server side: decode what clients send, encode what the
//! server sends.
//!
//! Decoding enforces the rules a server must: client frames are masked, no RSV bits (no
//! extension is negotiated), known opcodes only, control frames unfragmented and ≤ 125 bytes,
//! continuation frames only inside a fragmented message, a size limit on every message, and
//! UTF-8 in text messages and close reasons. Any breach is answered with the close code the
//! RFC names. Binary messages are refused (1003): Chirp speaks text only.
//! Encoding builds complete, unmasked, unfragmented frames, so one broadcast frame can be
//! written unchanged to every socket.

use bytes::{BufMut, Bytes, BytesMut};

use self::opcode::{BINARY, CLOSE, CONTINUATION, PING, PONG, TEXT};

/// Frame opcodes (RFC 6455 §5.2), public so that tests and fuzz targets speaking as a
/// client name them instead of declaring their own.
pub mod opcode {
    /// A later fragment of a fragmented message.
    pub const CONTINUATION: u8 = 0x0;
    /// A UTF-8 text message (or its first fragment).
    pub const TEXT: u8 = 0x1;
    /// A binary message; Chirp refuses these.
    pub const BINARY: u8 = 0x2;
    /// The closing handshake, with an optional code and reason.
    pub const CLOSE: u8 = 0x8;
    /// A ping, answered with a pong carrying its payload.
    pub const PING: u8 = 0x9;
    /// A pong.
    pub const PONG: u8 = 0xA;
}

/// Close codes this server sends.
pub mod code {
    /// Normal closure.
    pub const NORMAL: u16 = 1000;
    /// The server is going away (shutting down).
    pub const GOING_AWAY: u16 = 1001;
    /// The peer broke the protocol.
    pub const PROTOCOL_ERROR: u16 = 1002;
    /// Data of a type the server does not accept (binary).
    pub const UNSUPPORTED_DATA: u16 = 1003;
    /// The request is not allowed (a second WebSocket for an upgraded session).
    pub const POLICY_VIOLATION: u16 = 1008;
    /// A text message that is not UTF-8.
    pub const INVALID_PAYLOAD: u16 = 1007;
    /// A message over the size limit.
    pub const TOO_BIG: u16 = 1009;
}

/// A complete message from the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    /// A text message (reassembled if it was fragmented).
    Text(String),
    /// A ping, to be answered with a pong carrying the same payload.
    Ping(Vec<u8>),
    /// A pong (ignored: Engine.IO has its own heartbeat).
    Pong,
    /// The client closes, with its code if it gave one.
    Close(Option<u16>),
}

/// Reassembles messages from the frames in a read buffer.
#[derive(Debug, Default)]
pub struct Decoder {
    /// The text fragments received so far of a fragmented message.
    fragments: Option<Vec<u8>>,
}

impl Decoder {
    /// Take every complete frame off the front of `buf` and return the messages they
    /// complete. Bytes of an incomplete frame stay in `buf`. On a protocol breach, returns
    /// the close code to send; the connection must then be closed.
    pub fn decode(&mut self, buf: &mut Vec<u8>, max_message: usize) -> Result<Vec<Message>, u16> {
        let mut messages = Vec::new();
        let mut start = 0;
        let result = loop {
            match next_frame(&mut buf[start..], max_message) {
                Ok(None) => break Ok(()),
                Ok(Some(frame)) => {
                    let payload = &buf[start + frame.payload.0..start + frame.payload.1];
                    start += frame.consumed;
                    match self.accept(frame.fin, frame.opcode, payload, max_message) {
                        Ok(Some(message)) => {
                            let closing = matches!(message, Message::Close(_));
                            messages.push(message);
                            if closing {
                                break Ok(());
                            }
                        }
                        Ok(None) => {}
                        Err(code) => break Err(code),
                    }
                }
                Err(code) => break Err(code),
            }
        };
        buf.drain(..start);
        result.map(|()| messages)
    }

    fn accept(
        &mut self,
        fin: bool,
        opcode: u8,
        payload: &[u8],
        max_message: usize,
    ) -> Result<Option<Message>, u16> {
        match opcode {
            PING => Ok(Some(Message::Ping(payload.to_vec()))),
            PONG => Ok(Some(Message::Pong)),
            CLOSE => close_message(payload).map(Some),
            BINARY => {
                if self.fragments.is_some() {
                    Err(code::PROTOCOL_ERROR)
                } else {
                    Err(code::UNSUPPORTED_DATA)
                }
            }
            TEXT if self.fragments.is_some() => Err(code::PROTOCOL_ERROR),
            TEXT if fin => match std::str::from_utf8(payload) {
                Ok(text) => Ok(Some(Message::Text(text.to_owned()))),
                Err(_) => Err(code::INVALID_PAYLOAD),
            },
            TEXT => {
                self.fragments = Some(payload.to_vec());
                Ok(None)
            }
            CONTINUATION => {
                let Some(fragments) = self.fragments.as_mut() else {
                    return Err(code::PROTOCOL_ERROR);
                };
                if fragments.len() + payload.len() > max_message {
                    return Err(code::TOO_BIG);
                }
                fragments.extend_from_slice(payload);
                if !fin {
                    return Ok(None);
                }
                let whole = self.fragments.take().unwrap_or_default();
                String::from_utf8(whole)
                    .map(|text| Some(Message::Text(text)))
                    .map_err(|_| code::INVALID_PAYLOAD)
            }
            _ => Err(code::PROTOCOL_ERROR),
        }
    }
}

/// One frame found at the front of a buffer, its payload unmasked in place.
struct Frame {
    fin: bool,
    opcode: u8,
    /// Payload bounds within the buffer.
    payload: (usize, usize),
    /// Header plus payload length.
    consumed: usize,
}

/// Read one frame header (and unmask its payload) if the whole frame is in `buf`.
fn next_frame(buf: &mut [u8], max_message: usize) -> Result<Option<Frame>, u16> {
    if buf.len() < 2 {
        return Ok(None);
    }
    let (b0, b1) = (buf[0], buf[1]);
    let fin = b0 & 0x80 != 0;
    let opcode = b0 & 0x0F;
    if b0 & 0x70 != 0 {
        return Err(code::PROTOCOL_ERROR);
    }
    if !matches!(opcode, CONTINUATION | TEXT | BINARY | CLOSE | PING | PONG) {
        return Err(code::PROTOCOL_ERROR);
    }
    if b1 & 0x80 == 0 {
        // RFC 6455 §5.1: a server must close on an unmasked client frame.
        return Err(code::PROTOCOL_ERROR);
    }
    let control = opcode & 0x8 != 0;
    let short = (b1 & 0x7F) as usize;
    if control && (!fin || short > 125) {
        return Err(code::PROTOCOL_ERROR);
    }
    let (len, mut offset) = match short {
        126 => {
            if buf.len() < 4 {
                return Ok(None);
            }
            (u16::from_be_bytes([buf[2], buf[3]]) as u64, 4)
        }
        127 => {
            if buf.len() < 10 {
                return Ok(None);
            }
            let mut be = [0u8; 8];
            be.copy_from_slice(&buf[2..10]);
            (u64::from_be_bytes(be), 10)
        }
        n => (n as u64, 2),
    };
    if len > max_message as u64 {
        return Err(code::TOO_BIG);
    }
    // Fits in usize: it is at most `max_message`.
    let len = len as usize;
    if buf.len() < offset + 4 + len {
        return Ok(None);
    }
    let mut mask = [0u8; 4];
    mask.copy_from_slice(&buf[offset..offset + 4]);
    offset += 4;
    for (i, byte) in buf[offset..offset + len].iter_mut().enumerate() {
        *byte ^= mask[i & 3];
    }
    Ok(Some(Frame {
        fin,
        opcode,
        payload: (offset, offset + len),
        consumed: offset + len,
    }))
}

fn close_message(payload: &[u8]) -> Result<Message, u16> {
    match payload {
        [] => Ok(Message::Close(None)),
        [_] => Err(code::PROTOCOL_ERROR),
        [hi, lo, reason @ ..] => {
            let code = u16::from_be_bytes([*hi, *lo]);
            let valid = matches!(code, 1000..=1003 | 1007..=1014 | 3000..=4999);
            if !valid {
                return Err(code::PROTOCOL_ERROR);
            }
            if std::str::from_utf8(reason).is_err() {
                return Err(code::INVALID_PAYLOAD);
            }
            Ok(Message::Close(Some(code)))
        }
    }
}

/// A complete unmasked text frame.
pub fn text(payload: &[u8]) -> Bytes {
    encode(TEXT, payload)
}

/// A pong answering a ping with `payload`.
pub fn pong(payload: &[u8]) -> Bytes {
    encode(PONG, payload)
}

/// A close frame with `code`.
pub fn close(code: u16) -> Bytes {
    encode(CLOSE, &code.to_be_bytes())
}

fn encode(opcode: u8, payload: &[u8]) -> Bytes {
    let mut out = BytesMut::with_capacity(payload.len() + 10);
    out.put_u8(0x80 | opcode);
    match payload.len() {
        n @ 0..=125 => out.put_u8(n as u8),
        n @ 126..=0xFFFF => {
            out.put_u8(126);
            out.put_u16(n as u16);
        }
        n => {
            out.put_u8(127);
            out.put_u64(n as u64);
        }
    }
    out.put_slice(payload);
    out.freeze()
}

/// A frame as a client must send it: masked with `mask`, with the shortest length header.
/// Chirp never sends one; the tests and fuzz targets use it to speak as a client.
pub fn client(fin: bool, opcode: u8, mask: [u8; 4], payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + 14);
    out.push(if fin { 0x80 } else { 0 } | opcode);
    match payload.len() {
        n @ 0..=125 => out.push(0x80 | n as u8),
        n @ 126..=0xFFFF => {
            out.push(0x80 | 126);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            out.push(0x80 | 127);
            out.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    out.extend_from_slice(&mask);
    out.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i & 3]));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A client frame: masked with a fixed key.
    fn client_frame(fin: bool, opcode: u8, payload: &[u8]) -> Vec<u8> {
        client(fin, opcode, [0x12, 0x34, 0x56, 0x78], payload)
    }

    fn decode_all(bytes: &[u8]) -> Result<Vec<Message>, u16> {
        let mut buf = bytes.to_vec();
        let out = Decoder::default().decode(&mut buf, 1_000)?;
        assert!(buf.is_empty(), "all consumed");
        Ok(out)
    }

    #[test]
    fn decodes_masked_text_of_every_length_encoding() {
        for len in [0, 1, 125, 126, 127, 600, 1_000] {
            let text = "é".repeat(len / 2) + &"x".repeat(len % 2);
            let frame = client_frame(true, TEXT, text.as_bytes());
            assert_eq!(decode_all(&frame), Ok(vec![Message::Text(text)]));
        }
        let big = "x".repeat(70_000);
        let mut buf = client_frame(true, TEXT, big.as_bytes());
        assert_eq!(
            Decoder::default().decode(&mut buf, 100_000),
            Ok(vec![Message::Text(big)])
        );
    }

    #[test]
    fn waits_for_the_rest_of_a_frame_byte_by_byte() {
        let mut stream = client_frame(true, TEXT, b"hello");
        stream.extend(client_frame(true, PING, b"p"));
        let mut decoder = Decoder::default();
        let mut buf = Vec::new();
        let mut got = Vec::new();
        for byte in stream {
            buf.push(byte);
            got.extend(decoder.decode(&mut buf, 1_000).unwrap());
        }
        assert_eq!(
            got,
            [Message::Text("hello".into()), Message::Ping(b"p".to_vec())]
        );
        assert!(buf.is_empty());
    }

    #[test]
    fn reassembles_fragments_with_control_frames_between() {
        let mut stream = client_frame(false, TEXT, "hé".as_bytes()[..2].as_ref());
        stream.extend(client_frame(true, PING, b"1"));
        stream.extend(client_frame(false, CONTINUATION, &"hé".as_bytes()[2..]));
        stream.extend(client_frame(true, PONG, b""));
        stream.extend(client_frame(true, CONTINUATION, b"llo"));
        assert_eq!(
            decode_all(&stream),
            Ok(vec![
                Message::Ping(b"1".to_vec()),
                Message::Pong,
                Message::Text("héllo".into())
            ])
        );
    }

    #[test]
    fn refuses_protocol_breaches() {
        // Unmasked.
        assert_eq!(decode_all(&[0x81, 0x01, b'a']), Err(code::PROTOCOL_ERROR));
        // RSV bit.
        let mut rsv = client_frame(true, TEXT, b"a");
        rsv[0] |= 0x40;
        assert_eq!(decode_all(&rsv), Err(code::PROTOCOL_ERROR));
        // Unknown opcodes.
        for op in [3, 7, 0xB, 0xF] {
            assert_eq!(
                decode_all(&client_frame(true, op, b"")),
                Err(code::PROTOCOL_ERROR)
            );
        }
        // Fragmented or oversized control frame.
        assert_eq!(
            decode_all(&client_frame(false, PING, b"")),
            Err(code::PROTOCOL_ERROR)
        );
        assert_eq!(
            decode_all(&client_frame(true, PING, &[0; 126])),
            Err(code::PROTOCOL_ERROR)
        );
        // Continuation with nothing to continue; a new message inside a fragmented one.
        assert_eq!(
            decode_all(&client_frame(true, CONTINUATION, b"a")),
            Err(code::PROTOCOL_ERROR)
        );
        let mut twice = client_frame(false, TEXT, b"a");
        twice.extend(client_frame(true, TEXT, b"b"));
        assert_eq!(decode_all(&twice), Err(code::PROTOCOL_ERROR));
        // Binary.
        assert_eq!(
            decode_all(&client_frame(true, BINARY, b"\x01")),
            Err(code::UNSUPPORTED_DATA)
        );
    }

    #[test]
    fn checks_utf8_and_sizes() {
        assert_eq!(
            decode_all(&client_frame(true, TEXT, b"\xff")),
            Err(code::INVALID_PAYLOAD)
        );
        // A code point split across fragments is fine; an invalid whole is not.
        let mut split = client_frame(false, TEXT, &[0xC3]);
        split.extend(client_frame(true, CONTINUATION, &[0xA9]));
        assert_eq!(decode_all(&split), Ok(vec![Message::Text("é".into())]));
        let mut broken = client_frame(false, TEXT, &[0xC3]);
        broken.extend(client_frame(true, CONTINUATION, b"a"));
        assert_eq!(decode_all(&broken), Err(code::INVALID_PAYLOAD));
        // Too big, as one frame (refused from the header alone) or as fragments.
        let header_only = &client_frame(true, TEXT, &[b'a'; 1_001])[..8];
        let mut buf = header_only.to_vec();
        assert_eq!(
            Decoder::default().decode(&mut buf, 1_000),
            Err(code::TOO_BIG)
        );
        let mut parts = client_frame(false, TEXT, &[b'a'; 600]);
        parts.extend(client_frame(true, CONTINUATION, &[b'a'; 600]));
        assert_eq!(decode_all(&parts), Err(code::TOO_BIG));
        // A 64-bit length far beyond anything.
        let mut huge = vec![0x81, 0xFF];
        huge.extend_from_slice(&u64::MAX.to_be_bytes());
        assert_eq!(decode_all(&huge), Err(code::TOO_BIG));
    }

    #[test]
    fn reads_close_codes() {
        assert_eq!(
            decode_all(&client_frame(true, CLOSE, b"")),
            Ok(vec![Message::Close(None)])
        );
        assert_eq!(
            decode_all(&client_frame(true, CLOSE, &[0x03, 0xE8, b'o', b'k'])),
            Ok(vec![Message::Close(Some(1000))])
        );
        for bad in [&[0x03][..], &[0x03, 0xED], &[0x03, 0xEE], &[0, 0]] {
            assert_eq!(
                decode_all(&client_frame(true, CLOSE, bad)),
                Err(code::PROTOCOL_ERROR)
            );
        }
        assert_eq!(
            decode_all(&client_frame(true, CLOSE, &[0x03, 0xE8, 0xFF])),
            Err(code::INVALID_PAYLOAD)
        );
        // Nothing after a close is read.
        let mut after = client_frame(true, CLOSE, b"");
        after.extend(client_frame(true, TEXT, b"late"));
        let mut buf = after;
        assert_eq!(
            Decoder::default().decode(&mut buf, 1_000),
            Ok(vec![Message::Close(None)])
        );
    }

    #[test]
    fn encodes_unmasked_frames() {
        assert_eq!(&text(b"42")[..], &[0x81, 2, b'4', b'2']);
        let long = text(&[b'a'; 300]);
        assert_eq!(&long[..4], &[0x81, 126, 0x01, 0x2C]);
        assert_eq!(long.len(), 304);
        let huge = text(&vec![b'a'; 70_000]);
        assert_eq!(&huge[..2], &[0x81, 127]);
        assert_eq!(&close(1001)[..], &[0x88, 2, 0x03, 0xE9]);
        assert_eq!(&pong(b"x")[..], &[0x8A, 1, b'x']);
    }

    /// Randomized: any byte soup either decodes or yields a close code, never panics, and
    /// valid frames cut at random points decode to the same messages.
    #[test]
    fn random_input_never_panics_and_splits_do_not_matter() {
        let mut seed = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for _ in 0..20_000 {
            let len = (next() % 40) as usize;
            let mut soup: Vec<u8> = (0..len).map(|_| next() as u8).collect();
            let _ = Decoder::default().decode(&mut soup, 64);
        }
        for _ in 0..2_000 {
            let mut stream = Vec::new();
            let mut expected = Vec::new();
            for _ in 0..(next() % 5 + 1) {
                let text: String = (0..next() % 300)
                    .map(|_| char::from_u32((next() % 0x800) as u32).unwrap_or('x'))
                    .collect();
                stream.extend(client_frame(true, TEXT, text.as_bytes()));
                expected.push(Message::Text(text));
            }
            let cut = (next() as usize) % (stream.len() + 1);
            let mut decoder = Decoder::default();
            let mut buf = stream[..cut].to_vec();
            let mut got = decoder.decode(&mut buf, 10_000).unwrap();
            buf.extend_from_slice(&stream[cut..]);
            got.extend(decoder.decode(&mut buf, 10_000).unwrap());
            assert_eq!(got, expected);
        }
    }
}
