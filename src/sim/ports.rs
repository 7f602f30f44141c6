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
//! The kernel keeps the sockets; the model keeps, per port, when its flow
//! ends (0 for a port never used), so the look-up stays one array.

use super::rng::SimRng;
use super::time::SimTime;

/// `ip_local_port_range`'s default low end.
pub const LOW: u16 = 32_768;
/// `ip_local_port_range`'s default high end.
pub const HIGH: u16 = 60_999;
const SPAN: u32 = (HIGH - LOW) as u32 + 1;

/// The ports of one source address towards one destination.
#[derive(Clone, Debug, Default)]
pub struct EphemeralPorts {
    /// Per port (index `port - LOW`): when its flow ends, ms; `u32::MAX`
    /// while it is open. Empty until the first port is taken.
    until_ms: Vec<u32>,
    /// Where the next `connect()` search starts (an offset into the range).
    next: u32,
}

impl EphemeralPorts {
    /// Ports whose `connect()` walk starts at `offset` into the range.
    pub fn new(offset: u32) -> Self {
        EphemeralPorts {
            until_ms: Vec::new(),
            next: offset % SPAN,
        }
    }

    fn free(&self, i: u32, now_ms: u32) -> bool {
        self.until_ms.get(i as usize).is_none_or(|u| *u <= now_ms)
    }

    fn take(&mut self, i: u32) -> u16 {
        if self.until_ms.is_empty() {
            self.until_ms = vec![0; SPAN as usize];
        }
        self.until_ms[i as usize] = u32::MAX;
        LOW + i as u16
    }

    /// A TCP `connect()`: the next free even port on the walk (then odd
    /// ones); `None` if every port is in use (`EADDRNOTAVAIL`).
    pub fn connect(&mut self, now: SimTime) -> Option<u16> {
        let now_ms = now.millis() as u32;
        let start = self.next & !1;
        for parity in [0, 1] {
            for k in 0..SPAN / 2 {
                let i = (start + parity + 2 * k) % SPAN;
                if self.free(i, now_ms) {
                    self.next = (i + 2) % SPAN;
                    return Some(self.take(i));
                }
            }
        }
        None
    }

    /// A UDP socket's port: from a random point of the range, the first
    /// free one.
    pub fn udp(&mut self, now: SimTime, rng: &mut SimRng) -> Option<u16> {
        let now_ms = now.millis() as u32;
        let start = rng.below(u64::from(SPAN)) as u32;
        for k in 0..SPAN {
            let i = (start + k) % SPAN;
            if self.free(i, now_ms) {
                return Some(self.take(i));
            }
        }
        None
    }

    /// The flow on `port` ends at `at` (its socket closed, and TIME_WAIT
    /// over if it had one): the port is free from then on.
    pub fn release(&mut self, port: u16, at: SimTime) {
        if let Some(u) = self.until_ms.get_mut(usize::from(port.wrapping_sub(LOW))) {
            *u = at.millis().min(u64::from(u32::MAX - 1)) as u32;
        }
    }

    /// `port`'s flow lives on after all (a retransmitted SYN got through
    /// before the dial gave up).
    pub fn reopen(&mut self, port: u16) {
        if let Some(u) = self.until_ms.get_mut(usize::from(port.wrapping_sub(LOW))) {
            *u = u32::MAX;
        }
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
}
