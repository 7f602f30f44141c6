//! Ephemeral source ports as the Linux kernel hands them out, for one
//! source address: `net.ipv4.ip_local_port_range` (32768–60999 by default,
//! `inet_init_net` in net/ipv4/af_inet.c), and a port whose earlier flow
//! still lives is not handed out again.
//!
//! - TCP `connect()` (`__inet_hash_connect`, net/ipv4/inet_hashtables.c,
//!   5.10): the search starts at an offset derived from a keyed hash of the
//!   addresses plus a counter that advances with every connect, walks the
//!   range two ports at a time (even ports first, odd ports being left to
//!   `bind()`), and takes the first port whose 4-tuple is not in use,
//!   TIME_WAIT included. Modelled as that walk from a fixed offset (the
//!   hash's key is a per-boot secret; any offset is as good as another).
//! - UDP (`udp_lib_get_port`, net/ipv4/udp.c): a random starting point in
//!   the range, then the first port not in use.
//!
//! The kernel keeps the sockets; the model keeps the ports whose flow may
//! still live, with when it ends: a sorted list of tens to hundreds of
//! entries at the incident's busiest (a dense array of the range held
//! 28,232 entries, 113 KB per address, and every checkpoint copied it), and
//! a bit per port for the walks.

use super::rng::SimRng;
use super::time::SimTime;
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// `ip_local_port_range`'s default low end.
pub const LOW: u16 = 32_768;
/// `ip_local_port_range`'s default high end.
pub const HIGH: u16 = 60_999;
const SPAN: u32 = (HIGH - LOW) as u32 + 1;

/// When an open flow ends: not yet known.
const OPEN: u32 = u32::MAX;

/// Words of one bit per port.
const WORDS: usize = (SPAN as usize).div_ceil(64);

/// The ports of one source address towards one destination.
#[derive(Clone, Debug, Default)]
pub struct EphemeralPorts {
    /// Ports (as offsets into the range) whose flow may still live, sorted,
    /// each with when its flow ends, ms ([`OPEN`] while it is open). A port
    /// not listed is free; so is one whose end has passed, and such entries
    /// are dropped once the list has doubled since the last time.
    held: Vec<(u16, u32)>,
    /// How long `held` was after entries were last dropped.
    kept: usize,
    /// One bit per port, set while its flow lives as far as `ending` has
    /// been read: a walk looks for a clear bit 64 ports at a time, so a
    /// crowded range (node-local-dns's upstream ports in TIME_WAIT) costs
    /// a few hundred words, not a step per port. Empty until a port is
    /// taken; until then releasing or reopening one records nothing.
    live: Vec<u64>,
    /// The ends of released flows, earliest first, read up to each walk's
    /// time: each clears its port's bit unless the port was taken or
    /// released again since (its end in `held` is no longer this one).
    ending: BinaryHeap<Reverse<(u32, u16)>>,
    /// Where the next `connect()` search starts (an offset into the range).
    next: u32,
    /// After a walk found every port held: no port frees before this time
    /// (ms; the earliest end then pending, lowered by any later release),
    /// so walks until then find none at once (0: not known).
    none_free_before: u32,
}

impl EphemeralPorts {
    /// Ports whose `connect()` walk starts at `offset` into the range.
    pub fn new(offset: u32) -> Self {
        EphemeralPorts {
            next: offset % SPAN,
            ..Self::default()
        }
    }

    /// When the flow on offset `i` ends, if it is listed.
    fn end_of(&self, i: u32) -> Option<u32> {
        let k = self.held.binary_search_by_key(&(i as u16), |e| e.0).ok()?;
        Some(self.held[k].1)
    }

    fn free(&self, i: u32, now_ms: u32) -> bool {
        self.end_of(i).is_none_or(|u| u <= now_ms)
    }

