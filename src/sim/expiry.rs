//! A count of entries that each expire at a known time, in bounded memory.
//!
//! Connection-tracking tables hold hundreds of thousands of entries during
//! the storm; the model never stores them one by one. Entries are counted in
//! 10 ms buckets by expiry time (a ring that only ever spans the longest
//! timeout in use), which is what the gauges and the allowance check need.

use super::time::SimTime;

/// Bucket width, µs.
pub const BUCKET_US: u64 = 10_000;

/// Entries counted by expiry bucket.
///
/// The buckets live in a ring whose length is a power of two, so that a
/// bucket's place is its index masked (no division, no wrap test), and the
/// ring grows (doubling) only when an expiry lies further ahead than it
/// spans: every call of the storm's SYN path costs a few instructions.
#[derive(Clone, Debug, Default)]
pub struct ExpiryCounter {
    /// Ring of counts: bucket `i` (for `base <= i < base + ring.len()`)
    /// at `ring[i & (ring.len() - 1)]`; empty until the first entry.
    ring: Vec<u32>,
    /// The earliest bucket that has not expired.
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
    #[inline]
    pub fn advance(&mut self, now: SimTime) {
        let cur = now.micros() / BUCKET_US;
        if self.base > cur {
            return;
        }
        // With nothing held, every bucket is empty already.
        if self.total > 0 {
            if cur - self.base >= self.ring.len() as u64 {
                // Everything held has expired.
                self.ring.fill(0);
                self.total = 0;
            } else {
                let mask = self.ring.len() as u64 - 1;
                for i in self.base..=cur {
                    let c = &mut self.ring[(i & mask) as usize];
                    self.total -= u64::from(*c);
                    *c = 0;
                }
            }
        }
        self.base = cur + 1;
    }

    /// Makes the ring span bucket `idx` (which is `>= base`).
    #[cold]
    fn grow_to(&mut self, idx: u64) {
        let need = (idx - self.base + 1).next_power_of_two().max(64) as usize;
        let old_len = self.ring.len();
        let mut ring = vec![0u32; need];
        if old_len > 0 {
            let old_mask = old_len as u64 - 1;
            let new_mask = need as u64 - 1;
            for i in self.base..self.base + old_len as u64 {
                ring[(i & new_mask) as usize] = self.ring[(i & old_mask) as usize];
            }
        }
        self.ring = ring;
    }

    /// Counts `n` entries expiring at `at` (rounded up to the next bucket,
    /// and never before `base`), growing the ring if needed.
    #[inline]
    fn put(&mut self, at: SimTime, n: u32) {
        let idx = at.micros().div_ceil(BUCKET_US).max(self.base);
        if idx - self.base >= self.ring.len() as u64 {
            self.grow_to(idx);
        }
        let mask = self.ring.len() as u64 - 1;
        self.ring[(idx & mask) as usize] += n;
        self.total += u64::from(n);
    }

    /// Adds `n` entries expiring at `at` (rounded up to the next bucket).
    #[inline]
    pub fn add(&mut self, now: SimTime, at: SimTime, n: u32) {
        self.advance(now);
        self.put(at, n);
    }

    /// Removes one entry that was added with expiry `at`, if it has not
    /// expired yet. Returns whether it was still there.
    #[inline]
    pub fn remove(&mut self, now: SimTime, at: SimTime) -> bool {
        self.advance(now);
        self.take(at)
    }

    /// [`ExpiryCounter::remove`] without advancing first.
    #[inline]
    fn take(&mut self, at: SimTime) -> bool {
        let idx = at.micros().div_ceil(BUCKET_US);
        if idx < self.base || idx - self.base >= self.ring.len() as u64 {
            return false;
        }
        let i = (idx & (self.ring.len() as u64 - 1)) as usize;
        match &mut self.ring[i] {
            n if *n > 0 => {
                *n -= 1;
                self.total -= 1;
                true
            }
            _ => false,
        }
    }

    /// Moves one entry added with expiry `from` to expiry `to`, if it has
    /// not expired yet (a flow's state changes, and its timeout with it);
    /// returns whether it was there. Same as a removal and an addition.
    #[inline]
    pub fn retime(&mut self, now: SimTime, from: SimTime, to: SimTime) -> bool {
        self.advance(now);
        if !self.take(from) {
            return false;
        }
        self.put(to, 1);
        true
    }

    /// Live entries at `now`.
    pub fn count(&mut self, now: SimTime) -> u64 {
        self.advance(now);
        self.total
    }

    /// Live entries at `now` without advancing (for readers that must not
    /// change the run, such as the page's gauges): the same figure
    /// [`ExpiryCounter::count`] gives, computed from the buckets still held.
    pub fn count_at(&self, now: SimTime) -> u64 {
        let cur = now.micros() / BUCKET_US;
        if self.base > cur || self.total == 0 {
            return self.total;
        }
        if cur - self.base >= self.ring.len() as u64 {
            return 0;
        }
        let mask = self.ring.len() as u64 - 1;
        let gone: u64 = (self.base..=cur)
            .map(|i| u64::from(self.ring[(i & mask) as usize]))
            .sum();
        self.total - gone
    }

    /// Heap bytes held.
    pub fn approx_bytes(&self) -> usize {
        self.ring.capacity() * 4
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
        /// Moving an entry to another expiry counts exactly as removing it
        /// and adding one with the new expiry, at any time and any distance
        /// (also beyond the ring's current span).
        #[test]
        fn retime_is_a_removal_and_an_addition(
            ops in proptest::collection::vec((0u64..300, 1u64..6_000, 1u64..30_000, any::<bool>()), 1..200),
        ) {
            let mut a = ExpiryCounter::new();
            let mut b = ExpiryCounter::new();
            let mut now = 0u64;
            let mut live: Vec<u64> = Vec::new();
            for (dt, ttl, new_ttl, move_one) in ops {
                now += dt;
                let exp = now + ttl * 10;
                a.add(t(now), t(exp), 1);
                b.add(t(now), t(exp), 1);
                live.push(exp);
                if move_one {
                    let from = live[(dt as usize) % live.len()];
                    let to = now + new_ttl * 10;
                    let moved = a.retime(t(now), t(from), t(to));
                    let removed = b.remove(t(now), t(from));
                    prop_assert_eq!(moved, removed);
                    if removed {
                        b.add(t(now), t(to), 1);
                    }
                }
                prop_assert_eq!(a.count(t(now)), b.count(t(now)));
            }
        }

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
