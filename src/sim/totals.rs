//! The run's totals: counts of what happened to the clients' SYNs and
//! attempts, which the summary reports. Apart from `engine/` so that a
//! model can count through its narrow context ([`super::ctx::Ctx`]) without
//! the world's module; `engine` re-exports both types under their old path.

/// Totals the summary needs.
#[derive(Clone, Debug, Default)]
pub struct Totals {
    /// Client SYNs sent.
    pub syn_sent: u64,
    /// SYNs that reached a node (after the VPC).
    pub syn_reached_node: u64,
    /// SYNs dropped by the VPC allowance.
    pub syn_vpc_dropped: u64,
    /// SYNs dropped by rp_filter.
    pub martian_drops: u64,
    /// SYNs answered with SYN-ACK.
    pub syn_acked: u64,
    /// SYNs answered with RST.
    pub syn_rst: u64,
    /// SYNs answered with ICMP.
    pub syn_icmp: u64,
    /// SYNs to an unreachable route whose ICMP was rate-limited.
    pub syn_icmp_limited: u64,
    /// SYNs dropped by the ENI source/destination check.
    pub syn_src_dst: u64,
    /// SYNs dropped by a full Linux conntrack.
    pub syn_linux_ct_dropped: u64,
    /// SYNs dropped as other martians.
    pub syn_other: u64,
    /// ICMP errors sent.
    pub icmp_sent: u64,
    /// Connection attempts.
    pub attempts: u64,
    /// Time from an attempt the pod refused (RST) to the subchannel's next.
    pub gap_refused: MeanAcc,
    /// Time from an attempt whose SYN reached the node and got no answer
    /// (rp_filter, the source/destination check, a rate-limited ICMP) to
    /// the next.
    pub gap_silent: MeanAcc,
    /// Time from an attempt whose SYN the VPC dropped (allowance exceeded)
    /// to the next.
    pub gap_vpc_dropped: MeanAcc,
}

/// A running mean.
#[derive(Clone, Copy, Debug, Default)]
pub struct MeanAcc {
    /// Sum of values (µs).
    pub sum: u64,
    /// Count.
    pub n: u64,
}

impl MeanAcc {
    /// Adds a value.
    pub fn add(&mut self, v: u64) {
        self.sum += v;
        self.n += 1;
    }

    /// The mean, in ms (0 if empty).
    pub fn mean_ms(&self) -> f64 {
        if self.n == 0 {
            0.0
        } else {
            self.sum as f64 / self.n as f64 / 1_000.0
        }
    }
}
