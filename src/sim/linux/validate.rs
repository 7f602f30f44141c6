//! Reverse-path source validation: `fib_validate_source()` and
//! `__fib_validate_source()` (`net/ipv4/fib_frontend.c`, 5.10.262 L343–448).
//!
//! Paraphrased from the kernel's control flow (facts.md §1.1, §1.2), one
//! [`Check`] per branch. The detail that decided the incident: the
//! `no_addr` test (L394–395) comes *before* the rp_filter mode is looked at,
//! so on a device without an IPv4 address a source whose reverse route uses
//! another device goes to `last_resort`, which rejects whenever rp_filter is
//! non-zero: loose mode behaves like strict mode there.

use super::errno::Errno;
use super::explain::{step, Check, Next, Steps};
use super::fib::{RouteType, Scope};
use super::netdev::IfIndex;
use super::ns::NetNs;
use std::net::Ipv4Addr;

/// The arguments of `fib_validate_source(skb, src, dst, tos, oif, dev, idev, itag)`.
#[derive(Clone, Copy, Debug)]
pub struct ValidateArgs {
    /// The packet's source (`src`).
    pub saddr: Ipv4Addr,
    /// The packet's destination (`dst`).
    pub daddr: Ipv4Addr,
    /// `oif`: the forward route's output device, or `None` (0) for local delivery.
    pub oif: Option<IfIndex>,
    /// `dev`: the ingress device.
    pub dev: IfIndex,
}

/// What validation returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Validity {
    /// `>= 0`: accepted; `direct` is the return value 1 (`RTCF_DIRECTSRC`:
    /// the source is on a directly connected network of the ingress device).
    Accept {
        /// Returned 1 rather than 0.
        direct: bool,
    },
    /// `< 0`: rejected with this errno (`-EXDEV` from `e_rpf`, `-EINVAL`
    /// from `e_inval` or a local source).
    Reject(Errno),
    /// 6.13+: `e_rpf` returns `SKB_DROP_REASON_IP_RPFILTER`.
    RejectRpFilter,
}

impl Validity {
    /// True for any rejection.
    pub fn rejected(self) -> bool {
        !matches!(self, Validity::Accept { .. })
    }
}

fn ret_text(v: Validity) -> String {
    match v {
        Validity::Accept { direct } => (direct as u8).to_string(),
        Validity::Reject(e) => format!("-{}", e.name()),
        Validity::RejectRpFilter => "-SKB_DROP_REASON_IP_RPFILTER".into(),
    }
}

/// `fib_validate_source()`: the wrapper with its fast path.
pub fn fib_validate_source(ns: &NetNs, a: ValidateArgs, mut steps: Steps<'_>) -> Validity {
    let dev = ns
        .dev(a.dev)
        .expect("validate_source on a device that exists");
    let r = ns.sysctl.rp_filter(dev);
    step!(steps, Check::VsEffectiveRpFilter, Next::Continue,
        format!("rp_filter = max(conf/all = {}, conf/{} = {}) = {}", ns.sysctl.all.rp_filter, dev.name, dev.conf.rp_filter, r),
        "rp_filter" => r);
    let redirect_back = a.oif == Some(a.dev) && ns.sysctl.send_redirects(dev);
    if r == 0 && !redirect_back {
        step!(steps, Check::VsFastPath, Next::Continue,
            "rp_filter is 0, no routing realms, not sent back out of the ingress device: try the fast path".into());
        if ns.sysctl.accept_local(dev) {
            let v = Validity::Accept { direct: false };
            step!(
                steps,
                Check::VsAcceptLocal,
                Next::Return(ret_text(v)),
                "accept_local is set: accept".into()
            );
            return v;
        }
        step!(
            steps,
            Check::VsAcceptLocal,
            Next::Continue,
            "accept_local is 0".into()
        );
        if ns.fib.has_custom_local_routes || ns.fib.has_custom_rules {
            step!(steps, Check::VsCustomRules, Next::Goto("full_check"),
                "custom ip rules or local routes exist (fib_has_custom_rules): the fast path could be wrong, do the full check".into(),
                "fib_has_custom_rules" => ns.fib.has_custom_rules as u8,
                "fib_has_custom_local_routes" => ns.fib.has_custom_local_routes as u8);
        } else {
            step!(
                steps,
                Check::VsCustomRules,
                Next::Continue,
                "no custom rules or local routes".into()
            );
            if ns.is_local_addr(a.saddr) {
                let v = Validity::Reject(Errno::Inval);
                step!(
                    steps,
                    Check::VsLocalSource,
                    Next::Return(ret_text(v)),
                    format!("source {} is one of this host's addresses: reject", a.saddr)
                );
                return v;
            }
            let v = Validity::Accept { direct: false };
            step!(
                steps,
                Check::VsFastAccept,
                Next::Return(ret_text(v)),
                format!(
                    "source {} is not local: accept without a reverse lookup",
                    a.saddr
                )
            );
            return v;
        }
    } else {
        step!(steps, Check::VsFastPath, Next::Goto("full_check"),
            if r != 0 { format!("rp_filter = {r}: full check") } else { "the packet would go back out of its ingress device with send_redirects on: full check".into() },
            "rp_filter" => r);
    }
    validate_full(ns, a, r, steps)
}

