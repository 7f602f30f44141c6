//! `incident-sim lab`: the iproute2 lab on stdin/stdout.

use super::{arg_error, output_error, EXIT_USAGE};
use crate::lab::{Lab, Stream};
use crate::sim::linux::KernelVersion;
use std::ffi::OsString;
use std::io::{BufRead, IsTerminal, Write};

pub(super) fn run(args: Vec<OsString>) -> i32 {
    use lexopt::prelude::*;
    let mut version = KernelVersion::V5_10;
    let mut explain = false;
    let mut p = lexopt::Parser::from_args(args);
    loop {
        match p.next() {
            Ok(Some(Long("kernel"))) => {
                let v = match p.value() {
                    Ok(v) => v,
                    Err(e) => return arg_error("lab", e),
                };
                let s = v.to_string_lossy().to_string();
                match s.parse::<KernelVersion>() {
                    Ok(k) => version = k,
                    Err(e) => {
                        eprintln!("incident-sim lab: --kernel: {e}");
                        return EXIT_USAGE;
                    }
                }
            }
            Ok(Some(Long("explain"))) => explain = true,
            Ok(Some(other)) => return arg_error("lab", other.unexpected()),
            Ok(None) => break,
            Err(e) => return arg_error("lab", e),
        }
    }
    let mut lab = Lab::new(version, explain);
    let stdin = std::io::stdin();
    // Buffered: flushed after each line when a person types at a terminal,
    // so a script's 100,000 answers are not 100,000 writes.
    let interactive = stdin.is_terminal();
    let mut stdout = std::io::BufWriter::new(std::io::stdout().lock());
    let stderr = std::io::stderr();
    for line in stdin.lock().lines() {
        let Ok(line) = line else {
            if let Err(e) = stdout.flush() {
                return output_error("lab", &e);
            }
            eprintln!("incident-sim lab: stdin is not valid UTF-8 text");
            return EXIT_USAGE;
        };
        let out = lab.run_line(&line);
        for l in out.lines {
            // A closed pipe (e.g. `| head`) stops quietly; a full disk is an error.
            let r = match l.stream {
                Stream::Out | Stream::Explain => writeln!(stdout, "{}", l.text),
                Stream::Err => stdout
                    .flush()
                    .and_then(|()| writeln!(stderr.lock(), "{}", l.text)),
            };
            if let Err(e) = r {
                return output_error("lab", &e);
            }
        }
        if interactive {
            if let Err(e) = stdout.flush() {
                return output_error("lab", &e);
            }
        }
    }
    match stdout.flush() {
        Ok(()) => 0,
        Err(e) => output_error("lab", &e),
    }
}
