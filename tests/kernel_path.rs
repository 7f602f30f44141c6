//! `route_input` (the model of `ip_route_input_slow` → `__mkroute_input` →
//! `fib_validate_source` → `__fib_validate_source`) called directly, on a
//! namespace set up like the incident's node, with every expectation derived
//! from the Linux 5.10.262 source. Line numbers below are of that source:
//! `route.c` = net/ipv4/route.c, `fib_frontend.c` = net/ipv4/fib_frontend.c.
//!
//! The node: ens5 10.0.0.10/20 with `default via 10.0.0.1`, ens6 up without an
//! address, `ip_forward=1`; a client 10.0.130.5 outside the VPC subnet of
//! ens5; 10.0.64.7 is the IP of a deleted pod in the pod CIDR 10.0.64.0/18,
//! which the VPC delivers to ens6.

use incident_sim::sim::linux::explain::{Check, Next, Step};
use incident_sim::sim::linux::fib::{Proto, Route, RouteType, Rule, Scope, RT_TABLE_MAIN};
use incident_sim::sim::linux::{
    route_input, Errno, InputPacket, InputVerdict, KernelVersion, NetNs, Prefix,
};
use std::net::Ipv4Addr;

const ENI_TABLE: u32 = 11;

fn ip(s: &str) -> Ipv4Addr {
    s.parse().unwrap()
}

fn route(dst: &str, dev: &str, gw: Option<&str>, ns: &NetNs) -> Route {
    Route::unicast(dst.parse().unwrap(), ns.ifindex(dev).unwrap(), gw.map(ip))
}

fn unreachable(dst: &str) -> Route {
    Route {
        dst: dst.parse().unwrap(),
        kind: RouteType::Unreachable,
        dev: None,
        gateway: None,
        scope: Scope::UNIVERSE,
        proto: Proto::Boot,
        prefsrc: None,
        metric: 0,
        onlink: false,
    }
}

/// ens5 10.0.0.10/20, ens6 up without an address, ip_forward=1; no routes
/// beyond the kernel's.
fn bare_node(v: KernelVersion) -> NetNs {
    let mut ns = NetNs::lab_node(v);
    ns.addr_add("ens5", ip("10.0.0.10"), 20).unwrap();
    ns
}

/// The incident node: [`bare_node`] plus `default via 10.0.0.1 dev ens5`.
fn incident_node(v: KernelVersion) -> NetNs {
    let mut ns = bare_node(v);
    let r = route("default", "ens5", Some("10.0.0.1"), &ns);
    ns.route_add(RT_TABLE_MAIN, r, false).unwrap();
    ns
}

/// Cilium's ENI routing for a pod: table 11 `10.0.64.1 dev ens6 scope link`
/// and `default via 10.0.64.1 dev ens6`, rule `111: from 10.0.64.7 lookup 11`.
fn add_cilium_rule(ns: &mut NetNs) {
    let gw = route("10.0.64.1", "ens6", None, ns);
    ns.route_add(ENI_TABLE, gw, false).unwrap();
    let dflt = route("default", "ens6", Some("10.0.64.1"), ns);
    ns.route_add(ENI_TABLE, dflt, false).unwrap();
    ns.rule_add(Rule {
        priority: 111,
        from: "10.0.64.7".parse().unwrap(),
        to: Prefix::ANY,
        table: ENI_TABLE,
    })
    .unwrap();
}

fn set_rp(ns: &mut NetNs, scope: &str, v: i32) {
    ns.conf_mut(scope).unwrap().rp_filter = v;
}

fn pkt(ns: &NetNs, src: &str, dst: &str, iif: &str) -> InputPacket {
    InputPacket {
        saddr: ip(src),
        daddr: ip(dst),
        iif: ns.ifindex(iif).unwrap(),
    }
}

fn run(ns: &NetNs, src: &str, dst: &str, iif: &str) -> (InputVerdict, Vec<Step>) {
    let mut steps = Vec::new();
    let d = route_input(ns, pkt(ns, src, dst, iif), Some(&mut steps));
    // The engine's hot path (no step sink) must decide the same.
    assert_eq!(
        route_input(ns, pkt(ns, src, dst, iif), None).verdict,
        d.verdict
    );
    (d.verdict, steps)
}

fn checks(steps: &[Step]) -> Vec<Check> {
    steps.iter().map(|s| s.check).collect()
}

