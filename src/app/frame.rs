//! The frame clock: when to draw and when to wake.
//!
//! Redraws are requested, not polled. Any number of requests between two frames coalesce into
//! one frame, frames are at least [`FRAME_INTERVAL`] apart (120 a second at most), and while
//! nothing is requested and nothing moves on screen the clock never wakes the loop. While
//! something animates (a spinner, a running timer) it ticks every [`TICK_INTERVAL`].
//!
//! Time is tokio's, so tests run the clock under paused time and count frames exactly.

use tokio::sync::mpsc;
use tokio::time::{Duration, Instant};

/// Shortest time between two frames: 120 frames a second at most. A fast terminal shows
/// more than that as no smoother, and every frame costs a diff of the whole screen.
pub const FRAME_INTERVAL: Duration = Duration::from_millis(8);
/// Animation clock while something moves: spinners advance ten times a second, which reads as
/// motion without costing a frame more often than needed.
pub const TICK_INTERVAL: Duration = Duration::from_millis(100);

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

/// Frame scheduling state: whether a frame is wanted and when the last one was drawn.
#[derive(Debug, Default)]
pub struct FrameClock {
    dirty: bool,
    last_draw: Option<Instant>,
}

impl FrameClock {
    /// A clock that draws a first frame as soon as it is asked.
    pub fn new() -> FrameClock {
        FrameClock { dirty: true, last_draw: None }
    }

    /// Something visible may have changed: draw a frame when one is allowed.
    pub fn request(&mut self) {
        self.dirty = true;
    }

    /// Whether a frame should be drawn now: one was requested and the last frame is at least
    /// [`FRAME_INTERVAL`] old.
    pub fn due(&self, now: Instant) -> bool {
        self.dirty && self.last_draw.is_none_or(|t| now.duration_since(t) >= FRAME_INTERVAL)
    }

    /// A frame was drawn at `now`.
    pub fn drawn(&mut self, now: Instant) {
        self.dirty = false;
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
        let deadline = if self.dirty {
            Some((self.last_draw.map_or_else(Instant::now, |t| t + FRAME_INTERVAL), Woke::Frame))
        } else if animating {
            Some((Instant::now() + TICK_INTERVAL, Woke::Tick))
        } else {
            None
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

    /// Runs a loop like the runtime's for `span`: every event requests a frame; returns the
    /// instants frames were drawn at.
    async fn frames(rx: &mut mpsc::UnboundedReceiver<u32>, span: Duration, animating: bool) -> Vec<Instant> {
        let start = Instant::now();
        let mut clock = FrameClock::new();
        let mut drawn = Vec::new();
        while start.elapsed() < span {
            let woke = tokio::select! {
                w = clock.next(rx, animating) => w,
                _ = tokio::time::sleep_until(start + span) => break,
            };
            match woke {
                Woke::Event(_) | Woke::Tick => clock.request(),
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
        let clock = FrameClock { dirty: false, last_draw: Some(Instant::now()) };
        assert_eq!(clock.next(&mut rx, false).await, Woke::Closed);
    }
}
