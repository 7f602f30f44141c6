//! Seeded, portable randomness: one root seed per run, one stream per component.
//!
//! The generator is PCG's 128-bit multiplicative congruential generator with the
//! XSL RR output (O'Neill 2014, "PCG: A Family of Simple Fast Space-Efficient
//! Statistically Good Algorithms"), the algorithm `rand_pcg::Pcg64Mcg` names: a
//! named algorithm whose output is the same on x86_64 and wasm32 (unlike rand's
//! small, fast generator, which is a different algorithm on 32-bit targets). Each
//! component (a client, the rollout, a DNS server...) derives its own stream from
//! the root seed and a stable label, so adding a component never shifts the draws
//! of the others (the smoltcp netsim `seed_a_to_b` idea). Ranges are drawn from
//! integers; floats never decide order.
//!
//! Why the generator and the range draw are written out here rather than taken
//! from `rand_pcg` and `rand`'s `random_range`: both multiply in `u128`, and wasm
//! has no 64 × 64 → 128-bit multiply, so every draw called compiler-builtins'
//! `__multi3` (7 % of the whole run's time in Node 20's V8 profile). Here the
//! 128-bit product is built from 64-bit halves (`mul_hi`), which stays inline:
//! the run in Chromium took 5–8 % less time (docs/performance.md). The tests
//! check both against the crates draw for draw, so every trace is unchanged.

use rand::rand_core::impls;
use rand::Rng;
use rand::RngCore;
use rand_distr::Exp1;

/// The MCG's multiplier (PCG's 128-bit default, as in `rand_pcg`).
const MULTIPLIER: u128 = 0x2360_ED05_1FC6_5DA4_4385_DF64_9FCC_F645;

/// One step of the MCG: `state · MULTIPLIER mod 2^128`.
#[cfg(not(target_arch = "wasm32"))]
#[inline(always)]
fn next_state(state: u128) -> u128 {
    state.wrapping_mul(MULTIPLIER)
}

/// One step of the MCG on wasm, where `u128` multiplication is a call.
#[cfg(target_arch = "wasm32")]
#[inline(always)]
fn next_state(state: u128) -> u128 {
    next_state_by_halves(state)
}

/// One step of the MCG from 64-bit halves: the low half's full product with
/// the multiplier's low half, plus the two cross products' low halves.
#[cfg_attr(not(any(test, target_arch = "wasm32")), allow(dead_code))]
#[inline(always)]
fn next_state_by_halves(state: u128) -> u128 {
    let (lo, hi) = (state as u64, (state >> 64) as u64);
    let (m_lo, m_hi) = (MULTIPLIER as u64, (MULTIPLIER >> 64) as u64);
    let high = mul_hi_by_halves(lo, m_lo)
        .wrapping_add(lo.wrapping_mul(m_hi))
        .wrapping_add(hi.wrapping_mul(m_lo));
    u128::from(high) << 64 | u128::from(lo.wrapping_mul(m_lo))
}

/// The high 64 bits of the 128-bit product `a · b`.
#[cfg(not(target_arch = "wasm32"))]
#[inline(always)]
fn mul_hi(a: u64, b: u64) -> u64 {
    ((u128::from(a) * u128::from(b)) >> 64) as u64
}

/// The high 64 bits of the 128-bit product `a · b`, from 32 × 32-bit products:
/// wasm's widest multiply is 64 × 64 → 64. Every range the model draws from is
/// below 2^32, where two products suffice; LLVM folds the four-product form
/// back into a `u128` multiply when `b` is not a constant (and so into the
/// `__multi3` call this avoids), the two-product form it leaves alone.
#[cfg(target_arch = "wasm32")]
#[inline(always)]
fn mul_hi(a: u64, b: u64) -> u64 {
    if b >> 32 == 0 {
        mul_hi_small(a, b)
    } else {
        mul_hi_by_halves(a, b)
    }
}

/// `mul_hi` for `b` below 2^32: `a · b = a₁·b·2^32 + a₀·b`, and
/// `a₁·b + ⌊a₀·b / 2^32⌋` still fits in 64 bits.
#[cfg_attr(not(any(test, target_arch = "wasm32")), allow(dead_code))]
#[inline(always)]
fn mul_hi_small(a: u64, b: u64) -> u64 {
    debug_assert!(b >> 32 == 0);
    ((a >> 32) * b + (((a & 0xffff_ffff) * b) >> 32)) >> 32
}

/// `mul_hi` for any `b`: the schoolbook product of the 32-bit halves.
#[cfg_attr(not(any(test, target_arch = "wasm32")), allow(dead_code))]
#[inline(always)]
fn mul_hi_by_halves(a: u64, b: u64) -> u64 {
    const LOW: u64 = 0xffff_ffff;
    let (a0, a1) = (a & LOW, a >> 32);
    let (b0, b1) = (b & LOW, b >> 32);
    let (p00, p01, p10, p11) = (a0 * b0, a0 * b1, a1 * b0, a1 * b1);
    // Each term is below 2^32, so the sum of three fits in 64 bits.
    let middle = (p00 >> 32) + (p01 & LOW) + (p10 & LOW);
    p11 + (p01 >> 32) + (p10 >> 32) + (middle >> 32)
}

/// PCG's MCG with XSL RR output.
#[derive(Clone, Debug)]
struct Mcg128Xsl64 {
    state: u128,
}

impl Mcg128Xsl64 {
    fn new(state: u128) -> Mcg128Xsl64 {
        // The low bit is forced to 1, as in the C version and rand_pcg.
        Mcg128Xsl64 { state: state | 1 }
    }
}