/// `__fib_validate_source()` with the effective `rpf`.
pub fn validate_full(ns: &NetNs, a: ValidateArgs, rpf: i32, mut steps: Steps<'_>) -> Validity {
    let dev = ns.dev(a.dev).expect("device exists");
    let iif = a.oif.unwrap_or(IfIndex::LOOPBACK);
    step!(steps, Check::FvsReverseKey, Next::Continue,
        format!("reverse flow: daddr = {} (the packet's source), saddr = {} (its destination), iif = {}",
            a.saddr, a.daddr, ns.dev_name(iif)),
        "fl4.daddr" => a.saddr, "fl4.saddr" => a.daddr, "fl4.flowi4_iif" => ns.dev_name(iif));
    let no_addr = dev.no_addr();
    step!(steps, Check::FvsNoAddr, Next::Continue,
        format!("no_addr = {}: {} has {}", no_addr as u8, dev.name,
            if no_addr { "no IPv4 address".to_string() } else { format!("{} IPv4 address(es)", dev.addrs.len()) }),
        "no_addr" => no_addr as u8);

    let looked = ns.fib.lookup(a.saddr, a.daddr, None);
    let res = match looked {
        Err(miss) => {
            step!(steps, Check::FvsLookup, Next::Goto("last_resort"),
                format!("no route back to {}: fib_lookup returned -{}", a.saddr, miss.errno.name()),
                "fib_lookup" => format!("-{}", miss.errno.name()));
            return last_resort(ns, rpf, steps);
        }
        Ok(res) => res,
    };
    step!(steps, Check::FvsLookup, Next::Continue,
        format!("route back to {}: {} (table {}, rule {})", a.saddr, ns.describe_route(&res.route), super::fib::table_name(res.table), res.rule),
        "route" => ns.describe_route(&res.route), "table" => super::fib::table_name(res.table));

    let accept_local = ns.sysctl.accept_local(dev);
    let type_ok = res.route.kind == RouteType::Unicast
        || (res.route.kind == RouteType::Local && accept_local);
    if !type_ok {
        step!(steps, Check::FvsRouteType, Next::Goto("e_inval"),
            format!("reverse route type {} is not RTN_UNICAST (nor RTN_LOCAL with accept_local)", res.route.kind.rtn_name()),
            "res.type" => res.route.kind.rtn_name());
        let v = Validity::Reject(Errno::Inval);
        step!(
            steps,
            Check::FvsEInval,
            Next::Return(ret_text(v)),
            "e_inval: return -EINVAL".into()
        );
        return v;
    }
    step!(steps, Check::FvsRouteType, Next::Continue,
        format!("reverse route type {} is acceptable", res.route.kind.rtn_name()),
        "res.type" => res.route.kind.rtn_name());

    let dev_match = res.route.dev == Some(a.dev)
        || (res.route.kind == RouteType::Local && a.dev == IfIndex::LOOPBACK);
    let direct_scope = if ns.version.direct_src_scope_is_host() {
        Scope::HOST
    } else {
        Scope::LINK
    };
    if dev_match {
        let v = Validity::Accept {
            direct: res.route.nh_scope() >= direct_scope,
        };
        step!(steps, Check::FvsDevMatch, Next::Return(ret_text(v)),
            format!("dev_match = 1: the reply would leave through {} itself: accept", dev.name),
            "dev_match" => 1, "nh_scope" => res.route.nh_scope().name());
        return v;
    }
    step!(steps, Check::FvsDevMatch, Next::Continue,
        format!("dev_match = 0: the reply would leave through {}, not {}",
            res.route.dev.map(|d| ns.dev_name(d)).unwrap_or_else(|| "-".into()), dev.name),
        "dev_match" => 0);

    if no_addr {
        step!(steps, Check::FvsNoAddrJump, Next::Goto("last_resort"),
            format!("no_addr is 1 ({} has no IPv4 address): skip the rp_filter mode and go to last_resort", dev.name),
            "no_addr" => 1);
        return last_resort(ns, rpf, steps);
    }
    step!(steps, Check::FvsNoAddrJump, Next::Continue, "no_addr is 0".into(), "no_addr" => 0);

    if rpf == 1 {
        step!(steps, Check::FvsStrict, Next::Goto("e_rpf"),
            "rp_filter = 1 (strict): a reply through another device is a failure".into(), "rpf" => rpf);
        return e_rpf(ns, steps);
    }
    step!(steps, Check::FvsStrict, Next::Continue, format!("rp_filter = {rpf}: not strict"), "rpf" => rpf);

    let second = ns.fib.lookup(a.saddr, a.daddr, Some(a.dev));
    let direct = matches!(second, Ok(r) if r.route.kind == RouteType::Unicast && r.route.nh_scope() >= direct_scope);
    let v = Validity::Accept { direct };
    step!(steps, Check::FvsLoose, Next::Return(ret_text(v)),
        format!("loose mode: second lookup restricted to oif {} ({}); whatever it finds, the source is reachable: accept",
            dev.name,
            match second { Ok(r) => ns.describe_route(&r.route), Err(m) => format!("-{}", m.errno.name()) }),
        "second_lookup" => match second { Ok(r) => ns.describe_route(&r.route), Err(m) => format!("-{}", m.errno.name()) });
    v
}

fn last_resort(ns: &NetNs, rpf: i32, mut steps: Steps<'_>) -> Validity {
    if rpf != 0 {
        step!(steps, Check::FvsLastResort, Next::Goto("e_rpf"),
            format!("last_resort: rp_filter = {rpf} is non-zero (strict or loose alike): fail"), "rpf" => rpf);
        return e_rpf(ns, steps);
    }
    let v = Validity::Accept { direct: false };
    step!(steps, Check::FvsLastResort, Next::Return(ret_text(v)),
        "last_resort: rp_filter = 0: accept".into(), "rpf" => rpf);
    v
}

fn e_rpf(ns: &NetNs, mut steps: Steps<'_>) -> Validity {
    let v = if ns.version.has_drop_reasons() {
        Validity::RejectRpFilter
    } else {
        Validity::Reject(Errno::XDev)
    };
    step!(
        steps,
        Check::FvsERpf,
        Next::Return(ret_text(v)),
        if ns.version.has_drop_reasons() {
            "e_rpf: return the drop reason SKB_DROP_REASON_IP_RPFILTER".to_string()
        } else {
            "e_rpf: return -EXDEV (\"Invalid cross-device link\")".to_string()
        }
    );
    v
}
