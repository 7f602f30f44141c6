//! What a run will cost, known before it starts: an estimate of the
//! engine's events and the users' DNS lookups, the native wall time they
//! take, and the parameters that drive them. The command line refuses runs
//! estimated over [`LONG_RUN_S`] unless asked (`--allow-long`), and stops a
//! run whose events pass [`Cost::event_budget`]; the page warns with the
//! same figures.
//!
//! The estimate follows the model's own arithmetic, roughly:
//!
//! - **the storm**: every replaced pod leaves `clients` subchannels
//!   (round robin; pick-first: `clients / replicas`) attempting to connect,
//!   refused while the pod terminates (`graceful_timeout_s`) and unanswered
//!   after it is deleted until the clients have resolved the name again.
//!   How long that takes follows external-dns, Route 53, the record's TTL
//!   and the clients' re-resolution interval; how often they attempt
//!   follows grpc-go's backoff (`base_delay_ms`, `multiplier_milli`,
//!   `max_delay_ms`) and dial deadline (`min_connect_timeout_ms`), and each
//!   unanswered attempt's SYN is retransmitted by the kernel within the
//!   deadline;
//! - **the users' DNS**: `dns_qps_per_node × service_nodes × duration_s`
//!   lookups, each about as costly as an event while few queries wait on
//!   cluster DNS; with many in flight (`upstream_latency_us` long,
//!   `nld_max_concurrent` high) each costs more: every 4,000 queries in
//!   flight on a node add an event's cost (measured: 20,000 qps a node at
//!   5 s upstream latency, 100,000 in flight, ran 26 times slower a lookup);
//! - **the clock**: 101 events per simulated second (the DNS tick every
//!   10 ms and the per-second bookkeeping).
//!
//! Checked against measured counts for every preset and for extreme
//! settings (tests below and in `tests/budget.rs`): the estimate of events
//! is within a factor of [`ESTIMATE_FACTOR`] of the real count.

use crate::sim::params::{GrpcSemantics, LbPolicy, Params};

/// Work (events plus lookups) a native release build does per second: the
/// slower end of what `bench` measured on the machine of 2026-11-27 (8–18
/// million a second, slowest with 400,000 subchannels).
pub const WORK_PER_S: f64 = 8.0e6;

/// Runs estimated to take longer than this (native seconds) are refused by
/// the command line unless `--allow-long` is given.
pub const LONG_RUN_S: f64 = 60.0;

/// The estimate of events is within this factor of the real count (either
/// way) for every preset and the extreme settings tested.
pub const ESTIMATE_FACTOR: f64 = 3.0;

/// What a run will cost.
#[derive(Clone, Debug, PartialEq)]
pub struct Cost {
    /// Engine events, estimated.
    pub events: u64,
    /// The users' DNS lookups (no events of their own, but work).
    pub lookups: u64,
    /// A ceiling on events whatever happens: every subchannel attempting
    /// as fast as its shortest backoff allows from the rollout to the end,
    /// and node-local-dns retrying every lookup each dial timeout until its
    /// deadline (cluster DNS unreachable). Far above the estimate for the
    /// presets; the budget when the estimate's multiple is lower.
    pub events_max: u64,
    /// Estimated native wall time of a release build, seconds.
    pub wall_s: f64,
    /// The parameters that drive the cost, most costly part first, as
    /// `key=value`.
    pub drivers: Vec<String>,
}

impl Cost {
    /// The most events the run may take: [`ESTIMATE_FACTOR`] times the
    /// estimate, plus room for short runs. A run past it means the
    /// estimate was wrong; the command line stops it.
    pub fn event_budget(&self) -> u64 {
        ((self.events as f64 * ESTIMATE_FACTOR) as u64 + 5_000_000).max(self.events_max)
    }

    /// True if the command line should ask for `--allow-long`.
    pub fn is_long(&self) -> bool {
        self.wall_s > LONG_RUN_S
    }

    /// One line: the estimate and what drives it.
    pub fn describe(&self) -> String {
        format!(
            "estimated {} ({} events, {} DNS lookups), driven by {}",
            duration_text(self.wall_s),
            approx(self.events),
            approx(self.lookups),
            self.drivers.join(", ")
        )
    }
}

