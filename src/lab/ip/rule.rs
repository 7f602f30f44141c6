//! `ip rule add|delete|show`.

use super::route::parse_table;
use super::{matches, nl_err, wrong_arg};
use crate::lab::inet::{parse_prefix, prefix_error};
use crate::lab::{Lab, Output};
use crate::sim::linux::addr::Prefix;
use crate::sim::linux::fib::{Rule, RT_TABLE_MAIN};

pub(super) fn rule(lab: &mut Lab, args: &[&str], out: &mut Output) -> bool {
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
