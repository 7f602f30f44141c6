//! The native `incident-sim` command line.
//!
//! Subcommands print the same figures the page shows. Bad input gets a
//! one-line message naming what was wrong and exit code 2; nothing panics.

mod lab;

use std::ffi::OsString;

/// Exit code for bad command-line input.
pub const EXIT_USAGE: i32 = 2;

const USAGE: &str = "usage: incident-sim <command> [options]

commands:
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

/// Turns a lexopt error into our one-line message.
pub(crate) fn arg_error(cmd: &str, e: lexopt::Error) -> i32 {
    eprintln!("incident-sim {cmd}: {e}");
    EXIT_USAGE
}
