//! The kernel step-through of one SYN, as plain data: the node's namespace
//! as it was when the packet arrived (optionally changed by a reader's
//! what-if toggles), walked through `ip_route_input_slow` and
//! `fib_validate_source` step by step, and the verdict in words.
//!
//! Only packets that reached the node's kernel have a walk: a SYN the VPC
//! dropped for the allowance never got there, and [`before_kernel`] says so
//! instead. With no toggles the verdict agrees with the packet's recorded
//! fate (tested for every fate the engine records).

use crate::format::sim_time_at;
use crate::sim::cluster::{Phase, PodInfo};
use crate::sim::linux::explain::{Next, Step};
use crate::sim::linux::fib::{Route, RouteType, RT_TABLE_MAIN};
use crate::sim::linux::ns::RouteSelector;
use crate::sim::linux::{route_input, IfIndex, InputPacket, InputVerdict, NetNs, Prefix};
use crate::sim::params::Params;
use crate::sim::time::SimTime;
use crate::sim::trace::{Fate, PacketKind, PacketRecord};
use serde::{Deserialize, Serialize};
use std::net::Ipv4Addr;

pub use crate::scenario::toggles::Toggles;

/// One step as the page shows it (all text).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepView {
    /// The kernel function.
    pub function: String,
    /// What it tests, with this packet's values.
    pub text: String,
    /// The values read.
    pub values: Vec<(String, String)>,
    /// Where control went: empty, `goto LABEL` or `return X`.
    pub next: String,
    /// True when the step returns.
    pub returns: bool,
    /// The source file and lines it paraphrases.
    pub location: String,
}

/// A SYN's walk through the node's kernel, ready to show.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KernelWalk {
    /// The packet's id.
    pub packet: u32,
    /// The toggles applied.
    pub toggles: Toggles,
    /// `Linux 5.10` etc.
    pub kernel: String,
    /// The steps.
    pub steps: Vec<StepView>,
    /// The outcome, one line.
    pub verdict: String,
    /// What follows (log line, counter, ICMP, conntrack), one line.
    pub consequence: String,
    /// The pod behind the address at the packet's arrival.
    pub pod_state: Option<String>,
    /// The namespace's settings after the toggles (for the controls).
    pub rp_all: i32,
    /// ens6's own rp_filter.
    pub rp_ens6: i32,
    /// ens6 has an address.
    pub has_addr: bool,
    /// An unreachable route for the destination exists.
    pub has_unreachable: bool,
    /// The verdict is a drop.
    pub dropped: bool,
    /// The device the SYN came in on (`ens6`: the VPC delivers a pod's IP
    /// to the ENI that holds it).
    pub in_dev: String,
    /// The device of the route back to the SYN's source, the reverse
    /// lookup rp_filter compares with `in_dev` (`__fib_validate_source`);
    /// `None` when there is no route back. `ens5` in the incident: the path
    /// is asymmetric.
    pub reverse_dev: Option<String>,
}

/// Whether a SYN with this fate reached the node's kernel (and so has a
/// step-through).
pub fn reached_kernel(p: &PacketRecord) -> bool {
    matches!(p.kind, PacketKind::Syn | PacketKind::SynRetransmit)
        && p.fate != Fate::ConntrackAllowance
}

/// For a packet that never met the node's kernel: where it ended and why,
/// in place of a step-through.
pub fn before_kernel(p: &PacketRecord, params: &Params) -> String {
    match p.kind {
        PacketKind::Syn | PacketKind::SynRetransmit => format!(
            "This SYN never reached node {}'s kernel: the VPC dropped it on the way in, because the instance's connection-tracking allowance ({} flows) was used up (conntrack_allowance_exceeded +1). The kernel's rp_filter never saw it; nothing answered.",
            p.node, params.conntrack_allowance
        ),
        PacketKind::DnsTcpSyn | PacketKind::DnsHealthCheck => format!(
            "node-local-dns on node {} sent this packet itself: it leaves by the main table out of ens5, so there is no ingress check to step through. {}",
            p.node,
            if p.fate == Fate::ConntrackAllowance {
                "The VPC refused it because the instance's conntrack allowance was used up."
            } else {
                "The VPC tracked it and delivered it to cluster DNS."
            }
        ),
        _ => format!(
            "A {} travels back to the client; the step-through follows the client's SYNs into the node.",
            p.kind.label()
        ),
    }
}

