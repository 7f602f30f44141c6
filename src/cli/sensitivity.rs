//! `incident-sim sensitivity`: the calibration rerun with each assumption at
//! both ends of its plausible range; prints which conclusions flip and why.

use super::run::value;
use super::{arg_error, EXIT_USAGE};
use crate::scenario::assumptions::assumption;
use crate::scenario::sensitivity::{run as analyse, Setup};
use std::ffi::OsString;

fn number(key: &str, v: &str, min: u64, max: u64) -> Result<u64, i32> {
    match v.parse::<u64>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        _ => {
            eprintln!(
                "incident-sim sensitivity: --{key}: {v:?} is not an integer in {min}..={max}"
            );
            Err(EXIT_USAGE)
        }
    }
}

pub(super) fn run(args: Vec<OsString>) -> i32 {
    use lexopt::prelude::*;
    let mut setup = Setup::default();
    let mut md = false;
    let mut p = lexopt::Parser::from_args(args);
    loop {
        let next = p.next();
        let (key, min, max) = match &next {
            Ok(Some(Long("seed"))) => ("seed", 0, u64::MAX / 2),
            Ok(Some(Long("seeds"))) => ("seeds", 1, 20),
            // The rollout starts at 120 s: a shorter run would have none.
            Ok(Some(Long("duration"))) => ("duration", 180, 3_600),
            Ok(Some(Long("only"))) => ("only", 0, 0),
            Ok(Some(Long("markdown"))) => {
                md = true;
                continue;
            }
            Ok(Some(other)) => return arg_error("sensitivity", other.clone().unexpected()),
            Ok(None) => break,
            Err(_) => return arg_error("sensitivity", next.unwrap_err()),
        };
        let v = match value("sensitivity", &mut p) {
            Ok(v) => v,
            Err(c) => return c,
        };
        let n = if key == "only" {
            0
        } else {
            match number(key, &v, min, max) {
                Ok(n) => n,
                Err(c) => return c,
            }
        };
        match key {
            "seed" => setup.seed = n,
            "seeds" => setup.seeds = n,
            "duration" => setup.duration_s = n,
            _ => {
                for k in v.split(',') {
                    if assumption(k).is_none() {
                        let keys: Vec<&str> = crate::scenario::assumptions::ASSUMPTIONS
                            .iter()
                            .map(|a| a.key)
                            .collect();
                        eprintln!(
                            "incident-sim sensitivity: --only: {k:?} is not an assumption (assumptions: {})",
                            keys.join(", ")
                        );
                        return EXIT_USAGE;
                    }
                    setup.only.push(k.to_string());
                }
            }
        }
    }
    let report = analyse(&setup);
    let text = if md { report.markdown() } else { report.text() };
    // A closed pipe ends quietly, another write error in one line.
    match super::write_out("sensitivity", text.as_bytes()) {
        Ok(()) => 0,
        Err(code) => code,
    }
}
