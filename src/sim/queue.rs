//! The discrete-event queue: events ordered by `(time, seq)`.
//!
//! `seq` is assigned at insertion, so events scheduled for the same microsecond
//! run in the order they were scheduled (FIFO), on every target. Time jumps to
//! the next event; nothing ticks.
//!
//! Nearly every event of this simulation is scheduled less than a few seconds
//! ahead (latencies, dial deadlines, backoffs), and a plain binary heap of
//! ~10⁵ pending events spends most of its time in cache misses. The queue is
//! therefore a calendar: a ring of 1 ms buckets covering the next 4.096 s, a
//! small heap for the bucket being drained, and an overflow heap for events
//! further ahead. The pop order is exactly the `(time, seq)` order a single
//! heap would give (tested below against one).

use super::time::SimTime;
use std::cmp::Ordering;
use std::collections::BinaryHeap;

/// A scheduled event. Time and sequence number share one 64-bit key (time
/// in the high half), so that ordering is one integer comparison, which
/// compiles without branches in the heap's sift loops, and an entry of this
/// simulation's events takes 24 bytes: the hundreds of thousands pending in
/// the storm are what the queue's cache misses are made of.
///
/// The time is whole microseconds up to `u32::MAX` (71 minutes, past the
/// end of any run; later events all sort last, by sequence); the sequence
/// number is counted from the queue's `seq_base`.
#[derive(Clone)]
struct Entry<E> {
    key: u64,
    event: E,
}

/// The latest time a key holds, µs.
const TIME_MAX: u64 = u32::MAX as u64;

impl<E> Entry<E> {
    fn new(at: SimTime, seq: u32, event: E) -> Self {
        Entry {
            key: (at.micros().min(TIME_MAX) << 32) | u64::from(seq),
            event,
        }
    }

    fn at(&self) -> SimTime {
        SimTime(self.key >> 32)
    }

    /// The sequence number, from the queue's base.
    fn seq(&self) -> u32 {
        self.key as u32
    }
}

impl<E> PartialEq for Entry<E> {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}
impl<E> Eq for Entry<E> {}
impl<E> PartialOrd for Entry<E> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl<E> Ord for Entry<E> {
    /// Reversed so that `BinaryHeap` (a max-heap) pops the earliest entry.
    fn cmp(&self, other: &Self) -> Ordering {
        other.key.cmp(&self.key)
    }
}

const SLOT_US: u64 = 1_000;
const SLOTS: usize = 4_096;
/// Largest bucket capacity kept for reuse: a few storm-sized buckets would
/// otherwise stay allocated in every slot (bounded here at 4,096 × 256 ×
/// 24 B = 24 MiB in the worst case, a few MiB in practice).
const SPARE_CAP: usize = 256;

/// A min-queue of events keyed by `(time, insertion sequence)`.
#[derive(Clone)]
pub struct EventQueue<E> {
    /// Events of the slot being drained (and any earlier stragglers).
    current: BinaryHeap<Entry<E>>,
    /// The slot `current` holds: events with `at / SLOT_US == cur_slot`.
    cur_slot: u64,
    /// Future slots `cur_slot+1 ..= cur_slot+SLOTS-1`, unsorted.
    ring: Vec<Vec<Entry<E>>>,
    /// Events in the ring.
    in_ring: usize,
    /// Events beyond the ring.
    overflow: BinaryHeap<Entry<E>>,
    /// Emptied bucket vectors of at most [`SPARE_CAP`] entries, handed to
    /// ring slots when they get their first event: without them every
    /// millisecond's bucket is allocated and grown afresh.
    spare: Vec<Vec<Entry<E>>>,
    next_seq: u64,
    /// The sequence number a key's zero stands for.
    seq_base: u64,
    /// How many sequence numbers a key holds (2³² but in tests).
    seq_span: u64,
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        EventQueue {
            current: BinaryHeap::new(),
            cur_slot: 0,
            ring: (0..SLOTS).map(|_| Vec::new()).collect(),
            in_ring: 0,
            overflow: BinaryHeap::new(),
            spare: Vec::new(),
            next_seq: 0,
            seq_base: 0,
            seq_span: 1 << 32,
        }
    }
}

impl<E> EventQueue<E> {
    /// An empty queue.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty queue whose keys hold only `span` sequence numbers, so that
    /// tests reach the renumbering.
    #[cfg(test)]
    fn with_seq_span(span: u64) -> Self {
        EventQueue {
            seq_span: span,
            ..Self::default()
        }
    }

