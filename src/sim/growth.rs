//! Growing the run's big vectors by half instead of doubling.
//!
//! A browser's wasm memory never shrinks, and its allocator can only reuse
//! freed blocks for a later, bigger request if they add up to it: a vector
//! that doubles leaves behind blocks that together are always one element
//! short of its next size, so each doubling takes new memory (its old and
//! new buffers side by side, then the old one wasted). Growing by half
//! (the growth factor below the golden ratio, as folly's `fbvector` argues)
//! lets the freed blocks serve again, and leaves at most a third unused
//! rather than half. It matters for the subchannels, should the rollout add
//! more than the room made for the clients' first ones and its surge
//! (400,000 of 64 bytes at the ranges' extremes), and for the sampled
//! packets of a copy of the run restored from a checkpoint (the run's own
//! trace and the page's record reserve the packets' cap at once instead).

/// Makes room for `additional` more elements, growing the capacity by half
/// (or to what is needed, if more).
pub fn reserve_by_half<T>(v: &mut Vec<T>, additional: usize) {
    let need = v.len().saturating_add(additional);
    if need > v.capacity() {
        let target = need
            .max(v.capacity().saturating_add(v.capacity() / 2))
            .max(8);
        v.reserve_exact(target - v.len());
    }
}

/// Pushes `x`, growing by half when full.
#[inline]
pub fn push<T>(v: &mut Vec<T>, x: T) {
    if v.len() == v.capacity() {
        reserve_by_half(v, 1);
    }
    v.push(x);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capacity_grows_by_half_and_never_short() {
        let mut v: Vec<u64> = Vec::new();
        let mut caps = Vec::new();
        for i in 0..10_000 {
            push(&mut v, i);
            if caps.last() != Some(&v.capacity()) {
                caps.push(v.capacity());
            }
        }
        assert_eq!(v.len(), 10_000);
        // Every step after the first few is about one and a half times the last.
        for w in caps.windows(2).filter(|w| w[0] >= 16) {
            let ratio = w[1] as f64 / w[0] as f64;
            assert!((1.4..=1.6).contains(&ratio), "{caps:?}");
        }
        let mut e: Vec<u8> = Vec::with_capacity(4);
        reserve_by_half(&mut e, 100);
        assert!(e.capacity() >= 100, "room for what is asked");
    }
}