fn step(steps: &[Step], c: Check) -> &Step {
    steps
        .iter()
        .find(|s| s.check == c)
        .unwrap_or_else(|| panic!("no {c:?} step in {:?}", checks(steps)))
}

fn forward_via_ens5(ns: &NetNs, direct_src: bool) -> InputVerdict {
    InputVerdict::Forward {
        dev: ns.ifindex("ens5").unwrap(),
        gateway: Some(ip("10.0.0.1")),
        direct_src,
    }
}

const EXDEV: InputVerdict = InputVerdict::MartianSource {
    errno: Errno::XDev,
    rp_filter: true,
};
const EINVAL_SRC: InputVerdict = InputVerdict::MartianSource {
    errno: Errno::Inval,
    rp_filter: false,
};

// ----- single branches -----------------------------------------------------

/// The incident: loose mode on an address-less ens6 fails, and the steps name
/// the kernel's checks in the kernel's order.
#[test]
fn incident_no_addr_jumps_to_last_resort_and_fails_with_exdev() {
    let mut ns = incident_node(KernelVersion::V5_10);
    set_rp(&mut ns, "ens6", 2);
    let (v, steps) = run(&ns, "10.0.130.5", "10.0.64.7", "ens6");
    assert_eq!(v, EXDEV);
    use Check::*;
    assert_eq!(
        checks(&steps),
        vec![
            InSourceMartian,     // route.c:2187-2212, no martian address
            InFibLookup,         // route.c:2238: default via 10.0.0.1 dev ens5
            InForwarding,        // route.c:2262: forwarding on for ens6
            InMkroute,           // route.c:1862: fib_validate_source(oif = ens5)
            VsEffectiveRpFilter, // fib_frontend.c:424: max(all 0, ens6 2)
            VsFastPath,          // fib_frontend.c:427: r != 0, full check
            FvsReverseKey,       // fib_frontend.c:354-364
            FvsNoAddr,           // fib_frontend.c:366: no_addr = 1
            FvsLookup,           // fib_frontend.c:377: default via ens5
            FvsRouteType,        // fib_frontend.c:379: RTN_UNICAST
            FvsDevMatch,         // fib_frontend.c:384-393: ens5 != ens6
            FvsNoAddrJump,       // fib_frontend.c:394-395: goto last_resort
            FvsLastResort,       // fib_frontend.c:407-409: rpf != 0, goto e_rpf
            FvsERpf,             // fib_frontend.c:415-416: -EXDEV
            InMartianSource,     // route.c:1864-1865: ip_handle_martian_source
        ]
    );
    assert_eq!(
        step(&steps, FvsNoAddr).values,
        vec![("no_addr", "1".to_string())]
    );
    assert_eq!(step(&steps, FvsNoAddrJump).next, Next::Goto("last_resort"));
    assert_eq!(step(&steps, FvsLastResort).next, Next::Goto("e_rpf"));
    assert_eq!(step(&steps, FvsERpf).next, Next::Return("-EXDEV".into()));
}

/// 6.13+: the same decision, reported as a drop reason; userspace sees EINVAL.
#[test]
fn incident_on_6_18_is_the_same_drop_reported_as_einval() {
    let mut ns = incident_node(KernelVersion::V6_18);
    set_rp(&mut ns, "ens6", 2);
    let (v, steps) = run(&ns, "10.0.130.5", "10.0.64.7", "ens6");
    assert_eq!(
        v,
        InputVerdict::MartianSource {
            errno: Errno::Inval,
            rp_filter: true
        }
    );
    assert_eq!(v.drop_reason(), Some("IP_RPFILTER"));
    assert!(checks(&steps).contains(&Check::FvsNoAddrJump));
}

/// rp_filter 0, no custom rules or local routes, oif != ingress: the fast
/// path accepts without a reverse lookup (fib_frontend.c:427-443).
#[test]
fn fast_path_accepts_without_a_reverse_lookup() {
    let ns = incident_node(KernelVersion::V5_10);
    let (v, steps) = run(&ns, "10.0.130.5", "10.0.64.7", "ens6");
    assert_eq!(v, forward_via_ens5(&ns, false));
    assert_eq!(
        step(&steps, Check::VsFastAccept).next,
        Next::Return("0".into())
    );
    assert!(!checks(&steps).contains(&Check::FvsReverseKey));
}

