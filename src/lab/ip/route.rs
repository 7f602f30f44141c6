//! `ip route add|change|replace|append|delete|show` and the route specification they parse.

use super::get::route_get;
use super::{garbage, incomplete, matches, nl_err, no_device, wrong_arg};
use crate::lab::inet::{addr_error, parse_addr, parse_prefix, prefix_error};
use crate::lab::{show, Lab, Output};
use crate::sim::linux::addr::Prefix;
use crate::sim::linux::fib::{
    Proto, Route, RouteType, Scope, RT_TABLE_DEFAULT, RT_TABLE_LOCAL, RT_TABLE_MAIN,
};
use crate::sim::linux::ns::RouteSelector;
use std::net::Ipv4Addr;

pub(super) fn parse_table(s: &str) -> Option<u32> {
    match s {
        "main" => Some(RT_TABLE_MAIN),
        "local" => Some(RT_TABLE_LOCAL),
        "default" => Some(RT_TABLE_DEFAULT),
        n => n.parse::<u32>().ok().filter(|v| *v > 0),
    }
}

pub(super) fn route(lab: &mut Lab, args: &[&str], out: &mut Output) -> bool {
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

/// The address after `via` or `src`, or iproute2's message for a missing
/// or bad one (`Err(true)`: printed).
fn addr_arg(out: &mut Output, v: Option<&str>, family_known: bool) -> Result<Ipv4Addr, bool> {
    let Some(v) = v else {
        return Err(incomplete(out));
    };
    parse_addr(v).ok_or_else(|| {
        out.err(addr_error(v, family_known));
        true
    })
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
                s.gateway = Some(addr_arg(out, val(i), family_known)?);
                family_known = true;
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
                s.src = Some(addr_arg(out, val(i), family_known)?);
                family_known = true;
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
