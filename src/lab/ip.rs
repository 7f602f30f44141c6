//! The `ip` commands the lab models: `link`, `address`, `route`, `rule`.
//!
//! Keywords may be abbreviated as iproute2 allows (`ip r`, `ip ru`, `ip a`),
//! and malformed arguments get iproute2's own messages (checked against
//! iproute2 6.1 on a 6.18 kernel; see `tests/lab_netns.rs`).

use super::inet::{addr_error, parse_addr, parse_prefix, prefix_error, InetPrefix};
use super::{format_steps, show, Lab, Output};
use crate::sim::linux::addr::Prefix;
use crate::sim::linux::fib::{
    table_name, Proto, Route, RouteType, Rule, Scope, RT_TABLE_DEFAULT, RT_TABLE_LOCAL,
    RT_TABLE_MAIN,
};
use crate::sim::linux::input::sends_redirect;
use crate::sim::linux::ns::RouteSelector;
use crate::sim::linux::{route_input, DevKind, Errno, InputPacket, InputVerdict, NetlinkError};
use std::net::Ipv4Addr;

/// iproute2's `matches()`: `arg` is a non-empty prefix of `word`.
fn matches(arg: &str, word: &str) -> bool {
    !arg.is_empty() && word.starts_with(arg)
}

fn garbage(key: &str, word: &str) -> String {
    format!("Error: either \"{key}\" is duplicate, or \"{word}\" is a garbage.")
}

fn nl_err(out: &mut Output, e: NetlinkError) {
    out.err(e.iproute2_text());
}

fn no_device(out: &mut Output, name: &str) {
    out.err(format!("Cannot find device \"{name}\""));
}

fn incomplete(out: &mut Output) -> bool {
    out.err("Command line is not complete. Try option \"help\"");
    true
}

fn wrong_arg(out: &mut Output, arg: &str, what: &str) {
    out.err(format!("Error: argument \"{arg}\" is wrong: {what}"));
    out.err("");
}

/// Runs `ip ARGS`; false means "not a form the lab models".
pub(super) fn run(lab: &mut Lab, args: &[&str], out: &mut Output) -> bool {
    let Some((o, args)) = show::opts(args) else {
        return false;
    };
    let Some(obj) = args.first() else {
        return false;
    };
    let rest = &args[1..];
    let plain = o == show::Opts::default();
    // Listings (`ip a`, `ip link show dev D`, ...) are in `show`.
    let listing = rest
        .first()
        .is_none_or(|w| ["show", "list", "lst"].iter().any(|k| k.starts_with(w)) || *w == "dev");
    if *obj == "help" {
        show::help(out);
        true
    } else if matches(obj, "address") {
        if listing {
            show::addr_show(lab, o, rest, out)
        } else {
            plain && addr(lab, rest, out)
        }
    } else if matches(obj, "route") {
        !o.brief && route(lab, rest, out)
    } else if matches(obj, "rule") {
        plain && rule(lab, rest, out)
    } else if matches(obj, "neighbor") || matches(obj, "neighbour") {
        !o.brief && show::neigh(lab, rest, out)
    } else if matches(obj, "link") {
        if listing {
            show::link_show(lab, o, rest, out)
        } else {
            plain && link(lab, rest, out)
        }
    } else {
        false
    }
}

// ----- ip link ------------------------------------------------------------

