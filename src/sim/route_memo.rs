//! A node's memo of its kernel's routing decisions for the clients' SYNs.
//!
//! [`route_input`](super::linux::route_input) is a pure function of the
//! namespace and the packet, so a node can keep its answer for a
//! (source, destination) pair until its FIB or a sysctl changes (the FIB's
//! generation) — a simulator shortcut, not a kernel cache. The storm asks for
//! millions of decisions over (client pod, service pod) pairs; each pod has
//! one address, so the pair of indices stands for the pair of addresses, and
//! the memo is a dense table of one byte per pair (a code for one of the few
//! distinct verdicts) instead of a hash map: a lookup is an index, not a hash
//! and a probe into a table larger than the CPU's cache.

use super::linux::InputVerdict;

/// Verdicts by (service pod, client pod), valid for one FIB generation.
#[derive(Clone, Debug)]
pub struct RouteMemo {
    /// The FIB generation the codes hold for.
    gen: u64,
    /// Client pods per row.
    hosts: usize,
    /// Per service pod index: its row number + 1 (0: no row yet).
    rows: Vec<u32>,
    /// `row * hosts + host`: 0 unknown, `k` is `verdicts[k - 1]`.
    codes: Vec<u8>,
    /// The distinct verdicts seen this generation (at most 255).
    verdicts: Vec<InputVerdict>,
}

impl RouteMemo {
    /// An empty memo for `hosts` client pods.
    pub fn new(hosts: usize) -> Self {
        RouteMemo {
            gen: u64::MAX,
            hosts,
            rows: Vec::new(),
            codes: Vec::new(),
            verdicts: Vec::new(),
        }
    }

    /// Heap bytes held (for the page's checkpoint budget).
    pub fn approx_bytes(&self) -> usize {
        self.rows.capacity() * 4
            + self.codes.capacity()
            + self.verdicts.capacity() * std::mem::size_of::<InputVerdict>()
    }

    /// Forgets every decision if the FIB changed since they were made.
    #[inline]
    pub fn validate(&mut self, gen: u64) {
        if gen != self.gen {
            self.gen = gen;
            self.codes.fill(0);
            self.verdicts.clear();
        }
    }

    /// Where the decision for SYNs from client pod `host` to `pod` is kept,
    /// if it can be.
    #[inline]
    fn index(&self, host: u32, pod: u32) -> Option<usize> {
        let host = host as usize;
        if host >= self.hosts {
            return None;
        }
        match self.rows.get(pod as usize) {
            Some(&r) if r > 0 => Some((r as usize - 1) * self.hosts + host),
            _ => None,
        }
    }

    /// The remembered decision, if any (after [`RouteMemo::validate`]).
    #[inline]
    pub fn get(&self, host: u32, pod: u32) -> Option<InputVerdict> {
        let i = self.index(host, pod)?;
        match self.codes[i] {
            0 => None,
            k => Some(self.verdicts[usize::from(k) - 1]),
        }
    }

    /// Remembers a decision (unless 255 distinct verdicts are already held).
    pub fn insert(&mut self, host: u32, pod: u32, v: InputVerdict) {
        if host as usize >= self.hosts {
            return;
        }
        let code = match self.verdicts.iter().position(|x| *x == v) {
            Some(k) => k + 1,
            None if self.verdicts.len() < usize::from(u8::MAX) => {
                self.verdicts.push(v);
                self.verdicts.len()
            }
            None => return,
        };
        let i = match self.index(host, pod) {
            Some(i) => i,
            None => {
                let pod = pod as usize;
                if self.rows.len() <= pod {
                    self.rows.resize(pod + 1, 0);
                }
                let row = self.codes.len() / self.hosts;
                self.rows[pod] = row as u32 + 1;
                self.codes.resize(self.codes.len() + self.hosts, 0);
                row * self.hosts + host as usize
            }
        };
        self.codes[i] = code as u8;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::linux::Errno;

    #[test]
    fn remembers_per_pair_until_the_fib_changes() {
        let mut m = RouteMemo::new(3);
        m.validate(1);
        let martian = InputVerdict::MartianSource {
            errno: Errno::XDev,
            rp_filter: true,
        };
        assert_eq!(m.get(2, 40), None);
        m.insert(2, 40, martian);
        m.insert(0, 7, InputVerdict::MartianDestination);
        assert_eq!(m.get(2, 40), Some(martian));
        assert_eq!(m.get(0, 7), Some(InputVerdict::MartianDestination));
        assert_eq!(m.get(1, 40), None, "another client pod's pair");
        assert_eq!(m.get(2, 7), None, "another pod's pair");
        m.validate(1);
        assert_eq!(m.get(2, 40), Some(martian), "same generation");
        m.validate(2);
        assert_eq!(m.get(2, 40), None, "forgotten when the FIB changes");
        // A client pod outside the table is never remembered.
        m.insert(3, 40, martian);
        assert_eq!(m.get(3, 40), None);
    }
}