/// Applies `t` to a copy of a node's namespace, for a packet to `dst`.
pub fn apply_toggles(ns: &mut NetNs, t: Toggles, dst: Ipv4Addr) {
    if let Some(v) = t.rp_all {
        if let Some(c) = ns.conf_mut("all") {
            c.rp_filter = v;
        }
    }
    if let Some(v) = t.rp_ens6 {
        if let Some(c) = ns.conf_mut("ens6") {
            c.rp_filter = v;
        }
    }
    let addrs: Vec<_> = ns
        .dev_by_name("ens6")
        .map(|d| d.addrs.clone())
        .unwrap_or_default();
    match t.ens6_addr {
        Some(true) if addrs.is_empty() => {
            let _ = ns.addr_add("ens6", Ipv4Addr::new(192, 168, 1, 1), 32);
        }
        Some(false) => {
            for a in addrs {
                let _ = ns.addr_del("ens6", a.addr, a.prefix_len);
            }
        }
        _ => {}
    }
    let has = has_unreachable(ns, dst);
    match t.unreachable {
        Some(true) if !has => {
            let _ = ns.route_add(RT_TABLE_MAIN, Route::unreachable(Prefix::host(dst)), true);
        }
        Some(false) if has => {
            let _ = ns.route_del(
                RT_TABLE_MAIN,
                RouteSelector {
                    dst: Some(Prefix::host(dst)),
                    kind: Some(RouteType::Unreachable),
                    ..Default::default()
                },
            );
        }
        _ => {}
    }
}

fn has_unreachable(ns: &NetNs, dst: Ipv4Addr) -> bool {
    ns.fib
        .table(RT_TABLE_MAIN)
        .map(|t| {
            t.routes()
                .any(|r| r.dst == Prefix::host(dst) && r.kind == RouteType::Unreachable)
        })
        .unwrap_or(false)
}

fn step_view(s: &Step, ns: &NetNs) -> StepView {
    let (next, returns) = match &s.next {
        Next::Continue => (String::new(), false),
        Next::Goto(l) => (format!("goto {l}"), false),
        Next::Return(r) => (format!("return {r}"), true),
    };
    StepView {
        function: s.check.function().to_string(),
        text: s.text.clone(),
        values: s
            .values
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect(),
        next,
        returns,
        location: s.check.location(ns.version),
    }
}

/// The pod behind the packet's address, as of the packet's arrival.
fn pod_state(pod: &PodInfo, p: &PacketRecord) -> String {
    match pod.phase_at(p.arrives) {
        Some(Phase::Deleted) => format!(
            "{} was deleted at {}; its IP {} stays on the node's ens6 ENI, and the VPC still routes it there",
            pod.name(),
            sim_time_at(pod.deleted_at.unwrap_or(SimTime::ZERO)),
            pod.ip
        ),
        Some(Phase::Terminating) => format!(
            "{} is terminating (SIGTERM at {}): GracefulStop closed its listener, so the SYN meets no socket",
            pod.name(),
            sim_time_at(pod.terminated_at.unwrap_or(SimTime::ZERO))
        ),
        Some(Phase::Ready) => format!("{} is Ready and listening", pod.name()),
        Some(Phase::Starting) => format!("{} is starting (not listening yet)", pod.name()),
        None => format!("{} does not exist yet", pod.name()),
    }
}

/// The verdict in words. `as_simulated` is true when no toggle is set: the
/// consequence then follows the packet's recorded fate and the scenario's
/// parameters; a what-if says what the kernel would do.
fn verdict_text(
    v: InputVerdict,
    ns: &NetNs,
    p: &PacketRecord,
    pod: Option<&PodInfo>,
    params: &Params,
    as_simulated: bool,
) -> (String, String) {
    match v {
        InputVerdict::MartianSource { errno, rp_filter } => {
            let log = match ns.dev_by_name("ens6") {
                Some(d) if ns.sysctl.log_martians(d) => format!(
                    "kernel log: \"{}\" (at most 10 lines per 5 s: net_ratelimit)",
                    NetNs::martian_log_line(p.dst, p.src, "ens6")
                ),
                _ => "no log line (log_martians is 0)".to_string(),
            };
            (
                format!(
                    "Dropped: martian source (-{}). No RST, no ICMP: the client hears nothing.",
                    errno.name()
                ),
                format!(
                    "{log}; {}",
                    if rp_filter {
                        "TcpExtIPReversePathFilter +1"
                    } else {
                        "in_martian_src +1"
                    }
                ),
            )
        }
        InputVerdict::Forward { dev, gateway, .. } => {
            let out = ns.dev_name(dev);
            let head = format!(
                "Forwarded out of {out}{}",
                gateway.map(|g| format!(" via {g}")).unwrap_or_default()
            );
            let rest = if out == "ens5" {
                if params.src_dst_check {
                    "confirmed in the Linux conntrack (SYN_SENT, 120 s); the ENI's source/destination check then drops it, because the client's address is not one of ens5's: still no answer".to_string()
                } else {
                    "confirmed in the Linux conntrack; with the ENI's source/destination check off (src_dst_check=false) the VPC routes it back to the pod's IP on ens6, where the same decision repeats until the TTL runs out: still no answer".to_string()
                }
            } else if as_simulated && p.fate == Fate::LinuxConntrackFull {
                "but the node's nf_conntrack table was full, so it was dropped before the pod"
                    .to_string()
            } else {
                let answer = match pod.and_then(|q| q.phase_at(p.arrives)) {
                    Some(Phase::Ready) => "the pod is listening: SYN-ACK",
                    Some(Phase::Terminating) | Some(Phase::Starting) => {
                        "nothing listens on the port: the pod's kernel answers RST"
                    }
                    _ => "the pod answers: SYN-ACK if listening, RST if not",
                };
                format!("confirmed in the Linux conntrack (SYN_SENT); {answer}")
            };
            (head, rest)
        }
        InputVerdict::Unroutable { errno } => {
            let rest = if as_simulated {
                match p.fate {
                    Fate::UnreachableIcmpSent => "ip_error() sent ICMP host unreachable to the client (its per-source bucket and the global ICMP budget allowed it)".to_string(),
                    _ => "ip_error() sent nothing: the ICMP rate limit (ip_error's per-source bucket, shared with icmpv4_xrlim_allow) or the full VPC table swallowed the error".to_string(),
                }
            } else {
                "ICMP destination unreachable, if ip_error's per-source bucket, the global ICMP budget and icmpv4_xrlim_allow (the same per-source bucket) allow it".to_string()
            };
            (
                format!(
                    "Unroutable (-{}): the packet goes to ip_error()",
                    errno.name()
                ),
                rest,
            )
        }
        InputVerdict::LocalDeliver => ("Delivered locally".into(), String::new()),
        InputVerdict::Broadcast => ("Broadcast, delivered locally".into(), String::new()),
        InputVerdict::MartianDestination => ("Dropped: martian destination".into(), String::new()),
    }
}