    fn place(&mut self, e: Entry<E>) {
        let slot = e.at().micros() / SLOT_US;
        if slot <= self.cur_slot {
            self.current.push(e);
        } else if slot < self.cur_slot + SLOTS as u64 {
            let bucket = &mut self.ring[(slot % SLOTS as u64) as usize];
            if bucket.capacity() == 0 {
                if let Some(v) = self.spare.pop() {
                    *bucket = v;
                }
            }
            bucket.push(e);
            self.in_ring += 1;
        } else {
            self.overflow.push(e);
        }
    }

    /// Schedules `event` at `at`; returns the sequence number it was given.
    pub fn push(&mut self, at: SimTime, event: E) -> u64 {
        if self.next_seq - self.seq_base >= self.seq_span {
            self.renumber();
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        self.place(Entry::new(at, (seq - self.seq_base) as u32, event));
        seq
    }

    /// When keys have used up their sequence numbers (after 2³² events):
    /// the pending events are numbered afresh in their order, from a new
    /// base, so that later events still sort after them. Their sequence
    /// numbers change (they stay unique, and rising in the order events
    /// run); once in billions of events, so it may take its time.
    #[cold]
    fn renumber(&mut self) {
        let mut all: Vec<Entry<E>> = Vec::with_capacity(self.len());
        all.extend(self.current.drain());
        for bucket in &mut self.ring {
            all.append(bucket);
        }
        all.extend(self.overflow.drain());
        self.in_ring = 0;
        all.sort_unstable_by_key(|e| e.key);
        // The pending events take the next numbers, so that sequence
        // numbers still rise through equal times.
        self.seq_base = self.next_seq;
        self.next_seq += all.len() as u64;
        for (i, mut e) in all.into_iter().enumerate() {
            e.key = (e.key & !0xffff_ffff) | i as u64;
            self.place(e);
        }
    }

    /// The sequence number of `e`.
    fn seq_of(&self, e: &Entry<E>) -> u64 {
        self.seq_base + u64::from(e.seq())
    }

    /// Makes `current` hold the next events, if there are any.
    #[inline]
    fn refill(&mut self) {
        if self.current.is_empty() {
            self.advance();
        }
    }

    /// Moves `current` forward to the next slot holding events (once per
    /// slot, not per event: kept out of line).
    #[inline(never)]
    fn advance(&mut self) {
        while self.current.is_empty() {
            if self.in_ring == 0 {
                // Jump straight to the overflow's first slot.
                let Some(first) = self.overflow.peek() else {
                    return;
                };
                self.cur_slot = first.at().micros() / SLOT_US - 1;
            }
            self.cur_slot += 1;
            let idx = (self.cur_slot % SLOTS as u64) as usize;
            // `current` is empty: the bucket's vector becomes the heap
            // (heapified in place, nothing copied), and the drained heap's
            // vector becomes a spare if it is small. The ring's slot starts
            // again from an empty vector, so no slot keeps a storm bucket's
            // capacity for the rest of the run (that doubled peak memory).
            let bucket = std::mem::take(&mut self.ring[idx]);
            self.in_ring -= bucket.len();
            let drained = std::mem::replace(&mut self.current, BinaryHeap::from(bucket));
            let mut v = drained.into_vec();
            if v.capacity() > 0 && v.capacity() <= SPARE_CAP {
                v.clear();
                self.spare.push(v);
            }
            // The slot that just left the ring's far end can take overflow events.
            let horizon = self.cur_slot + SLOTS as u64 - 1;
            while let Some(top) = self.overflow.peek() {
                if top.at().micros() / SLOT_US > horizon {
                    break;
                }
                let e = self.overflow.pop().expect("peeked");
                self.place(e);
            }
        }
    }

    /// Removes and returns the earliest event.
    pub fn pop(&mut self) -> Option<(SimTime, u64, E)> {
        self.refill();
        let e = self.current.pop()?;
        Some((e.at(), self.seq_of(&e), e.event))
    }

    /// Removes and returns the earliest event if it is due at or before
    /// `limit` (one look at the queue instead of a peek and a pop).
    #[inline]
    pub fn pop_until(&mut self, limit: SimTime) -> Option<(SimTime, u64, E)> {
        self.refill();
        if self.current.peek()?.at() > limit {
            return None;
        }
        let e = self.current.pop()?;
        Some((e.at(), self.seq_of(&e), e.event))
    }

    /// The time of the earliest event, if any.
    pub fn peek_time(&mut self) -> Option<SimTime> {
        self.refill();
        self.current.peek().map(|e| e.at())
    }

    /// Which 1 ms slot is being drained; it changes when the next slot's
    /// events are loaded (see [`EventQueue::current_events`]).
    pub fn slot(&self) -> u64 {
        self.cur_slot
    }

    /// The events of the slot being drained, in no particular order: a
    /// caller can fetch the state they will touch before popping them.
    pub fn current_events(&self) -> impl Iterator<Item = &E> {
        self.current.iter().map(|e| &e.event)
    }

    /// The events already scheduled in the slot `ahead` milliseconds after
    /// the one being drained (`1..SLOTS`), in no particular order; more may
    /// come before it is loaded. Empty for any other `ahead`.
    pub fn slot_events(&self, ahead: u64) -> impl Iterator<Item = &E> {
        let bucket = if (1..SLOTS as u64).contains(&ahead) {
            &self.ring[((self.cur_slot + ahead) % SLOTS as u64) as usize][..]
        } else {
            &[]
        };
        bucket.iter().map(|e| &e.event)
    }

    /// Heap bytes held (for the page's checkpoint budget).
    pub fn approx_bytes(&self) -> usize {
        let entry = std::mem::size_of::<Entry<E>>();
        let vec = std::mem::size_of::<Vec<Entry<E>>>();
        let ring: usize = self.ring.iter().map(|b| b.capacity() * entry).sum();
        let spare: usize = self.spare.iter().map(|b| b.capacity() * entry).sum();
        (self.current.capacity() + self.overflow.capacity()) * entry
            + ring
            + spare
            + (self.ring.len() + self.spare.len()) * vec
    }

    /// Events pending.
    pub fn len(&self) -> usize {
        self.current.len() + self.in_ring + self.overflow.len()
    }

    /// True when nothing is scheduled.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::cmp::Reverse;

    /// The reference for the order a queue must keep: one binary heap.
    type Reference = BinaryHeap<Reverse<(SimTime, u64, usize)>>;

    /// Schedules event `i` at `times[i]` in `q` and in a reference heap;
    /// returns the reference and the next sequence number.
    fn fill(q: &mut EventQueue<usize>, times: &[u64]) -> (Reference, u64) {
        let mut reference = Reference::new();
        let mut seq = 0u64;
        for (i, t) in times.iter().enumerate() {
            q.push(SimTime(*t), i);
            reference.push(Reverse((SimTime(*t), seq, i)));
            seq += 1;
        }
        (reference, seq)
    }

    /// Four events at one instant, then a fifth when the keys have run out
    /// of sequence numbers: they come out in the order they were scheduled.
    #[test]
    fn same_instant_events_keep_their_order_across_a_renumbering() {
        let mut q = EventQueue::with_seq_span(4);
        for id in 0..5 {
            q.push(SimTime(5), id);
        }
        let order: Vec<usize> = std::iter::from_fn(|| q.pop().map(|(_, _, id)| id)).collect();
        assert_eq!(order, vec![0, 1, 2, 3, 4]);
    }

    /// What `slot_events` shows is what the queue will load that many
    /// milliseconds on (the engine prefetches the state of those events).
    #[test]
    fn slot_events_are_the_events_of_the_slots_ahead() {
        let mut q = EventQueue::new();
        for (at, id) in [(5_200, 0), (6_100, 1), (6_999, 2), (7_000, 3), (9_000, 4)] {
            q.push(SimTime(at), id);
        }
        // Loads slot 5 (the event at 5.2 ms).
        assert_eq!(q.peek_time(), Some(SimTime(5_200)));
        let ahead = |q: &EventQueue<i32>, k| {
            let mut v: Vec<i32> = q.slot_events(k).copied().collect();
            v.sort_unstable();
            v
        };
        assert_eq!(ahead(&q, 1), vec![1, 2]);
        assert_eq!(ahead(&q, 2), vec![3]);
        assert_eq!(ahead(&q, 4), vec![4]);
        assert!(ahead(&q, 0).is_empty() && ahead(&q, SLOTS as u64).is_empty());
        q.pop();
        // Slot 6 is loaded now; what was two ahead is one ahead.
        assert_eq!(q.peek_time(), Some(SimTime(6_100)));
        assert_eq!(ahead(&q, 1), vec![3]);
    }

    /// Events after the latest time a key holds (71 minutes, past any
    /// run's end) sort after every earlier one, among themselves in the
    /// order they were scheduled.
    #[test]
    fn events_past_the_key_s_range_sort_last() {
        let mut q = EventQueue::new();
        q.push(SimTime(TIME_MAX + 7), 0);
        q.push(SimTime(TIME_MAX + 1), 1);
        q.push(SimTime(3_600_000_000), 2);
        assert_eq!(q.pop_until(SimTime(3_600_000_000)).map(|e| e.2), Some(2));
        assert_eq!(q.pop_until(SimTime(3_600_000_000)), None);
        assert_eq!(q.pop().map(|e| e.2), Some(0));
        assert_eq!(q.pop().map(|e| e.2), Some(1));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        /// Events come out in non-decreasing time, FIFO among equal times,
        /// exactly as one binary heap keyed by (time, seq) would order them,
        /// also when events are pushed while draining (half of them within
        /// 2 ms, often into the slot being drained).
        #[test]
        fn pops_in_time_then_insertion_order(
            times in proptest::collection::vec(0u64..20_000_000, 0..300),
            later in proptest::collection::vec(
                (prop_oneof![0u64..2_000, 0u64..6_000_000], 0usize..300),
                0..100,
            ),
        ) {
            let mut q = EventQueue::new();
            let (mut reference, mut seq) = fill(&mut q, &times);
            let mut popped = 0usize;
            let mut last: Option<(SimTime, u64)> = None;
            let mut next_later = later.iter();
            loop {
                let got = q.pop();
                let want = reference.pop();
                match (got, want) {
                    (None, None) => break,
                    (Some((at, s, ev)), Some(Reverse(w))) => {
                        prop_assert_eq!((at, s, ev), w);
                        if let Some(l) = last {
                            prop_assert!(l < (at, s));
                        }
                        last = Some((at, s));
                        popped += 1;
                        // Push a future event while draining, now and then.
                        if popped % 3 == 0 {
                            if let Some((dt, id)) = next_later.next() {
                                let t = SimTime(at.micros() + dt);
                                q.push(t, 1_000 + id);
                                reference.push(Reverse((t, seq, 1_000 + id)));
                                seq += 1;
                            }
                        }
                    }
                    (g, w) => prop_assert!(false, "queue {:?} vs reference {:?}", g.map(|x| x.0), w.map(|x| x.0.0)),
                }
            }
            prop_assert!(q.is_empty());
        }

        /// When keys run out of sequence numbers and the pending events are
        /// numbered afresh, the order stays the one a single heap gives:
        /// by time, then by order of scheduling.
        #[test]
        fn renumbering_keeps_the_order(
            times in proptest::collection::vec(prop_oneof![0u64..20, 0u64..9_000_000], 0..200),
            later in proptest::collection::vec(0u64..3_000, 0..200),
            span in 1u64..40,
        ) {
            let mut q = EventQueue::with_seq_span(span.max(times.len() as u64 + 1));
            let (mut reference, mut seq) = fill(&mut q, &times);
            let mut next_later = later.iter();
            let mut last_seq: Option<(SimTime, u64)> = None;
            while let Some(Reverse(want)) = reference.pop() {
                let (at, s, ev) = q.pop().expect("as many events as the reference");
                prop_assert_eq!((at, ev), (want.0, want.2));
                if let Some(l) = last_seq {
                    prop_assert!(l < (at, s), "sequence numbers keep the order");
                }
                last_seq = Some((at, s));
                // Schedule more (often at the same instant) while draining.
                if let Some(dt) = next_later.next() {
                    let t = SimTime(at.micros() + dt % 3);
                    let id = 1_000 + seq as usize;
                    q.push(t, id);
                    reference.push(Reverse((t, seq, id)));
                    seq += 1;
                }
            }
            prop_assert!(q.pop().is_none());
        }

        /// `pop_until` gives what `pop` would, but only events due by the
        /// limit, and leaves later ones in place.
        #[test]
        fn pop_until_stops_at_the_limit(
            times in proptest::collection::vec(0u64..10_000_000, 1..200),
            limit in 0u64..10_000_000,
        ) {
            let mut q = EventQueue::new();
            let mut reference = EventQueue::new();
            for (i, t) in times.iter().enumerate() {
                q.push(SimTime(*t), i);
                reference.push(SimTime(*t), i);
            }
            while let Some(got) = q.pop_until(SimTime(limit)) {
                prop_assert!(got.0 <= SimTime(limit));
                prop_assert_eq!(Some(got), reference.pop());
            }
            let due = times.iter().filter(|t| **t <= limit).count();
            prop_assert_eq!(q.len(), times.len() - due);
            prop_assert_eq!(q.peek_time(), reference.peek_time());
            if let Some(next) = q.peek_time() {
                prop_assert!(next > SimTime(limit));
            }
        }
    }
}
