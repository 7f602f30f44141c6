//! What an SRE types first on a node: `ip a`, `ip addr [show] [dev D]`,
//! `ip link [show] [dev D]`, `ip -br a`, `ip -br link`, `ip -4 …`,
//! `ip neigh`, `ip route show table all`, `ip help`, answered in iproute2
//! 6.1's formats (`ipaddress.c`'s `print_linkinfo` / `print_addrinfo`, their
//! brief forms, and `iproute.c`'s dump of every table).
//!
//! The lab's devices are those of the namespace `tests/lab_netns.rs` builds
//! to check it against the kernel: `lo`, and `ifb`-like NICs (always
//! carrier-up, `NOARP`, MTU 1500, `pfifo_fast` once they have been up, a
//! queue of 32), with locally administered MAC addresses derived from their
//! index (the kernel draws ifb's at random; the comparison masks them). The
//! lab has no IPv6, so none is shown (the test namespace disables it).

use super::{Lab, Output};
use crate::sim::linux::netdev::Netdev;
use crate::sim::linux::ns::is_secondary;
use crate::sim::linux::DevKind;

/// `ip`'s global options the lab follows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct Opts {
    /// `-4`: IPv4 only (devices without an IPv4 address are left out of
    /// address listings).
    pub inet: bool,
    /// `-br[ief]`: one line per device.
    pub brief: bool,
}

/// Splits `ip`'s leading options off; `None` if one is not modelled.
pub(super) fn opts<'a>(args: &'a [&'a str]) -> Option<(Opts, &'a [&'a str])> {
    let mut o = Opts::default();
    let mut i = 0;
    while let Some(a) = args.get(i) {
        if !a.starts_with('-') {
            break;
        }
        match *a {
            "-4" => o.inet = true,
            a if a.len() >= 3 && "-brief".starts_with(a) => o.brief = true,
            _ => return None,
        }
        i += 1;
    }
    Some((o, &args[i..]))
}

fn is_loopback(d: &Netdev) -> bool {
    d.kind == DevKind::Loopback
}

fn flags(d: &Netdev) -> &'static str {
    match (is_loopback(d), d.up) {
        (true, true) => "LOOPBACK,UP,LOWER_UP",
        (true, false) => "LOOPBACK",
        (false, true) => "BROADCAST,NOARP,UP,LOWER_UP",
        (false, false) => "BROADCAST,NOARP",
    }
}

fn state(d: &Netdev) -> &'static str {
    if d.up {
        "UNKNOWN"
    } else {
        "DOWN"
    }
}

fn mac(d: &Netdev) -> String {
    if is_loopback(d) {
        "00:00:00:00:00:00".into()
    } else {
        let i = d.index.0;
        format!("02:00:00:00:{:02x}:{:02x}", (i >> 8) & 0xff, i & 0xff)
    }
}

/// The device's first line (`print_linkinfo`); `mode` for `ip link`.
fn link_line(d: &Netdev, mode: bool) -> String {
    let (mtu, qlen) = if is_loopback(d) {
        (65_536, 1_000)
    } else {
        (1_500, 32)
    };
    let qdisc = match (is_loopback(d), d.was_up) {
        (_, false) => "noop",
        (true, true) => "noqueue",
        (false, true) => "pfifo_fast",
    };
    format!(
        "{}: {}: <{}> mtu {mtu} qdisc {qdisc} state {}{} group default qlen {qlen}",
        d.index.0,
        d.name,
        flags(d),
        state(d),
        if mode { " mode DEFAULT" } else { "" }
    )
}

fn ether_line(d: &Netdev) -> String {
    if is_loopback(d) {
        "    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00".into()
    } else {
        format!("    link/ether {} brd ff:ff:ff:ff:ff:ff", mac(d))
    }
}

/// The devices a `show [dev] NAME` selects (all without one); prints
/// iproute2's error and returns `Err(true)` for an unknown device,
/// `Err(false)` for a form the lab does not model.
fn select<'a>(lab: &'a Lab, args: &[&str], out: &mut Output) -> Result<Vec<&'a Netdev>, bool> {
    let rest: &[&str] = match args.first() {
        None => args,
        Some(w) if ["show", "list", "lst"].iter().any(|k| k.starts_with(w)) => &args[1..],
        Some(_) => return Err(false),
    };
    let name = match rest {
        [] => None,
        ["dev", n] | [n] if *n != "dev" => Some(*n),
        _ => return Err(false),
    };
    match name {
        None => Ok(lab.ns.devs().collect()),
        Some(n) => match lab.ns.dev_by_name(n) {
            Some(d) => Ok(vec![d]),
            None => {
                out.err(format!("Device \"{n}\" does not exist."));
                Err(true)
            }
        },
    }
}

