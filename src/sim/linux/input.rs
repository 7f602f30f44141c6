//! The input routing decision: `ip_route_input_slow()` (`net/ipv4/route.c`).
//!
//! Every packet the node receives goes through [`route_input`], in the
//! kernel's order: martian address checks, the forward FIB lookup, local
//! delivery or forwarding, and on both branches `fib_validate_source` (see
//! [`super::validate`]). The result says what happens to the packet and what
//! `ip route get … iif DEV` reports for it (facts.md §1.4–§1.6).

use super::errno::Errno;
use super::explain::{step, Check, Next, Steps};
use super::fib::{table_name, RouteType};
use super::netdev::IfIndex;
use super::ns::NetNs;
use super::validate::{fib_validate_source, ValidateArgs, Validity};
use serde::Serialize;
use std::net::Ipv4Addr;

/// A received IPv4 packet, as far as routing cares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InputPacket {
    /// Source address.
    pub saddr: Ipv4Addr,
    /// Destination address.
    pub daddr: Ipv4Addr,
    /// Ingress device.
    pub iif: IfIndex,
}

/// What the kernel does with the packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InputVerdict {
    /// Delivered to a local socket (`ip_local_deliver`).
    LocalDeliver,
    /// Forwarded out of `dev` (to `gateway`, or directly to the destination).
    Forward {
        /// Output device.
        dev: IfIndex,
        /// Next hop, if via a gateway.
        gateway: Option<Ipv4Addr>,
        /// `RTCF_DIRECTSRC`: the source is directly connected.
        direct_src: bool,
    },
    /// Limited/directed broadcast, delivered locally.
    Broadcast,
    /// The route is an error route: the packet goes to `ip_error()`, which
    /// may answer with ICMP destination unreachable (see [`super::icmp`]).
    Unroutable {
        /// `dst.error`: `EHOSTUNREACH`, `ENETUNREACH`, `EINVAL` (blackhole), `EACCES` (prohibit).
        errno: Errno,
    },
    /// A martian source: dropped silently (`ip_handle_martian_source`).
    MartianSource {
        /// What `ip route get` reports: `EXDEV` (5.10 reverse-path failure),
        /// `EINVAL` (other invalid sources; every failure on 6.13+).
        errno: Errno,
        /// The failure came from the reverse-path filter: counted in
        /// `IPReversePathFilter` (`LINUX_MIB_IPRPFILTER`).
        rp_filter: bool,
    },
    /// A martian destination: dropped silently.
    MartianDestination,
}

impl InputVerdict {
    /// The errno `ip route get DST from SRC iif DEV` reports, if it fails.
    pub fn route_get_errno(self) -> Option<Errno> {
        match self {
            InputVerdict::Unroutable { errno } => Some(errno),
            InputVerdict::MartianSource { errno, .. } => Some(errno),
            InputVerdict::MartianDestination => Some(Errno::Inval),
            _ => None,
        }
    }

    /// The Linux drop reason name (`SKB_DROP_REASON_*`) for a dropped packet.
    pub fn drop_reason(self) -> Option<&'static str> {
        match self {
            InputVerdict::MartianSource {
                rp_filter: true, ..
            } => Some("IP_RPFILTER"),
            InputVerdict::MartianSource { .. } => Some("IP_INVALID_SOURCE"),
            InputVerdict::MartianDestination => Some("IP_INVALID_DEST"),
            InputVerdict::Unroutable {
                errno: Errno::HostUnreach,
            } => Some("IP_INADDRERRORS"),
            InputVerdict::Unroutable {
                errno: Errno::NetUnreach,
            } => Some("IP_INNOROUTES"),
            InputVerdict::Unroutable { .. } => Some("IP_INADDRERRORS"),
            _ => None,
        }
    }
}

/// The decision plus what `ip route get` shows for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InputDecision {
    /// What happens to the packet.
    pub verdict: InputVerdict,
    /// Table of the forward route (for `ip route get`'s `table` field).
    pub table: Option<u32>,
}

/// A short name for the outcome, for traces and the UI.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Fate {
    /// Delivered locally.
    Local,
    /// Forwarded.
    Forwarded,
    /// Dropped by the reverse-path filter.
    RpFilter,
    /// Dropped as another martian.
    Martian,
    /// Sent to `ip_error`.
    Unroutable,
}