/// Any custom rule (fib_has_custom_rules, fib_frontend.c:435-437) sends
/// rp_filter 0 to the full check; there no_addr → last_resort, and
/// last_resort with rpf 0 accepts (fib_frontend.c:407-411).
#[test]
fn custom_rules_force_the_full_check_where_rp_filter_0_accepts_at_last_resort() {
    let mut ns = incident_node(KernelVersion::V5_10);
    ns.rule_add(Rule {
        priority: 100,
        from: "172.16.0.0/12".parse().unwrap(),
        to: Prefix::ANY,
        table: 100,
    })
    .unwrap();
    let (v, steps) = run(&ns, "10.0.130.5", "10.0.64.7", "ens6");
    assert_eq!(v, forward_via_ens5(&ns, false));
    assert_eq!(
        step(&steps, Check::VsCustomRules).next,
        Next::Goto("full_check")
    );
    assert_eq!(
        step(&steps, Check::FvsNoAddrJump).next,
        Next::Goto("last_resort")
    );
    assert_eq!(
        step(&steps, Check::FvsLastResort).next,
        Next::Return("0".into())
    );
}

/// last_resort reached because the reverse lookup itself fails
/// (fib_frontend.c:377-378): accept with rpf 0, -EXDEV with rpf 1 or 2.
#[test]
fn failed_reverse_lookup_goes_to_last_resort() {
    let mut ns = bare_node(KernelVersion::V5_10);
    let r = route("10.0.64.0/18", "ens5", Some("10.0.0.1"), &ns);
    ns.route_add(RT_TABLE_MAIN, r, false).unwrap();
    ns.addr_add("ens6", ip("192.168.1.1"), 32).unwrap();
    ns.rule_add(Rule {
        priority: 100,
        from: "172.16.0.0/12".parse().unwrap(),
        to: Prefix::ANY,
        table: 100,
    })
    .unwrap();
    let (v, steps) = run(&ns, "10.0.130.5", "10.0.64.7", "ens6");
    assert_eq!(v, forward_via_ens5(&ns, false));
    assert_eq!(
        step(&steps, Check::FvsLookup).next,
        Next::Goto("last_resort")
    );
    for rp in [1, 2] {
        set_rp(&mut ns, "ens6", rp);
        let (v, steps) = run(&ns, "10.0.130.5", "10.0.64.7", "ens6");
        assert_eq!(v, EXDEV, "rp_filter {rp}");
        assert_eq!(step(&steps, Check::FvsLastResort).next, Next::Goto("e_rpf"));
    }
}

/// dev_match (fib_frontend.c:384-393): the reply leaves through the ingress
/// device itself: accepted in strict mode, returning 1 (5.10: nexthop scope at
/// least RT_SCOPE_LINK), which with oif == iif marks the packet for a
/// redirect (route.c:1872-1880).
#[test]
fn dev_match_accepts_even_in_strict_mode() {
    let mut ns = incident_node(KernelVersion::V5_10);
    set_rp(&mut ns, "all", 1);
    let (v, steps) = run(&ns, "10.0.130.5", "8.8.8.8", "ens5");
    assert_eq!(v, forward_via_ens5(&ns, true));
    assert_eq!(
        step(&steps, Check::FvsDevMatch).next,
        Next::Return("1".into())
    );
    let p = pkt(&ns, "10.0.130.5", "8.8.8.8", "ens5");
    assert!(incident_sim::sim::linux::input::sends_redirect(&ns, &p, v));
    // 6.12+ returns 1 only for nexthop scope host (a directly connected
    // source), so a client behind the gateway gets no redirect hint there.
    let mut ns = incident_node(KernelVersion::V6_18);
    set_rp(&mut ns, "all", 1);
    let (v, _) = run(&ns, "10.0.130.5", "8.8.8.8", "ens5");
    assert_eq!(v, forward_via_ens5(&ns, false));
    let (v, _) = run(&ns, "10.0.0.20", "8.8.8.8", "ens5");
    assert_eq!(v, forward_via_ens5(&ns, true));
}

