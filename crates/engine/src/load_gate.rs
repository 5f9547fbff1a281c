//! [`LoadGate`]: is the load high enough that waiting to batch work pays?
//!
//! Two places in the server can trade a little latency for much less CPU by waiting: the packet
//! loop between wake-ups (`[server] coalesce_us`: each wake-up costs a scheduler round trip and
//! system calls, whether it finds one datagram or sixty) and the lease writer before a commit
//! (`[server] commit_delay_us`: each commit costs an fsync, whether it carries one lease or
//! sixty). At low rates waiting would only add latency, and there is CPU to spare. So each waits
//! only while the rate of arrivals, measured over [`MEASURE_EVERY`] or more, brings at least a
//! given number of them per waiting window.
//!
//! Time is passed in, so the gate is a pure function of the arrivals it is shown.

use std::time::{Duration, Instant};

/// Shortest span over which the arrival rate is measured before the decision is revisited.
pub const MEASURE_EVERY: Duration = Duration::from_millis(10);

/// Decides whether the arrival rate is high enough to wait `window` for more.
#[derive(Clone, Debug)]
pub struct LoadGate {
    window: Duration,
    min_per_window: u32,
    since: Instant,
    count: u64,
    busy: bool,
}

impl LoadGate {
    /// A gate for waits of `window` that opens while at least `min_per_window` arrivals come
    /// per window (0: always open, as long as `window` is not zero); starts idle at `now`.
    pub fn new(window: Duration, min_per_window: u32, now: Instant) -> LoadGate {
        LoadGate {
            window,
            min_per_window,
            since: now,
            count: 0,
            busy: min_per_window == 0,
        }
    }

    /// Records `n` arrivals seen at `now`.
    pub fn record(&mut self, now: Instant, n: usize) {
        if self.min_per_window == 0 {
            return;
        }
        self.count = self
            .count
            .saturating_add(u64::try_from(n).unwrap_or(u64::MAX));
        let elapsed = now.saturating_duration_since(self.since);
        if elapsed >= MEASURE_EVERY {
            // Arrivals per window at the measured rate: count * window / elapsed >= min.
            let expected = u128::from(self.count) * self.window.as_nanos();
            self.busy = expected >= u128::from(self.min_per_window) * elapsed.as_nanos();
            self.since = now;
            self.count = 0;
        }
    }

    /// How long to wait now: `window` while the load is high enough, else zero.
    pub fn wait(&self) -> Duration {
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
    const MIN: u32 = 8;

    /// Records `per_step` arrivals every `gap` for `span`; returns the wait after the last.
    fn drive(
        g: &mut LoadGate,
        t: &mut Instant,
        gap: Duration,
        per_step: usize,
        span: Duration,
    ) -> Duration {
        let end = *t + span;
        while *t < end {
            *t += gap;
            g.record(*t, per_step);
        }
        g.wait()
    }

    #[test]
    fn low_rates_never_wait() {
        let mut t = Instant::now();
        let mut g = LoadGate::new(WINDOW, MIN, t);
        // 2,000 arrivals/s: 4 per 2 ms window, below 8.
        let wait = drive(
            &mut g,
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
        let mut g = LoadGate::new(WINDOW, MIN, t);
        // 12,000 arrivals/s: 24 per window.
        let wait = drive(
            &mut g,
            &mut t,
            Duration::from_micros(250),
            3,
            Duration::from_millis(50),
        );
        assert_eq!(wait, WINDOW);
        // Then one arrival after a second of silence is not kept waiting.
        t += Duration::from_secs(1);
        g.record(t, 1);
        assert_eq!(g.wait(), Duration::ZERO);
    }

    #[test]
    fn the_threshold_is_arrivals_per_window() {
        let t0 = Instant::now();
        let n = (MEASURE_EVERY.as_micros() / WINDOW.as_micros()) as usize * MIN as usize;
        // Exactly MIN per window over one measurement span: waits.
        let mut g = LoadGate::new(WINDOW, MIN, t0);
        g.record(t0 + MEASURE_EVERY, n);
        assert_eq!(g.wait(), WINDOW);
        // One fewer: does not.
        let mut g = LoadGate::new(WINDOW, MIN, t0);
        g.record(t0 + MEASURE_EVERY, n - 1);
        assert_eq!(g.wait(), Duration::ZERO);
    }

    #[test]
    fn the_rate_is_not_revisited_before_the_measurement_span() {
        let t0 = Instant::now();
        let mut g = LoadGate::new(WINDOW, MIN, t0);
        // A burst of 1,000 within the first millisecond: not yet a measured rate.
        g.record(t0 + Duration::from_millis(1), 1000);
        assert_eq!(g.wait(), Duration::ZERO);
        g.record(t0 + MEASURE_EVERY, 0);
        assert_eq!(g.wait(), WINDOW);
    }

    #[test]
    fn zero_minimum_always_waits_and_zero_window_never_does() {
        let t = Instant::now();
        let always = LoadGate::new(WINDOW, 0, t);
        assert_eq!(always.wait(), WINDOW);
        let mut never = LoadGate::new(Duration::ZERO, MIN, t);
        never.record(t + MEASURE_EVERY, 10_000);
        assert_eq!(never.wait(), Duration::ZERO);
    }
}
