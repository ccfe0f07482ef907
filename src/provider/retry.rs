//! Retry and backoff policy for model calls.
//!
//! Transient failures (408, 409, 429, 5xx overload statuses, a connection that failed or a
//! stream that broke or ended early, a malformed event) are retried with exponential backoff
//! and jitter. A `retry-after` (seconds) or `retry-after-ms` header from the server is
//! honoured as given: the retry never lands inside the window the server asked to be left
//! alone for. A wait longer than [`MAX_RETRY_AFTER`] is not waited out; the error says when to
//! try again instead.

use std::time::Duration;

/// Default number of retries after the first attempt.
pub const DEFAULT_MAX_RETRIES: u32 = 2;
/// First backoff step; doubles per attempt. Half a second matches what the Anthropic SDKs use.
pub const DEFAULT_BASE_DELAY: Duration = Duration::from_millis(500);
/// Upper bound of a computed (not server-given) delay.
pub const DEFAULT_MAX_DELAY: Duration = Duration::from_secs(8);
/// Longest server-given delay waited out. Longer waits are surfaced as an error that says
/// when to try again.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(300);

/// Statuses worth retrying: timeouts, conflicts, rate limits, server and gateway errors, and
/// Anthropic's 529 "overloaded".
pub fn is_retryable_status(status: u16) -> bool {
    matches!(status, 408 | 409 | 429 | 500 | 502 | 503 | 504 | 529)
}

/// How often and how long to wait between attempts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    pub max_retries: u32,
    pub base_delay: Duration,
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy { max_retries: DEFAULT_MAX_RETRIES, base_delay: DEFAULT_BASE_DELAY, max_delay: DEFAULT_MAX_DELAY }
    }
}

impl RetryPolicy {
    /// The wait before retry number `attempt` (1-based), or `None` when the server asked for a
    /// longer wait than [`MAX_RETRY_AFTER`]. A server-given delay wins, never shortened (a
    /// little is added, so that the retry lands after the window, not on its edge); otherwise
    /// `base * 2^(attempt-1)` capped at `max_delay`, with jitter between half and all of it so
    /// that many clients do not retry in step.
    pub fn delay(&self, attempt: u32, retry_after: Option<Duration>) -> Option<Duration> {
        if let Some(after) = retry_after {
            return (after <= MAX_RETRY_AFTER).then(|| after + Duration::from_millis(fastrand::u64(50..=250)));
        }
        let exp = attempt.saturating_sub(1).min(16);
        let full = self.base_delay.saturating_mul(1u32 << exp).min(self.max_delay);
        let half = full / 2;
        let jitter = fastrand::u64(0..=half.as_millis() as u64);
        Some(half + Duration::from_millis(jitter))
    }
}

/// Reads `retry-after-ms` or `retry-after` (seconds, possibly fractional) from response
/// headers. HTTP dates are not honoured: model APIs send seconds.
pub fn parse_retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    if let Some(ms) = headers
        .get("retry-after-ms")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<f64>().ok())
        .filter(|v| v.is_finite() && *v >= 0.0)
    {
        return Some(Duration::from_secs_f64(ms / 1000.0));
    }
    headers
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<f64>().ok())
        .filter(|v| v.is_finite() && *v >= 0.0)
        .map(Duration::from_secs_f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retryable_statuses() {
        for s in [408, 409, 429, 500, 502, 503, 504, 529] {
            assert!(is_retryable_status(s), "{s}");
        }
        for s in [200, 400, 401, 403, 404, 413, 422, 501] {
            assert!(!is_retryable_status(s), "{s}");
        }
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let p = RetryPolicy::default();
        for attempt in 1..10 {
            let full = p.base_delay.saturating_mul(1 << (attempt - 1)).min(p.max_delay);
            let d = p.delay(attempt, None).unwrap();
            assert!(d >= full / 2 && d <= full, "attempt {attempt}: {d:?} vs {full:?}");
        }
    }

    #[test]
    fn server_delay_is_honoured_or_not_waited_out() {
        let p = RetryPolicy::default();
        for after in [3, 75, 300] {
            let d = p.delay(1, Some(Duration::from_secs(after))).unwrap();
            assert!(d > Duration::from_secs(after) && d < Duration::from_secs(after + 1), "{after}: {d:?}");
        }
        assert_eq!(p.delay(1, Some(Duration::from_secs(3600))), None);
    }

    #[test]
    fn parses_retry_after_headers() {
        let mut h = reqwest::header::HeaderMap::new();
        h.insert("retry-after", "2".parse().unwrap());
        assert_eq!(parse_retry_after(&h), Some(Duration::from_secs(2)));
        h.insert("retry-after-ms", "150".parse().unwrap());
        assert_eq!(parse_retry_after(&h), Some(Duration::from_millis(150)));
        let mut h = reqwest::header::HeaderMap::new();
        h.insert("retry-after", "Wed, 21 Oct 2015 07:28:00 GMT".parse().unwrap());
        assert_eq!(parse_retry_after(&h), None);
    }
}
