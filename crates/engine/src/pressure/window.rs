//! [`Window`]: a count of events over the last minute, in six ten-second buckets.

use crate::lease::Timestamp;

const BUCKETS: usize = 6;
const BUCKET_SECONDS: u64 = 10;

/// Events counted over the last 60 s (to a 10 s granularity), in fixed memory.
#[derive(Clone, Copy, Debug, Default)]
pub struct Window {
    /// (bucket number = seconds / 10, count).
    buckets: [(u64, u32); BUCKETS],
}

impl Window {
    /// Counts one event at `now`.
    pub fn add(&mut self, now: Timestamp) {
        let n = now / BUCKET_SECONDS;
        let i = (n % BUCKETS as u64) as usize;
        if let Some(b) = self.buckets.get_mut(i) {
            if b.0 != n {
                *b = (n, 0);
            }
            b.1 = b.1.saturating_add(1);
        }
    }

    /// Events in the last minute at `now`.
    pub fn sum(&self, now: Timestamp) -> u32 {
        let n = now / BUCKET_SECONDS;
        let oldest = n.saturating_sub(BUCKETS as u64 - 1);
        self.buckets
            .iter()
            .filter(|(b, _)| (oldest..=n).contains(b))
            .map(|(_, c)| *c)
            .fold(0u32, u32::saturating_add)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_the_last_minute_only() {
        let mut w = Window::default();
        for t in [1000, 1005, 1019, 1055] {
            w.add(t);
        }
        assert_eq!(w.sum(1055), 4);
        assert_eq!(w.sum(1059), 4);
        assert_eq!(w.sum(1060), 2, "the 1000-1009 bucket left the window");
        assert_eq!(w.sum(1070), 1);
        assert_eq!(w.sum(1200), 0);
        w.add(1200); // reuses a slot holding an old bucket
        assert_eq!(w.sum(1200), 1);
    }
}
