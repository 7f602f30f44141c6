//! Every knob of the model, with the incident's values as defaults.
//!
//! Sources are in `scenario::catalog` (one entry per field, with unit, range
//! and the facts.md section or the assumption behind the default). The engine
//! trusts these values; `scenario` validates them first.

use serde::{Deserialize, Serialize};

/// gRPC reconnect semantics, named by what they do (the `--set`/URL names
/// of releases, `go-1.41`, `go-1.40` and `spec`, are accepted as aliases).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum GrpcSemantics {
    /// `reconnect-on-disconnect`: a subchannel reconnects on its own, after
    /// a disconnect at once and after a failure when the full backoff has
    /// passed, for pick_first and round_robin alike (the loop lives in the
    /// subchannel, not the balancer). grpc-go up to v1.40.0
    /// (`addrConn.resetTransport`, clientconn.go; facts.md §2.2).
    ReconnectOnDisconnect,
    /// `idle-on-disconnect`: after a disconnect, or a failure and its
    /// backoff, the subchannel goes IDLE; round_robin connects an IDLE
    /// subchannel at once, pick_first waits for the application's next RPC.
    /// grpc-go from v1.41.0 (commit 997ce61, #4613, 2021-09-23; facts.md
    /// §2.3) and grpc-java (`PickFirstLoadBalancer` requests a connection
    /// only when picked while IDLE; round_robin's `requestConnection` on
    /// IDLE). The post describes this for pick_first.
    IdleOnDisconnect,
    /// `deadline-paced`: the next attempt starts one backoff after the
    /// previous attempt started (or when it fails, if later), as in the
    /// spec's `ConnectWithBackoff` (doc/connection-backoff.md, facts.md
    /// §2.1), reconnecting after a disconnect at once. Its jitter is
    /// C-core's, which this mode stands for: `BackOff::NextAttemptDelay`
    /// (src/core/util/backoff.cc, formerly src/core/lib/backoff/) jitters
    /// every delay, the first included, where the spec's pseudo-code starts
    /// with an unjittered INITIAL_BACKOFF.
    DeadlinePaced,
}

/// Load-balancing policy of the clients' channels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum LbPolicy {
    /// `round_robin`: keeps every subchannel connected.
    RoundRobin,
    /// `pick_first`.
    PickFirst,
}

/// When external-dns removes a terminating pod's record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ExternalDnsMode {
    /// Before v0.7.0 (the incident's version): only once the pod is deleted
    /// (facts.md §7).
    AfterDeletion,
    /// v0.7.0+: as soon as the API server marks the pod for deletion
    /// (it leaves the Endpoints at once, facts.md §8).
    OnTermination,
}

/// What node-local-dns answers when `max_concurrent` is exceeded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum CorednsVersion {
    /// CoreDNS 1.7.0 (node-cache 1.21.x): SERVFAIL, health-check backoff up to 15 s.
    V1_7,
    /// CoreDNS 1.8.1+: REFUSED, fixed 0.5 s health checks.
    V1_8,
}

