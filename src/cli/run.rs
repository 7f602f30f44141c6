//! `incident-sim run`: one scenario, its summary (or `--json`).

use super::drive::{admit, drive};
use super::{arg_error, write_out, EXIT_USAGE};
use crate::format::grouped;
use crate::scenario::Scenario;
use crate::sim::summary::Summary;
use crate::sim::Sim;
use std::ffi::OsString;

/// A scenario from the command line, and whether a long run is allowed.
pub(super) struct Parsed {
    /// The scenario.
    pub sc: Scenario,
    /// `--allow-long`.
    pub allow_long: bool,
}

/// Parses `--preset NAME [--seed N] [--set K=V]... [--allow-long]`; the rest via `extra`.
pub(super) fn parse_scenario(
    cmd: &str,
    args: Vec<OsString>,
    mut extra: impl FnMut(&mut lexopt::Parser, &str) -> Result<bool, i32>,
) -> Result<Parsed, i32> {
    use lexopt::prelude::*;
    let mut sc = Scenario::default();
    let mut allow_long = false;
    let mut p = lexopt::Parser::from_args(args);
    loop {
        let arg = match p.next() {
            Ok(Some(a)) => a,
            Ok(None) => break,
            Err(e) => return Err(arg_error(cmd, e)),
        };
        match arg {
            Long("preset") => sc.preset = value(cmd, &mut p)?,
            Long("allow-long") => allow_long = true,
            Long("seed") => {
                let v = value(cmd, &mut p)?;
                sc.seed = v.parse().map_err(|_| {
                    let v_q = crate::scenario::quoted(&v);
                    eprintln!(
                        "incident-sim {cmd}: --seed: {v_q} is not an integer (allowed 0..={})",
                        u64::MAX
                    );
                    EXIT_USAGE
                })?;
            }
            Long("set") => {
                let v = value(cmd, &mut p)?;
                let Some((k, val)) = v.split_once('=') else {
                    let v_q = crate::scenario::quoted(&v);
                    eprintln!("incident-sim {cmd}: --set {v_q}: expected KEY=VALUE");
                    return Err(EXIT_USAGE);
                };
                sc.set.push((k.trim().to_string(), val.trim().to_string()));
            }
            Long(name) => {
                let name = name.to_string();
                if !extra(&mut p, &name)? {
                    let opt = crate::scenario::quoted(&format!("--{name}"));
                    eprintln!("incident-sim {cmd}: invalid option {opt}");
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
    Ok(Parsed { sc, allow_long })
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
    let Parsed { sc, allow_long } = match parse_scenario("run", args, |_, a| {
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
    let budget = match admit("run", &params, allow_long) {
        Ok(b) => b,
        Err(c) => return c,
    };
    let mut sim = Sim::new(&params, sc.seed);
    if let Err(c) = drive("run", &mut sim, None, &budget, true) {
        return c;
    }
    let s = Summary::of(&sim);
    let text = if json {
        serde_json::to_string(&s).expect("summary serializes") + "\n"
    } else {
        summary_text(&sc, &s)
    };
    write_out("run", text.as_bytes()).map_or_else(|c| c, |()| 0)
}

/// How a figure reads.
#[derive(Clone, Copy)]
enum Unit {
    /// A count, in whole units.
    Count,
    /// A count per second.
    PerSecond,
    /// Milliseconds.
    Ms,
    /// A mean in milliseconds over intervals that are never zero, so that
    /// zero means there were none (shown as such, not as "0 ms").
    MeanMs,
    /// Seconds.
    Seconds,
    /// A fraction, shown as a percentage.
    Percent,
}

/// A figure's line: what it is, its key in `run --json`, its unit.
type Row = (&'static str, &'static str, Unit);

/// The summary's figures in reading order, by section. Every key of
/// [`Summary`] but the header's two appears once (a unit test checks).
#[rustfmt::skip]
const SECTIONS: &[(&str, &[Row])] = &[
    ("Reconnect storm", &[
        ("SYNs sent by the clients",                    "syn_sent", Unit::Count),
        ("peak SYN rate, all clients",                  "peak_syn_per_s", Unit::PerSecond),
        ("SYNs to one old pod IP in 90 s (most)",       "syn_to_one_old_ip_90s", Unit::Count),
        ("refused with RST (pod terminating)",          "syn_rst", Unit::Count),
        ("dropped by rp_filter (martian source)",       "martian_drops", Unit::Count),
        ("dropped by the ENI source/destination check", "src_dst_check_drops", Unit::Count),
        ("ICMP unreachable sent",                       "icmp_unreachable_sent", Unit::Count),
        ("mean time between attempts, refused",         "reconnect_interval_refused_ms", Unit::MeanMs),
        ("mean time between attempts, unanswered",      "reconnect_interval_silent_ms", Unit::MeanMs),
        ("mean time between attempts, VPC-dropped",     "reconnect_interval_vpc_dropped_ms", Unit::MeanMs),
        ("deleted pod IP still in use, mean",           "stale_ip_seconds_mean", Unit::Seconds),
        ("deleted pod IP still in use, longest",        "stale_ip_seconds_max", Unit::Seconds),
    ]),
    ("Connection tracking", &[
        ("VPC conntrack allowance per instance", "vpc_conntrack_allowance", Unit::Count),
        ("VPC conntrack peak, busiest instance", "vpc_conntrack_peak", Unit::Count),
        ("packets dropped for the allowance",    "conntrack_allowance_exceeded", Unit::Count),
        ("Linux conntrack peak, busiest node",   "linux_conntrack_peak", Unit::Count),
    ]),
    ("node-local-dns", &[
        ("queries per node before the rollout", "dns_qps_baseline", Unit::PerSecond),
        ("queries on the busiest node, peak",   "dns_qps_peak", Unit::PerSecond),
        ("rejected at max_concurrent",          "nodelocaldns_rejects", Unit::Count),
        ("failed health checks",                "nodelocaldns_healthcheck_failures", Unit::Count),
        ("OOM kills",                           "nodelocaldns_oom_kills", Unit::Count),
    ]),
    ("The service's users", &[
        ("error rate before the rollout (worst 10 s)",    "error_rate_baseline", Unit::Percent),
        ("error rate, worst 10 s",                        "error_rate_peak", Unit::Percent),
        ("p99 latency before the rollout (worst second)", "p99_latency_ms_baseline", Unit::Ms),
        ("p90 latency, worst second",                     "p90_latency_ms_peak", Unit::Ms),
        ("p99 latency, worst second",                     "p99_latency_ms_peak", Unit::Ms),
    ]),
];

/// A figure with its unit: whole counts, a decimal for fractional rates
/// and durations below a thousand, percentages to a hundredth.
fn figure(v: f64, unit: Unit) -> String {
    let fine = if v.abs() < 1_000.0 && v.fract() != 0.0 {
        1
    } else {
        0
    };
    match unit {
        Unit::Count => grouped(v, 0),
        Unit::PerSecond => format!("{} /s", grouped(v, fine)),
        Unit::Ms => format!("{} ms", grouped(v, fine)),
        Unit::MeanMs if v == 0.0 => "none".to_string(),
        Unit::MeanMs => format!("{} ms", grouped(v, fine)),
        Unit::Seconds => format!("{} s", grouped(v, 1)),
        Unit::Percent => format!("{} %", grouped(v * 100.0, 2)),
    }
}

/// The run's summary as a person reads it: grouped, with units, each line
/// ending with its key in `run --json` (which has the exact values).
fn summary_text(sc: &Scenario, s: &Summary) -> String {
    let v = serde_json::to_value(s).expect("serializes");
    let mut out = format!(
        "scenario {} (seed {}): {} simulated s, {} events\n",
        sc.preset,
        sc.seed,
        s.sim_seconds,
        grouped(s.events as f64, 0)
    );
    for &(section, rows) in SECTIONS {
        out.push_str(&format!("\n{section}\n"));
        for &(label, key, unit) in rows {
            let x = v[key].as_f64().unwrap_or(f64::NAN);
            out.push_str(&format!("  {label:<46} {:>16}   {key}\n", figure(x, unit)));
        }
    }
    out.push_str("\n(exact values: --json)\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows() -> impl Iterator<Item = &'static Row> {
        SECTIONS.iter().flat_map(|(_, rows)| rows.iter())
    }

    #[test]
    fn figures_read_with_their_units() {
        assert_eq!(figure(4_412_181.0, Unit::Count), "4,412,181");
        assert_eq!(figure(0.039_856, Unit::Percent), "3.99 %");
        assert_eq!(figure(353.394, Unit::Ms), "353.4 ms");
        assert_eq!(figure(353.394, Unit::MeanMs), "353.4 ms");
        assert_eq!(figure(0.0, Unit::MeanMs), "none");
        assert_eq!(figure(0.0, Unit::Ms), "0 ms");
        assert_eq!(figure(6_309.573, Unit::Ms), "6,310 ms");
        assert_eq!(figure(399.353, Unit::PerSecond), "399.4 /s");
        assert_eq!(figure(889.0, Unit::PerSecond), "889 /s");
        assert_eq!(figure(80.661, Unit::Seconds), "80.7 s");
    }

    /// Every figure of the summary is on a line of its own, once, and
    /// reads as its JSON value.
    #[test]
    fn the_text_shows_every_figure_once() {
        let sc = Scenario {
            preset: "incident".into(),
            set: vec![("duration_s".into(), "180".into())],
            ..Scenario::default()
        };
        let p = sc.params().expect("valid");
        let mut sim = Sim::new(&p, sc.seed);
        sim.run_to_end();
        let s = Summary::of(&sim);
        let text = summary_text(&sc, &s);
        let v = serde_json::to_value(&s).expect("serializes");
        let obj = v.as_object().expect("an object");
        for (key, val) in obj {
            if key == "events" || key == "sim_seconds" {
                continue;
            }
            let lines: Vec<&str> = text
                .lines()
                .filter(|l| l.ends_with(&format!("   {key}")))
                .collect();
            assert_eq!(lines.len(), 1, "{key} in\n{text}");
            let &(_, _, unit) = rows().find(|r| r.1 == key).expect("a row for every figure");
            let shown = figure(val.as_f64().expect("a number"), unit);
            assert!(lines[0].contains(&shown), "{key}: {shown} in {}", lines[0]);
        }
        assert_eq!(rows().count(), obj.len() - 2, "no row without a figure");
        assert!(text.starts_with("scenario incident (seed 1): 180 simulated s, "));
    }
}
