//! Every parameter: key, unit, allowed range, default and where the default
//! comes from (a facts.md section, the post, or an assumption and why).
//!
//! Ranges also bound memory and time: the engine's state grows with
//! clients × replicas (subchannels), nodes × data-store names (caches) and
//! simulated seconds (series), so each of those has a ceiling.

use super::quoted;
use crate::sim::params::{CorednsVersion, ExternalDnsMode, GrpcSemantics, LbPolicy, Params};

/// The type and range of a parameter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// An integer in `min..=max`.
    Int {
        /// Minimum.
        min: i64,
        /// Maximum.
        max: i64,
    },
    /// `true`/`false`.
    Bool,
    /// One of these words.
    Enum(&'static [&'static str]),
}

/// One parameter's description.
#[derive(Clone, Copy)]
pub struct ParamSpec {
    /// Key used on the command line and in URLs.
    pub key: &'static str,
    /// Group shown on the page.
    pub group: &'static str,
    /// Short label.
    pub label: &'static str,
    /// Unit.
    pub unit: &'static str,
    /// Type and range.
    pub kind: Kind,
    /// Where the default comes from.
    pub source: &'static str,
    /// Reads the value as text.
    pub get: fn(&Params) -> String,
    /// Writes a value already checked against `kind`.
    pub set: fn(&mut Params, &str),
}

impl ParamSpec {
    /// The allowed range as text.
    pub fn range_text(&self) -> String {
        match self.kind {
            Kind::Int { min, max } => format!("{min}..={max}"),
            Kind::Bool => "true|false".into(),
            Kind::Enum(opts) => opts.join("|"),
        }
    }

    /// A value as a reader reads it: the integer fixed-point parameters in
    /// their real units (`1600` ×1000 reads "1.6×", a jitter of `200` reads
    /// "±20 %", `1000` per 1000 s reads "1 per s"), others with their unit.
    pub fn display(&self, value: &str) -> String {
        let milli = value.trim().parse::<f64>().ok().map(|v| v / 1_000.0);
        let num = |x: f64| {
            let t = format!("{x:.3}");
            t.trim_end_matches('0').trim_end_matches('.').to_string()
        };
        match (self.unit, milli) {
            ("x1000", Some(x)) if self.key.contains("jitter") => format!("±{} %", num(x * 100.0)),
            ("x1000", Some(x)) => format!("{}×", num(x)),
            ("per 1000 s", Some(x)) => format!("{} per s", num(x)),
            ("", _) => value.to_string(),
            (unit, _) => format!("{value} {unit}"),
        }
    }

    /// Checks `value` against the kind; returns the canonical text.
    pub fn check(&self, value: &str) -> Result<String, String> {
        let v = value.trim();
        match self.kind {
            Kind::Int { min, max } => {
                let n: i64 = v.replace('_', "").parse().map_err(|_| {
                    format!(
                        "{}: {} is not an integer (allowed {min}..={max} {})",
                        self.key,
                        quoted(value),
                        self.unit
                    )
                })?;
                if n < min || n > max {
                    return Err(format!(
                        "{}: {n} is out of range (allowed {min}..={max} {})",
                        self.key, self.unit
                    ));
                }
                Ok(n.to_string())
            }
            Kind::Bool => match v {
                "true" | "1" | "on" | "yes" => Ok("true".into()),
                "false" | "0" | "off" | "no" => Ok("false".into()),
                _ => Err(format!(
                    "{}: {} is not a boolean (allowed true|false)",
                    self.key,
                    quoted(value)
                )),
            },
            Kind::Enum(opts) => {
                if opts.contains(&v) {
                    Ok(v.to_string())
                } else if let Some((_, canonical)) = ALIASES
                    .iter()
                    .find(|(key, alias, _)| *key == self.key && *alias == v)
                    .map(|(_, a, c)| (a, c))
                {
                    // An older name, kept so that existing links work.
                    Ok(canonical.to_string())
                } else {
                    Err(format!(
                        "{}: {} is not one of {}",
                        self.key,
                        quoted(value),
                        opts.join("|")
                    ))
                }
            }
        }
    }
}