fn is_lbcast(a: Ipv4Addr) -> bool {
    a == Ipv4Addr::BROADCAST
}
/// `ipv4_is_zeronet`: since 5.3 only `0.0.0.0` itself (0.0.0.0/8 became
/// usable unicast space, include/linux/in.h).
fn is_zeronet(a: Ipv4Addr) -> bool {
    a.is_unspecified()
}

/// `ip_route_input_slow()` for one packet. Pure: counters and logs are the
/// caller's job (the lab's `ip route get` must not count, the engine must).
pub fn route_input(ns: &NetNs, p: InputPacket, mut steps: Steps<'_>) -> InputDecision {
    let dev = ns.dev(p.iif).expect("ingress device exists");
    let martian_src = |ns: &NetNs, errno: Errno, rp: bool, mut steps: Steps<'_>| {
        let log = ns.sysctl.log_martians(dev);
        step!(steps, Check::InMartianSource, Next::Return(format!("-{}", errno.name())),
            if log {
                format!("martian source: logged (\"IPv4: martian source {} from {}, on dev {}\") and dropped; no ICMP, no RST", p.daddr, p.saddr, dev.name)
            } else {
                format!("martian source: dropped silently (log_martians is 0 on all and {}); no ICMP, no RST", dev.name)
            },
            "log_martians" => log as u8);
        let _ = ns;
        InputDecision {
            verdict: InputVerdict::MartianSource {
                errno,
                rp_filter: rp,
            },
            table: None,
        }
    };

    if p.saddr.is_multicast() || is_lbcast(p.saddr) {
        step!(
            steps,
            Check::InSourceMartian,
            Next::Goto("martian_source"),
            format!("source {} is multicast or limited broadcast", p.saddr)
        );
        return martian_src(ns, Errno::Inval, false, steps);
    }
    if is_lbcast(p.daddr) || (p.saddr.is_unspecified() && p.daddr.is_unspecified()) {
        step!(
            steps,
            Check::InLimitedBroadcast,
            Next::Goto("brd_input"),
            format!("destination {} is the limited broadcast", p.daddr)
        );
        // brd_input: a non-zero source is validated with dst 0 and oif 0
        // (5.10 route.c:2276-2281), exactly like a directed broadcast.
        if !is_zeronet(p.saddr) {
            let v = fib_validate_source(
                ns,
                ValidateArgs {
                    saddr: p.saddr,
                    daddr: Ipv4Addr::UNSPECIFIED,
                    oif: None,
                    dev: p.iif,
                },
                steps.as_deref_mut(),
            );
            if v.rejected() {
                let (e, rp) = reject_errno(ns, v);
                return martian_src(ns, e, rp, steps);
            }
        }
        return InputDecision {
            verdict: InputVerdict::Broadcast,
            table: None,
        };
    }
    if is_zeronet(p.saddr) {
        step!(
            steps,
            Check::InZeroNet,
            Next::Goto("martian_source"),
            format!("source {} is 0.0.0.0", p.saddr)
        );
        return martian_src(ns, Errno::Inval, false, steps);
    }
    if is_zeronet(p.daddr) {
        step!(
            steps,
            Check::InZeroNet,
            Next::Goto("martian_destination"),
            format!("destination {} is 0.0.0.0", p.daddr)
        );
        return martian_dst(ns, p, steps);
    }
    let localnet = ns.sysctl.route_localnet(dev);
    if p.daddr.is_loopback() && !localnet {
        step!(
            steps,
            Check::InLoopback,
            Next::Goto("martian_destination"),
            format!(
                "destination {} is loopback and route_localnet is 0",
                p.daddr
            )
        );
        return martian_dst(ns, p, steps);
    }
    if !p.daddr.is_loopback() && p.saddr.is_loopback() && !localnet {
        step!(
            steps,
            Check::InLoopback,
            Next::Goto("martian_source"),
            format!("source {} is loopback and route_localnet is 0", p.saddr)
        );
        return martian_src(ns, Errno::Inval, false, steps);
    }
    step!(
        steps,
        Check::InSourceMartian,
        Next::Continue,
        format!(
            "{} -> {}: no multicast, broadcast, zero-network or loopback martian",
            p.saddr, p.daddr
        )
    );

    let fwd = ns.sysctl.forwarding(dev);
    let res = match ns.fib.lookup(p.daddr, p.saddr, None) {
        Ok(res) => res,
        Err(miss) => {
            let errno = if fwd { miss.errno } else { Errno::HostUnreach };
            let why = match miss.at {
                Some((rule, table, dst)) => format!(
                    "rule {rule} -> table {}: {} route for {dst} returns -{}",
                    table_name(table),
                    route_word(miss.errno),
                    miss.errno.name()
                ),
                None => "no rule leads to a matching route: -ENETUNREACH".to_string(),
            };
            step!(steps, Check::InFibLookup, Next::Goto("no_route"), why,
                "fib_lookup" => format!("-{}", miss.errno.name()));
            step!(steps, Check::InNoRoute, Next::Goto("local_input"),
                if fwd {
                    format!("no_route: the packet gets a route whose input is ip_error (dst.error = {})", errno.name())
                } else {
                    format!("forwarding is off on {}: error becomes EHOSTUNREACH; input is ip_error", dev.name)
                },
                "dst.error" => errno.name());
            step!(
                steps,
                Check::InIpError,
                Next::Return("0".into()),
                icmp_text(errno, fwd)
            );
            return InputDecision {
                verdict: InputVerdict::Unroutable { errno },
                table: None,
            };
        }
    };
    step!(steps, Check::InFibLookup, Next::Continue,
        format!("forward lookup for {}: rule {} -> table {}: {}", p.daddr, res.rule, table_name(res.table), ns.describe_route(&res.route)),
        "route" => ns.describe_route(&res.route), "type" => res.route.kind.rtn_name());

    match res.route.kind {
        RouteType::Broadcast => {
            step!(
                steps,
                Check::InBroadcast,
                Next::Goto("brd_input"),
                format!("{} is a broadcast address of this host", p.daddr)
            );
            let v = fib_validate_source(
                ns,
                ValidateArgs {
                    saddr: p.saddr,
                    daddr: Ipv4Addr::UNSPECIFIED,
                    oif: None,
                    dev: p.iif,
                },
                steps.as_deref_mut(),
            );
            if v.rejected() {
                let (e, rp) = reject_errno(ns, v);
                return martian_src(ns, e, rp, steps);
            }
            return InputDecision {
                verdict: InputVerdict::Broadcast,
                table: Some(res.table),
            };
        }
        RouteType::Local => {
            step!(
                steps,
                Check::InLocal,
                Next::Continue,
                format!("{} is local: validate the source with oif = 0", p.daddr)
            );
            let v = fib_validate_source(
                ns,
                ValidateArgs {
                    saddr: p.saddr,
                    daddr: p.daddr,
                    oif: None,
                    dev: p.iif,
                },
                steps.as_deref_mut(),
            );
            if v.rejected() {
                let (e, rp) = reject_errno(ns, v);
                return martian_src(ns, e, rp, steps);
            }
            step!(
                steps,
                Check::InLocalDeliver,
                Next::Return("0".into()),
                format!("delivered to the local stack for {}", p.daddr)
            );
            return InputDecision {
                verdict: InputVerdict::LocalDeliver,
                table: Some(res.table),
            };
        }
        _ => {}
    }
    if !fwd {
        step!(
            steps,
            Check::InForwarding,
            Next::Goto("no_route"),
            format!(
                "forwarding is off on {}: -EHOSTUNREACH, input is ip_error",
                dev.name
            )
        );
        step!(
            steps,
            Check::InIpError,
            Next::Return("0".into()),
            icmp_text(Errno::HostUnreach, false)
        );
        return InputDecision {
            verdict: InputVerdict::Unroutable {
                errno: Errno::HostUnreach,
            },
            table: None,
        };
    }
    step!(steps, Check::InForwarding, Next::Continue, format!("forwarding is on for {}", dev.name), "forwarding" => 1);
    if res.route.kind != RouteType::Unicast {
        step!(
            steps,
            Check::InNotUnicast,
            Next::Goto("martian_destination"),
            format!(
                "route type {} cannot be forwarded",
                res.route.kind.rtn_name()
            )
        );
        return martian_dst(ns, p, steps);
    }
    let out = res.route.dev.expect("unicast routes have a device");
    step!(steps, Check::InMkroute, Next::Continue,
        format!("output device {}: validate the source against it (oif = {})", ns.dev_name(out), ns.dev_name(out)),
        "oif" => ns.dev_name(out));
    let v = fib_validate_source(
        ns,
        ValidateArgs {
            saddr: p.saddr,
            daddr: p.daddr,
            oif: Some(out),
            dev: p.iif,
        },
        steps.as_deref_mut(),
    );
    if v.rejected() {
        let (e, rp) = reject_errno(ns, v);
        return martian_src(ns, e, rp, steps);
    }
    let direct_src = matches!(v, Validity::Accept { direct: true });
    step!(
        steps,
        Check::InForward,
        Next::Return("0".into()),
        format!(
            "forwarded out of {}{}",
            ns.dev_name(out),
            res.route
                .gateway
                .map(|g| format!(" via {g}"))
                .unwrap_or_default()
        )
    );
    InputDecision {
        verdict: InputVerdict::Forward {
            dev: out,
            gateway: res.route.gateway,
            direct_src,
        },
        table: Some(res.table),
    }
}

