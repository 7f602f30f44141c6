//! The figure a sweep draws in each cell: one value (the same as the
//! figure of `run --json`), a per-second sparkline of it, and the cell's
//! outcome.
//!
//! The outcome does not depend on the figure drawn: a cell is an
//! **outage** when the users' error rate passed [`OUTAGE_ERROR_RATE`] in
//! some 10-second window (`error_rate_peak` of `run --json`), the post's
//! own sign of the incident ("error rate above 1 % during rollouts").
//! Judging every figure by the users' view keeps the boundary the same
//! whichever figure is drawn; the threshold is the post's, not fitted to
//! any cell.

use crate::sim::metrics::Global;
use crate::sim::summary::Summary;
use crate::sim::Sim;

/// Error rate (fraction, worst 10 s) above which a cell is an outage.
pub const OUTAGE_ERROR_RATE: f64 = 0.01;

/// The most points of a cell's sparkline.
pub const SPARK_POINTS: usize = 120;

/// A figure a sweep can draw.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Metric {
    /// Packets the VPC dropped for the conntrack allowance, all nodes.
    ConntrackAllowanceExceeded,
    /// The users' error rate, worst 10 s.
    ErrorRatePeak,
    /// Queries node-local-dns refused at max_concurrent, all nodes.
    NodelocaldnsRejects,
    /// SYNs dropped by rp_filter (martian source), all nodes.
    MartianDrops,
}

impl Metric {
    /// Every metric, in the order help lists them.
    pub const ALL: [Metric; 4] = [
        Metric::ConntrackAllowanceExceeded,
        Metric::ErrorRatePeak,
        Metric::NodelocaldnsRejects,
        Metric::MartianDrops,
    ];

    /// The name: the figure's key in `run --json`.
    pub fn name(self) -> &'static str {
        match self {
            Metric::ConntrackAllowanceExceeded => "conntrack_allowance_exceeded",
            Metric::ErrorRatePeak => "error_rate_peak",
            Metric::NodelocaldnsRejects => "nodelocaldns_rejects",
            Metric::MartianDrops => "martian_drops",
        }
    }

    /// What the value is, in a few words (with its unit).
    pub fn label(self) -> &'static str {
        match self {
            Metric::ConntrackAllowanceExceeded => "packets dropped for the VPC conntrack allowance",
            Metric::ErrorRatePeak => "users' error rate, worst 10 s (fraction)",
            Metric::NodelocaldnsRejects => "DNS queries node-local-dns rejected at max_concurrent",
            Metric::MartianDrops => "SYNs dropped by rp_filter (martian source)",
        }
    }

    /// The metric of `name`, or a message listing them.
    pub fn parse(name: &str) -> Result<Metric, String> {
        Metric::ALL
            .into_iter()
            .find(|m| m.name() == name.trim())
            .ok_or_else(|| {
                let names: Vec<&str> = Metric::ALL.iter().map(|m| m.name()).collect();
                format!(
                    "unknown metric {} (one of: {})",
                    crate::scenario::quoted(name),
                    names.join(", ")
                )
            })
    }

    /// The value, from the run's summary.
    pub fn value(self, s: &Summary) -> f64 {
        match self {
            Metric::ConntrackAllowanceExceeded => s.conntrack_allowance_exceeded,
            Metric::ErrorRatePeak => s.error_rate_peak,
            Metric::NodelocaldnsRejects => s.nodelocaldns_rejects,
            Metric::MartianDrops => s.martian_drops,
        }
    }

    /// The figure per second over the run, in at most [`SPARK_POINTS`]
    /// buckets: counts as the mean per second within a bucket, the error
    /// rate as the bucket's errors over its requests.
    pub fn sparkline(self, sim: &Sim) -> Vec<f64> {
        let m = &sim.metrics;
        let count = |g: Global| buckets(m.global(g).len(), |r| mean(&m.global(g)[r]));
        match self {
            Metric::ConntrackAllowanceExceeded => count(Global::ConntrackAllowanceExceeded),
            Metric::NodelocaldnsRejects => count(Global::NldRejects),
            Metric::MartianDrops => count(Global::MartianDrops),
            Metric::ErrorRatePeak => {
                let (req, err) = (m.global(Global::Requests), m.global(Global::RequestErrors));
                buckets(req.len().min(err.len()), |r| {
                    let n: f64 = req[r.clone()].iter().sum();
                    if n > 0.0 {
                        err[r].iter().sum::<f64>() / n
                    } else {
                        0.0
                    }
                })
            }
        }
    }
}

fn mean(v: &[f64]) -> f64 {
    if v.is_empty() {
        0.0
    } else {
        v.iter().sum::<f64>() / v.len() as f64
    }
}

/// `f` over `len` seconds cut into at most [`SPARK_POINTS`] runs of
/// consecutive seconds, as even as integers allow.
fn buckets(len: usize, f: impl Fn(std::ops::Range<usize>) -> f64) -> Vec<f64> {
    let n = len.min(SPARK_POINTS);
    (0..n).map(|i| f(i * len / n..(i + 1) * len / n)).collect()
}

/// Whether a run is an outage (see the module's doc).
pub fn is_outage(s: &Summary) -> bool {
    s.error_rate_peak > OUTAGE_ERROR_RATE
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_and_unknown_ones_are_listed() {
        for m in Metric::ALL {
            assert_eq!(Metric::parse(m.name()), Ok(m));
        }
        let e = Metric::parse("dns").unwrap_err();
        assert!(e.contains("\"dns\"") && e.contains("martian_drops"), "{e}");
    }

    #[test]
    fn buckets_cover_every_second_once() {
        let v: Vec<f64> = (0..900).map(f64::from).collect();
        let b = buckets(v.len(), |r| v[r].iter().sum());
        assert_eq!(b.len(), 120);
        assert_eq!(b.iter().sum::<f64>(), v.iter().sum::<f64>());
        let short = buckets(50, |r| r.len() as f64);
        assert_eq!(short, vec![1.0; 50]);
    }
}