/// Older names of enum values, still accepted (`--set`, URLs, JSON):
/// (key, old name, current name).
pub const ALIASES: &[(&str, &str, &str)] = &[
    ("grpc_semantics", "go-1.41", "idle-on-disconnect"),
    ("grpc_semantics", "go-1.40", "reconnect-on-disconnect"),
    ("grpc_semantics", "spec", "deadline-paced"),
];

fn int(v: &str) -> u64 {
    v.parse::<i64>().unwrap_or(0).max(0) as u64
}

macro_rules! p_int {
    ($key:literal, $group:literal, $label:literal, $unit:literal, $min:expr, $max:expr, $field:ident, $src:literal) => {
        ParamSpec {
            key: $key,
            group: $group,
            label: $label,
            unit: $unit,
            kind: Kind::Int {
                min: $min,
                max: $max,
            },
            source: $src,
            get: |p| p.$field.to_string(),
            set: |p, v| p.$field = int(v) as _,
        }
    };
}

macro_rules! p_bool {
    ($key:literal, $group:literal, $label:literal, $field:ident, $src:literal) => {
        ParamSpec {
            key: $key,
            group: $group,
            label: $label,
            unit: "",
            kind: Kind::Bool,
            source: $src,
            get: |p| p.$field.to_string(),
            set: |p, v| p.$field = v == "true",
        }
    };
}

/// The kernel versions the model knows how to differ on.
pub const KERNELS: &[&str] = &["5.4", "5.10", "5.15", "6.1", "6.6", "6.12", "6.18"];