impl RngCore for Mcg128Xsl64 {
    #[inline]
    fn next_u32(&mut self) -> u32 {
        self.next_u64() as u32
    }

    /// One step, then XSL RR: the state's halves xored, rotated right by its
    /// top six bits.
    #[inline]
    fn next_u64(&mut self) -> u64 {
        self.state = next_state(self.state);
        let (lo, hi) = (self.state as u64, (self.state >> 64) as u64);
        (hi ^ lo).rotate_right((hi >> 58) as u32)
    }

    fn fill_bytes(&mut self, dest: &mut [u8]) {
        impls::fill_bytes_via_next(self, dest)
    }
}

/// A deterministic random stream.
#[derive(Clone, Debug)]
pub struct SimRng {
    inner: Mcg128Xsl64,
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
            inner: Mcg128Xsl64::new(seed),
        }
    }

    /// A raw 64-bit draw.
    pub fn next_u64(&mut self) -> u64 {
        self.inner.next_u64()
    }

    /// Uniform integer in `lo..=hi` (returns `lo` if the range is empty).
    ///
    /// rand 0.9's `random_range` for `u64`, reproduced: Canon's method, one
    /// draw multiplied by the range's size, and a second draw only when the
    /// first lands where it could be biased (below 2^-64 bias).
    pub fn range_inclusive(&mut self, lo: u64, hi: u64) -> u64 {
        if hi <= lo {
            return lo;
        }
        let size = (hi - lo).wrapping_add(1);
        if size == 0 {
            return self.inner.next_u64();
        }
        let x = self.inner.next_u64();
        let (mut result, low_order) = (mul_hi(x, size), x.wrapping_mul(size));
        if low_order > size.wrapping_neg() {
            let next_high = mul_hi(self.inner.next_u64(), size);
            result += u64::from(low_order.checked_add(next_high).is_none());
        }
        lo.wrapping_add(result)
    }

    /// Uniform integer in `0..n` (0 if `n` is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.range_inclusive(0, n - 1)
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
    use rand_pcg::Pcg64Mcg;

    /// The generator written out here is rand_pcg's `Pcg64Mcg`, draw for draw.
    #[test]
    fn the_generator_is_pcg64_mcg() {
        for seed in [
            1u128,
            3,
            u128::MAX,
            0x2360_ED05_1FC6_5DA4_4385_DF64_9FCC_F645,
            1 << 127,
        ] {
            let mut ours = Mcg128Xsl64::new(seed);
            let mut theirs = Pcg64Mcg::new(seed | 1);
            for _ in 0..100_000 {
                assert_eq!(ours.next_u64(), theirs.next_u64(), "seed {seed:#x}");
            }
        }
    }

    /// rand_pcg's generator in the same state as `r`'s.
    fn twin(r: &SimRng) -> Pcg64Mcg {
        Pcg64Mcg::new(r.inner.state)
    }

    /// The range draw is rand's `random_range` for `u64`, draw for draw,
    /// for small, odd, power-of-two and nearly full ranges.
    #[test]
    fn ranges_are_rands_random_range() {
        let sizes = [
            1u64,
            2,
            3,
            7,
            1 << 20,
            1_000_000,
            (1 << 63) + 1,
            u64::MAX - 1,
            u64::MAX,
        ];
        for (i, size) in sizes.into_iter().enumerate() {
            let mut ours = SimRng::stream(5, "range", i as u64);
            let mut theirs = twin(&ours);
            for _ in 0..20_000 {
                let lo = 17u64.min(u64::MAX - size);
                assert_eq!(
                    ours.range_inclusive(lo, lo + (size - 1)),
                    theirs.random_range(lo..=lo + (size - 1))
                );
                assert_eq!(ours.below(size), theirs.random_range(0..size));
            }
        }
        let mut ours = SimRng::stream(6, "full", 0);
        let mut theirs = twin(&ours);
        for _ in 0..1_000 {
            assert_eq!(
                ours.range_inclusive(0, u64::MAX),
                theirs.random_range(0..=u64::MAX)
            );
        }
    }

    /// The step from 64-bit halves (wasm's) equals the `u128` one (native).
    #[test]
    fn the_step_by_halves_is_exact() {
        let mut r = Pcg64Mcg::new(7);
        for _ in 0..100_000 {
            let state = u128::from(r.next_u64()) << 64 | u128::from(r.next_u64());
            assert_eq!(next_state_by_halves(state), state.wrapping_mul(MULTIPLIER));
        }
    }

    /// The products from 32-bit halves (wasm's) equal the `u128` one (native).
    #[test]
    fn the_high_half_by_halves_is_exact() {
        let want = |a: u64, b: u64| ((u128::from(a) * u128::from(b)) >> 64) as u64;
        let edges = [0u64, 1, 0xffff_ffff, 1 << 32, u64::MAX - 1, u64::MAX];
        for a in edges {
            for b in edges {
                assert_eq!(mul_hi_by_halves(a, b), want(a, b));
            }
            for b in [0u64, 1, 3, 0xffff_fffe, 0xffff_ffff] {
                assert_eq!(mul_hi_small(a, b), want(a, b));
            }
        }
        let mut r = Pcg64Mcg::new(99);
        for _ in 0..1_000_000 {
            let (a, b) = (r.next_u64(), r.next_u64());
            assert_eq!(mul_hi_by_halves(a, b), want(a, b));
            assert_eq!(mul_hi_small(a, b >> 32), want(a, b >> 32));
        }
    }

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
