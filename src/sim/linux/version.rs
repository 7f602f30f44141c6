//! Kernel versions the model distinguishes, and what changes between them.
//!
//! The incident ran on 5.10-era kernels (facts.md §1.0: 5.10.89 and 5.15.24 are
//! byte-identical over `fib_frontend.c` L300–460). Newer kernels differ in what
//! userspace sees, not in the decision itself:
//! - from 6.13, `fib_validate_source()` returns drop reasons and `__mkroute_input`
//!   turns a reverse-path failure into `-EINVAL` before the martian handling, so
//!   `ip route get … iif ens6` prints `Invalid argument` instead of
//!   `Invalid cross-device link` (facts.md §1.8; observed on this project's 6.18
//!   test machine in a network namespace);
//! - the client's SYN retransmission schedule: 5.x doubles the RTO from 1 s
//!   (1, 3, 7, 15, 31, 63 s; facts.md §1.7); 6.5+ has
//!   `net.ipv4.tcp_syn_linear_timeouts` (default 4): 1, 2, 3, 4, 5, 7, 11, … s;
//! - 5.14 stopped installing `broadcast <network address>` routes;
//! - 6.12 charges the global ICMP budget after the per-peer check.

use std::fmt;
use std::str::FromStr;

/// A `major.minor` kernel version.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct KernelVersion {
    /// Major number.
    pub major: u16,
    /// Minor number.
    pub minor: u16,
}

impl KernelVersion {
    /// The incident's era (the default of the lab and the engine).
    pub const V5_10: KernelVersion = KernelVersion {
        major: 5,
        minor: 10,
    };
    /// The first release with `fib_validate_source()` drop reasons.
    pub const V6_13: KernelVersion = KernelVersion {
        major: 6,
        minor: 13,
    };
    /// The first release with `tcp_syn_linear_timeouts` (commit ccce324dabfe).
    pub const V6_5: KernelVersion = KernelVersion { major: 6, minor: 5 };
    /// The kernel of this project's test machines.
    pub const V6_18: KernelVersion = KernelVersion {
        major: 6,
        minor: 18,
    };

    /// Whether `__mkroute_input` reports reverse-path failures as `-EINVAL`
    /// with `SKB_DROP_REASON_IP_RPFILTER` (6.13+) rather than `-EXDEV`.
    pub fn has_drop_reasons(self) -> bool {
        self >= Self::V6_13
    }

    /// Whether `ip addr del` of a missing address carries the extack
    /// `ipv4: Address not found`, and `ip addr add` of an existing one
    /// `ipv4: Address already assigned` (both seen on 6.18, both in 6.12's
    /// devinet.c, added together in 6.3), rather than the bare
    /// `EADDRNOTAVAIL` / `EEXIST` of 5.10 (whose devinet.c has neither text).
    pub fn has_addr_not_found_extack(self) -> bool {
        self >= KernelVersion { major: 6, minor: 3 }
    }

    /// Whether `fib_add_ifaddr` still installs `broadcast <network address>`
    /// for a prefix shorter than /31: removed in 5.14 by commit 94c821c74bf5
    /// ("ip: Treat IPv4 segment's lowest address as unicast"), not backported.
    pub fn adds_network_broadcast(self) -> bool {
        self < KernelVersion {
            major: 5,
            minor: 14,
        }
    }

    /// The client kernel's SYN retransmission times, in ms after the first SYN,
    /// for `tcp_syn_retries` = 6 (the default).
    ///
    /// 5.x: the RTO starts at `TCP_TIMEOUT_INIT` (1 s) and doubles
    /// (`tcp_timer.c`), so SYNs leave at 0, 1, 3, 7, 15, 31, 63 s and
    /// `connect()` gives up at 127 s. 6.5+: `tcp_syn_linear_timeouts` = 4 keeps
    /// the RTO at 1 s for the first five intervals and raises the give-up count
    /// to `syn_retries + linear_timeouts`: 1, 2, 3, 4, 5, 7, 11, 19, 35, 67 s
    /// (measured on 6.18: SYNs at +1.01 … +68.2 s).
    pub fn syn_retransmit_offsets_ms(self) -> Vec<u64> {
        let linear: u32 = if self >= Self::V6_5 { 4 } else { 0 };
        let retries = 6 + linear;
        let mut rto = 1_000u64;
        let mut t = 0u64;
        let mut out = Vec::with_capacity(retries as usize);
        for i in 0..retries {
            t += rto;
            out.push(t);
            if i >= linear {
                rto = (rto * 2).min(120_000);
            }
        }
        out
    }

    /// When `connect()` gives up with `ETIMEDOUT`, in ms after the first SYN.
    pub fn syn_give_up_ms(self) -> u64 {
        let offs = self.syn_retransmit_offsets_ms();
        let last = *offs.last().unwrap_or(&0);
        let prev = if offs.len() >= 2 {
            offs[offs.len() - 2]
        } else {
            0
        };
        last + 2 * (last - prev)
    }

    /// The nexthop scope `__fib_validate_source` compares with to return 1
    /// (`RTCF_DIRECTSRC`, the redirect hint): `RT_SCOPE_LINK` in 5.10.262,
    /// `RT_SCOPE_HOST` in 6.12. It never decides acceptance.
    pub fn direct_src_scope_is_host(self) -> bool {
        self.major >= 6
    }

    /// Whether `icmp_send` charges the host-wide ICMP budget only after the
    /// per-peer check passed (6.12+: "icmp: change the order of rate limits")
    /// rather than before it (5.10).
    pub fn icmp_global_after_peer(self) -> bool {
        self >= KernelVersion {
            major: 6,
            minor: 12,
        }
    }
}

impl fmt::Display for KernelVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

impl FromStr for KernelVersion {
    type Err = String;
    /// Accepts `5.10`, `5.10.89`, `6.18.44-fc-v782` (as `uname -r` prints).
    fn from_str(s: &str) -> Result<Self, String> {
        let bad =
            || format!("invalid kernel version {s:?} (expected MAJOR.MINOR, e.g. 5.10 or 6.18)");
        let mut it = s.split(['.', '-']);
        let major: u16 = it.next().and_then(|m| m.parse().ok()).ok_or_else(bad)?;
        let minor: u16 = it.next().and_then(|m| m.parse().ok()).ok_or_else(bad)?;
        if !(3..=7).contains(&major) {
            return Err(bad());
        }
        Ok(KernelVersion { major, minor })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_uname_style_versions() {
        assert_eq!(
            "6.18.44-fc-v782".parse::<KernelVersion>().unwrap(),
            KernelVersion::V6_18
        );
        assert_eq!(
            "5.10".parse::<KernelVersion>().unwrap(),
            KernelVersion::V5_10
        );
        assert!("banana".parse::<KernelVersion>().is_err());
        assert!("5".parse::<KernelVersion>().is_err());
    }

    #[test]
    fn classic_syn_schedule_doubles_from_one_second() {
        assert_eq!(
            KernelVersion::V5_10.syn_retransmit_offsets_ms(),
            vec![1_000, 3_000, 7_000, 15_000, 31_000, 63_000]
        );
    }

    #[test]
    fn linear_syn_timeouts_on_new_kernels() {
        assert_eq!(
            KernelVersion::V6_18.syn_retransmit_offsets_ms(),
            vec![1_000, 2_000, 3_000, 4_000, 5_000, 7_000, 11_000, 19_000, 35_000, 67_000]
        );
        assert_eq!(KernelVersion::V6_18.syn_give_up_ms(), 131_000);
        assert_eq!(KernelVersion::V5_10.syn_give_up_ms(), 127_000);
    }
}
