//! `incident-sim run`: one scenario, its summary (or `--json`).

use super::{arg_error, EXIT_USAGE};
use crate::scenario::Scenario;
use crate::sim::summary::Summary;
use crate::sim::Sim;
use std::ffi::OsString;

/// Parses `--preset NAME [--seed N] [--set K=V]...`; the rest via `extra`.
pub(super) fn parse_scenario(
    cmd: &str,
    args: Vec<OsString>,
    mut extra: impl FnMut(&mut lexopt::Parser, &str) -> Result<bool, i32>,
) -> Result<Scenario, i32> {
    use lexopt::prelude::*;
    let mut sc = Scenario::default();
    let mut p = lexopt::Parser::from_args(args);
    loop {
        let arg = match p.next() {
            Ok(Some(a)) => a,
            Ok(None) => break,
            Err(e) => return Err(arg_error(cmd, e)),
        };
        match arg {
            Long("preset") => sc.preset = value(cmd, &mut p)?,
            Long("seed") => {
                let v = value(cmd, &mut p)?;
                sc.seed = v.parse().map_err(|_| {
                    eprintln!(
                        "incident-sim {cmd}: --seed: {v:?} is not an integer (allowed 0..={})",
                        u64::MAX
                    );
                    EXIT_USAGE
                })?;
            }
            Long("set") => {
                let v = value(cmd, &mut p)?;
                let Some((k, val)) = v.split_once('=') else {
                    eprintln!("incident-sim {cmd}: --set {v:?}: expected KEY=VALUE");
                    return Err(EXIT_USAGE);
                };
                sc.set.push((k.trim().to_string(), val.trim().to_string()));
            }
            Long(name) => {
                let name = name.to_string();
                if !extra(&mut p, &name)? {
                    eprintln!("incident-sim {cmd}: invalid option '--{name}'");
                    return Err(EXIT_USAGE);
                }
            }
            other => return Err(arg_error(cmd, other.unexpected())),
        }
    }
    if let Err(e) = sc.params() {
        eprintln!("incident-sim {cmd}: {e}");
        return Err(EXIT_USAGE);
    }
    Ok(sc)
}

pub(super) fn value(cmd: &str, p: &mut lexopt::Parser) -> Result<String, i32> {
    match p.value() {
        Ok(v) => v.into_string().map_err(|_| {
            eprintln!("incident-sim {cmd}: argument is not valid UTF-8");
            EXIT_USAGE
        }),
        Err(e) => Err(arg_error(cmd, e)),
    }
}

pub(super) fn run(args: Vec<OsString>) -> i32 {
    let mut json = false;
    let sc = match parse_scenario("run", args, |_, a| {
        if a == "json" {
            json = true;
            Ok(true)
        } else {
            Ok(false)
        }
    }) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let params = sc.params().expect("validated");
    let mut sim = Sim::new(&params, sc.seed);
    sim.run_to_end();
    let s = Summary::of(&sim);
    if json {
        println!("{}", serde_json::to_string(&s).expect("summary serializes"));
    } else {
        print_summary(&sc, &s);
    }
    0
}

fn print_summary(sc: &Scenario, s: &Summary) {
    println!("scenario {} (seed {})", sc.preset, sc.seed);
    let v = serde_json::to_value(s).expect("serializes");
    if let Some(obj) = v.as_object() {
        for (k, val) in obj {
            println!("  {k:<36} {val}");
        }
    }
}
