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

    /// Whether a frame that only shows more of a stream is waiting for its time: the bus is
    /// not read until then (see [`Inbox`]).
    fn holding(&self, now: Instant) -> bool {
        self.wanted == Some(Urgency::Stream) && !self.due(now)
    }

    /// Waits for the next event, the next allowed frame (when one is requested), or the next
    /// animation tick (when `animating`), whichever comes first. Idle and clean, it waits for
    /// an event alone. While a stream's frame waits for its time, only input wakes the loop.
    pub async fn next<E>(&self, inbox: &mut Inbox<E>, animating: bool) -> Woke<E> {
        let deadline = match self.due_at() {
            Some(at) => Some((at.unwrap_or_else(Instant::now), Woke::Frame)),
            None if animating => Some((Instant::now() + TICK_INTERVAL, Woke::Tick)),
            None => None,
        };
        let hold = self.holding(Instant::now());
        let Inbox { input, bus, input_open } = inbox;
        let sleep = async {
            match &deadline {
                Some((at, _)) => tokio::time::sleep_until(*at).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            biased;
            ev = input.recv(), if *input_open => match ev {
                Some(ev) => Woke::Event(ev),
                None => {
                    *input_open = false;
                    Woke::Frame
                }
            },
            ev = bus.recv(), if !hold => ev.map_or(Woke::Closed, Woke::Event),
            _ = sleep => deadline.map_or(Woke::Frame, |(_, woke)| woke),
        }
    }
}

/// Where events come from: the person's input, and everything else (the agent, watchers,
/// jobs) on the bus.
///
/// They are apart so that a streaming answer does not wake the loop for every delta: a stream
/// sends hundreds a second and they are drawn 30 times a second, so while a stream's frame
/// waits for its time the loop reads input alone and leaves the bus to fill; when the frame is
/// due it takes everything queued at once. A key is read (and drawn) at once all the same.
pub struct Inbox<E> {
    pub input: mpsc::UnboundedReceiver<E>,
    pub bus: mpsc::UnboundedReceiver<E>,
    /// False once the input's senders are gone (no terminal input will come).
    input_open: bool,
}

impl<E> Inbox<E> {
    pub fn new(input: mpsc::UnboundedReceiver<E>, bus: mpsc::UnboundedReceiver<E>) -> Inbox<E> {
        Inbox { input, bus, input_open: true }
    }

    /// An event already queued, input first.
    pub fn try_next(&mut self) -> Option<E> {
        self.input.try_recv().ok().or_else(|| self.bus.try_recv().ok())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a loop like the runtime's did: when it drew frames, and how often it woke.
    struct Run {
        drawn: Vec<Instant>,
        wakes: usize,
    }

    /// Runs a loop like the runtime's for `span`: on waking it takes every queued event, each
    /// requesting a frame as urgent as `urgency` says of it.
    async fn run_loop(
        inbox: &mut Inbox<u32>,
        span: Duration,
        animating: bool,
        urgency: impl Fn(u32) -> Urgency,
    ) -> Run {
        let start = Instant::now();
        let mut clock = FrameClock::new();
        let mut run = Run { drawn: Vec::new(), wakes: 0 };
        while start.elapsed() < span {
            let woke = tokio::select! {
                w = clock.next(inbox, animating) => w,
                _ = tokio::time::sleep_until(start + span) => break,
            };
            run.wakes += 1;
            match woke {
                Woke::Event(e) => clock.request(urgency(e)),
                Woke::Tick => clock.request(Urgency::Change),
                Woke::Frame => {}
                Woke::Closed => break,
            }
            while let Some(e) = inbox.try_next() {
                clock.request(urgency(e));
            }
            let now = Instant::now();
            if clock.due(now) {
                clock.drawn(now);
                run.drawn.push(now);
            }
        }
        run
    }

    /// An inbox whose bus is `bus`, and the sender of its input.
    fn inbox(bus: mpsc::UnboundedReceiver<u32>) -> (Inbox<u32>, mpsc::UnboundedSender<u32>) {
        let (input, input_rx) = mpsc::unbounded_channel();
        (Inbox::new(input_rx, bus), input)
    }

    async fn frames(rx: mpsc::UnboundedReceiver<u32>, span: Duration, animating: bool) -> Vec<Instant> {
        let (mut inbox, _input) = inbox(rx);
        run_loop(&mut inbox, span, animating, |_| Urgency::Change).await.drawn
    }

    #[tokio::test(start_paused = true)]
    async fn a_flood_of_requests_is_capped_at_120_frames_a_second() {
        let (tx, rx) = mpsc::unbounded_channel();
        // 10,000 events over one second, as a fast stream would send deltas.
        tokio::spawn(async move {
            for i in 0..10_000 {
                let _ = tx.send(i);
                tokio::time::sleep(Duration::from_micros(100)).await;
            }
        });
        let drawn = frames(rx, Duration::from_secs(1), false).await;
        assert!(drawn.len() <= 126, "at most one frame per 8 ms: {}", drawn.len());
        assert!(drawn.len() >= 100, "and the stream is still shown smoothly: {}", drawn.len());
        assert!(drawn.windows(2).all(|w| w[1] - w[0] >= FRAME_INTERVAL));
    }

    #[tokio::test(start_paused = true)]
    async fn requests_between_two_frames_coalesce_into_one() {
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            // A burst of 50 events within 1 ms, then silence.
            for i in 0..50 {
                let _ = tx.send(i);
            }
            tokio::time::sleep(Duration::from_secs(10)).await;
        });
        let drawn = frames(rx, Duration::from_millis(500), false).await;
        assert_eq!(drawn.len(), 2, "the first frame, then one for the whole burst: {drawn:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn an_idle_clock_never_wakes_and_an_animating_one_ticks() {
        let (tx, rx) = mpsc::unbounded_channel::<u32>();
        let (mut inbox, _input) = inbox(rx);
        let idle = run_loop(&mut inbox, Duration::from_secs(60), false, |_| Urgency::Change).await;
        assert_eq!(idle.drawn.len(), 1, "only the first frame in a minute of idleness");
        assert_eq!(idle.wakes, 1, "and the loop woke only for it");
        let drawn = run_loop(&mut inbox, Duration::from_secs(1), true, |_| Urgency::Change).await.drawn;
        assert!((10..=12).contains(&drawn.len()), "ten ticks a second while animating: {}", drawn.len());
        // An idle clock waits on the channels alone: with the bus's sender gone, it says so at once.
        drop(tx);
        let clock = FrameClock { wanted: None, last_draw: Some(Instant::now()) };
        assert_eq!(clock.next(&mut inbox, false).await, Woke::Closed);
    }