/// Every parameter, grouped by layer, in display order.
pub const PARAMS: &[ParamSpec] = &[
    // ----- run -----
    p_int!("duration_s", "run", "Simulated time", "s", 60, 3_600, duration_s, "assumption: the post's charts span 15 minutes (14:00-14:15)"),
    p_int!("rollout_start_s", "run", "Rollout starts at", "s", 0, 3_000, rollout_start_s, "assumption: 2 minutes of steady state first"),
    p_bool!("rollout", "run", "Roll out", rollout, "the post: errors correlated with rollouts"),
    ParamSpec {
        key: "kernel",
        group: "kernel",
        label: "Kernel version",
        unit: "",
        kind: Kind::Enum(KERNELS),
        source: "facts.md §1.0/§1.8: incident era 5.10; 6.13+ report rp_filter failures as EINVAL",
        get: |p| p.kernel.clone(),
        set: |p, v| p.kernel = v.to_string(),
    },
    // ----- rollout -----
    p_int!("replicas", "rollout", "Replicas", "pods", 1, 200, replicas, "assumption: the post gives none; 48 replicas, 6 per node"),
    p_int!("service_nodes", "rollout", "Service nodes", "nodes", 1, 64, service_nodes, "assumption: the post gives none"),
    p_int!("max_surge_pct", "rollout", "maxSurge", "%", 0, 100, max_surge_pct, "Kubernetes Deployment default 25%"),
    p_int!("max_unavailable_pct", "rollout", "maxUnavailable", "%", 0, 100, max_unavailable_pct, "Kubernetes Deployment default 25%"),
    p_int!("graceful_timeout_s", "rollout", "GracefulStop timeout", "s", 0, 300, graceful_timeout_s, "the post: GracefulStop then a 10-second timeout"),
    p_int!("pod_startup_s", "rollout", "Pod startup", "s", 1, 600, pod_startup_s, "assumption: creation to Ready in ~30 s"),
    // ----- kernel -----
    p_int!("rp_filter_all", "kernel", "rp_filter (all)", "", 0, 2, rp_filter_all, "facts.md §1.3: Cilium sets conf.all.rp_filter=0"),
    p_int!("rp_filter_ens6", "kernel", "rp_filter (ens6)", "", 0, 2, rp_filter_ens6, "the post: loose mode (2) on the hosts"),
    p_bool!("ens6_address", "kernel", "IPv4 address on ens6", ens6_address, "the post's test: ip addr add 192.168.1.1/32 dev ens6"),
    p_bool!("log_martians", "kernel", "log_martians", log_martians, "the post saw martian lines in the kernel log"),
    p_bool!("cilium_unreachable_route", "kernel", "Cilium unreachable route", cilium_unreachable_route, "facts.md §4.1: PR #18505, off by default"),
    p_int!("nf_conntrack_max", "kernel", "nf_conntrack_max", "entries", 1_000, 4_194_304, nf_conntrack_max, "facts.md §6: 262144 on 5.10 hosts with > 4 GiB"),
    // ----- aws -----
    p_int!("conntrack_allowance", "aws", "Conntrack allowance", "entries", 1_000, 10_000_000, conntrack_allowance, "assumption: AWS publishes no per-type figure; 136,812 is the conntrack_allowance_available in AWS's own example output (facts.md §5.1)"),
    p_int!("vpc_syn_timeout_s", "aws", "Unanswered SYN timeout", "s", 1, 3_600, vpc_syn_timeout_s, "the post: unacknowledged requests are removed after 60 s (AWS documents no figure, facts.md §5.2)"),
    p_int!("vpc_closed_timeout_s", "aws", "Closed entry linger", "s", 0, 600, vpc_closed_timeout_s, "assumption: AWS documents no figure for closed TCP flows"),
    p_int!("vpc_udp_timeout_s", "aws", "UDP timeout", "s", 1, 600, vpc_udp_timeout_s, "facts.md §5.2: UDP default 30 s"),
    p_int!("vpc_sweep_ms", "aws", "Timed-out entries reclaimed every", "ms", 0, 120_000, vpc_sweep_ms, "assumption: AWS documents no aging interval; 0 = continuously"),
    p_bool!("icmp_closes_vpc_entry", "aws", "ICMP error closes the SYN's entry", icmp_closes_vpc_entry, "assumption: undocumented; off (the entry waits for its timeout)"),
    p_bool!("src_dst_check", "aws", "ENI source/destination check", src_dst_check, "AWS default: on"),
    p_int!("network_latency_us", "aws", "One-way latency", "us", 10, 100_000, network_latency_us, "assumption: same-region VPC, ~0.25 ms"),
    // ----- grpc -----
    p_int!("clients", "grpc", "Clients", "processes", 1, 3_000, clients, "the post: ~900 clients"),
    p_int!("clients_per_pod", "grpc", "Clients per pod", "containers", 1, 100, clients_per_pod, "the post: each pod runs 15 client containers"),
    p_int!("client_nodes", "grpc", "Client nodes (DNS caches)", "nodes", 1, 1_000, client_nodes, "assumption"),
    p_bool!("channel_per_backend", "grpc", "One channel per backend", channel_per_backend, "the post: the application creates one channel per backend"),
    ParamSpec {
        key: "lb_policy",
        group: "grpc",
        label: "Load balancing",
        unit: "",
        kind: Kind::Enum(&["round_robin", "pick_first"]),
        source: "the post: round_robin since August 2021, pick_first before",
        get: |p| match p.lb_policy {
            LbPolicy::RoundRobin => "round_robin".into(),
            LbPolicy::PickFirst => "pick_first".into(),
        },
        set: |p, v| p.lb_policy = if v == "pick_first" { LbPolicy::PickFirst } else { LbPolicy::RoundRobin },
    },
    ParamSpec {
        key: "grpc_semantics",
        group: "grpc",
        label: "Reconnect semantics",
        unit: "",
        kind: Kind::Enum(&["idle-on-disconnect", "reconnect-on-disconnect", "deadline-paced"]),
        source: "facts.md §2.2-2.3, §2.5: idle-on-disconnect: grpc-go ≥1.41 and grpc-java (pick_first waits for an RPC, round_robin reconnects); reconnect-on-disconnect: grpc-go ≤1.40 (both policies); deadline-paced: the spec's pacing with C-core's jitter (first delay jittered too). Aliases: go-1.41, go-1.40, spec",
        get: |p| match p.grpc_semantics {
            GrpcSemantics::IdleOnDisconnect => "idle-on-disconnect".into(),
            GrpcSemantics::ReconnectOnDisconnect => "reconnect-on-disconnect".into(),
            GrpcSemantics::DeadlinePaced => "deadline-paced".into(),
        },
        set: |p, v| {
            p.grpc_semantics = match v {
                "reconnect-on-disconnect" => GrpcSemantics::ReconnectOnDisconnect,
                "deadline-paced" => GrpcSemantics::DeadlinePaced,
                _ => GrpcSemantics::IdleOnDisconnect,
            }
        },
    },
    p_int!("base_delay_ms", "grpc", "Backoff base delay", "ms", 1, 600_000, base_delay_ms, "the post: clients retried about every 300 ms (custom setting); default 1000"),
    p_int!("multiplier_milli", "grpc", "Backoff multiplier", "x1000", 1_000, 10_000, multiplier_milli, "facts.md §2.1: 1.6"),
    p_int!("jitter_milli", "grpc", "Backoff jitter", "x1000", 0, 1_000, jitter_milli, "facts.md §2.1: 0.2"),
    p_int!("max_delay_ms", "grpc", "Backoff max delay", "ms", 1, 600_000, max_delay_ms, "the post: ~300 ms (custom); default 120000"),
    p_int!("min_connect_timeout_ms", "grpc", "Min connect timeout", "ms", 0, 600_000, min_connect_timeout_ms, "facts.md §2.2: WithConnectParams leaves it 0 unless set; default 20000"),
    p_int!("min_time_between_resolutions_s", "grpc", "Min time between resolutions", "s", 0, 600, min_time_between_resolutions_s, "facts.md §2.4-2.5: 30 s"),
    p_int!("client_rpcs_per_s_milli", "grpc", "RPCs per client", "per 1000 s", 1, 100_000, client_rpcs_per_s_milli, "assumption: one RPC per second per client"),
    // ----- dns -----
    ParamSpec {
        key: "external_dns_mode",
        group: "dns",
        label: "external-dns deregisters",
        unit: "",
        kind: Kind::Enum(&["after-deletion", "on-termination"]),
        source: "the post / facts.md §7: the old version waited for the pod's deletion",
        get: |p| match p.external_dns_mode {
            ExternalDnsMode::AfterDeletion => "after-deletion".into(),
            ExternalDnsMode::OnTermination => "on-termination".into(),
        },
        set: |p, v| {
            p.external_dns_mode = if v == "on-termination" { ExternalDnsMode::OnTermination } else { ExternalDnsMode::AfterDeletion }
        },
    },
    p_int!("external_dns_interval_s", "dns", "external-dns sync", "s", 1, 600, external_dns_interval_s, "the post: 15 s"),
    p_int!("dns_ttl_s", "dns", "Record TTL", "s", 0, 3_600, dns_ttl_s, "the post: 15 s"),
    p_int!("route53_propagation_max_s", "dns", "Route 53 propagation (max)", "s", 0, 600, route53_propagation_max_s, "AWS Route 53 docs: changes generally propagate to all name servers within 60 seconds (drawn uniformly up to this)"),
    // ----- node-local-dns -----
    ParamSpec {
        key: "coredns",
        group: "nodelocaldns",
        label: "CoreDNS version",
        unit: "",
        kind: Kind::Enum(&["1.7", "1.8"]),
        source: "facts.md §3.1: node-cache 1.21 vendors CoreDNS 1.7.0 (SERVFAIL at the limit)",
        get: |p| match p.coredns {
            CorednsVersion::V1_7 => "1.7".into(),
            CorednsVersion::V1_8 => "1.8".into(),
        },
        set: |p, v| p.coredns = if v == "1.8" { CorednsVersion::V1_8 } else { CorednsVersion::V1_7 },
    },
    p_int!("nld_max_concurrent", "nodelocaldns", "max_concurrent", "queries", 1, 100_000, nld_max_concurrent, "the post: 1,000"),
    p_int!("nld_memory_mb", "nodelocaldns", "Memory limit", "MB", 16, 8_192, nld_memory_mb, "the post: 64 MB at first (OOM-killed), then 256 MB, which stopped the OOMs but not the DNS errors; the investigation's measurements were taken at 256 MB"),
    p_int!("nld_timeout_ms", "nodelocaldns", "forward deadline", "ms", 100, 60_000, nld_timeout_ms, "facts.md §3.2: 5 s"),
    p_int!("nld_expire_s", "nodelocaldns", "Connection expiry", "s", 1, 3_600, nld_expire_s, "facts.md §3.2: 10 s"),
    p_int!("nld_dial_timeout_ms", "nodelocaldns", "Dial timeout", "ms", 10, 30_000, nld_dial_timeout_ms, "facts.md §3.2: adaptive, 1 s minimum"),
    p_int!("nld_max_fails", "nodelocaldns", "max_fails", "", 0, 100, nld_max_fails, "facts.md §3.2: 2"),
    p_int!("nld_health_interval_ms", "nodelocaldns", "Health-check interval", "ms", 100, 60_000, nld_health_interval_ms, "facts.md §3.2: 0.5 s"),
    p_int!("upstream_latency_us", "nodelocaldns", "Cluster DNS response time", "us", 10, 5_000_000, upstream_latency_us, "assumption: data-store names are forwarded upstream by cluster DNS, ~8 ms"),
    p_int!("upstream_max_tcp_queries", "nodelocaldns", "Queries per upstream TCP connection", "queries", 0, 100_000, upstream_max_tcp_queries, "miekg/dns default MaxTCPQueries 128, which CoreDNS used until 1.10.1 (PR #5784 made it unlimited); 0 = unlimited"),
    // ----- service -----
    p_int!("dns_qps_per_node", "service", "DNS queries per node", "qps", 0, 20_000, dns_qps_per_node, "the post: about 400 queries per second normally"),
    p_int!("datastore_names", "service", "Data-store names", "names", 1, 100_000, datastore_names, "assumption: enough distinct names that misses reach ~200 qps, as the post's reasoning implies"),
    p_int!("datastore_ttl_s", "service", "Data-store record TTL", "s", 1, 3_600, datastore_ttl_s, "assumption: 30 s (node-local-dns caps at 30 s)"),
    p_int!("resolver_attempts", "service", "Resolver attempts", "", 1, 10, resolver_attempts, "glibc/Go resolv.conf default attempts:2"),
    p_int!("request_retries", "service", "Client request retries", "", 0, 10, request_retries, "the post: clients retry failed queries; assumption: twice"),
    p_int!("datastore_latency_ms", "service", "Data-store query time", "ms", 1, 10_000, datastore_latency_ms, "assumption: ~20 ms"),
    p_int!("response_kb", "service", "Response size per request", "KB", 1, 10_000, response_kb, "assumption: the post gives none; ~20 KB sent per user request (a data-store read and its answer); the throughput chart is requests x this, nothing else"),
    // ----- trace -----
    p_int!("trace_every_nth_client", "trace", "Trace every Nth client", "", 1, 10_000, trace_every_nth_client, "display sampling"),
    p_int!("trace_per_second_cap", "trace", "Trace cap per second", "packets", 0, 100_000, trace_per_second_cap, "display sampling"),
];

