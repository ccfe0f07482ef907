//! Server-sent-events decoding.
//!
//! [`SseDecoder`] takes the body as it arrives, in chunks split anywhere (inside a line, inside
//! a UTF-8 sequence), and yields whole events. It follows the WHATWG rules that matter for model
//! APIs: lines end in LF, CRLF or CR; `event:` names the event; several `data:` lines are joined
//! with LF; lines starting with `:` are comments; a blank line dispatches the event. One event
//! (its lines together) is bounded by [`MAX_EVENT_BYTES`]: a server that sends an endless line
//! makes the decoder stop buffering and report it ([`SseDecoder::overflowed`]), not fill
//! memory.

/// Most bytes of one event. Model API events are small (a delta, a usage update); 16 MiB is
/// far above any of them.
pub const MAX_EVENT_BYTES: usize = 16 << 20;

/// One decoded event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SseEvent {
    /// The `event:` field, or `None` when the server sent data only.
    pub event: Option<String>,
    pub data: String,
}

/// Incremental SSE decoder.
#[derive(Debug, Default)]
pub struct SseDecoder {
    buf: Vec<u8>,
    event: Option<String>,
    data: Vec<String>,
    has_data: bool,
    /// A CR ended the previous chunk; a LF at the start of the next one belongs to it.
    pending_cr: bool,
    /// Bytes of `buf` already searched for a line end.
    scanned: usize,
    /// Bytes of the event being read so far (its `data` lines).
    event_bytes: usize,
    overflowed: bool,
}

impl SseDecoder {
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether an event grew past [`MAX_EVENT_BYTES`]. The decoder then takes nothing more.
    pub fn overflowed(&self) -> bool {
        self.overflowed
    }

    /// Feeds a chunk and returns the events it completed, in order.
    pub fn feed(&mut self, chunk: &[u8]) -> Vec<SseEvent> {
        let mut out = Vec::new();
        if self.overflowed {
            return out;
        }
        let mut chunk = chunk;
        if self.pending_cr {
            self.pending_cr = false;
            if chunk.first() == Some(&b'\n') {
                chunk = &chunk[1..];
            }
        }
        self.buf.extend_from_slice(chunk);
        let mut start = 0;
        // A long line arrives in many chunks: search only what is new.
        let mut i = self.scanned;
        while i < self.buf.len() {
            let b = self.buf[i];
            if b == b'\n' || b == b'\r' {
                let line = self.buf[start..i].to_vec();
                let mut next = i + 1;
                if b == b'\r' {
                    if next < self.buf.len() {
                        if self.buf[next] == b'\n' {
                            next += 1;
                        }
                    } else {
                        self.pending_cr = true;
                    }
                }
                self.line(&line, &mut out);
                start = next;
                i = next;
            } else {
                i += 1;
            }
        }
        self.buf.drain(..start);
        self.scanned = self.buf.len();
        if self.buf.len() + self.event_bytes > MAX_EVENT_BYTES {
            self.overflowed = true;
            self.buf = Vec::new();
            self.data = Vec::new();
        }
        out
    }

    /// Call at end of stream: an event without its closing blank line is dropped, as the spec
    /// says; returns whether anything was left unfinished (a sign the stream was cut).
    pub fn finish(&mut self) -> bool {
        let torn = !self.buf.is_empty() || self.has_data;
        self.buf.clear();
        self.scanned = 0;
        self.event_bytes = 0;
        self.data.clear();
        self.event = None;
        self.has_data = false;
        torn
    }

    fn line(&mut self, line: &[u8], out: &mut Vec<SseEvent>) {
        if line.is_empty() {
            if self.has_data {
                out.push(SseEvent { event: self.event.take(), data: self.data.join("\n") });
            }
            self.event = None;
            self.data.clear();
            self.has_data = false;
            self.event_bytes = 0;
            return;
        }
        if line[0] == b':' {
            return;
        }
        let text = String::from_utf8_lossy(line);
        let (field, value) = match text.find(':') {
            Some(pos) => {
                let value = &text[pos + 1..];
                (&text[..pos], value.strip_prefix(' ').unwrap_or(value))
            }
            None => (&text[..], ""),
        };
        match field {
            "event" => self.event = Some(value.to_string()),
            "data" => {
                self.event_bytes += value.len() + 1;
                if self.event_bytes > MAX_EVENT_BYTES {
                    self.overflowed = true;
                    return;
                }
                self.data.push(value.to_string());
                self.has_data = true;
            }
            _ => {} // id, retry and unknown fields do not matter here
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_in_pieces(input: &str, piece: usize) -> Vec<SseEvent> {
        let mut d = SseDecoder::new();
        let mut out = Vec::new();
        for chunk in input.as_bytes().chunks(piece) {
            out.extend(d.feed(chunk));
        }
        out
    }

    #[test]
    fn decodes_events_split_at_every_byte() {
        let input = "event: message_start\ndata: {\"a\":\"é✓\"}\n\n: comment\nevent: ping\r\ndata: {}\r\n\r\ndata: line1\ndata: line2\n\n";
        let whole = decode_in_pieces(input, input.len());
        assert_eq!(whole.len(), 3);
        assert_eq!(whole[0].event.as_deref(), Some("message_start"));
        assert_eq!(whole[0].data, "{\"a\":\"é✓\"}");
        assert_eq!(whole[1].event.as_deref(), Some("ping"));
        assert_eq!(whole[2].event, None);
        assert_eq!(whole[2].data, "line1\nline2");
        for piece in 1..input.len() {
            assert_eq!(decode_in_pieces(input, piece), whole, "piece size {piece}");
        }
    }

    #[test]
    fn bare_cr_line_endings() {
        let out = decode_in_pieces("event: a\rdata: x\r\rdata: y\r\r", 1);
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].data, "x");
        assert_eq!(out[1].data, "y");
    }

    /// An endless line, or an event of endless data lines, stops the decoder at the bound
    /// instead of filling memory; smaller ones go through.
    #[test]
    fn an_oversized_event_is_refused() {
        let mut d = SseDecoder::new();
        d.feed(b"data: ");
        let chunk = vec![b'x'; 1 << 20];
        for _ in 0..17 {
            assert!(d.feed(&chunk).is_empty());
        }
        assert!(d.overflowed());
        assert!(d.buf.capacity() < 1 << 20, "the buffer was let go");
        let mut d = SseDecoder::new();
        let line = format!("data: {}\n", "y".repeat(1 << 20));
        for _ in 0..17 {
            d.feed(line.as_bytes());
        }
        assert!(d.overflowed());
        let mut d = SseDecoder::new();
        let big = format!("data: {}\n\n", "z".repeat(4 << 20));
        assert_eq!(d.feed(big.as_bytes()).len(), 1);
        assert!(!d.overflowed());
    }

    #[test]
    fn finish_reports_a_torn_event() {
        let mut d = SseDecoder::new();
        assert!(d.feed(b"event: content_block_delta\ndata: {\"par").is_empty());
        assert!(d.finish());
        let mut d = SseDecoder::new();
        assert_eq!(d.feed(b"data: x\n\n").len(), 1);
        assert!(!d.finish());
    }
}