/// A duration as a person says it: "40 s", "12 min", "3.5 h".
pub fn duration_text(s: f64) -> String {
    if s < 1.0 {
        "under a second".into()
    } else if s < 120.0 {
        format!("{s:.0} s")
    } else if s < 7_200.0 {
        format!("{:.0} min", s / 60.0)
    } else {
        format!("{:.1} h", s / 3_600.0)
    }
}

/// A large count, rounded: "4.9 million", "1.2 billion", "90,000".
fn approx(n: u64) -> String {
    let x = n as f64;
    if x >= 1e9 {
        format!("{:.1} billion", x / 1e9)
    } else if x >= 1e6 {
        format!("{:.1} million", x / 1e6)
    } else if x >= 1e3 {
        format!("{:.0},000", (x / 1e3).floor())
    } else {
        n.to_string()
    }
}

/// The cost of a run of `p` (valid parameters).
pub fn estimate(p: &Params) -> Cost {
    let d = Params::default();
    let duration = p.duration_s as f64;

    // The clock.
    let clock = duration * 101.0 + duration / p.external_dns_interval_s.max(1) as f64;

    // The users' DNS, and what a lookup costs with queries waiting upstream.
    let lookups = f64::from(p.dns_qps_per_node) * f64::from(p.service_nodes) * duration;
    let in_flight = (f64::from(p.dns_qps_per_node) * p.upstream_latency_us as f64 / 1e6)
        .min(f64::from(p.nld_max_concurrent));
    let lookup_work = lookups * (1.0 + in_flight / 4_000.0);
    let retries_per_lookup = f64::from(p.resolver_attempts.max(1))
        * f64::from(p.request_retries + 1)
        * ((p.nld_timeout_ms as f64 / p.nld_dial_timeout_ms.max(1) as f64).ceil() + 1.0);
    let dns_retries_max = lookups * retries_per_lookup;
    let events_max = clock + dns_retries_max + storm_ceiling(p) + 1_000.0 * f64::from(p.replicas);

    // The storm, and node-local-dns's redials.
    let storm = storm(p);
    let redials = dns_redials(p);

    let events = clock + storm + redials;
    let wall_s = (events + lookup_work) / WORK_PER_S;

    // Who drives it: the parts over a fifth of the work, biggest first; of
    // each, the keys set away from the incident's values (or, if none, the
    // part's main keys).
    let storm_keys: &[&str] = &[
        "clients",
        "replicas",
        "lb_policy",
        "base_delay_ms",
        "max_delay_ms",
        "multiplier_milli",
        "min_connect_timeout_ms",
        "grpc_semantics",
        "graceful_timeout_s",
        "dns_ttl_s",
        "min_time_between_resolutions_s",
        "external_dns_interval_s",
        "route53_propagation_max_s",
        "duration_s",
    ];
    let mut parts: Vec<(f64, &[&str], &[&str])> = vec![
        (storm, storm_keys, &["clients", "replicas", "max_delay_ms"]),
        (
            lookup_work,
            &[
                "dns_qps_per_node",
                "service_nodes",
                "upstream_latency_us",
                "nld_max_concurrent",
                "duration_s",
            ],
            &["dns_qps_per_node", "service_nodes", "duration_s"],
        ),
        (
            redials,
            &[
                "nf_conntrack_max",
                "conntrack_allowance",
                "clients",
                "replicas",
                "service_nodes",
                "dns_qps_per_node",
                "nld_dial_timeout_ms",
                "nld_timeout_ms",
                "nld_max_concurrent",
            ],
            &[
                "nld_dial_timeout_ms",
                "nf_conntrack_max",
                "conntrack_allowance",
            ],
        ),
        (clock, &["duration_s"], &["duration_s"]),
    ];
    parts.sort_by(|a, b| b.0.total_cmp(&a.0));
    let total = (events + lookup_work).max(1.0);
    let mut drivers: Vec<String> = Vec::new();
    for (i, (w, keys, main)) in parts.iter().enumerate() {
        if i > 0 && *w < total / 5.0 {
            continue;
        }
        let changed: Vec<&str> = keys
            .iter()
            .copied()
            .filter(|k| value(p, k) != value(&d, k))
            .collect();
        let shown = if changed.is_empty() {
            main.to_vec()
        } else {
            changed
        };
        for k in shown {
            let kv = format!("{k}={}", value(p, k));
            if !drivers.contains(&kv) {
                drivers.push(kv);
            }
        }
    }
    Cost {
        events: events as u64,
        lookups: lookups as u64,
        events_max: events_max.min(u64::MAX as f64) as u64,
        wall_s,
        drivers,
    }
}