    /// Records when the flow on offset `i` ends (if a port was ever taken).
    fn set(&mut self, i: u32, until_ms: u32) {
        if self.live.is_empty() || i >= SPAN {
            return;
        }
        match self.held.binary_search_by_key(&(i as u16), |e| e.0) {
            Ok(k) => self.held[k].1 = until_ms,
            Err(k) => self.held.insert(k, (i as u16, until_ms)),
        }
        self.live[i as usize / 64] |= 1 << (i % 64);
        if until_ms != OPEN {
            self.ending.push(Reverse((until_ms, i as u16)));
            self.none_free_before = self.none_free_before.min(until_ms);
        }
    }

    fn take(&mut self, i: u32, now_ms: u32) -> u16 {
        if self.held.len() >= 2 * self.kept + 64 {
            // Ended flows never come back: time only moves forward (and
            // their bits were cleared when the walk read `ending`).
            self.held.retain(|e| e.1 > now_ms);
            self.kept = self.held.len();
        }
        if self.live.is_empty() {
            self.live = vec![0; WORDS];
        }
        self.set(i, OPEN);
        LOW + i as u16
    }

    /// Clears the bits of the flows ended by `now_ms`.
    fn expire(&mut self, now_ms: u32) {
        while let Some(&Reverse((until, i))) = self.ending.peek() {
            if until > now_ms {
                break;
            }
            self.ending.pop();
            if self.end_of(u32::from(i)) == Some(until) {
                self.live[usize::from(i) / 64] &= !(1 << (i % 64));
            }
        }
    }

    /// The first free offset of `ranges` (each `(from, to, step)` with a
    /// step of 1 or 2, walked in turn) at `now_ms`; a walk that finds none
    /// remembers when the first port can free.
    fn first_free(&mut self, ranges: &[(u32, u32, u32)], now_ms: u32) -> Option<u32> {
        if now_ms < self.none_free_before {
            return None;
        }
        self.expire(now_ms);
        let found = ranges
            .iter()
            .find_map(|&(from, to, step)| self.walk(from, to, step));
        if found.is_none() {
            self.none_free_before = self.ending.peek().map_or(OPEN, |e| e.0 .0);
        }
        found
    }

    /// The first offset of `from, from + step, ...` below `to` whose bit is
    /// clear.
    fn walk(&self, from: u32, to: u32, step: u32) -> Option<u32> {
        if from >= to {
            return None;
        }
        if self.live.is_empty() {
            return Some(from);
        }
        // Every other bit, from `from`'s parity (a word's 64 keeps it).
        let stride = match (step, from % 2) {
            (2, 0) => 0x5555_5555_5555_5555u64,
            (2, _) => 0xaaaa_aaaa_aaaa_aaaau64,
            _ => !0,
        };
        let mut w = from / 64;
        let mut first = !0u64 << (from % 64);
        while w * 64 < to {
            let mut clear = !self.live[w as usize] & stride & first;
            let left = to - w * 64;
            if left < 64 {
                clear &= (1u64 << left) - 1;
            }
            if clear != 0 {
                return Some(w * 64 + clear.trailing_zeros());
            }
            w += 1;
            first = !0;
        }
        None
    }

    /// A TCP `connect()`: the next free even port on the walk (then odd
    /// ones); `None` if every port is in use (`EADDRNOTAVAIL`).
    pub fn connect(&mut self, now: SimTime) -> Option<u16> {
        let now_ms = now.millis() as u32;
        let start = self.next & !1;
        // SPAN is even: from `start` to the range's end and round from its
        // start, even offsets, then odd ones.
        let walk = [
            (start, SPAN, 2),
            (0, start, 2),
            (start + 1, SPAN, 2),
            (1, start, 2),
        ];
        let i = self.first_free(&walk, now_ms)?;
        self.next = (i + 2) % SPAN;
        Some(self.take(i, now_ms))
    }

