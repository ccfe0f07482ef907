//! The frame clock: when to draw and when to wake.
//!
//! Redraws are requested, not polled, and each request says how soon its change must show
//! ([`Urgency`]). Any number of requests between two frames coalesce into one frame. A key
//! press is drawn at once; other changes at most [`FRAME_INTERVAL`] apart (120 a second); a
//! streaming answer's deltas, which arrive hundreds of times a second, at most
//! [`STREAM_INTERVAL`] apart: a steady 30 frames a second, each showing every line completed
//! since the last. While nothing is requested and nothing moves on screen the clock never
//! wakes the loop. While something animates (a spinner, a running timer) it ticks every
//! [`TICK_INTERVAL`].
//!
//! Time is tokio's, so tests run the clock under paused time and count frames exactly.

use tokio::sync::mpsc;
use tokio::time::{Duration, Instant};

/// Shortest time between two frames for ordinary changes: 120 frames a second at most. A fast
/// terminal shows more than that as no smoother, and every frame costs a diff of the screen.
pub const FRAME_INTERVAL: Duration = Duration::from_millis(8);
/// Shortest time between two frames that only show more of a stream: 30 a second, which
/// reads as smooth text and costs a quarter of the frames (and the bytes) of 120.
pub const STREAM_INTERVAL: Duration = Duration::from_millis(33);
/// Animation clock while something moves: spinners advance ten times a second, which reads as
/// motion without costing a frame more often than needed.
pub const TICK_INTERVAL: Duration = Duration::from_millis(100);

/// How soon a change must reach the screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Urgency {
    /// More of a stream (an answer's delta, a command's output): the next paced frame.
    Stream,
    /// Anything else that changes the screen: within [`FRAME_INTERVAL`].
    Change,
    /// What the person did (a key, a paste): now, whatever else is streaming.
    Input,
}

impl Urgency {
    fn interval(self) -> Duration {
        match self {
            Urgency::Stream => STREAM_INTERVAL,
            Urgency::Change => FRAME_INTERVAL,
            Urgency::Input => Duration::ZERO,
        }
    }
}

/// Why the loop woke.
#[derive(Debug, PartialEq)]
pub enum Woke<E> {
    /// Something happened.
    Event(E),
    /// The animation clock ticked (only while something moves).
    Tick,
    /// A requested frame is due.
    Frame,
    /// The event channel closed: nothing more will happen.
    Closed,
}

/// Frame scheduling state: the most urgent change waiting to be drawn and when the last frame
/// was drawn.
#[derive(Debug, Default)]
pub struct FrameClock {
    wanted: Option<Urgency>,
    last_draw: Option<Instant>,
}

impl FrameClock {
    /// A clock that draws a first frame as soon as it is asked.
    pub fn new() -> FrameClock {
        FrameClock { wanted: Some(Urgency::Input), last_draw: None }
    }

    /// Something visible changed, to be shown as soon as `urgency` says.
    pub fn request(&mut self, urgency: Urgency) {
        self.wanted = self.wanted.max(Some(urgency));
    }

    /// When the frame asked for may be drawn (None: at once); None when none is asked for.
    fn due_at(&self) -> Option<Option<Instant>> {
        let urgency = self.wanted?;
        Some(self.last_draw.map(|t| t + urgency.interval()))
    }

    /// Whether a frame should be drawn now.
    pub fn due(&self, now: Instant) -> bool {
        self.due_at().is_some_and(|at| at.is_none_or(|at| at <= now))
    }

    /// A frame was drawn at `now`.
    pub fn drawn(&mut self, now: Instant) {
        self.wanted = None;
        self.last_draw = Some(now);
    }

    /// Whether no frame has been drawn yet.
    pub fn first(&self) -> bool {
        self.last_draw.is_none()
    }

