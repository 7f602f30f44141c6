//! node-local-dns's cache and the users' draws.

use super::users::poisson_milli;
use super::*;

#[test]
fn poisson_draws_have_the_right_mean() {
    let mut rng = SimRng::stream(5, "poisson", 0);
    let n = 20_000;
    let sum: u64 = (0..n).map(|_| poisson_milli(&mut rng, 4_000)).sum();
    let mean = sum as f64 / n as f64;
    assert!((3.9..4.1).contains(&mean), "{mean}");
    assert_eq!(poisson_milli(&mut rng, 0), 0);
}

/// `NodeLocalDns::expiry` keeps expiries in 32 bits of microseconds: that holds only
/// while the longest allowed run plus the longest cache entry (and a
/// minute for the upstream answer's latency) ends
/// before `u32::MAX` µs (71 minutes).
#[test]
fn cache_expiries_fit_in_32_bits_for_the_longest_run() {
    use crate::scenario::catalog::{spec, Kind};
    let Some(Kind::Int { max, .. }) = spec("duration_s").map(|s| s.kind) else {
        panic!("duration_s is an integer parameter");
    };
    let latest_us = (max as u64 + CACHE_MAX_TTL_S + 60) * 1_000_000;
    assert!(latest_us < u64::from(u32::MAX), "{latest_us} µs");
}

/// A node-local-dns with 20,000 names and an empty cache.
fn dns_with_20k_names() -> NodeLocalDns {
    let p = Params {
        datastore_names: 20_000,
        ..Params::default()
    };
    NodeLocalDns::new(
        &p,
        SimRng::stream(1, "c", 0),
        SimRng::stream(1, "e", 0),
        SimRng::stream(1, "a", 0),
    )
}

#[test]
fn cache_evicts_at_capacity() {
    let mut d = dns_with_20k_names();
    for n in 0..(CACHE_CAPACITY as u32 + 100) {
        d.cache_insert(n, 1_000_000);
    }
    assert_eq!(d.cached.len(), CACHE_CAPACITY);
    let live = d.expiry.iter().filter(|e| **e != NOT_CACHED).count();
    assert_eq!(live, CACHE_CAPACITY);
    // Exactly the names in the slots are cached, each once.
    let mut in_slots = d.cached.clone();
    in_slots.sort_unstable();
    in_slots.dedup();
    assert_eq!(in_slots.len(), CACHE_CAPACITY);
    assert!(in_slots.iter().all(|n| d.expiry[*n as usize] != NOT_CACHED));
    // A cached name's refresh takes no slot.
    let before = d.cached.clone();
    d.cache_insert(d.cached[0], 2_000_000);
    assert_eq!(d.cached, before);
}

#[test]
fn victims_drawn_ahead_are_the_ones_evicted() {
    let mut now = dns_with_20k_names();
    for n in 0..CACHE_CAPACITY as u32 {
        now.cache_insert(n, 1_000_000);
    }
    let mut ahead = now.clone();
    // More read ahead than used, then fewer, across several rounds.
    let mut next = CACHE_CAPACITY as u32;
    for (read, used) in [(5, 3), (2, 6), (0, 4), (7, 7)] {
        ahead.read_ahead_victims(read);
        for _ in 0..used {
            now.cache_insert(next, 2_000_000);
            ahead.cache_insert(next, 2_000_000);
            next += 1;
        }
        assert_eq!(ahead.cached, now.cached);
    }
}
