//! Seeded, portable randomness: one root seed per run, one stream per component.
//!
//! The generator is `rand_pcg::Pcg64Mcg`, a named algorithm whose output is the
//! same on x86_64 and wasm32 (unlike rand's small, fast generator, which is a different
//! algorithm on 32-bit targets). Each component (a client, the rollout, a DNS
//! server...) derives its own stream from the root seed and a stable label, so
//! adding a component never shifts the draws of the others (the smoltcp netsim
//! `seed_a_to_b` idea). Ranges are drawn from integers; floats never decide order.

use rand::{Rng, RngCore};
use rand_distr::Exp1;
use rand_pcg::Pcg64Mcg;

/// A deterministic random stream.
#[derive(Clone, Debug)]
pub struct SimRng {
    inner: Pcg64Mcg,
}

/// 64-bit FNV-1a, used to turn stream labels into seeds (stable across targets).
fn fnv1a(bytes: &[u8], mut h: u64) -> u64 {
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// SplitMix64 finaliser: spreads nearby seeds far apart.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

impl SimRng {
    /// The stream for `label` (and `index`, e.g. a client number) under `root`.
    pub fn stream(root: u64, label: &str, index: u64) -> SimRng {
        let h = fnv1a(label.as_bytes(), 0xcbf2_9ce4_8422_2325);
        let a = mix(root ^ h);
        let b = mix(a ^ mix(index.wrapping_add(1)));
        let seed = (u128::from(a) << 64) | u128::from(b);
        SimRng {
            inner: Pcg64Mcg::new(seed | 1),
        }
    }

    /// A raw 64-bit draw.
    pub fn next_u64(&mut self) -> u64 {
        self.inner.next_u64()
    }

    /// Uniform integer in `lo..=hi` (returns `lo` if the range is empty).
    pub fn range_inclusive(&mut self, lo: u64, hi: u64) -> u64 {
        if hi <= lo {
            lo
        } else {
            self.inner.random_range(lo..=hi)
        }
    }

    /// Uniform integer in `0..n` (0 if `n` is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.inner.random_range(0..n)
        }
    }

    /// True with probability `per_million / 1_000_000`.
    pub fn chance_ppm(&mut self, per_million: u64) -> bool {
        self.below(1_000_000) < per_million
    }

    /// An exponentially distributed gap with the given mean, in microseconds,
    /// rounded to the nearest µs and kept in 1..=10^15. Used for Poisson
    /// arrivals and latencies.
    ///
    /// The draw is rand_distr's ziggurat `Exp1`: one 64-bit draw, a table
    /// look-up and a multiplication for about 99 % of gaps, where inverting the
    /// CDF costs a logarithm for every gap (twice the time, and the users'
    /// DNS lookups draw ~4 million gaps a run). Its tables and arithmetic are
    /// plain IEEE-754, the same natively and in wasm; only the rare wedge and
    /// tail cases call `exp`/`ln`, whose platform versions could differ in
    /// the last bit, which changes a gap only if it falls within ~10⁻¹⁶ of a
    /// rejection boundary or of a half microsecond (the wasm digest test
    /// checks that runs agree).
    #[inline]
    pub fn exp_micros(&mut self, mean_us: u64) -> u64 {
        let x: f64 = self.inner.sample(Exp1);
        // Conversions go through i64 (every value here is below 2⁶³, where
        // both give the same numbers): baseline x86-64 converts signed
        // integers in one instruction and unsigned ones in a branchy dozen.
        let mean = mean_us.min(i64::MAX as u64) as i64 as f64;
        let g = (x * mean).clamp(1.0, 1e15);
        // Rounded half up (g is positive): what `f64::round` gives, without
        // the call to the platform's `round` it compiles to on baseline x86-64.
        let whole = g as i64;
        whole as u64 + u64::from(g - whole as f64 >= 0.5)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_reproducible_and_independent() {
        let mut a1 = SimRng::stream(7, "client", 3);
        let mut a2 = SimRng::stream(7, "client", 3);
        let mut b = SimRng::stream(7, "client", 4);
        let xs: Vec<u64> = (0..8).map(|_| a1.next_u64()).collect();
        let ys: Vec<u64> = (0..8).map(|_| a2.next_u64()).collect();
        let zs: Vec<u64> = (0..8).map(|_| b.next_u64()).collect();
        assert_eq!(xs, ys);
        assert_ne!(xs, zs);
    }

    #[test]
    fn known_first_draw_pins_the_algorithm() {
        // If this changes, every recorded digest (native and wasm) changes too.
        let mut r = SimRng::stream(1, "pin", 0);
        let first = r.next_u64();
        let mut again = SimRng::stream(1, "pin", 0);
        assert_eq!(first, again.next_u64());
        assert_ne!(first, 0);
    }

    #[test]
    fn ranges_stay_in_bounds() {
        let mut r = SimRng::stream(9, "bounds", 0);
        for _ in 0..10_000 {
            let v = r.range_inclusive(240, 360);
            assert!((240..=360).contains(&v));
            assert!(r.below(5) < 5);
        }
        assert_eq!(r.range_inclusive(5, 5), 5);
        assert_eq!(r.below(0), 0);
    }

    #[test]
    fn exponential_gaps_have_roughly_the_requested_mean() {
        let mut r = SimRng::stream(3, "exp", 0);
        let n = 20_000u64;
        let sum: u64 = (0..n).map(|_| r.exp_micros(10_000)).sum();
        let mean = sum / n;
        assert!((9_500..10_500).contains(&mean), "mean {mean}");
    }

    /// The gap is the ziggurat's `Exp1` times the mean, rounded half away
    /// from zero and kept in 1..=10^15 µs, for small and huge means alike.
    #[test]
    fn exponential_gaps_round_like_f64_round() {
        for (seed, mean) in [(1, 1), (2, 3), (3, 250), (4, 10_000), (5, 10u64.pow(14))] {
            let mut r = SimRng::stream(seed, "round", 0);
            let mut reference = SimRng::stream(seed, "round", 0);
            for _ in 0..5_000 {
                let x: f64 = reference.inner.sample(Exp1);
                let want = (x * mean as f64).round().clamp(1.0, 1e15) as u64;
                assert_eq!(r.exp_micros(mean), want, "mean {mean}");
            }
        }
    }

    /// The gaps follow the exponential law, tail included: the share above
    /// k·mean is e^-k (within sampling error) for k = ln 2, 1, 3 and 6.
    #[test]
    fn exponential_gaps_have_the_exponential_tail() {
        let mut r = SimRng::stream(11, "tail", 0);
        let mean = 1_000_000u64;
        let n = 200_000;
        let gaps: Vec<u64> = (0..n).map(|_| r.exp_micros(mean)).collect();
        for k in [std::f64::consts::LN_2, 1.0, 3.0, 6.0] {
            let above = gaps.iter().filter(|g| **g as f64 > k * mean as f64).count();
            let share = above as f64 / n as f64;
            let want = (-k).exp();
            // Four standard errors of a binomial share.
            let tol = 4.0 * (want * (1.0 - want) / n as f64).sqrt();
            assert!((share - want).abs() < tol, "k {k}: {share} vs {want}");
        }
    }
}
