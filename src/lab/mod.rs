//! `incident-sim lab`: a node you configure with real `ip` and `sysctl`
//! commands, answering exactly as iproute2 and the kernel would.
//!
//! The lab starts from the node the incident ran on (see
//! [`NetNs::lab_node`]): `lo` with 127.0.0.1/8, `ens5` and `ens6` up and
//! unaddressed, kernel-default sysctls except `net.ipv4.ip_forward=1`. Each
//! input line is one command; `#` starts a comment. Commands print what
//! iproute2 prints (stdout) or its error text (stderr); a command the lab does
//! not model prints `lab: unsupported: <command>` and the lab goes on.
//! `ip route get … iif DEV` runs the very [`route_input`](crate::sim::linux::route_input) the engine uses for
//! every packet, and with `--explain` prints its step-through.

mod inet;
mod ip;
mod show;
mod sysctl;

use crate::sim::linux::explain::Step;
use crate::sim::linux::{KernelVersion, NetNs};

/// Which stream a line goes to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stream {
    /// Normal output.
    Out,
    /// Error output.
    Err,
    /// The `--explain` step-through (printed on stdout by the CLI).
    Explain,
}

/// One line of lab output.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line {
    /// Stream.
    pub stream: Stream,
    /// Text without the newline.
    pub text: String,
}

/// The lab: a network namespace plus a command interpreter.
#[derive(Clone, Debug)]
pub struct Lab {
    /// The node.
    pub ns: NetNs,
    /// Print the step-through after each `ip route get`.
    pub explain: bool,
    /// Steps of the last `ip route get … iif`, for the UI.
    pub last_steps: Vec<Step>,
}

/// Output of one command.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Output {
    /// Lines in the order they were produced.
    pub lines: Vec<Line>,
}

impl Output {
    fn out(&mut self, s: impl Into<String>) {
        self.lines.push(Line {
            stream: Stream::Out,
            text: s.into(),
        });
    }
    fn err(&mut self, s: impl Into<String>) {
        self.lines.push(Line {
            stream: Stream::Err,
            text: s.into(),
        });
    }
    fn explain(&mut self, s: impl Into<String>) {
        self.lines.push(Line {
            stream: Stream::Explain,
            text: s.into(),
        });
    }

    /// The text of one stream, each line newline-terminated.
    pub fn text(&self, stream: Stream) -> String {
        self.lines
            .iter()
            .filter(|l| l.stream == stream)
            .map(|l| format!("{}\n", l.text))
            .collect()
    }
}

impl Lab {
    /// A lab node for the given kernel version.
    pub fn new(version: KernelVersion, explain: bool) -> Lab {
        Lab {
            ns: NetNs::lab_node(version),
            explain,
            last_steps: Vec::new(),
        }
    }

    /// Runs one input line (which may be empty or a comment).
    pub fn run_line(&mut self, line: &str) -> Output {
        let mut out = Output::default();
        let code = line.split('#').next().unwrap_or("").trim();
        if code.is_empty() {
            return out;
        }
        let words: Vec<&str> = code.split_whitespace().collect();
        let handled = match words[0] {
            "help" if words.len() == 1 => {
                show::lab_help(&mut out);
                true
            }
            "ip" => ip::run(self, &words[1..], &mut out),
            "sysctl" => sysctl::run(self, &words[1..], &mut out),
            _ => false,
        };
        if !handled {
            out.lines.clear();
            out.err(format!("lab: unsupported: {code}"));
        }
        out
    }

    /// Runs every line of a script, concatenating the output.
    pub fn run_script(&mut self, script: &str) -> Output {
        let mut all = Output::default();
        for line in script.lines() {
            all.lines.extend(self.run_line(line).lines);
        }
        all
    }
}

/// Formats a step-through as indented text (`--explain`).
pub fn format_steps(ns: &NetNs, steps: &[Step]) -> Vec<String> {
    let mut v = Vec::with_capacity(steps.len() * 2);
    for (i, s) in steps.iter().enumerate() {
        let next = match &s.next {
            crate::sim::linux::explain::Next::Continue => String::new(),
            crate::sim::linux::explain::Next::Goto(l) => format!(" -> goto {l}"),
            crate::sim::linux::explain::Next::Return(r) => format!(" -> return {r}"),
        };
        v.push(format!(
            "  [{:>2}] {}: {}{}",
            i + 1,
            s.check.function(),
            s.text,
            next
        ));
        v.push(format!("       {}", s.check.location(ns.version)));
    }
    v
}

#[cfg(test)]
mod tests;
