//! [`Sightings`]: which new clients have already asked once, in fixed memory.
//!
//! Under pressure a new client's first DISCOVER is not answered; a retransmission is (RFC 2131
//! §4.1: a client retransmits after about 4 s, with back-off). Forged one-shot identities never
//! retransmit. The table is set-associative like the guard's buckets: a client key's keyed hash
//! (SipHash, per-process random keys) picks a set of `WAYS` (4) slots; a new key takes an empty or
//! stale slot, else the oldest of its set. Memory is `capacity × 16` bytes, allocated on first
//! use, whatever the number of identities a flood forges.

use crate::lease::ClientKey;
use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;

/// Slots per set.
pub const WAYS: usize = 4;
/// A retransmission comes at least this long after the first sighting (a duplicate of the same
/// datagram, e.g. through two relays, does not count).
pub const MIN_GAP_MS: u64 = 1_000;
/// A sighting older than this is forgotten (RFC 2131 back-off reaches 64 s; udhcpc waits 20 s
/// between rounds; this leaves room for both).
pub const MAX_AGE_MS: u64 = 300_000;

#[derive(Clone, Copy, Debug, Default)]
struct Slot {
    /// The key's hash; 0 = empty.
    tag: u64,
    /// When the key was first seen (monotonic ms).
    first_ms: u64,
}

/// First sightings of new clients. See the module documentation.
#[derive(Clone, Debug)]
pub struct Sightings {
    slots: Vec<Slot>,
    sets: usize,
    hasher: RandomState,
    evictions: u64,
}

impl Sightings {
    /// A table of about `capacity` slots (rounded up to a multiple of 4, the slots per set).
    pub fn new(capacity: usize) -> Self {
        Sightings {
            slots: Vec::new(),
            sets: capacity.div_ceil(WAYS).max(1),
            hasher: RandomState::new(),
            evictions: 0,
        }
    }

    fn tag(&self, key: &ClientKey) -> u64 {
        self.hasher.hash_one(key).max(1)
    }

    fn set(&self, tag: u64) -> std::ops::Range<usize> {
        let set = (tag % self.sets as u64) as usize;
        set * WAYS..set * WAYS + WAYS
    }

    /// True when `key` was first seen between [`MIN_GAP_MS`] and [`MAX_AGE_MS`] before
    /// `now_ms`: this DISCOVER is a retransmission.
    pub fn is_retransmission(&self, key: &ClientKey, now_ms: u64) -> bool {
        let tag = self.tag(key);
        let Some(set) = self.slots.get(self.set(tag)) else {
            return false;
        };
        set.iter().any(|s| {
            let age = now_ms.saturating_sub(s.first_ms);
            s.tag == tag && (MIN_GAP_MS..=MAX_AGE_MS).contains(&age)
        })
    }

    /// Records that `key` asked at `now_ms` (keeps the first time while it is fresh).
    pub fn record(&mut self, key: &ClientKey, now_ms: u64) {
        if self.slots.is_empty() {
            self.slots = vec![Slot::default(); self.sets * WAYS];
        }
        let tag = self.tag(key);
        let range = self.set(tag);
        let Some(set) = self.slots.get_mut(range) else {
            return;
        };
        let stale = |s: &Slot| s.tag == 0 || now_ms.saturating_sub(s.first_ms) > MAX_AGE_MS;
        if let Some(s) = set.iter_mut().find(|s| s.tag == tag) {
            if stale(s) {
                s.first_ms = now_ms;
            }
            return;
        }
        let victim = match set.iter().position(stale) {
            Some(i) => i,
            None => {
                self.evictions += 1;
                set.iter()
                    .enumerate()
                    .min_by_key(|(_, s)| s.first_ms)
                    .map(|(i, _)| i)
                    .unwrap_or(0)
            }
        };
        if let Some(s) = set.get_mut(victim) {
            *s = Slot {
                tag,
                first_ms: now_ms,
            };
        }
    }

    /// Number of slots (the most first sightings remembered at once).
    pub fn capacity(&self) -> usize {
        self.sets * WAYS
    }

    /// Sightings forgotten to make room for others while still fresh.
    pub fn evictions(&self) -> u64 {
        self.evictions
    }

    /// Bytes held (0 until the first sighting).
    pub fn memory_bytes(&self) -> usize {
        self.slots.capacity() * std::mem::size_of::<Slot>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use leasehold_wire::HwAddr;

    fn key(n: u32) -> ClientKey {
        ClientKey::ClientId(n.to_be_bytes().to_vec())
    }

    #[test]
    fn a_retransmission_is_one_between_one_second_and_five_minutes_later() {
        let mut s = Sightings::new(64);
        let k = ClientKey::HwAddr(HwAddr::ethernet([2, 0, 0, 0, 0, 1]));
        assert!(!s.is_retransmission(&k, 0));
        s.record(&k, 10_000);
        assert!(
            !s.is_retransmission(&k, 10_500),
            "a duplicate is not a retry"
        );
        assert!(s.is_retransmission(&k, 11_000));
        s.record(&k, 12_000); // a retry keeps the first time
        assert!(s.is_retransmission(&k, 310_000));
        assert!(!s.is_retransmission(&k, 310_001), "too old");
        s.record(&k, 400_000); // stale: starts again
        assert!(!s.is_retransmission(&k, 400_500));
        assert!(!s.is_retransmission(&key(1), 400_500));
    }

    #[test]
    fn memory_is_fixed_whatever_the_number_of_keys() {
        let mut s = Sightings::new(64);
        assert_eq!(s.memory_bytes(), 0);
        for n in 0..100_000 {
            s.record(&key(n), u64::from(n));
        }
        assert_eq!(s.memory_bytes(), 64 * 16);
        assert!(s.evictions() > 99_000);
        // The newest keys are still there.
        assert!(s.is_retransmission(&key(99_999), 101_000));
    }
}