/// Whether `__mkroute_input` marks the forwarded packet `IPSKB_DOREDIRECT`
/// (`ip route get` shows `<redirect>`): it leaves through its ingress device,
/// `fib_validate_source` returned 1 (the source is "direct", see
/// [`Validity::Accept`]) and `send_redirects` is on (5.10 route.c:1872-1880).
/// `shared_media` defaults to 1, so `inet_addr_onlink` is never consulted.
pub fn sends_redirect(ns: &NetNs, p: &InputPacket, v: InputVerdict) -> bool {
    match v {
        InputVerdict::Forward {
            dev, direct_src, ..
        } => dev == p.iif && direct_src && ns.dev(dev).is_some_and(|d| ns.sysctl.send_redirects(d)),
        _ => false,
    }
}

fn route_word(e: Errno) -> &'static str {
    match e {
        Errno::HostUnreach => "an unreachable",
        Errno::Inval => "a blackhole",
        Errno::Acces => "a prohibit",
        _ => "an error",
    }
}

fn icmp_text(errno: Errno, fwd: bool) -> String {
    if !fwd {
        return "ip_error: forwarding is off on the ingress device: count the error, send no ICMP"
            .into();
    }
    match errno {
        Errno::HostUnreach => "ip_error: ICMP destination unreachable, code 1 (host unreachable), if the rate limits allow".into(),
        Errno::NetUnreach => "ip_error: ICMP destination unreachable, code 0 (net unreachable), if the rate limits allow".into(),
        Errno::Acces => "ip_error: ICMP destination unreachable, code 13 (administratively prohibited), if the rate limits allow".into(),
        _ => "ip_error: blackhole: drop silently, no ICMP".into(),
    }
}