/// Strict mode with an address on ens6: dev_match is 0, no_addr is 0, rpf == 1
/// → e_rpf (fib_frontend.c:396-397).
#[test]
fn strict_mode_rejects_a_reply_through_another_device() {
    let mut ns = incident_node(KernelVersion::V5_10);
    ns.addr_add("ens6", ip("192.168.1.1"), 32).unwrap();
    set_rp(&mut ns, "ens6", 1);
    let (v, steps) = run(&ns, "10.0.130.5", "10.0.64.7", "ens6");
    assert_eq!(v, EXDEV);
    assert_eq!(step(&steps, Check::FvsNoAddrJump).next, Next::Continue);
    assert_eq!(step(&steps, Check::FvsStrict).next, Next::Goto("e_rpf"));
}

/// Loose mode with an address on ens6: the second lookup restricted to ens6
/// finds nothing, ret stays 0, accepted (fib_frontend.c:398-405).
#[test]
fn loose_mode_accepts_once_ens6_has_an_address() {
    let mut ns = incident_node(KernelVersion::V5_10);
    ns.addr_add("ens6", ip("192.168.1.1"), 32).unwrap();
    set_rp(&mut ns, "ens6", 2);
    let (v, steps) = run(&ns, "10.0.130.5", "10.0.64.7", "ens6");
    assert_eq!(v, forward_via_ens5(&ns, false));
    assert_eq!(step(&steps, Check::FvsLoose).next, Next::Return("0".into()));
}

/// A reverse route that is not RTN_UNICAST (the subnet broadcast) → e_inval
/// (fib_frontend.c:379-381, 413-414): -EINVAL, not counted as rp_filter.
#[test]
fn non_unicast_reverse_route_is_e_inval() {
    let mut ns = incident_node(KernelVersion::V5_10);
    set_rp(&mut ns, "all", 1);
    let (v, steps) = run(&ns, "10.0.15.255", "8.8.8.8", "ens5");
    assert_eq!(v, EINVAL_SRC);
    assert_eq!(
        step(&steps, Check::FvsRouteType).next,
        Next::Goto("e_inval")
    );
    assert_eq!(
        step(&steps, Check::FvsEInval).next,
        Next::Return("-EINVAL".into())
    );
    // Our own address as source is RTN_LOCAL: e_inval too without accept_local.
    let (v, _) = run(&ns, "10.0.0.10", "8.8.8.8", "ens6");
    assert_eq!(v, EINVAL_SRC);
}

/// Fast path, source is one of our addresses: -EINVAL (fib_frontend.c:438-439);
/// accept_local skips that (429-430).
#[test]
fn local_source_on_the_fast_path_is_einval_unless_accept_local() {
    let mut ns = incident_node(KernelVersion::V5_10);
    let (v, steps) = run(&ns, "10.0.0.10", "10.0.64.7", "ens6");
    assert_eq!(v, EINVAL_SRC);
    assert_eq!(
        step(&steps, Check::VsLocalSource).next,
        Next::Return("-EINVAL".into())
    );
    ns.conf_mut("all").unwrap().accept_local = true;
    let (v, _) = run(&ns, "10.0.0.10", "10.0.64.7", "ens6");
    assert_eq!(v, forward_via_ens5(&ns, false));
}

/// Martian sources (route.c:2187-2188, 2198-2199, 2210-2212) keep the initial
/// err = -EINVAL; martian destinations (2201-2202, 2207-2209) are -EINVAL.
#[test]
fn martian_sources_and_destinations() {
    let ns = incident_node(KernelVersion::V5_10);
    for (src, dst, want, check) in [
        ("224.0.0.5", "10.0.0.10", EINVAL_SRC, Check::InSourceMartian),
        (
            "255.255.255.255",
            "10.0.0.10",
            EINVAL_SRC,
            Check::InSourceMartian,
        ),
        ("0.0.0.0", "10.0.0.10", EINVAL_SRC, Check::InZeroNet),
        ("127.0.0.5", "10.0.0.10", EINVAL_SRC, Check::InLoopback),
        (
            "10.0.130.5",
            "0.0.0.0",
            InputVerdict::MartianDestination,
            Check::InZeroNet,
        ),
        (
            "10.0.130.5",
            "127.0.0.1",
            InputVerdict::MartianDestination,
            Check::InLoopback,
        ),
    ] {
        let (v, steps) = run(&ns, src, dst, "ens6");
        assert_eq!(v, want, "{src} -> {dst}");
        assert!(
            matches!(step(&steps, check).next, Next::Goto(_)),
            "{src} -> {dst}"
        );
        assert_eq!(v.route_get_errno(), Some(Errno::Inval));
    }
}