    /// Waits for the next event, the next allowed frame (when one is requested), or the next
    /// animation tick (when `animating`), whichever comes first. Idle and clean, it waits for
    /// an event alone.
    pub async fn next<E>(&self, rx: &mut mpsc::UnboundedReceiver<E>, animating: bool) -> Woke<E> {
        let deadline = match self.due_at() {
            Some(at) => Some((at.unwrap_or_else(Instant::now), Woke::Frame)),
            None if animating => Some((Instant::now() + TICK_INTERVAL, Woke::Tick)),
            None => None,
        };
        match deadline {
            Some((at, woke)) => tokio::select! {
                ev = rx.recv() => ev.map_or(Woke::Closed, Woke::Event),
                _ = tokio::time::sleep_until(at) => woke,
            },
            None => rx.recv().await.map_or(Woke::Closed, Woke::Event),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs a loop like the runtime's for `span`: every event requests a frame, as urgent as
    /// `urgency` says of it; returns the instants frames were drawn at.
    async fn frames_of(
        rx: &mut mpsc::UnboundedReceiver<u32>,
        span: Duration,
        animating: bool,
        urgency: impl Fn(u32) -> Urgency,
    ) -> Vec<Instant> {
        let start = Instant::now();
        let mut clock = FrameClock::new();
        let mut drawn = Vec::new();
        while start.elapsed() < span {
            let woke = tokio::select! {
                w = clock.next(rx, animating) => w,
                _ = tokio::time::sleep_until(start + span) => break,
            };
            match woke {
                Woke::Event(e) => clock.request(urgency(e)),
                Woke::Tick => clock.request(Urgency::Change),
                Woke::Frame => {}
                Woke::Closed => break,
            }
            let now = Instant::now();
            if clock.due(now) {
                clock.drawn(now);
                drawn.push(now);
            }
        }
        drawn
    }

    async fn frames(rx: &mut mpsc::UnboundedReceiver<u32>, span: Duration, animating: bool) -> Vec<Instant> {
        frames_of(rx, span, animating, |_| Urgency::Change).await
    }

    #[tokio::test(start_paused = true)]
    async fn a_flood_of_requests_is_capped_at_120_frames_a_second() {
        let (tx, mut rx) = mpsc::unbounded_channel();
        // 10,000 events over one second, as a fast stream would send deltas.
        tokio::spawn(async move {
            for i in 0..10_000 {
                let _ = tx.send(i);
                tokio::time::sleep(Duration::from_micros(100)).await;
            }
        });
        let drawn = frames(&mut rx, Duration::from_secs(1), false).await;
        assert!(drawn.len() <= 126, "at most one frame per 8 ms: {}", drawn.len());
        assert!(drawn.len() >= 100, "and the stream is still shown smoothly: {}", drawn.len());
        assert!(drawn.windows(2).all(|w| w[1] - w[0] >= FRAME_INTERVAL));
    }

    #[tokio::test(start_paused = true)]
    async fn requests_between_two_frames_coalesce_into_one() {
        let (tx, mut rx) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            // A burst of 50 events within 1 ms, then silence.
            for i in 0..50 {
                let _ = tx.send(i);
            }
            tokio::time::sleep(Duration::from_secs(10)).await;
        });
        let drawn = frames(&mut rx, Duration::from_millis(500), false).await;
        assert_eq!(drawn.len(), 2, "the first frame, then one for the whole burst: {drawn:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn an_idle_clock_never_wakes_and_an_animating_one_ticks() {
        let (tx, mut rx) = mpsc::unbounded_channel::<u32>();
        let drawn = frames(&mut rx, Duration::from_secs(60), false).await;
        assert_eq!(drawn.len(), 1, "only the first frame in a minute of idleness");
        let drawn = frames(&mut rx, Duration::from_secs(1), true).await;
        assert!((10..=12).contains(&drawn.len()), "ten ticks a second while animating: {}", drawn.len());
        // An idle clock waits on the channel alone: with the sender gone, it says so at once.
        drop(tx);
        let clock = FrameClock { wanted: None, last_draw: Some(Instant::now()) };
        assert_eq!(clock.next(&mut rx, false).await, Woke::Closed);
    }

    #[tokio::test(start_paused = true)]
    async fn a_stream_is_drawn_at_30_frames_a_second_and_keys_at_once() {
        let (tx, mut rx) = mpsc::unbounded_channel();
        // 500 deltas a second for two seconds (events 0..1000); a key every 150 ms (1000+).
        tokio::spawn(async move {
            for i in 0..1000u32 {
                let _ = tx.send(i);
                if i % 75 == 37 {
                    let _ = tx.send(1000 + i);
                }
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
        });
        let start = Instant::now();
        let urgency = |e: u32| if e >= 1000 { Urgency::Input } else { Urgency::Stream };
        let drawn = frames_of(&mut rx, Duration::from_secs(2), false, urgency).await;
        // 60 paced frames in two seconds, plus one per key.
        assert!((55..=80).contains(&drawn.len()), "{} frames", drawn.len());
        for i in (0..1000u32).filter(|i| i % 75 == 37) {
            let key_at = start + Duration::from_millis(2 * i as u64);
            assert!(
                drawn.iter().any(|t| *t >= key_at && *t - key_at < Duration::from_millis(1)),
                "key {i} drawn at once"
            );
        }
    }
}
