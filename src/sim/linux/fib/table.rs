//! One routing table: its routes in the order `ip route show` prints them
//! (the trie's walk), kept in a map so that one route is found, added or
//! removed in logarithmic time, plus an index from each device to its
//! routes, so that deleting a device (or its last address, or taking it
//! down) reads only that device's routes: a script of 100,000 `ip link del`
//! of devices with an address each takes linear time (it scanned and
//! shifted every route of every table on each deletion: 4.5–8.4 s). Routes
//! are indexed by `src` too, for deleting an address.

use super::Route;
use crate::sim::linux::addr::Prefix;
use crate::sim::linux::errno::Errno;
use crate::sim::linux::fib::Scope;
use crate::sim::linux::netdev::IfIndex;
use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv4Addr;

/// Where a route sits in the walk: ascending address, longer prefixes first
/// for the same address, then lower metric, then insertion order (a route
/// goes after the routes with the same key already there).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RouteKey {
    addr: u32,
    len: Reverse<u8>,
    metric: u32,
    seq: u64,
}

impl RouteKey {
    const MIN: RouteKey = RouteKey {
        addr: 0,
        len: Reverse(u8::MAX),
        metric: 0,
        seq: 0,
    };
    const MAX: RouteKey = RouteKey {
        addr: u32::MAX,
        len: Reverse(0),
        metric: u32::MAX,
        seq: u64::MAX,
    };

    /// The first and last possible keys of the routes to `dst` with a metric
    /// in `metrics` (inclusive).
    fn bounds(dst: Prefix, metrics: (u32, u32)) -> (RouteKey, RouteKey) {
        let k = |metric, seq| RouteKey {
            addr: u32::from(dst.addr()),
            len: Reverse(dst.len()),
            metric,
            seq,
        };
        (k(metrics.0, 0), k(metrics.1, u64::MAX))
    }
}

/// One routing table.
#[derive(Clone, Debug)]
pub struct Table {
    routes: BTreeMap<RouteKey, Route>,
    /// The key of each route through a device, by device (routes without a
    /// device are not in it): one set, not a set per device, which would
    /// cost an allocation per device. Kept in step with `routes` (as are
    /// `by_src` and `lens`) by `put` and `remove`, the only places that
    /// change `routes`.
    by_dev: BTreeSet<(IfIndex, RouteKey)>,
    /// The same for each route's `src`, so that deleting an address finds
    /// the routes that name it (`fib_sync_down_addr`) without reading
    /// them all.
    by_src: BTreeSet<(Ipv4Addr, RouteKey)>,
    /// How many routes have each prefix length: a lookup probes only the
    /// lengths in use (a handful in a node's table), not all 33.
    lens: [u32; 33],
    next_seq: u64,
}

impl Default for Table {
    fn default() -> Self {
        Table {
            routes: BTreeMap::new(),
            by_dev: BTreeSet::new(),
            by_src: BTreeSet::new(),
            lens: [0; 33],
            next_seq: 0,
        }
    }
}

impl Table {
    /// Routes in `ip route show` order.
    pub fn routes(&self) -> impl DoubleEndedIterator<Item = &Route> + ExactSizeIterator + Clone {
        self.routes.values()
    }

    /// Inserts a route at its place in the walk order (after equal keys).
    pub fn insert(&mut self, r: Route) {
        let (mut key, _) = RouteKey::bounds(r.dst, (r.metric, r.metric));
        key.seq = self.next_seq;
        self.next_seq += 1;
        self.put(key, r);
    }

    /// Stores `r` at `key` (free) and indexes it.
    fn put(&mut self, key: RouteKey, r: Route) {
        self.routes.insert(key, r);
        self.lens[usize::from(r.dst.len())] += 1;
        if let Some(d) = r.dev {
            self.by_dev.insert((d, key));
        }
        if let Some(s) = r.prefsrc {
            self.by_src.insert((s, key));
        }
    }

    /// The routes to `dst` (any metric), in walk order, with their keys.
    pub fn with_dst(&self, dst: Prefix) -> impl Iterator<Item = (RouteKey, &Route)> {
        let (lo, hi) = RouteKey::bounds(dst, (0, u32::MAX));
        self.routes.range(lo..=hi).map(|(k, r)| (*k, r))
    }

    /// The routes with this key (`dst`, metric), in walk order: what
    /// `NLM_F_EXCL` tests for `File exists` and `NLM_F_REPLACE` replaces.
    pub fn same_key(&self, dst: Prefix, metric: u32) -> impl Iterator<Item = (RouteKey, &Route)> {
        let (lo, hi) = RouteKey::bounds(dst, (metric, metric));
        self.routes.range(lo..=hi).map(|(k, r)| (*k, r))
    }

    /// The first route with this key (`dst`, metric), if any.
    pub fn find_same_key(&self, dst: Prefix, metric: u32) -> Option<RouteKey> {
        self.same_key(dst, metric).next().map(|(k, _)| k)
    }