/// fib_lookup fails: -ENETUNREACH with forwarding on, dst.error for ip_error
/// (route.c:2238-2242, 2340-2345, 2317-2320).
#[test]
fn no_route_is_enetunreach() {
    let ns = bare_node(KernelVersion::V5_10);
    let (v, steps) = run(&ns, "10.0.130.5", "10.0.64.7", "ens6");
    assert_eq!(
        v,
        InputVerdict::Unroutable {
            errno: Errno::NetUnreach
        }
    );
    assert_eq!(
        step(&steps, Check::InFibLookup).next,
        Next::Goto("no_route")
    );
    assert!(!checks(&steps).contains(&Check::VsEffectiveRpFilter));
}

/// An `unreachable` route: fib_props -EHOSTUNREACH (fib_semantics.c:97-146),
/// before any source validation.
#[test]
fn unreachable_route_is_ehostunreach() {
    let mut ns = incident_node(KernelVersion::V5_10);
    ns.route_add(RT_TABLE_MAIN, unreachable("10.0.64.7"), false)
        .unwrap();
    set_rp(&mut ns, "ens6", 2);
    let (v, steps) = run(&ns, "10.0.130.5", "10.0.64.7", "ens6");
    assert_eq!(
        v,
        InputVerdict::Unroutable {
            errno: Errno::HostUnreach
        }
    );
    assert!(!checks(&steps).contains(&Check::VsEffectiveRpFilter));
}

/// Forwarding off on the ingress device: -EHOSTUNREACH for a unicast route
/// (route.c:2262-2265) and for a failed lookup (2239-2241); local delivery
/// still validates and works.
#[test]
fn forwarding_off_is_ehostunreach() {
    let mut ns = incident_node(KernelVersion::V5_10);
    ns.set_ip_forward(false);
    let hostunreach = InputVerdict::Unroutable {
        errno: Errno::HostUnreach,
    };
    let (v, steps) = run(&ns, "10.0.130.5", "10.0.64.7", "ens6");
    assert_eq!(v, hostunreach);
    assert_eq!(
        step(&steps, Check::InForwarding).next,
        Next::Goto("no_route")
    );
    let mut bare = bare_node(KernelVersion::V5_10);
    bare.set_ip_forward(false);
    assert_eq!(run(&bare, "10.0.130.5", "10.0.64.7", "ens6").0, hostunreach);
    let (v, steps) = run(&ns, "10.0.130.5", "10.0.0.10", "ens6");
    assert_eq!(v, InputVerdict::LocalDeliver);
    assert!(checks(&steps).contains(&Check::InLocalDeliver));
}

/// RTN_LOCAL validates with oif 0 (route.c:2254-2258) and keeps -EXDEV on the
/// way to martian_source (2366-2368): local delivery fails the same way.
#[test]
fn local_delivery_is_validated_too() {
    let mut ns = incident_node(KernelVersion::V5_10);
    let (v, _) = run(&ns, "10.0.130.5", "10.0.0.10", "ens6");
    assert_eq!(v, InputVerdict::LocalDeliver);
    set_rp(&mut ns, "ens6", 2);
    let (v, steps) = run(&ns, "10.0.130.5", "10.0.0.10", "ens6");
    assert_eq!(v, EXDEV);
    assert!(checks(&steps).contains(&Check::InLocal));
    // Broadcasts go through brd_input, validated with dst 0 (2273-2281).
    let (v, _) = run(&ns, "10.0.130.5", "10.0.15.255", "ens6");
    assert_eq!(v, EXDEV);
    let (v, _) = run(&ns, "10.0.130.5", "255.255.255.255", "ens6");
    assert_eq!(v, EXDEV);
    let (v, _) = run(&ns, "10.0.0.20", "255.255.255.255", "ens5");
    assert_eq!(v, InputVerdict::Broadcast);
}

// ----- the cross product ---------------------------------------------------

#[derive(Clone, Copy, Debug)]
enum Where {
    All,
    Ens6,
}
#[derive(Clone, Copy, Debug)]
enum Fwd {
    Present,
    Absent,
    Unreachable,
}

