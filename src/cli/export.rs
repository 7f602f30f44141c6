//! `incident-sim export`: the page's downloads from the command line (the
//! same `crate::export` functions, so a file made here and one downloaded
//! from the page at the same moment are byte for byte the same).

use super::drive::{admit, drive};
use super::run::{parse_scenario, value, Parsed};
use super::{write_out, EXIT_USAGE};
use crate::export;
use crate::scenario::quoted;
use crate::sim::time::SimTime;
use crate::sim::Sim;
use std::ffi::OsString;

pub(super) fn run(args: Vec<OsString>) -> i32 {
    let mut format: Option<String> = None;
    let mut out: Option<String> = None;
    let mut until: Option<String> = None;
    let Parsed { sc, allow_long } = match parse_scenario("export", args, |p, a| match a {
        "format" => {
            format = Some(value("export", p)?);
            Ok(true)
        }
        "out" | "o" => {
            out = Some(value("export", p)?);
            Ok(true)
        }
        "until" => {
            until = Some(value("export", p)?);
            Ok(true)
        }
        _ => Ok(false),
    }) {
        Ok(s) => s,
        Err(c) => return c,
    };
    let names: Vec<&str> = export::FORMATS.iter().map(|f| f.name).collect();
    let Some(format) = format else {
        eprintln!(
            "incident-sim export: --format NAME is required (one of: {})",
            names.join(", ")
        );
        return EXIT_USAGE;
    };
    if !names.contains(&format.as_str()) {
        let format_q = crate::scenario::quoted(&format);
        eprintln!(
            "incident-sim export: --format: unknown format {format_q} (one of: {})",
            names.join(", ")
        );
        return EXIT_USAGE;
    }
    let params = sc.params().expect("validated");
    let end = params.duration_s as f64;
    let until = match until {
        None => None,
        Some(u) => match u.parse::<f64>() {
            Ok(s) if s.is_finite() && (0.0..=end).contains(&s) => Some(s),
            _ => {
                let u_q = crate::scenario::quoted(&u);
                eprintln!(
                    "incident-sim export: --until: {u_q} is not a time in seconds (allowed 0..={end})"
                );
                return EXIT_USAGE;
            }
        },
    };
    let budget = match admit("export", &params, allow_long) {
        Ok(b) => b,
        Err(c) => return c,
    };
    let mut sim = Sim::new(&params, sc.seed);
    let until = until.map(|s| SimTime((s * 1e6).round() as u64));
    if let Err(c) = drive("export", &mut sim, until, &budget, true) {
        return c;
    }
    let bytes = export::render(&sim, &format, &sc.preset).expect("format checked above");
    let Some(path) = &out else {
        return write_out("export", &bytes).map_or_else(|c| c, |()| 0);
    };
    match std::fs::write(path, &bytes) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("incident-sim export: cannot write {}: {e}", quoted(path));
            1
        }
    }
}