/// All parameters of one run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Params {
    // ----- run -----
    /// Simulated span, seconds.
    pub duration_s: u64,
    /// When the rollout starts, seconds.
    pub rollout_start_s: u64,
    /// Whether a rollout happens at all.
    pub rollout: bool,
    /// Kernel version of the nodes and the clients (`5.10`, `6.18`, ...).
    pub kernel: String,

    // ----- Kubernetes -----
    /// Replicas of the service.
    pub replicas: u32,
    /// Nodes hosting the service (one ENI pair each).
    pub service_nodes: u32,
    /// Deployment maxSurge, percent of replicas (rounded up).
    pub max_surge_pct: u32,
    /// Deployment maxUnavailable, percent of replicas (rounded down).
    pub max_unavailable_pct: u32,
    /// Time from SIGTERM (GracefulStop) to process exit, seconds.
    pub graceful_timeout_s: u64,
    /// Time from pod creation to Ready, seconds.
    pub pod_startup_s: u64,

    // ----- Linux node -----
    /// `net.ipv4.conf.all.rp_filter`.
    pub rp_filter_all: i32,
    /// `net.ipv4.conf.ens6.rp_filter`.
    pub rp_filter_ens6: i32,
    /// Put an (unrelated) IPv4 address on ens6, as the post's test did.
    pub ens6_address: bool,
    /// `log_martians` on the nodes.
    pub log_martians: bool,
    /// Cilium installs `unreachable <podIP>` when a pod is deleted (PR #18505).
    pub cilium_unreachable_route: bool,
    /// `nf_conntrack_max` on the nodes.
    pub nf_conntrack_max: u64,

    // ----- AWS -----
    /// Hypervisor connection-tracking allowance per instance (entries).
    pub conntrack_allowance: u64,
    /// Idle timeout of an unanswered SYN's entry, seconds.
    pub vpc_syn_timeout_s: u64,
    /// How long an entry lingers after RST/FIN, seconds.
    pub vpc_closed_timeout_s: u64,
    /// UDP entry timeout, seconds.
    pub vpc_udp_timeout_s: u64,
    /// How often the hypervisor reclaims timed-out entries, ms (0 = continuously).
    pub vpc_sweep_ms: u64,
    /// Whether an ICMP error back to the client removes the half-open entry.
    pub icmp_closes_vpc_entry: bool,
    /// ENI source/destination check.
    pub src_dst_check: bool,
    /// One-way latency client → node, microseconds.
    pub network_latency_us: u64,

    // ----- gRPC clients -----
    /// Number of clients (gRPC client processes).
    pub clients: u32,
    /// Clients (containers) per client pod: they share a source IP.
    pub clients_per_pod: u32,
    /// Pods' nodes' DNS caches the clients share.
    pub client_nodes: u32,
    /// One channel per backend address (the post's clients) or one channel over all.
    pub channel_per_backend: bool,
    /// Load-balancing policy.
    pub lb_policy: LbPolicy,
    /// Reconnect semantics.
    pub grpc_semantics: GrpcSemantics,
    /// Backoff base delay, ms.
    pub base_delay_ms: u64,
    /// Backoff multiplier, thousandths (1600 = 1.6).
    pub multiplier_milli: u64,
    /// Backoff jitter, thousandths (200 = ±20 %).
    pub jitter_milli: u64,
    /// Backoff maximum, ms.
    pub max_delay_ms: u64,
    /// Minimum connect timeout, ms.
    pub min_connect_timeout_ms: u64,
    /// Minimum time between DNS resolutions, seconds.
    pub min_time_between_resolutions_s: u64,
    /// RPCs each client issues per second (drives pick_first reconnects).
    pub client_rpcs_per_s_milli: u64,

    // ----- DNS -----
    /// external-dns behaviour.
    pub external_dns_mode: ExternalDnsMode,
    /// external-dns sync interval, seconds.
    pub external_dns_interval_s: u64,
    /// TTL of the service's records, seconds.
    pub dns_ttl_s: u64,
    /// Longest time a Route 53 change takes to reach every name server, seconds.
    pub route53_propagation_max_s: u64,

    // ----- node-local-dns -----
    /// CoreDNS version inside node-local-dns.
    pub coredns: CorednsVersion,
    /// forward `max_concurrent`.
    pub nld_max_concurrent: u32,
    /// Memory limit, MB.
    pub nld_memory_mb: u32,
    /// forward's overall query deadline, ms.
    pub nld_timeout_ms: u64,
    /// Idle expiry of cached upstream connections, seconds.
    pub nld_expire_s: u64,
    /// Dial timeout to the upstream, ms.
    pub nld_dial_timeout_ms: u64,
    /// forward `max_fails`.
    pub nld_max_fails: u32,
    /// Health-check interval, ms.
    pub nld_health_interval_ms: u64,
    /// Mean response time of cluster DNS for a forwarded query, µs.
    pub upstream_latency_us: u64,
    /// Queries cluster DNS answers on one TCP connection before closing it
    /// (0 = unlimited).
    pub upstream_max_tcp_queries: u32,

    // ----- the service and its users -----
    /// DNS lookups per second per service node at baseline (= user requests).
    pub dns_qps_per_node: u32,
    /// Distinct data-store names the service resolves.
    pub datastore_names: u32,
    /// TTL of those names, seconds (node-local-dns caps success caching at 30 s).
    pub datastore_ttl_s: u64,
    /// Lookups the stub resolver makes before giving up (`attempts`).
    pub resolver_attempts: u32,
    /// Times a client retries a failed request.
    pub request_retries: u32,
    /// Mean data-store query time, ms.
    pub datastore_latency_ms: u64,
    /// Bytes the node sends per user request, KB (the throughput chart is
    /// requests × this; an assumption, the post gives none).
    pub response_kb: u32,

    // ----- trace -----
    /// Every Nth client's packets go into the sampled trace.
    pub trace_every_nth_client: u32,
    /// Cap on sampled packets per simulated second.
    pub trace_per_second_cap: u32,
}