/// rp_filter {0,1,2} × {all, ens6} × {address on ens6, none} × {forward route
/// present, absent, unreachable} × {Cilium rule present, absent}: 72 cases.
/// The forward route for the deleted pod's IP is the node's default route
/// ("absent": the node has only a route for the client's range, so the
/// reverse path still exists; "unreachable": Cilium's `unreachable
/// 10.0.64.7` next to the default route).
#[test]
fn cross_product_of_the_incident_parameters() {
    let mut n = 0;
    for rp in [0, 1, 2] {
        for wh in [Where::All, Where::Ens6] {
            for addr in [false, true] {
                for fwd in [Fwd::Present, Fwd::Absent, Fwd::Unreachable] {
                    for rule in [false, true] {
                        n += 1;
                        let mut ns = bare_node(KernelVersion::V5_10);
                        let client = route("10.0.128.0/17", "ens5", Some("10.0.0.1"), &ns);
                        ns.route_add(RT_TABLE_MAIN, client, false).unwrap();
                        if !matches!(fwd, Fwd::Absent) {
                            let d = route("default", "ens5", Some("10.0.0.1"), &ns);
                            ns.route_add(RT_TABLE_MAIN, d, false).unwrap();
                        }
                        if matches!(fwd, Fwd::Unreachable) {
                            ns.route_add(RT_TABLE_MAIN, unreachable("10.0.64.7"), false)
                                .unwrap();
                        }
                        if addr {
                            ns.addr_add("ens6", ip("192.168.1.1"), 32).unwrap();
                        }
                        if rule {
                            add_cilium_rule(&mut ns);
                        }
                        match wh {
                            Where::All => set_rp(&mut ns, "all", rp),
                            Where::Ens6 => set_rp(&mut ns, "ens6", rp),
                        }
                        let (got, _) = run(&ns, "10.0.130.5", "10.0.64.7", "ens6");
                        let want = expected(&ns, rp, addr, fwd, rule);
                        assert_eq!(
                            got, want,
                            "rp_filter={rp} on {wh:?}, ens6 address: {addr}, forward route: {fwd:?}, cilium rule: {rule}"
                        );
                    }
                }
            }
        }
    }
    assert_eq!(n, 72);
}

/// The 5.10 outcome for one case of the cross product. Where the rp_filter
/// is set does not matter: IN_DEV_RPFILTER is max(all, dev)
/// (include/linux/inetdevice.h:92-99, IN_DEV_MAXCONF).
fn expected(ns: &NetNs, rp: i32, addr: bool, fwd: Fwd, rule: bool) -> InputVerdict {
    match fwd {
        // fib_lookup returns -ENETUNREACH, forwarding is on: no_route; the
        // source is never validated (route.c:2238-2242).
        Fwd::Absent => InputVerdict::Unroutable {
            errno: Errno::NetUnreach,
        },
        // fib_table_lookup returns fib_props[RTN_UNREACHABLE].error =
        // -EHOSTUNREACH (fib_trie.c:1521, fib_semantics.c:97-146), same path.
        Fwd::Unreachable => InputVerdict::Unroutable {
            errno: Errno::HostUnreach,
        },
        Fwd::Present => {
            if rule {
                // Any rule sets fib_has_custom_rules, so even rp_filter 0
                // takes the full check (fib_frontend.c:435-437); the reverse
                // lookup (saddr = 10.0.64.7) matches rule 111 → table 11 →
                // default via 10.0.64.1 dev ens6: dev_match, return
                // nhc_scope >= RT_SCOPE_LINK = 1 (390-392). ens5 != ens6, so
                // no redirect, but direct_src is what validation returned.
                forward_via_ens5(ns, true)
            } else if rp == 0 {
                // Fast path: oif ens5 != dev ens6, no custom rules or local
                // routes, 10.0.130.5 is not ours → return 0 (427-443).
                forward_via_ens5(ns, false)
            } else if !addr {
                // Reverse route via ens5: dev_match 0; no_addr → last_resort
                // (394-395); rpf != 0 → e_rpf → -EXDEV (407-409, 415-416).
                EXDEV
            } else if rp == 1 {
                // dev_match 0, no_addr 0, rpf == 1 → e_rpf (396-397).
                EXDEV
            } else {
                // Loose: second lookup with oif ens6 finds no route through
                // ens6 (a /32 address adds none), ret = 0 (398-405).
                forward_via_ens5(ns, false)
            }
        }
    }
}
