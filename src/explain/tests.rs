//! Every explanation against the parameters that change its text.

use super::compare;
use super::kernel::{self, Toggles};
use super::why::{path_hops, why, RunFacts};
use crate::scenario::Scenario;
use crate::sim::cluster::PodInfo;
use crate::sim::params::Params;
use crate::sim::time::SimTime;
use crate::sim::trace::{Fate, PacketKind, PacketRecord, Trigger};
use std::net::Ipv4Addr;

fn pod() -> PodInfo {
    PodInfo {
        index: 0,
        ip: Ipv4Addr::new(10, 0, 64, 12),
        node: 1,
        revision: 0,
        created: SimTime::ZERO,
        ready_at: Some(SimTime::ZERO),
        terminated_at: Some(SimTime::from_secs(40)),
        deleted_at: Some(SimTime::from_secs(50)),
        last_syn_after_delete: None,
    }
}

fn syn(fate: Fate) -> PacketRecord {
    PacketRecord {
        id: 9,
        kind: PacketKind::Syn,
        sent: SimTime::from_secs(60),
        arrives: SimTime(60_000_250),
        src: Ipv4Addr::new(10, 0, 130, 5),
        sport: 40_000,
        dst: Ipv4Addr::new(10, 0, 64, 12),
        dport: 8080,
        node: 1,
        fate,
        client: 3,
        pod: 0,
        attempt: 4,
        syn_no: 0,
        trigger: Trigger::AfterTimeout,
        resolved_at: SimTime::from_secs(30),
        ingress_ens6: true,
        answers: u32::MAX,
    }
}

fn chain(p: &Params, fate: Fate) -> String {
    let pods = [pod()];
    let f = RunFacts {
        params: p,
        pods: &pods,
        route53: &[],
        events: &[],
    };
    why(&f, &syn(fate)).join("\n")
}

#[test]
fn an_rp_filter_drop_says_no_addr_only_when_ens6_has_no_address() {
    let p = Params::default();
    let text = chain(&p, Fate::RpFilter { no_addr: true });
    assert!(text.contains("has no IPv4 address"), "{text}");
    assert!(text.contains("last_resort"), "{text}");
    assert!(
        text.contains("ens6=2"),
        "the parameters' own values: {text}"
    );
    let strict = Params {
        ens6_address: true,
        rp_filter_ens6: 1,
        ..Params::default()
    };
    let text = chain(&strict, Fate::RpFilter { no_addr: false });
    assert!(!text.contains("has no IPv4 address"), "{text}");
    assert!(
        text.contains("strict") && text.contains("dev_match"),
        "{text}"
    );
}

#[test]
fn each_fate_has_its_own_reason() {
    let p = Params::default();
    for (fate, want) in [
        (Fate::ConntrackAllowance, "VPC connection tracking was full"),
        (Fate::SrcDstCheck, "source/destination check"),
        (Fate::UnreachableIcmpSent, "ICMP host unreachable"),
        (Fate::UnreachableIcmpLimited, "rate-limited away"),
        (Fate::LinuxConntrackFull, "nf_conntrack table was full"),
        (Fate::Martian, "martian"),
    ] {
        let text = chain(&p, fate);
        let path = path_hops(&syn(fate), &p).join("\n");
        assert!(
            text.contains(want) || path.contains(want),
            "{fate:?}: {text}\n{path}"
        );
    }
    // Without the source/destination check the forwarded SYN loops.
    let off = Params {
        src_dst_check: false,
        ..Params::default()
    };
    assert!(chain(&off, Fate::Martian).contains("TTL"));
    assert!(path_hops(&syn(Fate::Martian), &off)
        .join(" ")
        .contains("TTL"));
    // The allowance and the SYN timeout are the scenario's.
    let big = Params {
        conntrack_allowance: 273_624,
        ..Params::default()
    };
    assert!(chain(&big, Fate::ConntrackAllowance).contains("273624"));
}

#[test]
fn a_stale_answer_is_explained_only_after_the_deletion() {
    let p = Params::default();
    let text = chain(&p, Fate::RpFilter { no_addr: true });
    assert!(text.contains("Why that address"));
    assert!(text.contains("deleted at 0:50 "), "{text}");
    let mut early = syn(Fate::Delivered);
    early.sent = SimTime::from_secs(20);
    let pods = [pod()];
    let f = RunFacts {
        params: &p,
        pods: &pods,
        route53: &[],
        events: &[],
    };
    let text = why(&f, &early).join("\n");
    assert!(!text.contains("Why DNS still had it"), "{text}");
    assert!(!text.contains("Why the pod went away"), "{text}");
}