    /// A UDP socket's port: from a random point of the range, the first
    /// free one.
    pub fn udp(&mut self, now: SimTime, rng: &mut SimRng) -> Option<u16> {
        let now_ms = now.millis() as u32;
        let start = rng.below(u64::from(SPAN)) as u32;
        let i = self.first_free(&[(start, SPAN, 1), (0, start, 1)], now_ms)?;
        Some(self.take(i, now_ms))
    }

    /// The flow on `port` ends at `at` (its socket closed, and TIME_WAIT
    /// over if it had one): the port is free from then on.
    pub fn release(&mut self, port: u16, at: SimTime) {
        let until = at.millis().min(u64::from(OPEN - 1)) as u32;
        self.set(u32::from(port.wrapping_sub(LOW)), until);
    }

    /// `port`'s flow lives on after all (a retransmitted SYN got through
    /// before the dial gave up).
    pub fn reopen(&mut self, port: u16) {
        self.set(u32::from(port.wrapping_sub(LOW)), OPEN);
    }

    /// Whether `port`'s flow is still alive at `now`.
    pub fn in_use(&self, port: u16, now: SimTime) -> bool {
        !self.free(u32::from(port.wrapping_sub(LOW)), now.millis() as u32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connect_walks_even_ports_and_skips_live_flows() {
        let mut p = EphemeralPorts::new(100);
        let t = SimTime::from_secs(1);
        let a = p.connect(t).unwrap();
        let b = p.connect(t).unwrap();
        assert_eq!((a, b), (LOW + 100, LOW + 102));
        assert!(p.in_use(a, t));
        // Every even port taken and still open: the odd ones follow.
        let mut q = EphemeralPorts::new(0);
        for _ in 0..SPAN / 2 {
            assert_eq!(q.connect(t).unwrap() % 2, 0);
        }
        assert_eq!(q.connect(t).unwrap() % 2, 1);
        // Released (e.g. after TIME_WAIT): handed out again once it is over.
        let mut r = EphemeralPorts::new(0);
        let first = r.connect(t).unwrap();
        r.release(first, SimTime::from_secs(61));
        for _ in 1..SPAN / 2 {
            assert_ne!(r.connect(SimTime::from_secs(2)).unwrap(), first);
        }
        // The walk came round to it while it was in TIME_WAIT: skipped.
        assert_ne!(r.connect(SimTime::from_secs(2)).unwrap(), first);
    }

    #[test]
    fn every_port_is_in_the_default_range() {
        let mut p = EphemeralPorts::new(7);
        let mut rng = SimRng::stream(1, "p", 0);
        for i in 0..1_000 {
            let t = SimTime::from_millis(i);
            for port in [p.connect(t).unwrap(), p.udp(t, &mut rng).unwrap()] {
                assert!((LOW..=HIGH).contains(&port));
            }
        }
    }

    #[test]
    fn a_full_range_has_no_port_until_one_frees() {
        let mut p = EphemeralPorts::new(0);
        let t = SimTime::from_secs(1);
        let mut ports = Vec::new();
        while let Some(port) = p.connect(t) {
            ports.push(port);
        }
        assert_eq!(ports.len(), SPAN as usize);
        let mut rng = SimRng::stream(1, "p", 0);
        assert_eq!(p.udp(t, &mut rng), None);
        // One flow ends at 5 s, another at 3 s (released later): the
        // earliest end decides.
        p.release(ports[10], SimTime::from_secs(5));
        assert_eq!(p.connect(SimTime::from_secs(2)), None);
        p.release(ports[20], SimTime::from_secs(3));
        assert_eq!(p.connect(SimTime::from_millis(2_999)), None);
        assert_eq!(p.connect(SimTime::from_secs(3)), Some(ports[20]));
        assert_eq!(p.connect(SimTime::from_secs(4)), None);
        assert_eq!(p.udp(SimTime::from_secs(5), &mut rng), Some(ports[10]));
    }

    /// The range as one array, a port's end per entry: the plainest
    /// statement of the kernel's rule, to hold the sorted list to.
    struct Dense {
        until_ms: Vec<u32>,
        next: u32,
    }

    impl Dense {
        fn pick(&mut self, order: impl Iterator<Item = u32>, now_ms: u32) -> Option<u16> {
            for i in order {
                if self.until_ms.get(i as usize).is_none_or(|u| *u <= now_ms) {
                    if self.until_ms.is_empty() {
                        self.until_ms = vec![0; SPAN as usize];
                    }
                    self.until_ms[i as usize] = OPEN;
                    return Some(LOW + i as u16);
                }
            }
            None
        }

        fn set(&mut self, port: u16, until: u32) {
            if let Some(u) = self.until_ms.get_mut(usize::from(port.wrapping_sub(LOW))) {
                *u = until;
            }
        }
    }

    use proptest::prelude::*;

    proptest! {
        /// Any mix of connects, UDP sockets, releases (now, or after a
        /// TIME_WAIT) and reopens, with time moving forward, hands out the
        /// same ports as the dense array, including once old entries have
        /// been dropped.
        #[test]
        fn the_list_hands_out_what_the_array_would(
            offset in 0u32..SPAN,
            prefill in prop_oneof![Just(0u32), 0u32..=SPAN, (SPAN - 64)..=SPAN],
            ops in prop::collection::vec((0u8..4, prop_oneof![0u32..3, 0u32..1_000], 0u32..120_000, any::<u16>()), 1..600),
        ) {
            let mut p = EphemeralPorts::new(offset);
            let mut d = Dense { until_ms: Vec::new(), next: offset % SPAN };
            let mut rng_a = SimRng::stream(5, "p", 0);
            let mut rng_b = SimRng::stream(5, "p", 0);
            let mut now = 0u64;
            let mut taken: Vec<u16> = Vec::new();
            // A crowded range first (up to every port held), each flow
            // ending at its own time within two minutes.
            for k in 0..prefill {
                let port = p.connect(SimTime::ZERO).expect("room");
                p.release(port, SimTime::from_millis(u64::from(k * 7 % 120_000)));
                if d.until_ms.is_empty() {
                    d.until_ms = vec![0; SPAN as usize];
                }
                d.until_ms[usize::from(port - LOW)] = k * 7 % 120_000;
                taken.push(port);
            }
            if prefill > 0 {
                d.next = p.next;
            }
            for (op, step, hold, pick) in ops {
                now += u64::from(step);
                let t = SimTime::from_millis(now);
                let now_ms = now as u32;
                match op {
                    0 => {
                        let got = p.connect(t);
                        let start = d.next & !1;
                        let order = [0, 1].into_iter().flat_map(|par| (0..SPAN / 2).map(move |k| (start + par + 2 * k) % SPAN));
                        let want = d.pick(order, now_ms);
                        if let Some(port) = want {
                            d.next = (u32::from(port - LOW) + 2) % SPAN;
                            taken.push(port);
                        }
                        prop_assert_eq!(got, want);
                    }
                    1 => {
                        let got = p.udp(t, &mut rng_a);
                        let start = rng_b.below(u64::from(SPAN)) as u32;
                        let want = d.pick((0..SPAN).map(|k| (start + k) % SPAN), now_ms);
                        taken.extend(want);
                        prop_assert_eq!(got, want);
                    }
                    2 if !taken.is_empty() => {
                        let port = taken[usize::from(pick) % taken.len()];
                        let at = SimTime::from_millis(now + u64::from(hold));
                        p.release(port, at);
                        d.set(port, (now + u64::from(hold)) as u32);
                    }
                    _ if !taken.is_empty() => {
                        let port = taken[usize::from(pick) % taken.len()];
                        p.reopen(port);
                        d.set(port, OPEN);
                    }
                    _ => {}
                }
                for &port in taken.iter().take(8) {
                    prop_assert_eq!(p.in_use(port, t), d.until_ms[usize::from(port - LOW)] > now_ms);
                }
            }
        }
    }
}
