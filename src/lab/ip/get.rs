//! `ip route get`: the kernel's input or output route lookup for one packet, as iproute2 prints it.

use super::{incomplete, matches, nl_err, no_device};
use crate::lab::inet::{parse_prefix, prefix_error, InetPrefix};
use crate::lab::{format_steps, Lab, Output};
use crate::sim::linux::fib::{table_name, RouteType, RT_TABLE_LOCAL, RT_TABLE_MAIN};
use crate::sim::linux::input::sends_redirect;
use crate::sim::linux::{route_input, Errno, InputPacket, InputVerdict, NetlinkError};
use std::net::Ipv4Addr;

pub(super) fn route_get(lab: &mut Lab, args: &[&str], out: &mut Output) -> bool {
    // iproute_get (iproute2 6.1 ip/iproute.c): words are matched in this
    // order; anything unknown is the destination (a later one replaces an
    // earlier one). The family becomes inet with the first address parsed.
    let mut dst: Option<InetPrefix> = None;
    let mut from: Option<InetPrefix> = None;
    let mut iif: Option<&str> = None;
    let mut family_known = false;
    let mut i = 0;
    while i < args.len() {
        let w = args[i];
        if w == "tos" || matches(w, "dsfield") {
            return false;
        } else if matches(w, "from") {
            let Some(v) = args.get(i + 1) else {
                return incomplete(out);
            };
            if matches(v, "help") {
                return false;
            }
            match parse_prefix(v, family_known) {
                Some(p) => {
                    family_known |= p.bytelen > 0 || p.bitlen > 0;
                    from = Some(p);
                }
                None => {
                    out.err(prefix_error(v, family_known));
                    return true;
                }
            }
            i += 2;
        } else if matches(w, "iif") {
            let Some(v) = args.get(i + 1) else {
                return incomplete(out);
            };
            iif = Some(v);
            i += 2;
        } else if [
            "mark",
            "oif",
            "notify",
            "connected",
            "vrf",
            "uid",
            "fibmatch",
        ]
        .iter()
        .any(|k| matches(w, k))
            || ["dev", "as"].contains(&w)
            || ["sport", "dport", "ipproto"].iter().any(|k| matches(w, k))
        {
            return false;
        } else {
            let v = if w == "to" {
                i += 1;
                match args.get(i) {
                    Some(v) => *v,
                    None => return incomplete(out),
                }
            } else {
                w
            };
            if matches(v, "help") {
                return false;
            }
            let Some(mut p) = parse_prefix(v, family_known) else {
                out.err(prefix_error(v, family_known));
                return true;
            };
            family_known |= p.bytelen > 0 || p.bitlen > 0;
            if family_known && p.bitlen != 32 {
                out.err(format!(
                    "Warning: /{} as prefix is invalid, only /32 (or none) is supported.",
                    p.bitlen
                ));
                p.bitlen = 32;
            }
            dst = Some(p);
            i += 1;
        }
    }
    let Some(dstp) = dst else {
        out.err("need at least a destination address");
        return true;
    };
    if let Some(name) = iif {
        if lab.ns.ifindex(name).is_none() {
            no_device(out, name);
            return true;
        }
    }
    // inet_rtm_valid_getroute_req (strict checking, which iproute2 turns
    // on): 5.10 route.c:3119-3143.
    let src_len = from.map(|p| p.bitlen).unwrap_or(0);
    if (src_len != 0 && src_len != 32) || (dstp.bitlen != 0 && dstp.bitlen != 32) {
        out.err("Error: ipv4: Invalid values in header for route get request.");
        return true;
    }
    if from.is_some_and(|p| p.bytelen > 0 && p.bitlen == 0)
        || (dstp.bytelen > 0 && dstp.bitlen == 0)
    {
        out.err("Error: ipv4: rtm_src_len and rtm_dst_len must be 32 for IPv4.");
        return true;
    }
    let dst = dstp.addr;
    let from = from.map(|p| p.addr).filter(|a| !a.is_unspecified());
    if dst.is_multicast() {
        // ip_route_input_rcu / output take multicast paths the lab does not model.
        return false;
    }
    match iif {
        Some(name) => {
            let Some(dev) = lab.ns.ifindex(name) else {
                no_device(out, name);
                return true;
            };
            let saddr = from.unwrap_or(Ipv4Addr::UNSPECIFIED);
            let mut steps = Vec::new();
            let d = route_input(
                &lab.ns,
                InputPacket {
                    saddr,
                    daddr: dst,
                    iif: dev,
                },
                Some(&mut steps),
            );
            let from_txt = if saddr.is_unspecified() {
                String::new()
            } else {
                format!(" from {saddr}")
            };
            match d.verdict {
                InputVerdict::Forward {
                    dev: odev, gateway, ..
                } => {
                    let mut l = format!("{dst}{from_txt}");
                    if let Some(g) = gateway {
                        l.push_str(&format!(" via {g}"));
                    }
                    l.push_str(&format!(" dev {}", lab.ns.dev_name(odev)));
                    if let Some(t) = d.table.filter(|t| shown_table(lab, *t)) {
                        l.push_str(&format!(" table {}", table_name(t)));
                    }
                    out.out(format!("{l} "));
                    let pkt = InputPacket {
                        saddr,
                        daddr: dst,
                        iif: dev,
                    };
                    if sends_redirect(&lab.ns, &pkt, d.verdict) {
                        out.out(format!("    cache <redirect> iif {name} "));
                    } else {
                        out.out(format!("    cache iif {name} "));
                    }
                }
                InputVerdict::LocalDeliver | InputVerdict::Broadcast => {
                    let word = if d.verdict == InputVerdict::Broadcast {
                        "broadcast"
                    } else {
                        "local"
                    };
                    let mut l = format!("{word} {dst}{from_txt} dev lo");
                    if let Some(t) = d.table.filter(|t| shown_table(lab, *t)) {
                        l.push_str(&format!(" table {}", table_name(t)));
                    }
                    out.out(format!("{l} "));
                    let flags = if d.verdict == InputVerdict::Broadcast {
                        "local,brd"
                    } else {
                        "local"
                    };
                    out.out(format!("    cache <{flags}> iif {name} "));
                }
                v => {
                    let e = v.route_get_errno().unwrap_or(Errno::Inval);
                    nl_err(out, NetlinkError::plain(e));
                }
            }
            if lab.explain {
                out.explain(format!(
                    "# ip_route_input_slow({dst} from {saddr} iif {name}) on Linux {}:",
                    lab.ns.version
                ));
                for l in format_steps(&lab.ns, &steps) {
                    out.explain(l);
                }
            }
            lab.last_steps = steps;
        }
        None if dst.is_unspecified() => {
            // ip_route_output_key_hash_rcu: no destination means the source,
            // or 127.0.0.1, over loopback (5.10 route.c:2700-2709).
            if let Some(f) = from {
                if let Err(e) = lab.ns.route_output(f, Some(f)) {
                    nl_err(out, e);
                    return true;
                }
                out.out(format!("local 0.0.0.0 from {f} dev lo uid 0 "));
            } else {
                out.out("local 0.0.0.0 dev lo src 127.0.0.1 uid 0 ");
            }
            out.out("    cache <local> ");
        }
        None => match lab.ns.route_output(dst, from) {
            Ok(o) => {
                // rt_fill_info: RTA_SRC only for a non-zero `from`, RTA_PREFSRC
                // only when the flow's source differs from it.
                let from = from.filter(|f| !f.is_unspecified());
                let r = &o.route;
                let from_txt = from.map(|f| format!(" from {f}")).unwrap_or_default();
                let mut l = match r.kind {
                    RouteType::Local => format!("local {dst}{from_txt} dev lo"),
                    RouteType::Broadcast => format!(
                        "broadcast {dst}{from_txt} dev {}",
                        r.dev.map(|d| lab.ns.dev_name(d)).unwrap_or_default()
                    ),
                    _ => {
                        let mut l = format!("{dst}{from_txt}");
                        if let Some(g) = r.gateway {
                            l.push_str(&format!(" via {g}"));
                        }
                        if let Some(dv) = r.dev {
                            l.push_str(&format!(" dev {}", lab.ns.dev_name(dv)));
                        }
                        l
                    }
                };
                if shown_table(lab, o.table) {
                    l.push_str(&format!(" table {}", table_name(o.table)));
                }
                if from.is_none() {
                    l.push_str(&format!(" src {}", o.src));
                }
                l.push_str(" uid 0 ");
                out.out(l);
                out.out(match r.kind {
                    RouteType::Local => "    cache <local> ",
                    RouteType::Broadcast => "    cache <local,brd> ",
                    _ => "    cache ",
                });
            }
            Err(e) => nl_err(out, e),
        },
    }
    true
}

/// Whether `ip route get` names the table: not for main, and not for local
/// while no `ip rule` was ever added (the kernel then keeps local and main
/// merged in one trie and reports the hit as main).
fn shown_table(lab: &Lab, t: u32) -> bool {
    t != RT_TABLE_MAIN && (t != RT_TABLE_LOCAL || lab.ns.fib.has_custom_rules)
}
