//! [`BoundedBuckets`]: token buckets for an unbounded key space in a fixed amount of memory.
//!
//! The table is set-associative: a key's keyed hash (SipHash with per-process random keys, so a
//! sender cannot aim many identities at one set) picks a set of [`WAYS`] slots. A new key takes
//! an empty slot, else a slot whose bucket has refilled completely (forgetting such a key loses
//! nothing: it would get a full bucket anyway), else the least recently used slot of its set.
//! Memory is `capacity × 24` bytes, allocated once, whatever the number of keys seen.
//!
//! Two distinct keys sharing one 64-bit hash share one bucket; with SipHash keyed per process
//! that is a matter of chance (2⁻⁶⁴ per pair), not of the sender's choice.

pub use crate::config::security::Rate;
use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hash};

/// Slots per set.
pub const WAYS: usize = 4;

/// One slot: the key's hash (0 = empty), its tokens in thousandths and when they were counted.
#[derive(Clone, Copy, Debug, Default)]
struct Slot {
    tag: u64,
    milli: u64,
    at_ms: u64,
}

/// Token buckets keyed by any hashable value, in fixed memory. See the module documentation.
#[derive(Clone, Debug)]
pub struct BoundedBuckets {
    rate: Rate,
    slots: Vec<Slot>,
    sets: usize,
    hasher: RandomState,
    evictions: u64,
}

impl BoundedBuckets {
    /// A table of about `capacity` buckets (rounded up to a multiple of [`WAYS`], at least one
    /// set) refilling at `rate`.
    pub fn new(rate: Rate, capacity: usize) -> Self {
        let sets = capacity.div_ceil(WAYS).max(1);
        let slots = if rate.is_limited() {
            vec![Slot::default(); sets * WAYS]
        } else {
            Vec::new()
        };
        BoundedBuckets {
            rate,
            slots,
            sets,
            hasher: RandomState::new(),
            evictions: 0,
        }
    }

    /// Number of slots (the most keys tracked at once).
    pub fn capacity(&self) -> usize {
        self.slots.len()
    }

    /// Keys currently tracked.
    pub fn len(&self) -> usize {
        self.slots.iter().filter(|s| s.tag != 0).count()
    }

    /// True when no key is tracked.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Keys forgotten to make room for others while their bucket was not yet full.
    pub fn evictions(&self) -> u64 {
        self.evictions
    }

    /// Bytes of memory held by the slots (fixed at construction).
    pub fn memory_bytes(&self) -> usize {
        self.slots.capacity() * std::mem::size_of::<Slot>()
    }

    /// Takes one token for `key` at monotonic time `now_ms`; false when its bucket is empty.
    /// Always true when the rate is unlimited.
    pub fn take<K: Hash + ?Sized>(&mut self, key: &K, now_ms: u64) -> bool {
        if !self.rate.is_limited() {
            return true;
        }
        let tag = self.hasher.hash_one(key).max(1);
        let set = (tag % self.sets as u64) as usize;
        let rate = self.rate;
        let cap = rate.cap_milli();
        let refill = |s: &Slot| -> u64 {
            let elapsed = now_ms.saturating_sub(s.at_ms);
            s.milli
                .saturating_add(elapsed.saturating_mul(u64::from(rate.per_sec)))
                .min(cap)
        };
        let Some(ways) = self.slots.get_mut(set * WAYS..(set + 1) * WAYS) else {
            return true;
        };
        let idx = match ways.iter().position(|s| s.tag == tag) {
            Some(i) => i,
            None => {
                let victim = ways
                    .iter()
                    .position(|s| s.tag == 0)
                    .or_else(|| ways.iter().position(|s| refill(s) >= cap))
                    .unwrap_or_else(|| {
                        self.evictions += 1;
                        ways.iter()
                            .enumerate()
                            .min_by_key(|(_, s)| s.at_ms)
                            .map(|(i, _)| i)
                            .unwrap_or(0)
                    });
                if let Some(s) = ways.get_mut(victim) {
                    *s = Slot {
                        tag,
                        milli: cap,
                        at_ms: now_ms,
                    };
                }
                victim
            }
        };
        let Some(slot) = ways.get_mut(idx) else {
            return true;
        };
        let milli = refill(slot);
        slot.at_ms = now_ms.max(slot.at_ms);
        if milli >= 1000 {
            slot.milli = milli - 1000;
            true
        } else {
            slot.milli = milli;
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn burst_then_refill() {
        let mut b = BoundedBuckets::new(
            Rate {
                per_sec: 2,
                burst: 3,
            },
            16,
        );
        assert!(b.take("a", 0));
        assert!(b.take("a", 0));
        assert!(b.take("a", 0));
        assert!(!b.take("a", 0));
        // 2 tokens per second: one token after 500 ms.
        assert!(!b.take("a", 499));
        assert!(b.take("a", 500));
        assert!(b.take("b", 500), "other keys are independent");
    }

    #[test]
    fn bounded_whatever_the_number_of_keys() {
        let mut b = BoundedBuckets::new(
            Rate {
                per_sec: 1,
                burst: 1,
            },
            64,
        );
        for i in 0u32..100_000 {
            b.take(&i, 0);
        }
        assert_eq!(b.capacity(), 64);
        assert!(b.len() <= 64);
    }

    #[test]
    fn unlimited_keeps_no_state() {
        let mut b = BoundedBuckets::new(Rate::UNLIMITED, 1024);
        assert!((0..1000).all(|i| b.take(&i, 0)));
        assert_eq!(b.memory_bytes(), 0);
    }
}
