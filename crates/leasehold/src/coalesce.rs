//! When the packet loop pauses between wake-ups so that datagrams gather (`[server] coalesce_us`).
//!
//! Each wake-up costs a scheduler round trip, a receive and a send system call and a submission
//! to the lease writer, whether it finds one datagram or sixty. Under load, waiting a little
//! between wake-ups lets the next one take many datagrams at once. At low rates the wait would
//! only add latency (and there is CPU to spare), so the loop waits only while the arrival rate,
//! measured over the last [`MEASURE_EVERY`] or more, brings at least [`MIN_PER_WINDOW`]
//! datagrams per window.

use std::time::{Duration, Instant};

/// Shortest span over which the arrival rate is measured before the decision is revisited.
pub const MEASURE_EVERY: Duration = Duration::from_millis(10);

/// The loop waits only if the measured rate brings at least this many datagrams per window.
pub const MIN_PER_WINDOW: u32 = 8;

/// Decides, after every wake-up of the packet loop, how long to wait before the next one.
#[derive(Debug)]
pub struct Coalescer {
    window: Duration,
    since: Instant,
    count: u64,
    busy: bool,
}

impl Coalescer {
    /// A coalescer waiting `window` under load (zero: never waits), starting idle at `now`.
    pub fn new(window: Duration, now: Instant) -> Coalescer {
        Coalescer {
            window,
            since: now,
            count: 0,
            busy: false,
        }
    }

    /// Records a wake-up at `now` that took `taken` datagrams; returns how long to wait before
    /// looking at the socket again (zero: at once).
    pub fn after_wake(&mut self, now: Instant, taken: usize) -> Duration {
        if self.window.is_zero() {
            return Duration::ZERO;
        }
        self.count = self.count.saturating_add(taken as u64);
        let elapsed = now.saturating_duration_since(self.since);
        if elapsed >= MEASURE_EVERY {
            // Datagrams per window at the measured rate: count * window / elapsed >= MIN.
            let expected = u128::from(self.count) * self.window.as_nanos();
            self.busy = expected >= u128::from(MIN_PER_WINDOW) * elapsed.as_nanos();
            self.since = now;
            self.count = 0;
        }
        if self.busy {
            self.window
        } else {
            Duration::ZERO
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const WINDOW: Duration = Duration::from_micros(2000);

    /// Feeds wake-ups of `per_wake` datagrams every `gap` for `span`; returns the last answer.
    fn drive(
        c: &mut Coalescer,
        t: &mut Instant,
        gap: Duration,
        per_wake: usize,
        span: Duration,
    ) -> Duration {
        let end = *t + span;
        let mut last = Duration::ZERO;
        while *t < end {
            *t += gap;
            last = c.after_wake(*t, per_wake);
        }
        last
    }

    #[test]
    fn lone_requests_are_never_delayed() {
        let mut t = Instant::now();
        let mut c = Coalescer::new(WINDOW, t);
        // 2,000 datagrams/s (1,000 exchanges/s): 4 per 2 ms window, below the threshold.
        let wait = drive(
            &mut c,
            &mut t,
            Duration::from_micros(500),
            1,
            Duration::from_millis(100),
        );
        assert_eq!(wait, Duration::ZERO);
    }

    #[test]
    fn sustained_load_waits_and_idleness_stops_it() {
        let mut t = Instant::now();
        let mut c = Coalescer::new(WINDOW, t);
        // 12,000 datagrams/s: 24 per window.
        let wait = drive(
            &mut c,
            &mut t,
            Duration::from_micros(250),
            3,
            Duration::from_millis(50),
        );
        assert_eq!(wait, WINDOW);
        // Then one datagram after a second of silence is answered at once.
        t += Duration::from_secs(1);
        assert_eq!(c.after_wake(t, 1), Duration::ZERO);
    }

    #[test]
    fn the_threshold_is_datagrams_per_window() {
        let t0 = Instant::now();
        // Exactly MIN_PER_WINDOW per window over one measurement span: waits.
        let mut c = Coalescer::new(WINDOW, t0);
        let n = (MEASURE_EVERY.as_micros() / WINDOW.as_micros()) as usize * MIN_PER_WINDOW as usize;
        assert_eq!(c.after_wake(t0 + MEASURE_EVERY, n), WINDOW);
        // One fewer: does not.
        let mut c = Coalescer::new(WINDOW, t0);
        assert_eq!(c.after_wake(t0 + MEASURE_EVERY, n - 1), Duration::ZERO);
    }

    #[test]
    fn a_zero_window_never_waits() {
        let t = Instant::now();
        let mut c = Coalescer::new(Duration::ZERO, t);
        assert_eq!(c.after_wake(t + MEASURE_EVERY, 10_000), Duration::ZERO);
    }
}
