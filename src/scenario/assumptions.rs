//! The assumptions the incident's outcome rests on, as data: for each, the
//! parameter, the ends of its plausible range with the reasoning, where
//! the default comes from, and which calibration rows
//! ([`super::calibration::Row::id`]) and charts ([`crate::viz::charts::CHART_IDS`])
//! depend on it. `incident-sim sensitivity` reruns the calibration with each
//! at both ends ([`super::sensitivity`]); the page can show them as a panel.
//!
//! Only quantities the post and the cited sources leave open are here; a
//! value the post or a source gives (the 300 ms backoff, the 60 s SYN
//! timeout, node-local-dns's limits) is an input, not an assumption.

use super::catalog;

/// One assumption.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Assumption {
    /// The parameter's key (see [`catalog::PARAMS`]).
    pub key: &'static str,
    /// The low end of the plausible range (a value of the parameter).
    pub low: &'static str,
    /// The high end.
    pub high: &'static str,
    /// Why those ends are plausible.
    pub reasoning: &'static str,
    /// Where the default comes from.
    pub source: &'static str,
    /// Calibration rows whose verdict may hinge on it.
    pub rows: &'static [&'static str],
    /// Charts whose shape depends on it.
    pub charts: &'static [&'static str],
}

impl Assumption {
    /// The model's default value, as text.
    pub fn default_value(&self) -> String {
        let spec = catalog::spec(self.key).expect("assumptions name parameters");
        (spec.get)(&crate::sim::params::Params::default())
    }
}

/// Every assumption, most consequential first.
pub const ASSUMPTIONS: &[Assumption] = &[
    Assumption {
        key: "vpc_sweep_ms",
        low: "0",
        high: "5000",
        reasoning: "AWS documents neither how nor how often the hypervisor's flow table reclaims timed-out entries; continuous aging (0) and batches of a few seconds are both plausible for a table of this size",
        source: "assumption: reclamation every 1 s",
        rows: &["nld-healthchecks", "nld-rejects", "dns-peak", "error-rate", "p99-up", "larger-instance-errors", "oom-64mb"],
        charts: &["error-rate", "latency", "nodelocaldns-rejects", "dns-queries", "nodelocaldns-healthcheck-failures", "conntrack-allowance-exceeded"],
    },
    Assumption {
        key: "replicas",
        low: "24",
        high: "96",
        reasoning: "the post gives no replica count; 900 clients in pods of 15 reaching a service of a few dozen pods; half and twice the model's 48 (3 and 12 per node)",
        source: "assumption: 48 replicas, 6 per node",
        rows: &["peak-syn-rate", "syns-one-old-ip", "vpc-saturates", "larger-instance-drops", "larger-instance-errors", "error-rate", "nld-rejects", "linux-conntrack-peak"],
        charts: &["syn-rate", "vpc-conntrack", "conntrack-allowance-exceeded", "linux-conntrack", "flowlog-old-ip"],
    },
    Assumption {
        key: "conntrack_allowance",
        low: "68406",
        high: "273624",
        reasoning: "AWS publishes no allowance per instance type; 136,812 is the conntrack_allowance_available of AWS's own example output; half and twice that (larger-instance doubles whichever is assumed)",
        source: "facts.md §5.1: AWS's example output",
        rows: &["vpc-saturates", "larger-instance-drops", "larger-instance-errors", "error-rate", "nld-rejects", "nld-healthchecks"],
        charts: &["vpc-conntrack", "conntrack-allowance-exceeded", "error-rate"],
    },
    Assumption {
        key: "client_rpcs_per_s_milli",
        low: "100",
        high: "10000",
        reasoning: "the application's RPC rate per client is not in the post; it decides how soon an idle pick_first channel reconnects; one RPC every 10 s to ten a second",
        source: "assumption: one RPC per second per client",
        rows: &["pick-first-syns"],
        charts: &["syn-rate"],
    },
    Assumption {
        key: "vpc_closed_timeout_s",
        low: "0",
        high: "60",
        reasoning: "AWS documents no linger for closed TCP flows; from none to as long as an unanswered SYN's 60 s",
        source: "assumption: 5 s",
        rows: &["vpc-saturates", "larger-instance-drops", "error-rate", "nld-rejects"],
        charts: &["vpc-conntrack", "conntrack-allowance-exceeded"],
    },
    Assumption {
        key: "nld_dial_timeout_ms",
        low: "1000",
        high: "4000",
        reasoning: "CoreDNS's forward sets its dial timeout to twice the moving average of its dial times, never below 1 s; dials that keep failing raise it, which the model does not follow (it holds the 1 s floor); above 1 s the kernel's SYN retransmissions (1 s, 3 s) go out within the dial",
        source: "facts.md §3.2: adaptive, 1 s minimum",
        rows: &["nld-rejects", "nld-healthchecks", "dns-peak", "error-rate", "oom-64mb"],
        charts: &["tcp-retransmits", "nodelocaldns-rejects", "error-rate", "dns-queries"],
    },
    Assumption {
        key: "request_retries",
        low: "0",
        high: "4",
        reasoning: "the post says clients retry failed queries but not how often; none to four",
        source: "assumption: twice",
        rows: &["dns-peak", "error-rate"],
        charts: &["dns-queries", "error-rate"],
    },
];

/// The assumption on `key`, if it is one.
pub fn assumption(key: &str) -> Option<&'static Assumption> {
    ASSUMPTIONS.iter().find(|a| a.key == key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_assumption_names_a_parameter_valid_values_rows_and_charts() {
        let rows: Vec<&str> = super::super::calibration::ROW_IDS.to_vec();
        for a in ASSUMPTIONS {
            let spec = catalog::spec(a.key).expect(a.key);
            assert!(spec.check(a.low).is_ok(), "{}: low {}", a.key, a.low);
            assert!(spec.check(a.high).is_ok(), "{}: high {}", a.key, a.high);
            assert_ne!(a.low, a.high);
            assert!(!a.reasoning.is_empty() && !a.source.is_empty());
            for r in a.rows {
                assert!(rows.contains(r), "{}: unknown row {r}", a.key);
            }
            for c in a.charts {
                assert!(
                    crate::viz::charts::CHART_IDS.contains(c),
                    "{}: unknown chart {c}",
                    a.key
                );
            }
        }
    }
}