/// A parameter's value as text (the catalog's reading).
fn value(p: &Params, key: &str) -> String {
    super::catalog::spec(key).map_or_else(String::new, |s| (s.get)(p))
}

/// Events of the reconnect storm.
fn storm(p: &Params) -> f64 {
    if !p.rollout || p.rollout_start_s >= p.duration_s {
        return 0.0;
    }
    let clients = f64::from(p.clients);
    let replicas = f64::from(p.replicas.max(1));
    // One pick_first channel holds one subchannel; otherwise every client
    // has one to every pod.
    let subs_per_pod = if p.one_pick_first_channel() {
        (clients / replicas).ceil()
    } else {
        clients
    };
    // How long a replaced pod's address is attempted: refused while it
    // terminates, then unanswered until the clients resolve again (the
    // halves are the mean of uniform delays; the record's TTL and the
    // clients' re-resolution interval wait in full, the larger of them).
    let refused = p.graceful_timeout_s as f64;
    let resolve = p.external_dns_interval_s as f64 / 2.0
        + p.route53_propagation_max_s as f64 / 2.0
        + (p.dns_ttl_s.max(p.min_time_between_resolutions_s)) as f64;
    let silent = (resolve - refused).max(1.0);
    // Not past the end of the run. The first old pods go at the rollout's
    // start when maxUnavailable (rounded down) allows any, else once new
    // ones are up (the Deployment controller's arithmetic, `deployment_sync`).
    let unavailable = p.replicas * p.max_unavailable_pct / 100;
    let wait = if unavailable > 0 {
        0.0
    } else {
        p.pod_startup_s as f64
    };
    let room = (p.duration_s - p.rollout_start_s) as f64 - wait;
    let room = room.max(0.0);
    let refused = refused.min(room);
    let silent = silent.min(room - refused);
    let (attempts, syns_per) = attempts(p, refused, silent);
    let subs = subs_per_pod * replicas;
    let syns = subs * syns_per;
    // Events per SYN: about one when a timed-out attempt's backoff folds
    // into the next SYN's arrival (grpc-go 1.41, round robin), else a few.
    // An idle pick_first channel's reconnect adds the RPC's event.
    let folds =
        p.grpc_semantics == GrpcSemantics::IdleOnDisconnect && p.lb_policy == LbPolicy::RoundRobin;
    let per_attempt = if folds {
        0.1
    } else if rpc_wait(p) > 0.0 {
        2.2
    } else {
        1.2
    };
    syns * 1.1 + subs * attempts * per_attempt
}

/// The most events the storm can take: every subchannel (old and new
/// pods') attempting from the rollout's start to the end at the rate of
/// the shortest jittered backoff, with the kernel's retransmissions.
fn storm_ceiling(p: &Params) -> f64 {
    if !p.rollout || p.rollout_start_s >= p.duration_s {
        return 0.0;
    }
    let subs = 2.0 * f64::from(p.clients) * f64::from(p.replicas);
    let room = (p.duration_s - p.rollout_start_s) as f64;
    let jitter = (p.jitter_milli as f64 / 1e3).min(1.0);
    let b = (p.base_delay_ms.min(p.max_delay_ms) as f64 / 1e3) * (1.0 - jitter);
    let dial = (p.min_connect_timeout_ms as f64 / 1e3).max(b);
    let rtt = (2.0 * p.network_latency_us as f64 / 1e6).max(1e-6);
    let retx = [1.0, 3.0, 7.0, 15.0, 31.0, 63.0, 127.0, 255.0, 511.0, 1023.0]
        .iter()
        .filter(|&&o| o < dial)
        .count() as f64;
    // Events an attempt takes (SYN, answer or deadline, backoff's end,
    // reconnect) over the shortest time it can take, refused or unanswered:
    // the backoff may run from the attempt's start (grpc-go ≥ 1.41), so an
    // attempt takes at least the backoff, and the answer or the deadline,
    // whichever comes first.
    let refused = 4.0 / b.max(rtt.min(dial)).max(1e-6);
    let unanswered = (4.0 + retx) / dial.max(1e-6);
    subs * room * refused.max(unanswered)
}

