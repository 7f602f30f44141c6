//! `ip link add|delete|set`.

use super::{garbage, matches, nl_err, no_device};
use crate::lab::{Lab, Output};
use crate::sim::linux::DevKind;

pub(super) fn link(lab: &mut Lab, args: &[&str], out: &mut Output) -> bool {
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
