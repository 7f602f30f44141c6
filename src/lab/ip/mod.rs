//! The `ip` commands the lab models: `link`, `address`, `route`, `rule`.
//!
//! Keywords may be abbreviated as iproute2 allows (`ip r`, `ip ru`, `ip a`),
//! and malformed arguments get iproute2's own messages (checked against
//! iproute2 6.1 on a 6.18 kernel; see `tests/lab_netns.rs`).
//!
//! One file per object: [`link`], [`addr`], [`route`] (with `ip route get`
//! in [`get`]) and [`rule`]; this one dispatches and holds iproute2's shared
//! argument helpers.

mod addr;
mod get;
mod link;
mod route;
mod rule;

use super::{show, Lab, Output};
use crate::sim::linux::NetlinkError;
use addr::addr;
use link::link;
use route::route;
use rule::rule;

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
