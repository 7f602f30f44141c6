//! Why a packet was sent and why it ended as it did: the inspector's chain of
//! causes from one sampled packet back to the rollout, and its path hop by
//! hop. Each link is stated only when it holds for this packet and these
//! parameters (a SYN sent before its pod was deleted has no stale DNS answer
//! behind it; an rp_filter drop with an address on ens6 is not a `no_addr`
//! drop).

use crate::format::{sim_time_at, sim_time_exact};
use crate::sim::cluster::{DnsVersion, PodInfo};
use crate::sim::params::Params;
use crate::sim::time::SimTime;
use crate::sim::trace::{EventRecord, Fate, Notable, PacketKind, PacketRecord};

/// What the explanations read of a run besides the packet.
#[derive(Clone, Copy)]
pub struct RunFacts<'a> {
    /// The run's parameters.
    pub params: &'a Params,
    /// Every pod of the run.
    pub pods: &'a [PodInfo],
    /// Route 53's versions of the service's records.
    pub route53: &'a [DnsVersion],
    /// The run's notable events.
    pub events: &'a [EventRecord],
}

fn effective_rp_filter(p: &Params) -> i32 {
    p.rp_filter_all.max(p.rp_filter_ens6)
}

/// Why a SYN died at the node's reverse-path filter, as these parameters make it.
fn rp_filter_reason(f: &RunFacts<'_>, pod: &PodInfo, no_addr: bool) -> String {
    let rp = effective_rp_filter(f.params);
    if no_addr {
        format!(
            "Why it died silently: {}'s IP {} stays on node {}'s ens6, which has no IPv4 address; Cilium removed the pod's ip rules, so the reverse route to the client leaves by ens5. __fib_validate_source tests no_addr before the rp_filter mode and jumps to last_resort, which rejects whenever rp_filter is non-zero (effective {rp}: max of all={} and ens6={}): -EXDEV, a martian, no RST, no ICMP.",
            pod.name(),
            pod.ip,
            pod.node,
            f.params.rp_filter_all,
            f.params.rp_filter_ens6
        )
    } else {
        format!(
            "Why it died silently: ens6 has an address, but rp_filter is strict (effective {rp}: max of all={} and ens6={}) and the reverse route to the client leaves by ens5, not ens6 (Cilium removed {}'s ip rules): dev_match fails, -EXDEV, a martian, no RST, no ICMP.",
            f.params.rp_filter_all,
            f.params.rp_filter_ens6,
            pod.name()
        )
    }
}

/// Why a SYN that was dropped after the VPC died, for fates other than
/// rp_filter (which needs the pod).
fn other_drop_reason(f: &RunFacts<'_>, p: &PacketRecord) -> Option<String> {
    Some(match p.fate {
        Fate::SrcDstCheck => format!(
            "Why it died silently: with an address on ens6, loose rp_filter (effective {}) accepts the SYN; the node forwards it by its main table out of ens5 with the client's source address, and the ENI's source/destination check drops a packet whose source is not the ENI's own. Linux conntrack confirmed it first (SYN_SENT, 120 s).",
            effective_rp_filter(f.params)
        ),
        Fate::Martian if !f.params.src_dst_check => "Why it died silently: the node forwarded it out of ens5; with the ENI's source/destination check off the VPC routes it back to the pod's IP on ens6, and the same decision repeats until its TTL runs out.".to_string(),
        Fate::Martian => "Why it died: the kernel found it a martian (not by rp_filter).".to_string(),
        Fate::UnreachableIcmpSent => "Why it failed fast: Cilium installed `unreachable` for the deleted pod's IP, so the route lookup ends in ip_error(), which answered with ICMP host unreachable.".to_string(),
        Fate::UnreachableIcmpLimited => "Why it died silently anyway: the route lookup ends in ip_error() (Cilium's `unreachable` route), but ip_error's per-source token bucket (shared with icmpv4_xrlim_allow) allows about one ICMP error a second per client host, or the full VPC table refused the ICMP flow: the client hears nothing.".to_string(),
        Fate::LinuxConntrackFull => format!(
            "Why it died: the node's nf_conntrack table was full ({} entries), so the kernel dropped the new flow.",
            f.params.nf_conntrack_max
        ),
        _ => return None,
    })
}