/// node-local-dns's redials on nodes that cannot open a connection to
/// cluster DNS at all: the service pods' own connections fill the node's
/// conntrack table (`nf_conntrack_max`) or its VPC allowance, so every
/// dial is dropped. Nothing then reaches the cache, every lookup is
/// forwarded, and each holds one of `max_concurrent` slots until its
/// deadline, dialling again every dial timeout (and retransmitting its SYN
/// within a dial longer than a second). A storm that fills the tables only
/// for a while is not counted here.
fn dns_redials(p: &Params) -> f64 {
    if p.dns_qps_per_node == 0 {
        return 0.0;
    }
    let nodes = f64::from(p.service_nodes.max(1));
    let subs = if p.one_pick_first_channel() {
        f64::from(p.clients)
    } else {
        f64::from(p.clients) * f64::from(p.replicas)
    };
    let limit = p.nf_conntrack_max.min(p.conntrack_allowance) as f64;
    if subs / nodes < limit {
        return 0.0;
    }
    let qps = f64::from(p.dns_qps_per_node);
    let deadline = p.nld_timeout_ms as f64 / 1e3;
    let dial = (p.nld_dial_timeout_ms as f64 / 1e3).min(deadline).max(1e-3);
    let duration = p.duration_s as f64;
    // Queries waiting pile up until the first deadlines pass or the slots
    // run out; past the memory limit (40 KB a query, `nodelocal`'s estimate)
    // the instance is OOM-killed and restarts empty 5 s later.
    let mem_cap = (f64::from(p.nld_memory_mb) - 20.0).max(0.0) * 1_024.0 / 40.0;
    let slots = f64::from(p.nld_max_concurrent);
    let fill = (slots.min(mem_cap) / qps).min(deadline);
    let query_seconds = if duration <= fill {
        qps * duration * duration / 2.0
    } else if mem_cap < slots && fill < deadline {
        // Filling and being killed, over and over.
        qps * fill * fill / 2.0 * duration / (fill + 5.0)
    } else {
        qps * fill * fill / 2.0 + qps * fill * (duration - fill)
    };
    nodes * query_seconds * (1.0 + retransmissions_within(dial)) / dial
}

/// The kernel's SYN retransmissions before a dial of `dial` seconds gives
/// up: 1, 3, 7, 15, 31 and 63 s after the first SYN.
fn retransmissions_within(dial: f64) -> f64 {
    [1.0, 3.0, 7.0, 15.0, 31.0, 63.0]
        .iter()
        .filter(|&&o| o < dial)
        .count() as f64
}

/// How long an idle pick_first channel waits for the application's next
/// RPC on it before it connects again (grpc-go ≥ 1.41 and grpc-java idle a
/// disconnected pick_first channel; `Client::next_rpc_gap` spreads a
/// client's RPCs over its channels), seconds; zero where no channel waits.
fn rpc_wait(p: &Params) -> f64 {
    if p.lb_policy != LbPolicy::PickFirst || p.grpc_semantics != GrpcSemantics::IdleOnDisconnect {
        return 0.0;
    }
    let channels = if p.one_pick_first_channel() {
        1.0
    } else {
        f64::from(p.replicas.max(1))
    };
    channels * 1e3 / p.client_rpcs_per_s_milli.max(1) as f64
}