    #[tokio::test(start_paused = true)]
    async fn a_stream_is_drawn_at_30_frames_a_second_and_keys_at_once() {
        let (tx, rx) = mpsc::unbounded_channel();
        let (mut inbox, input) = inbox(rx);
        // 500 deltas a second for two seconds on the bus; a key every 150 ms on the input.
        tokio::spawn(async move {
            for i in 0..1000u32 {
                let _ = tx.send(i);
                if i % 75 == 37 {
                    let _ = input.send(1000 + i);
                }
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
        });
        let start = Instant::now();
        let urgency = |e: u32| if e >= 1000 { Urgency::Input } else { Urgency::Stream };
        let Run { drawn, wakes } = run_loop(&mut inbox, Duration::from_secs(2), false, urgency).await;
        // 60 paced frames in two seconds, plus one per key.
        assert!((55..=80).contains(&drawn.len()), "{} frames", drawn.len());
        for i in (0..1000u32).filter(|i| i % 75 == 37) {
            let key_at = start + Duration::from_millis(2 * i as u64);
            assert!(
                drawn.iter().any(|t| *t >= key_at && *t - key_at < Duration::from_millis(1)),
                "key {i} drawn at once"
            );
        }
        // The deltas waiting for a frame's time do not wake the loop: about two wakes a frame
        // (the first delta after a frame, the frame's time), not one per delta.
        assert!(wakes <= 2 * drawn.len() + 5, "{wakes} wakes for {} frames and 1,000 deltas", drawn.len());
    }

    #[tokio::test(start_paused = true)]
    async fn a_change_waiting_behind_a_stream_frame_is_drawn_with_it() {
        let (tx, rx) = mpsc::unbounded_channel();
        let (mut inbox, _input) = inbox(rx);
        // 10 ms after the first frame a delta, 5 ms later a change (a tool starting): both
        // before the delta's frame is due.
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(10)).await;
            let _ = tx.send(0);
            tokio::time::sleep(Duration::from_millis(5)).await;
            let _ = tx.send(1);
            tokio::time::sleep(Duration::from_secs(10)).await;
        });
        let urgency = |e: u32| if e == 0 { Urgency::Stream } else { Urgency::Change };
        let drawn = run_loop(&mut inbox, Duration::from_millis(500), false, urgency).await.drawn;
        // The first frame at once, then one frame for both when the delta's is due.
        assert_eq!(drawn.len(), 2, "{drawn:?}");
        assert_eq!(drawn[1] - drawn[0], STREAM_INTERVAL, "{drawn:?}");
    }
}