/// `ip [-4] [-br] addr [show [dev] NAME]`; false: not a form the lab models.
pub(super) fn addr_show(lab: &Lab, o: Opts, args: &[&str], out: &mut Output) -> bool {
    let devs = match select(lab, args, out) {
        Ok(d) => d,
        Err(printed) => return printed,
    };
    for d in devs {
        if o.inet && d.addrs.is_empty() {
            continue;
        }
        if o.brief {
            let mut l = format!("{:<16} {:<14} ", d.name, state(d));
            for a in &d.addrs {
                l.push_str(&format!("{}/{} ", a.addr, a.prefix_len));
            }
            out.out(l);
            continue;
        }
        out.out(link_line(d, false));
        if !o.inet {
            out.out(ether_line(d));
        }
        for (i, a) in d.addrs.iter().enumerate() {
            let scope = if a.addr.is_loopback() {
                "host"
            } else {
                "global"
            };
            let secondary = if is_secondary(&d.addrs, i) {
                "secondary "
            } else {
                ""
            };
            out.out(format!(
                "    inet {}/{} scope {scope} {secondary}{}",
                a.addr, a.prefix_len, d.name
            ));
            out.out("       valid_lft forever preferred_lft forever");
        }
    }
    true
}

/// `ip [-br] link [show [dev] NAME]`.
pub(super) fn link_show(lab: &Lab, o: Opts, args: &[&str], out: &mut Output) -> bool {
    let devs = match select(lab, args, out) {
        Ok(d) => d,
        Err(printed) => return printed,
    };
    for d in devs {
        if o.brief {
            out.out(format!(
                "{:<16} {:<14} {} <{}> ",
                d.name,
                state(d),
                mac(d),
                flags(d)
            ));
        } else {
            out.out(link_line(d, true));
            out.out(ether_line(d));
        }
    }
    true
}

/// `ip neigh [show|list] [dev NAME]`: the lab's node has resolved no
/// neighbour (its NICs are NOARP), so the table is empty.
pub(super) fn neigh(lab: &Lab, args: &[&str], out: &mut Output) -> bool {
    let rest: &[&str] = match args.first() {
        None => args,
        Some(w) if ["show", "list", "lst"].iter().any(|k| k.starts_with(w)) => &args[1..],
        Some(_) => return false,
    };
    match rest {
        [] => true,
        ["dev", n] => {
            if lab.ns.dev_by_name(n).is_none() {
                out.err(format!("Cannot find device \"{n}\""));
            }
            true
        }
        _ => false,
    }
}

/// `ip route show table all`: every table in the order the kernel dumps
/// them (by table id, the FIB's hash order), each route with its table
/// named unless it is main.
pub(super) fn route_show_all(lab: &Lab, out: &mut Output) {
    let mut ids: Vec<u32> = lab.ns.fib.tables().map(|(id, _)| id).collect();
    ids.sort_unstable_by_key(|id| (id % 256, *id));
    for id in ids {
        let Some(t) = lab.ns.fib.table(id) else {
            continue;
        };
        for r in t.routes() {
            out.out(format!("{} ", lab.ns.describe_route_in(r, Some(id))));
        }
    }
}

/// `ip help`: iproute2 6.1's usage, on stderr (exit status 255).
pub(super) fn help(out: &mut Output) {
    for l in IP_USAGE.lines() {
        out.err(l);
    }
}

/// iproute2 6.1 `ip/ip.c` `usage()`'s text, as it prints it.
const IP_USAGE: &str = "Usage: ip [ OPTIONS ] OBJECT { COMMAND | help }
       ip [ -force ] -batch filename
where  OBJECT := { address | addrlabel | amt | fou | help | ila | ioam | l2tp |
                   link | macsec | maddress | monitor | mptcp | mroute | mrule |
                   neighbor | neighbour | netconf | netns | nexthop | ntable |
                   ntbl | route | rule | sr | tap | tcpmetrics |
                   token | tunnel | tuntap | vrf | xfrm }
       OPTIONS := { -V[ersion] | -s[tatistics] | -d[etails] | -r[esolve] |
                    -h[uman-readable] | -iec | -j[son] | -p[retty] |
                    -f[amily] { inet | inet6 | mpls | bridge | link } |
                    -4 | -6 | -M | -B | -0 |
                    -l[oops] { maximum-addr-flush-attempts } | -br[ief] |
                    -o[neline] | -t[imestamp] | -ts[hort] | -b[atch] [filename] |
                    -rc[vbuf] [size] | -n[etns] name | -N[umeric] | -a[ll] |
                    -c[olor]}";

/// The lab's own `help`: what it answers.
pub(super) fn lab_help(out: &mut Output) {
    for l in [
        "The lab answers these as iproute2 6.1 and the chosen kernel would:",
        "  ip [-4] [-br] a | addr [show [dev] DEV]     addresses",
        "  ip [-br] link [show [dev] DEV]              devices",
        "  ip addr add|del PREFIX dev DEV",
        "  ip link add NAME type dummy | set DEV up|down | del DEV",
        "  ip route [show [table N|all]] | add|replace|del ROUTE [onlink] | get ADDR [from ADDR iif DEV]",
        "  ip rule [show] | add|del SELECTOR lookup N [pref N]",
        "  ip neigh [show]                             (empty: the NICs are NOARP)",
        "  ip help",
        "  sysctl [-w] KEY[=VALUE] ...                 net.ipv4.* knobs",
        "Anything else prints `lab: unsupported`.",
    ] {
        out.out(l);
    }
}