fn link(lab: &mut Lab, args: &[&str], out: &mut Output) -> bool {
    let Some(cmd) = args.first() else {
        return false;
    };
    let rest = &args[1..];
    if matches(cmd, "add") {
        let mut name = None;
        let mut kind = None;
        let mut i = 0;
        while i < rest.len() {
            match rest[i] {
                "type" => {
                    kind = rest.get(i + 1).copied();
                    i += 2;
                }
                "name" | "dev" => {
                    name = rest.get(i + 1).copied();
                    i += 2;
                }
                w if name.is_none() => {
                    name = Some(w);
                    i += 1;
                }
                _ => return false,
            }
        }
        let (Some(name), Some("dummy")) = (name, kind) else {
            return false;
        };
        if name.len() >= 16 || name.contains('/') || name.contains(':') {
            out.err(format!(
                "Error: argument \"{name}\" is wrong: \"name\" not a valid ifname"
            ));
            return true;
        }
        if let Err(e) = lab.ns.link_add(name, DevKind::Dummy) {
            nl_err(out, e);
        }
        true
    } else if matches(cmd, "set") {
        let mut name = None;
        let mut state = None;
        let mut i = 0;
        while i < rest.len() {
            match rest[i] {
                "dev" => {
                    name = rest.get(i + 1).copied();
                    i += 2;
                }
                "up" => {
                    state = Some(true);
                    i += 1;
                }
                "down" => {
                    state = Some(false);
                    i += 1;
                }
                w if name.is_none() => {
                    name = Some(w);
                    i += 1;
                }
                w => {
                    if [
                        "mtu", "address", "name", "master", "nomaster", "arp", "promisc", "alias",
                    ]
                    .contains(&w)
                    {
                        return false;
                    }
                    out.err(garbage("dev", w));
                    return true;
                }
            }
        }
        let Some(name) = name else {
            return false;
        };
        if lab.ns.dev_by_name(name).is_none() {
            no_device(out, name);
            return true;
        }
        let Some(up) = state else {
            return false;
        };
        if let Err(e) = lab.ns.link_set_up(name, up) {
            nl_err(out, e);
        }
        true
    } else if matches(cmd, "delete") {
        let name = match rest {
            ["dev", n] | [n] => *n,
            _ => return false,
        };
        if lab.ns.dev_by_name(name).is_none() {
            no_device(out, name);
            return true;
        }
        if let Err(e) = lab.ns.link_del(name) {
            nl_err(out, e);
        }
        true
    } else {
        false
    }
}

// ----- ip address ---------------------------------------------------------

fn addr(lab: &mut Lab, args: &[&str], out: &mut Output) -> bool {
    let Some(cmd) = args.first() else {
        return false;
    };
    let add = if matches(cmd, "add") {
        true
    } else if matches(cmd, "delete") {
        false
    } else {
        return false;
    };
    let rest = &args[1..];
    let mut local = None;
    let mut dev = None;
    let mut i = 0;
    while i < rest.len() {
        match rest[i] {
            "dev" => {
                dev = rest.get(i + 1).copied();
                i += 2;
            }
            "local" => {
                local = rest.get(i + 1).copied();
                i += 2;
            }
            w if local.is_none() => {
                local = Some(w);
                i += 1;
            }
            _ => return false,
        }
    }
    let Some(local) = local else {
        return false;
    };
    let (ip, len) = match parse_prefix(local, false) {
        Some(p) if p.bytelen > 0 && !local.starts_with("default") => (p.addr, p.bitlen),
        Some(_) => return false,
        None => {
            out.err(prefix_error(local, false));
            return true;
        }
    };
    let Some(dev) = dev else {
        out.err("Not enough information: \"dev\" argument is required.");
        return true;
    };
    if lab.ns.dev_by_name(dev).is_none() {
        no_device(out, dev);
        return true;
    }
    let r = if add {
        lab.ns.addr_add(dev, ip, len)
    } else {
        lab.ns.addr_del(dev, ip, len).map_err(|e| {
            if e.errno == Errno::AddrNotAvail && lab.ns.version.has_addr_not_found_extack() {
                NetlinkError::ext(Errno::AddrNotAvail, "ipv4: Address not found")
            } else {
                e
            }
        })
    };
    if let Err(e) = r {
        nl_err(out, e);
    }
    true
}

// ----- ip route -----------------------------------------------------------

fn parse_table(s: &str) -> Option<u32> {
    match s {
        "main" => Some(RT_TABLE_MAIN),
        "local" => Some(RT_TABLE_LOCAL),
        "default" => Some(RT_TABLE_DEFAULT),
        n => n.parse::<u32>().ok().filter(|v| *v > 0),
    }
}

