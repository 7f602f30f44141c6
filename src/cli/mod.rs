//! The native `incident-sim` command line.
//!
//! Subcommands print the same figures the page shows. Bad input gets a
//! one-line message naming what was wrong and exit code 2; nothing panics.

/// `eprintln!` for the command line: a message that cannot be written to
/// stderr (`2>/dev/full`) is dropped instead of panicking (std's panics).
/// Defined before the submodules, so it is the one they use.
macro_rules! eprintln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

mod bench;
mod calibrate;
mod drive;
mod export;
mod info;
mod lab;
mod run;
mod sensitivity;
mod series;
mod sweep;
mod sweep_out;

use crate::scenario::quoted;
use std::ffi::OsString;
use std::io::{self, Write};

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
                                       run, series, bench and export refuse runs estimated over
                                       a minute (the message names what drives the cost) unless
                                       given --allow-long; Ctrl-C stops a run (exit 130)
  sweep --preset NAME --vary KEY=A..B:lin|log:N|KEY=V1,V2,... [--vary ...] [--seeds A..B]
        --metric NAME [--csv|--json] [--threads N] [--seed N] [--set KEY=VALUE]...
                                       one run per cell of a grid of one or two axes: each
                                       cell's figure, outcome and trace digest, and where
                                       the outcome changes; refuses sweeps estimated over a
                                       minute per thread unless given --allow-long
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
        Some("sweep") => sweep::run(rest),
        Some("help") | Some("--help") | Some("-h") => no_args("help", &rest).unwrap_or_else(|| {
            write_out("help", format!("{USAGE}\n").as_bytes()).map_or_else(|c| c, |()| 0)
        }),
        Some(other) => {
            eprintln!(
                "incident-sim: unknown command {} (try `incident-sim help`)",
                quoted(other)
            );
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
            "incident-sim {cmd}: unexpected argument {}",
            quoted(&a.to_string_lossy())
        );
        return Some(EXIT_USAGE);
    }
    None
}

/// Turns a lexopt error into our one-line message (a long argument is
/// shortened: the message names it, it does not repeat it whole).
pub(crate) fn arg_error(cmd: &str, e: lexopt::Error) -> i32 {
    use lexopt::Error as E;
    let lossy = |s: &OsString| quoted(&s.to_string_lossy());
    let msg = match &e {
        E::MissingValue { option: Some(o) } => {
            format!("missing argument for option {}", quoted(o))
        }
        E::UnexpectedOption(o) => format!("invalid option {}", quoted(o)),
        E::UnexpectedArgument(a) => format!("unexpected argument {}", lossy(a)),
        E::UnexpectedValue { option, value } => {
            format!(
                "unexpected argument for option {}: {}",
                quoted(option),
                lossy(value)
            )
        }
        E::NonUnicodeValue(v) => format!("argument is not valid UTF-8: {}", lossy(v)),
        E::ParsingFailed { value, error } => {
            format!("cannot parse argument {}: {error}", quoted(value))
        }
        _ => e.to_string(),
    };
    eprintln!("incident-sim {cmd}: {msg}");
    EXIT_USAGE
}

/// Writes `bytes` to standard output and flushes it. A closed pipe (the
/// reader, such as `head`, is gone) ends the command quietly with exit 0,
/// as `lab` always did; any other write error (a full disk) is one line on
/// stderr and exit 1. Either way the command stops: `Err` holds its code.
pub(crate) fn write_out(cmd: &str, bytes: &[u8]) -> Result<(), i32> {
    let mut out = io::stdout().lock();
    out.write_all(bytes)
        .and_then(|()| out.flush())
        .map_err(|e| output_error(cmd, &e))
}

/// The exit code for an error writing standard output (see [`write_out`]).
pub(crate) fn output_error(cmd: &str, e: &io::Error) -> i32 {
    if e.kind() == io::ErrorKind::BrokenPipe {
        0
    } else {
        eprintln!("incident-sim {cmd}: cannot write to stdout: {e}");
        1
    }
}