/// The cause chain of a packet, its own fate first and the root last.
pub fn why(f: &RunFacts<'_>, p: &PacketRecord) -> Vec<String> {
    let mut chain = Vec::new();
    let pod = f.pods.get(p.pod as usize);
    chain.push(format!(
        "{} {}:{} → {}:{} at {}: {}.",
        p.kind.label(),
        p.src,
        p.sport,
        p.dst,
        p.dport,
        sim_time_exact(p.sent, 6),
        p.fate.reason()
    ));
    if matches!(
        p.kind,
        PacketKind::IcmpUnreachable | PacketKind::SynAck | PacketKind::Rst
    ) && p.answers != u32::MAX
    {
        chain.push(format!(
            "It answers sampled packet #{} (the client's SYN).",
            p.answers
        ));
    }
    let node_originated = matches!(p.kind, PacketKind::DnsTcpSyn | PacketKind::DnsHealthCheck);
    if node_originated {
        chain.push(format!(
            "Why it was sent: {} (node {}).",
            p.trigger.text(),
            p.node
        ));
    } else {
        chain.push(format!(
            "Why it was sent: {} (client {}, connection attempt {}).",
            p.trigger.text(),
            p.client,
            p.attempt
        ));
    }
    if p.fate == Fate::ConntrackAllowance {
        chain.push(format!(
            "Why it died: node {}'s VPC connection tracking was full ({} flows allowed per instance, an assumption: AWS publishes no figure per type), and every new flow of the instance is refused while it is, whatever its kind. In the incident what fills it is the clients' SYNs to deleted pods' IPs: nothing answers them, so each entry stays {} s.",
            p.node, f.params.conntrack_allowance, f.params.vpc_syn_timeout_s
        ));
    }
    if let Some(r) = other_drop_reason(f, p) {
        chain.push(r);
    }
    let is_syn = matches!(p.kind, PacketKind::Syn | PacketKind::SynRetransmit);
    if let Some(pod) = pod {
        let deleted_before = pod.deleted_at.filter(|d| p.sent >= *d);
        if is_syn && p.resolved_at > SimTime::ZERO {
            chain.push(format!(
                "Why that address: the client's last DNS resolution, at {}, listed {} ({}); gRPC re-resolves at most every {} s.",
                sim_time_at(p.resolved_at),
                pod.ip,
                pod.name(),
                f.params.min_time_between_resolutions_s
            ));
        }
        if let (true, Some(d)) = (is_syn, deleted_before) {
            let gone = f
                .route53
                .iter()
                .find(|v| v.at >= d && !v.pods.contains(&pod.index));
            match gone {
                Some(v) => chain.push(format!(
                    "Why DNS still had it: the pod was deleted at {}; external-dns removed its record at the next sync, {}, and Route 53 served the change from {} (TTL {} s on top).",
                    sim_time_at(d),
                    sim_time_at(v.at),
                    sim_time_at(v.visible),
                    f.params.dns_ttl_s
                )),
                None => chain.push(format!(
                    "Why DNS still had it: the pod was deleted at {} and external-dns had not removed the record yet.",
                    sim_time_at(d)
                )),
            }
        }
        if let Fate::RpFilter { no_addr } = p.fate {
            chain.push(rp_filter_reason(f, pod, no_addr));
        }
        if let Some(t) = pod.terminated_at.filter(|t| p.sent >= *t) {
            chain.push(format!(
                "Why the pod went away: SIGTERM at {} (GracefulStop: GOAWAY to every client, listener closed, exit {} s later).",
                sim_time_at(t),
                f.params.graceful_timeout_s
            ));
        }
    }
    if let Some(r) = f
        .events
        .iter()
        .find(|e| e.what == Notable::RolloutStarted && e.at <= p.sent)
    {
        chain.push(format!("Root: {} (at {}).", r.text, sim_time_at(r.at)));
    }
    chain
}

/// The packet's path, hop by hop, ending where it ended.
pub fn path_hops(p: &PacketRecord, params: &Params) -> Vec<String> {
    match p.kind {
        PacketKind::Syn | PacketKind::SynRetransmit => {
            let mut v = vec![
                format!("client {} sends", p.src),
                "VPC routes the pod IP to the node's ens6 ENI".to_string(),
            ];
            let entry = format!(
                "VPC conntrack: a new entry (unanswered SYN: kept {} s)",
                params.vpc_syn_timeout_s
            );
            match p.fate {
                Fate::ConntrackAllowance => v.push(
                    "dropped by the VPC: the instance's conntrack allowance is exhausted".into(),
                ),
                Fate::RpFilter { .. } => {
                    v.push(entry);
                    v.push(
                        "node: ip_route_input_slow → fib_validate_source: martian source, dropped"
                            .into(),
                    );
                }
                Fate::Martian => {
                    v.push(entry);
                    v.push(if params.src_dst_check {
                        "node: martian, dropped".into()
                    } else {
                        "node: forwarded out of ens5; the VPC routes it back to ens6 until its TTL runs out".into()
                    });
                }
                Fate::UnreachableIcmpSent => {
                    v.push(entry);
                    v.push("node: route lookup hits `unreachable` → ip_error → ICMP host unreachable to the client".into());
                }
                Fate::UnreachableIcmpLimited => {
                    v.push(entry);
                    v.push("node: route lookup hits `unreachable` → ip_error; the ICMP error is rate-limited away".into());
                }
                Fate::SrcDstCheck => {
                    v.push(entry);
                    v.push("node: accepted (loose rp_filter), forwarded out of ens5".into());
                    v.push("ENI source/destination check: dropped".into());
                }
                Fate::LinuxConntrackFull => {
                    v.push(entry);
                    v.push("node: nf_conntrack table full, dropped".into());
                }
                Fate::Delivered => {
                    v.push("VPC conntrack: a new entry".into());
                    v.push("node: forwarded to the pod's lxc veth".into());
                }
            }
            v
        }
        PacketKind::DnsTcpSyn | PacketKind::DnsHealthCheck => vec![
            format!("node-local-dns on node {} sends from {}", p.node, p.src),
            "node: output route by the main table, out of ens5".to_string(),
            match p.fate {
                Fate::ConntrackAllowance => {
                    "dropped by the VPC: the instance's conntrack allowance is exhausted".into()
                }
                _ => format!(
                    "VPC conntrack: a new entry; delivered to cluster DNS {}",
                    p.dst
                ),
            },
        ],
        _ => vec![format!("{} → {}", p.src, p.dst)],
    }
}
