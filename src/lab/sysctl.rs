//! `sysctl -w KEY=VALUE` and `sysctl KEY` for the keys routing reads.

use super::{Lab, Output};

const CONF_KEYS: [&str; 4] = ["rp_filter", "accept_local", "log_martians", "forwarding"];

fn stat_error(key: &str) -> String {
    format!(
        "sysctl: cannot stat /proc/sys/{}: No such file or directory",
        key.replace('.', "/")
    )
}

fn read(lab: &Lab, key: &str) -> Option<i32> {
    if key == "net.ipv4.ip_forward" {
        return Some(lab.ns.sysctl.all.forwarding as i32);
    }
    let rest = key.strip_prefix("net.ipv4.conf.")?;
    let (scope, attr) = rest.rsplit_once('.')?;
    let c = lab.ns.conf(scope)?;
    Some(match attr {
        "rp_filter" => c.rp_filter,
        "accept_local" => c.accept_local as i32,
        "log_martians" => c.log_martians as i32,
        "forwarding" => c.forwarding as i32,
        _ => return None,
    })
}

fn write(lab: &mut Lab, key: &str, v: i32) -> Result<(), ()> {
    if key == "net.ipv4.ip_forward" {
        lab.ns.set_ip_forward(v != 0);
        return Ok(());
    }
    let rest = key.strip_prefix("net.ipv4.conf.").ok_or(())?;
    let (scope, attr) = rest.rsplit_once('.').ok_or(())?;
    if !CONF_KEYS.contains(&attr) {
        return Err(());
    }
    if attr == "forwarding" && scope == "all" {
        lab.ns.set_ip_forward(v != 0);
        return Ok(());
    }
    let c = lab.ns.conf_mut(scope).ok_or(())?;
    match attr {
        "rp_filter" => c.rp_filter = v,
        "accept_local" => c.accept_local = v != 0,
        "log_martians" => c.log_martians = v != 0,
        "forwarding" => c.forwarding = v != 0,
        _ => return Err(()),
    }
    Ok(())
}

/// Runs `sysctl ARGS`; returns false if the form is not one the lab models.
pub(super) fn run(lab: &mut Lab, args: &[&str], out: &mut Output) -> bool {
    match args {
        ["-w", assignments @ ..] if !assignments.is_empty() => {
            for a in assignments {
                let Some((key, value)) = a.split_once('=') else {
                    out.err("sysctl: command line(0): invalid syntax, continuing...");
                    continue;
                };
                if read(lab, key).is_none() {
                    out.err(stat_error(key));
                    continue;
                }
                // proc_dointvec: an optional sign and decimal digits, nothing else.
                match value.trim().parse::<i32>() {
                    Ok(v) => match write(lab, key, v) {
                        Ok(()) => out.out(format!("{key} = {value}")),
                        Err(()) => out.err(stat_error(key)),
                    },
                    Err(_) => out.err(format!("sysctl: setting key \"{key}\": Invalid argument")),
                }
            }
            true
        }
        keys if !keys.is_empty()
            && keys.iter().all(|k| !k.starts_with('-') && !k.contains('=')) =>
        {
            for key in keys {
                match read(lab, key) {
                    Some(v) => out.out(format!("{key} = {v}")),
                    None => out.err(stat_error(key)),
                }
            }
            true
        }
        _ => false,
    }
}