impl Default for Params {
    /// The September 2021 incident configuration.
    fn default() -> Self {
        Params {
            duration_s: 900,
            rollout_start_s: 120,
            rollout: true,
            kernel: "5.10".into(),
            replicas: 48,
            service_nodes: 8,
            max_surge_pct: 25,
            max_unavailable_pct: 25,
            graceful_timeout_s: 10,
            pod_startup_s: 30,
            rp_filter_all: 0,
            rp_filter_ens6: 2,
            ens6_address: false,
            log_martians: true,
            cilium_unreachable_route: false,
            nf_conntrack_max: 262_144,
            conntrack_allowance: 136_812,
            vpc_syn_timeout_s: 60,
            vpc_closed_timeout_s: 5,
            vpc_udp_timeout_s: 30,
            vpc_sweep_ms: 1_000,
            icmp_closes_vpc_entry: false,
            src_dst_check: true,
            network_latency_us: 250,
            clients: 900,
            clients_per_pod: 15,
            client_nodes: 20,
            channel_per_backend: true,
            lb_policy: LbPolicy::RoundRobin,
            grpc_semantics: GrpcSemantics::IdleOnDisconnect,
            base_delay_ms: 300,
            multiplier_milli: 1_600,
            jitter_milli: 200,
            max_delay_ms: 300,
            min_connect_timeout_ms: 0,
            min_time_between_resolutions_s: 30,
            client_rpcs_per_s_milli: 1_000,
            external_dns_mode: ExternalDnsMode::AfterDeletion,
            external_dns_interval_s: 15,
            dns_ttl_s: 15,
            route53_propagation_max_s: 60,
            coredns: CorednsVersion::V1_7,
            nld_max_concurrent: 1_000,
            nld_memory_mb: 256,
            nld_timeout_ms: 5_000,
            nld_expire_s: 10,
            nld_dial_timeout_ms: 1_000,
            nld_max_fails: 2,
            nld_health_interval_ms: 500,
            upstream_latency_us: 8_000,
            upstream_max_tcp_queries: 128,
            dns_qps_per_node: 400,
            datastore_names: 20_000,
            datastore_ttl_s: 30,
            resolver_attempts: 2,
            request_retries: 2,
            datastore_latency_ms: 20,
            response_kb: 20,
            trace_every_nth_client: 30,
            trace_per_second_cap: 400,
        }
    }
}

impl Params {
    /// One pick_first channel over every address (`channel_per_backend`
    /// off): a client holds a single subchannel, to the first address of
    /// its resolver's answer. Which address that is follows the answer's
    /// order, the same for every client here (an assumption: grpc-go's
    /// pick_first takes the list as the resolver gives it; a DNS server
    /// that rotates its answers would spread the clients).
    pub fn one_pick_first_channel(&self) -> bool {
        !self.channel_per_backend && self.lb_policy == LbPolicy::PickFirst
    }
}
