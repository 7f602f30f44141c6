//! `incident-sim calibrate`: the calibration table; exit 1 if a row fails.

use super::run::value;
use super::{arg_error, write_out, EXIT_USAGE};
use crate::scenario::calibration::{markdown, table};
use std::ffi::OsString;

pub(super) fn run(args: Vec<OsString>) -> i32 {
    use lexopt::prelude::*;
    let mut seed = crate::scenario::DEFAULT_SEED;
    let mut md = false;
    let mut p = lexopt::Parser::from_args(args);
    loop {
        match p.next() {
            Ok(Some(Long("seed"))) => {
                let v = match value("calibrate", &mut p) {
                    Ok(v) => v,
                    Err(c) => return c,
                };
                match v.parse() {
                    Ok(s) => seed = s,
                    Err(_) => {
                        let v_q = crate::scenario::quoted(&v);
                        eprintln!("incident-sim calibrate: --seed: {v_q} is not an integer (allowed 0..={})", u64::MAX);
                        return EXIT_USAGE;
                    }
                }
            }
            Ok(Some(Long("markdown"))) => md = true,
            Ok(Some(other)) => return arg_error("calibrate", other.unexpected()),
            Ok(None) => break,
            Err(e) => return arg_error("calibrate", e),
        }
    }
    let rows = table(seed);
    let mut text = String::new();
    if md {
        text = markdown(&rows);
    } else {
        text += &format!(
            "{:<54} {:<38} {:>16} {:<36} holds\n",
            "figure", "the post", "simulated", "tolerance"
        );
        for r in &rows {
            text += &format!(
                "{:<54} {:<38} {:>16} {:<36} {}\n",
                r.figure,
                r.post,
                format!("{:.3} {}", r.simulated, r.unit),
                r.tolerance,
                if r.holds { "yes" } else { "NO" }
            );
        }
    }
    if let Err(code) = write_out("calibrate", text.as_bytes()) {
        return code;
    }
    let failed = rows.iter().filter(|r| !r.holds).count();
    if failed > 0 {
        eprintln!(
            "incident-sim calibrate: {failed} of {} rows do not hold (see docs/model.md)",
            rows.len()
        );
        1
    } else {
        0
    }
}
