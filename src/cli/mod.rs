//! The native `incident-sim` command line.
//!
//! Subcommands print the same figures the page shows. Bad input gets a
//! one-line message naming what was wrong and exit code 2; nothing panics.

mod bench;
mod calibrate;
mod export;
mod info;
mod lab;
mod run;
mod sensitivity;
mod series;

use std::ffi::OsString;

/// Exit code for bad command-line input.
pub const EXIT_USAGE: i32 = 2;

const USAGE: &str = "usage: incident-sim <command> [options]

commands:
  presets                              one line per preset
  params                               every parameter: key, unit, default, range, source
  calibrate [--seed N] [--markdown]    the calibration table (the incident: medians of seeds N..N+4);
                                       exits 1 if a row does not hold
  sensitivity [--only KEY,...] [--seed N] [--seeds K] [--duration S] [--markdown]
                                       the calibration with each assumption at both ends of its
                                       plausible range: which conclusions hold, which flip, and why
  bench [--preset NAME] [--runs N] [--json] [--set KEY=VALUE]...
                                       wall time, events/s, peak memory and trace digest of a full run
  run --preset NAME [--seed N] [--set KEY=VALUE]... [--json]
                                       run a scenario and print its figures
  series --preset NAME --metric NAME [--node N] [--csv] [--seed N] [--set KEY=VALUE]...
                                       print one per-second series
  export --preset NAME --format csv|pcapng|flowlog|klog|jsonl [--until SECONDS] [--out FILE]
         [--seed N] [--set KEY=VALUE]...
                                       the page's downloads (stdout without --out)
  lab [--kernel VERSION] [--explain]   read ip/sysctl commands from stdin, answer like a real node
  help                                 this text";

/// Runs the CLI with the given arguments (without the program name).
pub fn main(args: Vec<OsString>) -> i32 {
    let mut it = args.into_iter();
    let Some(cmd) = it.next() else {
        eprintln!("{USAGE}");
        return EXIT_USAGE;
    };
    let rest: Vec<OsString> = it.collect();
    match cmd.to_str() {
        Some("lab") => lab::run(rest),
        Some("run") => run::run(rest),
        Some("presets") => no_args("presets", &rest).unwrap_or_else(info::presets),
        Some("params") => no_args("params", &rest).unwrap_or_else(info::params),
        Some("calibrate") => calibrate::run(rest),
        Some("sensitivity") => sensitivity::run(rest),
        Some("bench") => bench::run(rest),
        Some("series") => series::run(rest),
        Some("export") => export::run(rest),
        Some("help") | Some("--help") | Some("-h") => {
            println!("{USAGE}");
            0
        }
        Some(other) => {
            eprintln!("incident-sim: unknown command {other:?} (try `incident-sim help`)");
            EXIT_USAGE
        }
        None => {
            eprintln!("incident-sim: command is not valid UTF-8");
            EXIT_USAGE
        }
    }
}

/// Commands that take no arguments refuse any.
fn no_args(cmd: &str, rest: &[OsString]) -> Option<i32> {
    if let Some(a) = rest.first() {
        eprintln!(
            "incident-sim {cmd}: unexpected argument {:?}",
            a.to_string_lossy()
        );
        return Some(EXIT_USAGE);
    }
    None
}

/// Turns a lexopt error into our one-line message.
pub(crate) fn arg_error(cmd: &str, e: lexopt::Error) -> i32 {
    eprintln!("incident-sim {cmd}: {e}");
    EXIT_USAGE
}