fn route(lab: &mut Lab, args: &[&str], out: &mut Output) -> bool {
    let cmd = args.first().copied().unwrap_or("show");
    let rest = if args.is_empty() { args } else { &args[1..] };
    if matches(cmd, "add") {
        route_modify(lab, rest, out, false)
    } else if matches(cmd, "replace") {
        route_modify(lab, rest, out, true)
    } else if matches(cmd, "delete") {
        route_delete(lab, rest, out)
    } else if matches(cmd, "list") || matches(cmd, "show") || matches(cmd, "lst") {
        route_show(lab, rest, out)
    } else if matches(cmd, "get") {
        route_get(lab, rest, out)
    } else if [
        "change", "append", "prepend", "test", "flush", "save", "restore", "showdump", "help",
    ]
    .iter()
    .any(|k| matches(cmd, k))
    {
        false
    } else {
        out.err(format!(
            "Command \"{cmd}\" is unknown, try \"ip route help\"."
        ));
        true
    }
}

struct RouteSpec {
    kind: Option<RouteType>,
    dst: Option<(Ipv4Addr, u8, String)>,
    gateway: Option<Ipv4Addr>,
    dev: Option<String>,
    table: Option<u32>,
    scope: Option<Scope>,
    metric: Option<u32>,
    proto: Option<Proto>,
    src: Option<Ipv4Addr>,
    onlink: bool,
}

/// Parses a route spec; `Err(true)` means "an error was printed",
/// `Err(false)` "not modelled".
fn parse_route_spec(args: &[&str], out: &mut Output) -> Result<RouteSpec, bool> {
    let mut s = RouteSpec {
        kind: None,
        dst: None,
        gateway: None,
        dev: None,
        table: None,
        scope: None,
        metric: None,
        proto: None,
        src: None,
        onlink: false,
    };
    let mut i = 0;
    let mut family_known = false;
    let val = |i: usize| args.get(i + 1).copied();
    while i < args.len() {
        let w = args[i];
        match w {
            "onlink" => {
                s.onlink = true;
                i += 1;
            }
            "via" => {
                let Some(v) = val(i) else {
                    incomplete(out);
                    return Err(true);
                };
                match parse_addr(v) {
                    Some(g) => {
                        s.gateway = Some(g);
                        family_known = true;
                    }
                    None => {
                        out.err(addr_error(v, family_known));
                        return Err(true);
                    }
                }
                i += 2;
            }
            "dev" | "oif" => {
                s.dev = Some(val(i).ok_or(false)?.to_string());
                i += 2;
            }
            "table" => {
                let v = val(i).ok_or(false)?;
                match parse_table(v) {
                    Some(t) => s.table = Some(t),
                    None => {
                        wrong_arg(out, v, "\"table\" value is invalid");
                        return Err(true);
                    }
                }
                i += 2;
            }
            "scope" => {
                let v = val(i).ok_or(false)?;
                match Scope::parse(v) {
                    Some(sc) => s.scope = Some(sc),
                    None => {
                        wrong_arg(out, v, "invalid \"scope\" value");
                        return Err(true);
                    }
                }
                i += 2;
            }
            "metric" | "priority" | "preference" => {
                let v = val(i).ok_or(false)?;
                match v.parse::<u32>() {
                    Ok(m) => s.metric = Some(m),
                    Err(_) => {
                        wrong_arg(out, v, "\"metric\" value is invalid");
                        return Err(true);
                    }
                }
                i += 2;
            }
            "proto" | "protocol" => {
                s.proto = Some(match val(i).ok_or(false)? {
                    "kernel" => Proto::Kernel,
                    "boot" => Proto::Boot,
                    "static" => Proto::Static,
                    _ => return Err(false),
                });
                i += 2;
            }
            "src" => {
                let Some(v) = val(i) else {
                    incomplete(out);
                    return Err(true);
                };
                match parse_addr(v) {
                    Some(a) => {
                        s.src = Some(a);
                        family_known = true;
                    }
                    None => {
                        out.err(addr_error(v, family_known));
                        return Err(true);
                    }
                }
                i += 2;
            }
            "unicast" if s.dst.is_none() && s.kind.is_none() => {
                s.kind = Some(RouteType::Unicast);
                i += 1;
            }
            "unreachable" | "blackhole" | "prohibit" if s.dst.is_none() && s.kind.is_none() => {
                s.kind = Some(match w {
                    "unreachable" => RouteType::Unreachable,
                    "blackhole" => RouteType::Blackhole,
                    _ => RouteType::Prohibit,
                });
                i += 1;
            }
            "local" if s.dst.is_none() && s.kind.is_none() => {
                s.kind = Some(RouteType::Local);
                i += 1;
            }
            "broadcast" | "multicast" | "throw" | "nat" | "anycast" | "mtu" | "advmss"
            | "nexthop" | "nhid" | "encap" | "tos" | "realms" | "weight" | "expires" => {
                return Err(false)
            }
            "to" if s.dst.is_none() => {
                i += 1;
            }
            _ if s.dst.is_none() => {
                match parse_prefix(w, family_known) {
                    Some(p) => {
                        family_known |= p.bytelen > 0 || p.bitlen > 0;
                        s.dst = Some((p.addr, p.bitlen, w.to_string()))
                    }
                    None => {
                        out.err(prefix_error(w, family_known));
                        return Err(true);
                    }
                }
                i += 1;
            }
            _ => {
                out.err(garbage("to", w));
                return Err(true);
            }
        }
    }
    Ok(s)
}

