//! `ip address add|delete|flush`.

use super::{matches, nl_err, no_device};
use crate::lab::inet::{parse_prefix, prefix_error};
use crate::lab::{Lab, Output};
use crate::sim::linux::{Errno, NetlinkError};

pub(super) fn addr(lab: &mut Lab, args: &[&str], out: &mut Output) -> bool {
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
