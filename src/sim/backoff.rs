//! gRPC connection backoff, in the shapes the model distinguishes.
//!
//! - grpc-go `internal/backoff.Exponential.Backoff(retries)` (v1.40.0
//!   L54–73, facts.md §2.2): retry 0 returns `BaseDelay` with **no jitter**;
//!   later retries multiply `BaseDelay` by `Multiplier` per retry while below
//!   `MaxDelay`, clamp to `MaxDelay`, then apply `±Jitter`. The dial deadline
//!   is `max(MinConnectTimeout, backoff)` and after a failure the addrConn
//!   sleeps the full backoff (clientconn.go L1150–1192).
//! - The spec's `ConnectWithBackoff` (grpc/grpc doc/connection-backoff.md,
//!   facts.md §2.1): the first deadline is `INITIAL_BACKOFF` after the start,
//!   each connect gets `max(deadline, now + MIN_CONNECT_TIMEOUT)`, a failure
//!   sleeps until the deadline, and the next backoff is
//!   `min(backoff × MULTIPLIER, MAX_BACKOFF)` with jitter. The model's
//!   deadline-paced mode stands for C-core, whose `BackOff` also jitters the
//!   first delay ([`BackoffConfig::ccore_backoff`]).
//!
//! Durations are integer microseconds; jitter is drawn as an integer in
//! `[b·(1−j), b·(1+j)]`, so native and wasm runs draw the same delays.

use super::rng::SimRng;

/// Backoff configuration (grpc-go `backoff.Config` + `MinConnectTimeout`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BackoffConfig {
    /// `BaseDelay` / `INITIAL_BACKOFF`, µs.
    pub base_us: u64,
    /// `Multiplier`, thousandths.
    pub multiplier_milli: u64,
    /// `Jitter`, thousandths.
    pub jitter_milli: u64,
    /// `MaxDelay` / `MAX_BACKOFF`, µs.
    pub max_us: u64,
    /// `MinConnectTimeout` / `MIN_CONNECT_TIMEOUT`, µs.
    pub min_connect_us: u64,
}

impl BackoffConfig {
    /// grpc-go's `DefaultConfig` with the 20 s minimum connect timeout
    /// (`backoff.go` L47–52, `clientconn.go` L56) — also the spec's values.
    pub const DEFAULT: BackoffConfig = BackoffConfig {
        base_us: 1_000_000,
        multiplier_milli: 1_600,
        jitter_milli: 200,
        max_us: 120_000_000,
        min_connect_us: 20_000_000,
    };

    fn jittered(&self, b: u64, rng: &mut SimRng) -> u64 {
        let spread = b.saturating_mul(self.jitter_milli) / 1_000;
        // Never zero (possible at 100 % jitter): time must advance.
        rng.range_inclusive(b.saturating_sub(spread), b.saturating_add(spread))
            .max(1)
    }

    /// grpc-go `Exponential.Backoff(retries)`.
    pub fn go_backoff(&self, retries: u32, rng: &mut SimRng) -> u64 {
        if retries == 0 {
            return self.base_us;
        }
        let mut b = self.base_us;
        let mut r = retries;
        while b < self.max_us && r > 0 {
            b = b.saturating_mul(self.multiplier_milli) / 1_000;
            r -= 1;
        }
        b = b.min(self.max_us);
        self.jittered(b, rng)
    }

    /// The shortest backoff [`BackoffConfig::go_backoff`] can give, if the
    /// multiplier never shrinks it (`None` otherwise): the base (or the
    /// maximum, if smaller) less the whole jitter.
    pub fn go_min_backoff(&self) -> Option<u64> {
        if self.multiplier_milli < 1_000 {
            return None;
        }
        let b = self.base_us.min(self.max_us);
        Some(b.saturating_sub(b.saturating_mul(self.jitter_milli) / 1_000))
    }

    /// grpc-go's dial deadline for an attempt whose backoff is `backoff_us`.
    pub fn go_dial_timeout(&self, backoff_us: u64) -> u64 {
        self.min_connect_us.max(backoff_us)
    }

    /// C-core's delay before attempt `retries` (`BackOff::NextAttemptDelay`,
    /// src/core/util/backoff.cc): it grows the un-jittered backoff
    /// (`INITIAL_BACKOFF` times the multiplier per retry, capped) and jitters
    /// every delay it hands out, the first included (the spec's pseudo-code
    /// leaves the first unjittered; grpc-go's `Backoff(0)` too). Growing from
    /// the previous jittered delay instead would be a random walk that, with
    /// 100 % jitter, could fall to zero and stay there.
    pub fn ccore_backoff(&self, retries: u32, rng: &mut SimRng) -> u64 {
        if retries == 0 {
            self.jittered(self.base_us.min(self.max_us), rng)
        } else {
            self.go_backoff(retries, rng)
        }
    }