fn route_modify(lab: &mut Lab, args: &[&str], out: &mut Output, replace: bool) -> bool {
    let s = match parse_route_spec(args, out) {
        Ok(s) => s,
        Err(printed) => return printed,
    };
    let Some((addr, len, _)) = s.dst else {
        return false;
    };
    let kind = s.kind.unwrap_or(RouteType::Unicast);
    // iproute2 resolves the device name before anything reaches the kernel.
    let dev = match &s.dev {
        Some(name) => match lab.ns.ifindex(name) {
            Some(i) => Some(i),
            None => {
                no_device(out, name);
                return true;
            }
        },
        None => None,
    };
    // rtm_to_fib_config (5.10 fib_frontend.c:825-829).
    let Some(dst) = Prefix::new(addr, len) else {
        out.err("Error: Invalid prefix for given prefix length.");
        return true;
    };
    // fib_create_info: error routes take no nexthop.
    if kind.error().is_some() && (dev.is_some() || s.gateway.is_some()) {
        out.err("Error: Gateway, device and multipath can not be specified for this route type.");
        return true;
    }
    // iproute_modify's defaults: `local` routes go to table local with scope
    // host; unicast without a gateway gets scope link; the rest global.
    let scope = s.scope.unwrap_or(match kind {
        RouteType::Local => Scope::HOST,
        RouteType::Unicast if s.gateway.is_none() => Scope::LINK,
        _ => Scope::UNIVERSE,
    });
    let table = s.table.unwrap_or(if kind == RouteType::Local {
        RT_TABLE_LOCAL
    } else {
        RT_TABLE_MAIN
    });
    let r = Route {
        dst,
        kind,
        dev,
        gateway: s.gateway,
        scope,
        proto: s.proto.unwrap_or(Proto::Boot),
        prefsrc: s.src,
        metric: s.metric.unwrap_or(0),
        onlink: s.onlink,
    };
    if let Err(e) = lab.ns.route_add(table, r, replace) {
        nl_err(out, e);
    }
    true
}