/// The spec of `key`.
pub fn spec(key: &str) -> Option<&'static ParamSpec> {
    PARAMS.iter().find(|p| p.key == key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_read_in_their_real_units() {
        let d = |k: &str, v: &str| spec(k).expect(k).display(v);
        assert_eq!(d("multiplier_milli", "1600"), "1.6×");
        assert_eq!(d("multiplier_milli", "1000"), "1×");
        assert_eq!(d("jitter_milli", "200"), "±20 %");
        assert_eq!(d("jitter_milli", "0"), "±0 %");
        assert_eq!(d("client_rpcs_per_s_milli", "1000"), "1 per s");
        assert_eq!(d("client_rpcs_per_s_milli", "100"), "0.1 per s");
        assert_eq!(d("max_delay_ms", "300"), "300 ms");
    }

    #[test]
    fn every_param_round_trips_its_default() {
        let d = Params::default();
        for s in PARAMS {
            let v = (s.get)(&d);
            assert_eq!(s.check(&v).as_deref(), Ok(v.as_str()), "{}", s.key);
            let mut p = Params::default();
            (s.set)(&mut p, &v);
            assert_eq!(p, d, "{} does not round-trip", s.key);
        }
    }

    #[test]
    fn keys_are_unique() {
        let mut keys: Vec<&str> = PARAMS.iter().map(|p| p.key).collect();
        keys.sort_unstable();
        let n = keys.len();
        keys.dedup();
        assert_eq!(keys.len(), n);
    }

    #[test]
    fn range_errors_name_key_and_range() {
        let e = spec("base_delay_ms").unwrap().check("0").unwrap_err();
        assert!(
            e.contains("base_delay_ms") && e.contains("1..=600000"),
            "{e}"
        );
        let e = spec("lb_policy").unwrap().check("random").unwrap_err();
        assert!(e.contains("round_robin|pick_first"), "{e}");
    }
}