#[test]
fn a_packet_the_vpc_dropped_has_no_kernel_walk_and_says_why() {
    let p = syn(Fate::ConntrackAllowance);
    assert!(!kernel::reached_kernel(&p));
    let text = kernel::before_kernel(&p, &Params::default());
    assert!(text.contains("never reached"), "{text}");
    assert!(text.contains("136812"), "{text}");
    assert!(kernel::reached_kernel(&syn(Fate::RpFilter {
        no_addr: true
    })));
}

fn node_ns(p: &Params) -> crate::sim::node::Node {
    crate::sim::node::Node::new(1, p, crate::sim::linux::KernelVersion::V5_10)
}

#[test]
fn the_walk_follows_the_namespace_and_the_toggles() {
    let p = Params::default();
    let node = node_ns(&p);
    let packet = syn(Fate::RpFilter { no_addr: true });
    // The deleted pod's IP has no route of its own on this fresh node: the
    // reverse route leaves by ens5 and ens6 has no address.
    let w = kernel::walk(
        &node.ns,
        node.ens6,
        &packet,
        Some(&pod()),
        &p,
        Toggles::default(),
    );
    assert!(w.verdict.starts_with("Dropped: martian source"), "{w:?}");
    assert!(w.steps.iter().any(|s| s.text.contains("no_addr")));
    assert!(!w.has_addr);
    assert!(w.pod_state.as_deref().unwrap_or("").contains("deleted"));
    // The asymmetry rp_filter compares: in on ens6, the route back by ens5
    // (the step-through's reverse lookup says the same).
    assert_eq!(
        (w.in_dev.as_str(), w.reverse_dev.as_deref()),
        ("ens6", Some("ens5"))
    );
    assert!(
        w.steps
            .iter()
            .any(|s| s.values.iter().any(|(_, v)| v.contains("dev ens5"))),
        "{:?}",
        w.steps
    );
    // An address on ens6 with loose rp_filter: forwarded out of ens5.
    let t = Toggles {
        ens6_addr: Some(true),
        ..Toggles::default()
    };
    let w = kernel::walk(&node.ns, node.ens6, &packet, Some(&pod()), &p, t);
    assert!(
        w.verdict.starts_with("Forwarded out of ens5"),
        "{}",
        w.verdict
    );
    assert!(w.consequence.contains("source/destination check"));
    assert!(w.has_addr);
    let off = Params {
        src_dst_check: false,
        ..Params::default()
    };
    let w = kernel::walk(&node.ns, node.ens6, &packet, Some(&pod()), &off, t);
    assert!(
        w.consequence.contains("src_dst_check=false"),
        "{}",
        w.consequence
    );
    // rp_filter off everywhere: accepted.
    let t = Toggles {
        rp_all: Some(0),
        rp_ens6: Some(0),
        ..Toggles::default()
    };
    let w = kernel::walk(&node.ns, node.ens6, &packet, Some(&pod()), &p, t);
    assert!(w.verdict.starts_with("Forwarded"), "{}", w.verdict);
    // The unreachable route: ip_error.
    let t = Toggles {
        unreachable: Some(true),
        ..Toggles::default()
    };
    let w = kernel::walk(&node.ns, node.ens6, &packet, Some(&pod()), &p, t);
    assert!(w.verdict.starts_with("Unroutable"), "{}", w.verdict);
    assert!(w.has_unreachable);
}

#[test]
fn toggles_round_trip_through_their_url_form() {
    let t = Toggles {
        rp_all: Some(1),
        rp_ens6: Some(0),
        ens6_addr: Some(true),
        unreachable: Some(false),
    };
    assert_eq!(Toggles::decode(&t.encode()), Ok(t));
    assert_eq!(Toggles::decode(""), Ok(Toggles::default()));
    assert!(Toggles::decode("a7").is_err());
    assert!(Toggles::decode("zz").is_err());
}

#[test]
fn a_comparison_runs_the_preset_alone_and_says_so() {
    let mut mine = Scenario::preset("incident");
    mine.seed = 4;
    mine.set.push(("max_delay_ms".into(), "1000".into()));
    let other = compare::partner(&mine, "fix-default-backoff");
    assert!(other.set.is_empty());
    assert_eq!(other.seed, 4);
    assert_eq!(
        compare::partner_label(&other),
        "fix-default-backoff applied alone"
    );
    assert!(compare::main_label(&mine).starts_with("your run"));
    assert_eq!(
        compare::partner_label(&compare::partner(&mine, "incident")),
        "the incident"
    );
    assert!(compare::heading(&mine, &other).contains("your run vs"));
    assert_eq!(
        compare::first_divergence(&[1.0, 2.0, 3.0], &[1.0, 2.0, 4.0], 3),
        Some(2)
    );
    assert_eq!(compare::first_divergence(&[1.0], &[1.0], 1), None);
}