    /// Replaces the route at `key` (which has the same `dst` and metric), in
    /// place.
    pub fn replace(&mut self, key: RouteKey, r: Route) {
        let old = self.remove(key).expect("the route to replace exists");
        debug_assert_eq!((old.dst, old.metric), (r.dst, r.metric));
        self.put(key, r);
    }

    /// Removes and returns the route at `key`.
    pub fn remove(&mut self, key: RouteKey) -> Option<Route> {
        let r = self.routes.remove(&key)?;
        self.lens[usize::from(r.dst.len())] -= 1;
        if let Some(d) = r.dev {
            self.by_dev.remove(&(d, key));
        }
        if let Some(s) = r.prefsrc {
            self.by_src.remove(&(s, key));
        }
        Some(r)
    }

    /// Removes every route through `dev` matching `pred`; returns how many.
    /// Reads only the device's routes.
    pub fn remove_dev_where(&mut self, dev: IfIndex, pred: impl Fn(&Route) -> bool) -> usize {
        let doomed: Vec<RouteKey> = self
            .by_dev
            .range((dev, RouteKey::MIN)..=(dev, RouteKey::MAX))
            .map(|(_, k)| *k)
            .filter(|k| pred(&self.routes[k]))
            .collect();
        for k in &doomed {
            self.remove(*k);
        }
        doomed.len()
    }

    /// True if a route has `src` as its preferred source.
    pub fn has_src(&self, src: Ipv4Addr) -> bool {
        self.by_src
            .range((src, RouteKey::MIN)..=(src, RouteKey::MAX))
            .next()
            .is_some()
    }

    /// Removes every route with `src` as its preferred source; returns how
    /// many. Reads only those routes.
    pub fn remove_src(&mut self, src: Ipv4Addr) -> usize {
        let doomed: Vec<RouteKey> = self
            .by_src
            .range((src, RouteKey::MIN)..=(src, RouteKey::MAX))
            .map(|(_, k)| *k)
            .collect();
        for k in &doomed {
            self.remove(*k);
        }
        doomed.len()
    }

    /// Removes every route matching `pred` (reading them all); returns how
    /// many.
    pub fn remove_where(&mut self, pred: impl Fn(&Route) -> bool) -> usize {
        let doomed: Vec<RouteKey> = self
            .routes
            .iter()
            .filter(|(_, r)| pred(r))
            .map(|(k, _)| *k)
            .collect();
        for k in &doomed {
            self.remove(*k);
        }
        doomed.len()
    }

    /// `fib_table_lookup`: the longest prefix containing `daddr` that has an
    /// alias usable for this flow (of those, the lowest metric, then the
    /// first added). An error route returns its error as soon as the walk
    /// reaches it; when `oif` is set, aliases whose nexthop uses another
    /// device are skipped and the walk backtracks to shorter prefixes.
    ///
    /// Routes whose scope is narrower than `min_scope` are skipped
    /// (`fa_info->fib_scope < flp->flowi4_scope`); input and output lookups
    /// use `RT_SCOPE_UNIVERSE`, so everything matches, while the gateway check
    /// of `ip route add … via` asks for at least `RT_SCOPE_LINK`.
    ///
    /// One range of the map per prefix length in use, longest first, so a
    /// lookup does not read every route of a large table.
    pub fn lookup(
        &self,
        daddr: Ipv4Addr,
        oif: Option<IfIndex>,
        min_scope: Scope,
    ) -> Option<Result<Route, Errno>> {
        let usable = |r: &Route| {
            r.scope >= min_scope
                && (r.kind.error().is_some() || oif.is_none_or(|o| r.dev == Some(o)))
        };
        let r = (0..=32u8).rev().find_map(|len| {
            if self.lens[usize::from(len)] == 0 {
                return None;
            }
            self.with_dst(Prefix::truncating(daddr, len))
                .map(|(_, r)| r)
                .find(|r| usable(r))
        })?;
        Some(match r.kind.error() {
            Some(e) => Err(e),
            None => Ok(*r),
        })
    }

    /// Whether `by_dev` and `by_src` hold exactly the keys of the routes
    /// with a device and with a `src`.
    #[cfg(test)]
    pub(crate) fn index_agrees(&self) -> bool {
        let by_dev: BTreeSet<(IfIndex, RouteKey)> = self
            .routes
            .iter()
            .filter_map(|(k, r)| Some((r.dev?, *k)))
            .collect();
        let by_src: BTreeSet<(Ipv4Addr, RouteKey)> = self
            .routes
            .iter()
            .filter_map(|(k, r)| Some((r.prefsrc?, *k)))
            .collect();
        let mut lens = [0; 33];
        for r in self.routes.values() {
            lens[usize::from(r.dst.len())] += 1;
        }
        by_dev == self.by_dev && by_src == self.by_src && lens == self.lens
    }
}