/// The walk of SYN `p` through `ns` (the node's namespace at the packet's
/// arrival; `ens6` its ingress device), with `toggles` applied to a copy.
pub fn walk(
    ns: &NetNs,
    ens6: IfIndex,
    p: &PacketRecord,
    pod: Option<&PodInfo>,
    params: &Params,
    toggles: Toggles,
) -> KernelWalk {
    let mut ns = ns.clone();
    apply_toggles(&mut ns, toggles, p.dst);
    let mut steps = Vec::new();
    let d = route_input(
        &ns,
        InputPacket {
            saddr: p.src,
            daddr: p.dst,
            iif: ens6,
        },
        Some(&mut steps),
    );
    let as_simulated = toggles.is_default();
    let (verdict, consequence) = verdict_text(d.verdict, &ns, p, pod, params, as_simulated);
    let dropped = match d.verdict {
        InputVerdict::Forward { dev, .. } => ns.dev_name(dev) == "ens5",
        InputVerdict::LocalDeliver | InputVerdict::Broadcast => false,
        _ => true,
    };
    let dev6 = ns.dev_by_name("ens6");
    // The same lookup `fib_validate_source` makes (validate.rs): to the
    // source, from the destination, any output device.
    let reverse_dev = ns
        .fib
        .lookup(p.src, p.dst, None)
        .ok()
        .and_then(|r| r.route.dev)
        .map(|d| ns.dev_name(d));
    KernelWalk {
        packet: p.id,
        toggles,
        kernel: format!("Linux {}", ns.version),
        steps: steps.iter().map(|s| step_view(s, &ns)).collect(),
        verdict,
        consequence,
        pod_state: pod.map(|q| pod_state(q, p)),
        rp_all: ns.sysctl.all.rp_filter,
        rp_ens6: dev6.map(|d| d.conf.rp_filter).unwrap_or(0),
        has_addr: dev6.is_some_and(|d| !d.addrs.is_empty()),
        has_unreachable: has_unreachable(&ns, p.dst),
        dropped,
        in_dev: ns.dev_name(ens6),
        reverse_dev,
    }
}

/// The fate the engine records for a SYN whose kernel verdict is `walk`
/// (as simulated), for checking that the two agree.
pub fn fates_consistent(walk: &KernelWalk, fate: Fate) -> bool {
    let v = walk.verdict.as_str();
    match fate {
        Fate::RpFilter { .. } | Fate::Martian => {
            v.starts_with("Dropped") || (v.starts_with("Forwarded out of ens5"))
        }
        Fate::SrcDstCheck => v.starts_with("Forwarded out of ens5"),
        Fate::Delivered | Fate::LinuxConntrackFull => {
            v.starts_with("Forwarded out of") && !v.starts_with("Forwarded out of ens5")
        }
        Fate::UnreachableIcmpSent | Fate::UnreachableIcmpLimited => v.starts_with("Unroutable"),
        Fate::ConntrackAllowance => false,
    }
}