/// What a rejection becomes: on 5.10 the errno passes through unchanged
/// (`-EXDEV` for reverse-path failures); on 6.13+ every failure reaches
/// userspace as `-EINVAL` while the drop reason still says RPFILTER.
fn reject_errno(ns: &NetNs, v: Validity) -> (Errno, bool) {
    match v {
        Validity::Reject(Errno::XDev) => (Errno::XDev, true),
        Validity::Reject(e) => (
            if ns.version.has_drop_reasons() {
                Errno::Inval
            } else {
                e
            },
            false,
        ),
        Validity::RejectRpFilter => (Errno::Inval, true),
        Validity::Accept { .. } => unreachable!("only called on rejection"),
    }
}

fn martian_dst(ns: &NetNs, p: InputPacket, mut steps: Steps<'_>) -> InputDecision {
    let dev = ns.dev(p.iif).expect("device exists");
    let log = ns.sysctl.log_martians(dev);
    step!(
        steps,
        Check::InMartianDestination,
        Next::Return("-EINVAL".into()),
        if log {
            format!("martian destination: logged (\"IPv4: martian destination {} from {}, dev {}\") and dropped", p.daddr, p.saddr, dev.name)
        } else {
            "martian destination: dropped silently".to_string()
        }
    );
    InputDecision {
        verdict: InputVerdict::MartianDestination,
        table: None,
    }
}