/// Connection attempts of one subchannel over `refused` seconds of RSTs and
/// then `silent` seconds of unanswered SYNs, and SYNs sent (with the
/// kernel's retransmissions within each attempt's dial deadline).
fn attempts(p: &Params, refused: f64, silent: f64) -> (f64, f64) {
    let base = p.base_delay_ms as f64 / 1e3;
    let max = p.max_delay_ms as f64 / 1e3;
    let mult = p.multiplier_milli as f64 / 1e3;
    let min_connect = p.min_connect_timeout_ms as f64 / 1e3;
    let rtt = 2.0 * p.network_latency_us as f64 / 1e6;
    let end = refused + silent;
    let paced = p.grpc_semantics == GrpcSemantics::DeadlinePaced;
    let rpc_wait = rpc_wait(p);
    let (mut t, mut n, mut syns) = (0.0f64, 0.0f64, 0.0f64);
    // grpc-go's first backoff is the base delay (`Backoff(0)`, uncapped);
    // C-core's is the base capped by the maximum. Then it grows to the cap.
    let mut b = if paced { base.min(max) } else { base };
    let mut steps = 0u32;
    while t < end {
        let dial = min_connect.max(b);
        // Refused attempts end with the RST a round trip later, unless
        // their deadline comes first; unanswered ones at their deadline
        // (however long the round trip: no answer is coming).
        let answered = t < refused && rtt < dial;
        let ends = if answered { rtt } else { dial };
        // grpc-go backs off after the failure; C-core's next attempt starts
        // a backoff after this one started (or at the failure, if later).
        // An idle pick_first channel then waits for the application's RPC.
        let step = (if paced { ends.max(b) } else { ends + b } + rpc_wait).max(1e-6);
        let per_syns = if answered {
            1.0
        } else {
            1.0 + retransmissions_within(dial)
        };
        let next = (b * mult).min(max);
        steps += 1;
        if next == b || steps > 100_000 {
            // Steady: the rest of this phase in one go.
            let phase_end = if t >= refused { end } else { refused };
            let k = ((phase_end - t) / step).ceil().max(1.0);
            n += k;
            syns += k * per_syns;
            t = phase_end;
            continue;
        }
        t += step;
        n += 1.0;
        syns += per_syns;
        b = next;
    }
    (n, syns)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::Scenario;

    fn cost(preset: &str, set: &[(&str, &str)]) -> Cost {
        let sc = Scenario {
            set: set
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            ..Scenario::preset(preset)
        };
        estimate(&sc.params().expect("valid"))
    }

    #[test]
    fn presets_are_short_and_the_issues_settings_long() {
        for p in crate::scenario::presets::PRESETS {
            let c = cost(p.name, &[]);
            assert!(!c.is_long(), "{}: {}", p.name, c.describe());
            assert!(c.wall_s < 5.0, "{}: {}", p.name, c.describe());
        }
        let c = cost("incident", &[("max_delay_ms", "1")]);
        assert!(c.is_long(), "{}", c.describe());
        assert_eq!(c.drivers[0], "max_delay_ms=1", "{}", c.describe());
        let c = cost(
            "incident",
            &[
                ("clients", "3000"),
                ("replicas", "133"),
                ("service_nodes", "64"),
                ("duration_s", "3600"),
                ("base_delay_ms", "1"),
                ("max_delay_ms", "1"),
            ],
        );
        assert!(c.is_long() && c.wall_s > 600.0, "{}", c.describe());
        let c = cost(
            "incident",
            &[
                ("dns_qps_per_node", "20000"),
                ("service_nodes", "64"),
                ("client_nodes", "1000"),
                ("duration_s", "3600"),
            ],
        );
        assert!(c.is_long(), "{}", c.describe());
        assert!(
            c.drivers.iter().any(|d| d == "dns_qps_per_node=20000"),
            "{}",
            c.describe()
        );
        assert!((300.0..3_000.0).contains(&c.wall_s), "{}", c.describe());
        // Queries piling up on a slow cluster DNS: 252 s measured.
        let c = cost(
            "no-rollout",
            &[
                ("dns_qps_per_node", "20000"),
                ("service_nodes", "64"),
                ("upstream_latency_us", "5000000"),
                ("nld_max_concurrent", "100000"),
                ("duration_s", "60"),
            ],
        );
        assert!(
            c.is_long() && (100.0..1_000.0).contains(&c.wall_s),
            "{}",
            c.describe()
        );
        assert!(
            c.drivers.iter().any(|d| d == "upstream_latency_us=5000000"),
            "{}",
            c.describe()
        );
    }

    #[test]
    fn the_description_reads() {
        assert_eq!(duration_text(0.4), "under a second");
        assert_eq!(duration_text(42.0), "42 s");
        assert_eq!(duration_text(900.0), "15 min");
        assert_eq!(duration_text(4.0 * 3_600.0), "4.0 h");
        assert_eq!(approx(4_928_930), "4.9 million");
        assert_eq!(approx(90_960), "90,000");
    }
}
