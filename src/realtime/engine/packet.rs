//! Engine.IO v4 packets: one type digit followed by data, and the long-polling payload that
//! joins several of them with the record separator (0x1e).
//!
//! Only text packets exist here: binary packets (`b…` in a polling payload, binary frames on
//! a WebSocket) are refused by the callers, since Chirp's events never carry binary data.

/// Separates packets in a long-polling payload.
pub const SEPARATOR: u8 = 0x1e;

/// A packet received from a client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Packet<'a> {
    /// `1`: the client is leaving.
    Close,
    /// `2` (with data `probe` during an upgrade).
    Ping(&'a str),
    /// `3`: answer to the server's ping.
    Pong(&'a str),
    /// `4…`: a message for the layer above (Socket.IO).
    Message(&'a str),
    /// `5`: the client switches to the probed WebSocket.
    Upgrade,
    /// `6`: nothing.
    Noop,
}

/// Why a packet could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PacketError {
    /// Empty, an unknown type, or a type a client may not send (`0` open).
    Malformed,
    /// A binary packet (`b…`), which Chirp does not accept.
    Binary,
}

/// Parse one text packet.
pub fn parse(text: &str) -> Result<Packet<'_>, PacketError> {
    let mut chars = text.chars();
    let kind = chars.next().ok_or(PacketError::Malformed)?;
    let data = chars.as_str();
    match kind {
        '1' => Ok(Packet::Close),
        '2' => Ok(Packet::Ping(data)),
        '3' => Ok(Packet::Pong(data)),
        '4' => Ok(Packet::Message(data)),
        '5' => Ok(Packet::Upgrade),
        '6' => Ok(Packet::Noop),
        'b' => Err(PacketError::Binary),
        _ => Err(PacketError::Malformed),
    }
}

/// Split a long-polling payload into its packets (each still to be parsed).
pub fn split_payload(body: &str) -> impl Iterator<Item = &str> {
    body.split(SEPARATOR as char)
}

/// The `open` packet sent at the handshake.
pub fn open_packet(
    sid: &str,
    upgrades: bool,
    ping_interval_ms: u64,
    ping_timeout_ms: u64,
    max_payload: usize,
) -> String {
    let upgrades = if upgrades { r#"["websocket"]"# } else { "[]" };
    format!(
        r#"0{{"sid":"{sid}","upgrades":{upgrades},"pingInterval":{ping_interval_ms},"pingTimeout":{ping_timeout_ms},"maxPayload":{max_payload}}}"#
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_client_packet_type() {
        assert_eq!(parse("1"), Ok(Packet::Close));
        assert_eq!(parse("2probe"), Ok(Packet::Ping("probe")));
        assert_eq!(parse("3"), Ok(Packet::Pong("")));
        assert_eq!(parse("42[\"a\"]"), Ok(Packet::Message("2[\"a\"]")));
        assert_eq!(parse("5"), Ok(Packet::Upgrade));
        assert_eq!(parse("6"), Ok(Packet::Noop));
        assert_eq!(parse("bAQID"), Err(PacketError::Binary));
        assert_eq!(parse(""), Err(PacketError::Malformed));
        assert_eq!(parse("0{}"), Err(PacketError::Malformed));
        assert_eq!(parse("é"), Err(PacketError::Malformed));
        assert_eq!(parse("9"), Err(PacketError::Malformed));
    }

    #[test]
    fn splits_payloads_on_the_record_separator() {
        let parts: Vec<_> = split_payload("40\u{1e}42[\"x\",\"é\"]\u{1e}3").collect();
        assert_eq!(parts, ["40", "42[\"x\",\"é\"]", "3"]);
    }

    #[test]
    fn open_packet_is_json_after_the_type() {
        let open = open_packet("abc", true, 25_000, 20_000, 1_000_000);
        let json: serde_json::Value = serde_json::from_str(&open[1..]).unwrap();
        assert_eq!(&open[..1], "0");
        assert_eq!(json["sid"], "abc");
        assert_eq!(json["upgrades"], serde_json::json!(["websocket"]));
        assert_eq!(json["pingInterval"], 25_000);
        assert_eq!(json["maxPayload"], 1_000_000);
    }
}
