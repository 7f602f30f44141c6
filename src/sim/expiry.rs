//! A count of entries that each expire at a known time, in bounded memory.
//!
//! Connection-tracking tables hold hundreds of thousands of entries during
//! the storm; the model never stores them one by one. Entries are counted in
//! 10 ms buckets by expiry time (a ring that only ever spans the longest
//! timeout in use), which is what the gauges and the allowance check need.

use super::time::SimTime;
use std::collections::VecDeque;

/// Bucket width, µs.
pub const BUCKET_US: u64 = 10_000;

/// Entries counted by expiry bucket.
#[derive(Clone, Debug, Default)]
pub struct ExpiryCounter {
    buckets: VecDeque<u32>,
    /// Bucket index of `buckets[0]`.
    base: u64,
    total: u64,
}

impl ExpiryCounter {
    /// An empty counter.
    pub fn new() -> Self {
        Self::default()
    }

    /// Drops every bucket that has expired by `now` (bucket `i` holds
    /// expiries in `((i-1)·B, i·B]`, so it goes once `now >= i·B`).
    pub fn advance(&mut self, now: SimTime) {
        let cur = now.micros() / BUCKET_US;
        while self.base <= cur {
            match self.buckets.pop_front() {
                Some(n) => self.total -= u64::from(n),
                None => {
                    self.base = cur + 1;
                    break;
                }
            }
            self.base += 1;
        }
    }

    /// Adds `n` entries expiring at `at` (rounded up to the next bucket).
    pub fn add(&mut self, now: SimTime, at: SimTime, n: u32) {
        self.advance(now);
        let idx = at.micros().div_ceil(BUCKET_US).max(self.base);
        let off = (idx - self.base) as usize;
        if self.buckets.len() <= off {
            self.buckets.resize(off + 1, 0);
        }
        self.buckets[off] += n;
        self.total += u64::from(n);
    }

    /// Removes one entry that was added with expiry `at`, if it has not
    /// expired yet. Returns whether it was still there.
    pub fn remove(&mut self, now: SimTime, at: SimTime) -> bool {
        self.advance(now);
        let idx = at.micros().div_ceil(BUCKET_US);
        if idx < self.base {
            return false;
        }
        let off = (idx - self.base) as usize;
        match self.buckets.get_mut(off) {
            Some(n) if *n > 0 => {
                *n -= 1;
                self.total -= 1;
                true
            }
            _ => false,
        }
    }

    /// Live entries at `now`.
    pub fn count(&mut self, now: SimTime) -> u64 {
        self.advance(now);
        self.total
    }

    /// Live entries as of the last advance (no mutation).
    pub fn peek_total(&self) -> u64 {
        self.total
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn t(ms: u64) -> SimTime {
        SimTime::from_millis(ms)
    }

    #[test]
    fn entries_leave_at_their_expiry() {
        let mut c = ExpiryCounter::new();
        c.add(t(0), t(60_000), 3);
        c.add(t(10), t(5_000), 1);
        assert_eq!(c.count(t(4_999)), 4);
        assert_eq!(c.count(t(5_000)), 3);
        assert_eq!(c.count(t(59_990)), 3);
        assert_eq!(c.count(t(60_000)), 0);
    }

    #[test]
    fn removal_only_takes_live_entries() {
        let mut c = ExpiryCounter::new();
        c.add(t(0), t(1_000), 1);
        assert!(c.remove(t(500), t(1_000)));
        assert!(!c.remove(t(500), t(1_000)));
        c.add(t(0), t(2_000), 1);
        assert!(!c.remove(t(3_000), t(2_000)), "already expired");
        assert_eq!(c.count(t(3_000)), 0);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        /// No entry outlives its timeout, and none leaves early.
        #[test]
        fn matches_a_naive_list(ops in proptest::collection::vec((0u64..500, 1u64..300), 1..200)) {
            let mut c = ExpiryCounter::new();
            let mut naive: Vec<u64> = Vec::new();
            let mut now = 0u64;
            for (dt, ttl) in ops {
                now += dt;
                let exp = now + ttl * 10;
                c.add(t(now), t(exp), 1);
                naive.push(exp);
                let live = naive.iter().filter(|e| **e > now).count() as u64;
                // Buckets round expiry up by < 10 ms: count may lag by entries within 10 ms.
                let upper = naive.iter().filter(|e| **e + 10 > now).count() as u64;
                let got = c.count(t(now));
                prop_assert!(got >= live && got <= upper, "now {} got {} live {} upper {}", now, got, live, upper);
            }
        }
    }
}
