//! Server-sent-events decoding.
//!
//! [`SseDecoder`] takes the body as it arrives, in chunks split anywhere (inside a line, inside
//! a UTF-8 sequence), and yields whole events. It follows the WHATWG rules that matter for model
//! APIs: lines end in LF, CRLF or CR; `event:` names the event; several `data:` lines are joined
//! with LF; lines starting with `:` are comments; a blank line dispatches the event.

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
}

impl SseDecoder {
    pub fn new() -> Self {
        Self::default()
    }

    /// Feeds a chunk and returns the events it completed, in order.
    pub fn feed(&mut self, chunk: &[u8]) -> Vec<SseEvent> {
        let mut out = Vec::new();
        let mut chunk = chunk;
        if self.pending_cr {
            self.pending_cr = false;
            if chunk.first() == Some(&b'\n') {
                chunk = &chunk[1..];
            }
        }
        self.buf.extend_from_slice(chunk);
        let mut start = 0;
        let mut i = 0;
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
        out
    }

    /// Call at end of stream: an event without its closing blank line is dropped, as the spec
    /// says; returns whether anything was left unfinished (a sign the stream was cut).
    pub fn finish(&mut self) -> bool {
        let torn = !self.buf.is_empty() || self.has_data;
        self.buf.clear();
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
