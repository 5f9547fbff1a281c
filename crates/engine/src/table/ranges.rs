//! A set of `u32` values stored as disjoint inclusive ranges: memory grows with fragmentation,
//! not with the number of values, so a fresh /8 pool is one entry.

use std::collections::BTreeMap;

/// Disjoint, non-adjacent inclusive ranges `start → end`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RangeSet {
    ranges: BTreeMap<u32, u32>,
}

impl RangeSet {
    /// An empty set.
    pub fn new() -> Self {
        RangeSet::default()
    }

    /// The set of `first..=last` minus `holes` (sorted ascending, may contain values outside).
    pub fn with_holes(first: u32, last: u32, holes: &[u32]) -> Self {
        let mut set = RangeSet::new();
        if first > last {
            return set;
        }
        let mut next = Some(first);
        for &h in holes {
            let Some(n) = next else { break };
            if h < n || h > last {
                continue;
            }
            if h > n {
                set.ranges.insert(n, h - 1);
            }
            next = h.checked_add(1).filter(|v| *v <= last);
        }
        if let Some(n) = next {
            set.ranges.insert(n, last);
        }
        set
    }

    /// The smallest value.
    pub fn first(&self) -> Option<u32> {
        self.ranges.keys().next().copied()
    }

    /// The smallest value of the set within `lo..=hi`, in O(log ranges).
    pub fn first_within(&self, lo: u32, hi: u32) -> Option<u32> {
        if lo > hi {
            return None;
        }
        // The range holding `lo`, else the first range starting after it.
        let holding = self
            .ranges
            .range(..=lo)
            .next_back()
            .filter(|(_, e)| **e >= lo)
            .map(|_| lo);
        holding
            .or_else(|| self.ranges.range(lo..).next().map(|(s, _)| *s))
            .filter(|v| *v <= hi)
    }

    /// True when `v` is in the set.
    pub fn contains(&self, v: u32) -> bool {
        self.ranges
            .range(..=v)
            .next_back()
            .is_some_and(|(_, e)| *e >= v)
    }

    /// Number of values (saturating at `u64` — never reached for IPv4).
    pub fn len(&self) -> u64 {
        self.ranges.iter().map(|(s, e)| u64::from(e - s) + 1).sum()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }

    /// Removes `v`; returns whether it was present.
    pub fn remove(&mut self, v: u32) -> bool {
        let Some((&s, &e)) = self.ranges.range(..=v).next_back() else {
            return false;
        };
        if e < v {
            return false;
        }
        self.ranges.remove(&s);
        if s < v {
            self.ranges.insert(s, v - 1);
        }
        if v < e {
            self.ranges.insert(v + 1, e);
        }
        true
    }

    /// Adds `v`, merging with neighbours; returns whether it was absent.
    pub fn insert(&mut self, v: u32) -> bool {
        if self.contains(v) {
            return false;
        }
        let mut start = v;
        let mut end = v;
        if let Some(prev) = v.checked_sub(1) {
            if let Some((&s, &e)) = self.ranges.range(..=prev).next_back() {
                if e == prev {
                    start = s;
                    self.ranges.remove(&s);
                }
            }
        }
        if let Some(next) = v.checked_add(1) {
            if let Some(e) = self.ranges.remove(&next) {
                end = e;
            }
        }
        self.ranges.insert(start, end);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::RangeSet;

    #[test]
    fn first_within_finds_the_smallest_in_the_block() {
        let set = RangeSet::with_holes(10, 20, &[12, 14]);
        assert_eq!(set.first_within(0, 100), Some(10));
        assert_eq!(set.first_within(12, 20), Some(13), "12 is a hole");
        assert_eq!(set.first_within(14, 14), None);
        assert_eq!(set.first_within(16, 18), Some(16));
        assert_eq!(set.first_within(21, 30), None, "past the end");
        assert_eq!(set.first_within(5, 9), None, "before the start");
        assert_eq!(set.first_within(18, 16), None, "empty block");
        let top = RangeSet::with_holes(u32::MAX - 1, u32::MAX, &[]);
        assert_eq!(top.first_within(u32::MAX, u32::MAX), Some(u32::MAX));
    }

    #[test]
    fn holes_insert_remove() {
        let mut s = RangeSet::with_holes(10, 20, &[9, 10, 15, 21]);
        assert_eq!(s.len(), 9);
        assert_eq!(s.first(), Some(11));
        assert!(!s.contains(15));
        assert!(s.insert(15));
        assert!(s.insert(10));
        assert_eq!(s.ranges.len(), 1);
        assert!(s.remove(13));
        assert!(!s.remove(13));
        assert_eq!(s.len(), 10);
        let full = RangeSet::with_holes(0, u32::MAX, &[u32::MAX]);
        assert_eq!(full.len(), u64::from(u32::MAX));
    }
}