    /// The spec's next backoff after `current_us`, with jitter.
    pub fn spec_next(&self, current_us: u64, rng: &mut SimRng) -> u64 {
        let b = (current_us.saturating_mul(self.multiplier_milli) / 1_000).min(self.max_us);
        self.jittered(b, rng)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn default_go_schedule_grows_by_1_6() {
        let c = BackoffConfig::DEFAULT;
        let mut rng = SimRng::stream(1, "b", 0);
        assert_eq!(c.go_backoff(0, &mut rng), 1_000_000);
        // Retry 3 is 1 s × 1.6³ = 4.096 s ± 20 %.
        let b3 = c.go_backoff(3, &mut rng);
        assert!((3_276_800..=4_915_200).contains(&b3), "{b3}");
        // Far retries sit at the 120 s cap ± 20 %.
        let b30 = c.go_backoff(30, &mut rng);
        assert!((96_000_000..=144_000_000).contains(&b30), "{b30}");
    }

    /// C-core jitters the first delay too (backoff.cc, `NextAttemptDelay`:
    /// the jitter factor is drawn on every call, the initial one included).
    #[test]
    fn ccore_jitters_the_first_delay() {
        let c = BackoffConfig::DEFAULT;
        let mut rng = SimRng::stream(1, "b", 3);
        let firsts: Vec<u64> = (0..64).map(|_| c.ccore_backoff(0, &mut rng)).collect();
        assert!(firsts.iter().all(|b| (800_000..=1_200_000).contains(b)));
        assert!(firsts.iter().any(|b| *b != 1_000_000), "{firsts:?}");
        let second = c.ccore_backoff(1, &mut rng);
        assert!((1_280_000..=1_920_000).contains(&second), "{second}");
    }

    #[test]
    fn aggressive_config_reconnects_every_300ms() {
        let c = BackoffConfig {
            base_us: 300_000,
            max_us: 300_000,
            min_connect_us: 0,
            ..BackoffConfig::DEFAULT
        };
        let mut rng = SimRng::stream(1, "b", 0);
        assert_eq!(c.go_backoff(0, &mut rng), 300_000);
        for r in 1..50 {
            let b = c.go_backoff(r, &mut rng);
            assert!((240_000..=360_000).contains(&b));
            assert_eq!(
                c.go_dial_timeout(b),
                b,
                "MinConnectTimeout 0 leaves the backoff as deadline"
            );
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]
        /// Every delay lies in [(1−J)·b, (1+J)·b] with b ≤ MaxDelay, and the
        /// first delay is the base delay exactly.
        #[test]
        fn go_backoff_within_bounds(base in 1u64..5_000_000, extra in 0u64..200_000_000,
                                    mult in 1_000u64..3_000, jit in 0u64..1_000,
                                    retries in 0u32..40, seed in any::<u64>()) {
            let c = BackoffConfig { base_us: base, multiplier_milli: mult, jitter_milli: jit,
                                    max_us: base + extra, min_connect_us: 0 };
            let mut rng = SimRng::stream(seed, "p", 0);
            let b = c.go_backoff(retries, &mut rng);
            if retries == 0 {
                prop_assert_eq!(b, base);
            } else {
                let cap = c.max_us;
                prop_assert!(b <= cap + cap * jit / 1_000);
                prop_assert!(b >= base.min(cap) - base.min(cap) * jit / 1_000);
            }
        }

        /// No backoff is shorter than `go_min_backoff` (what decides whether
        /// a reconnect may be folded into its SYN's arrival).
        #[test]
        fn go_backoff_never_below_its_minimum(base in 1u64..5_000_000, max in 1u64..200_000_000,
                                              mult in 1_000u64..10_000, jit in 0u64..1_000,
                                              retries in 0u32..40, seed in any::<u64>()) {
            let c = BackoffConfig { base_us: base, multiplier_milli: mult, jitter_milli: jit,
                                    max_us: max, min_connect_us: 0 };
            let mut rng = SimRng::stream(seed, "p", 2);
            let min = c.go_min_backoff().expect("multiplier >= 1");
            prop_assert!(c.go_backoff(retries, &mut rng) >= min);
        }

        #[test]
        fn spec_backoff_never_exceeds_max_with_jitter(cur in 1u64..200_000_000, seed in any::<u64>()) {
            let c = BackoffConfig::DEFAULT;
            let mut rng = SimRng::stream(seed, "p", 1);
            let n = c.spec_next(cur, &mut rng);
            prop_assert!(n <= c.max_us + c.max_us / 5);
        }
    }
}