fn route_delete(lab: &mut Lab, args: &[&str], out: &mut Output) -> bool {
    let s = match parse_route_spec(args, out) {
        Ok(s) => s,
        Err(printed) => return printed,
    };
    let Some((addr, len, _)) = s.dst else {
        return false;
    };
    if s.src.is_some() || s.scope.is_some() || s.proto.is_some() {
        // fib_table_delete also matches these; the selector does not model them.
        return false;
    }
    let dev = match &s.dev {
        Some(name) => match lab.ns.ifindex(name) {
            Some(i) => Some(i),
            None => {
                no_device(out, name);
                return true;
            }
        },
        None => None,
    };
    let Some(dst) = Prefix::new(addr, len) else {
        out.err("Error: Invalid prefix for given prefix length.");
        return true;
    };
    let sel = RouteSelector {
        dst: Some(dst),
        kind: s.kind,
        dev,
        gateway: s.gateway,
        metric: s.metric,
    };
    let table = s.table.unwrap_or(if s.kind == Some(RouteType::Local) {
        RT_TABLE_LOCAL
    } else {
        RT_TABLE_MAIN
    });
    if let Err(e) = lab.ns.route_del(table, sel) {
        nl_err(out, e);
    }
    true
}

fn route_show(lab: &mut Lab, args: &[&str], out: &mut Output) -> bool {
    let table = match args {
        [] => RT_TABLE_MAIN,
        ["table", t] => match parse_table(t) {
            Some(t) => t,
            None if *t == "all" => {
                show::route_show_all(lab, out);
                return true;
            }
            None => {
                wrong_arg(out, t, "table id value is invalid");
                return true;
            }
        },
        _ => return false,
    };
    let Some(t) = lab.ns.fib.table(table) else {
        out.err("Error: ipv4: FIB table does not exist.");
        out.err("Dump terminated");
        return true;
    };
    for r in t.routes() {
        out.out(format!("{} ", lab.ns.describe_route(r)));
    }
    true
}

fn route_get(lab: &mut Lab, args: &[&str], out: &mut Output) -> bool {
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

// ----- ip rule ------------------------------------------------------------

fn rule(lab: &mut Lab, args: &[&str], out: &mut Output) -> bool {
    let cmd = args.first().copied().unwrap_or("show");
    let rest = if args.is_empty() { args } else { &args[1..] };
    let add = if matches(cmd, "add") {
        true
    } else if matches(cmd, "delete") {
        false
    } else if matches(cmd, "list") || matches(cmd, "show") {
        if !rest.is_empty() {
            return false;
        }
        for r in lab.ns.fib.rules() {
            out.out(r.to_string());
        }
        return true;
    } else {
        return false;
    };
    if !add && rest.is_empty() {
        out.err("\"ip rule del\" requires arguments.");
        return true;
    }
    let mut from = None;
    let mut to = None;
    let mut table = None;
    let mut prio = None;
    let mut family_known = false;
    let mut i = 0;
    while i < rest.len() {
        let w = rest[i];
        let Some(v) = rest.get(i + 1).copied() else {
            return false;
        };
        match w {
            "from" | "to" => {
                let p = match parse_prefix(v, family_known) {
                    Some(p) => {
                        family_known |= p.bytelen > 0 || p.bitlen > 0;
                        Prefix::truncating(p.addr, p.bitlen)
                    }
                    None => {
                        out.err(prefix_error(v, family_known));
                        return true;
                    }
                };
                if w == "from" {
                    from = Some(p)
                } else {
                    to = Some(p)
                }
            }
            "lookup" | "table" => match parse_table(v) {
                Some(t) => table = Some(t),
                None => {
                    wrong_arg(out, v, "invalid table ID");
                    return true;
                }
            },
            "priority" | "preference" | "pref" | "prio" | "order" => match v.parse::<u32>() {
                Ok(p) => prio = Some(p),
                Err(_) => {
                    wrong_arg(out, v, "preference value is invalid");
                    return true;
                }
            },
            _ => return false,
        }
        i += 2;
    }
    if add {
        let priority = prio.unwrap_or_else(|| lab.ns.fib.default_rule_pref());
        let r = Rule {
            priority,
            from: from.unwrap_or(Prefix::ANY),
            to: to.unwrap_or(Prefix::ANY),
            table: table.unwrap_or(RT_TABLE_MAIN),
        };
        if let Err(e) = lab.ns.rule_add(r) {
            nl_err(out, e);
        }
    } else if let Err(e) = lab.ns.rule_del(prio, from, to, table) {
        nl_err(out, e);
    }
    true
}
