//! Sweeps: every cell is the single run of its parameters (same trace
//! digest, same figure as `run --json`), and the command line prints the
//! same bytes whatever the number of threads.

mod common;

use incident_sim::scenario::sweep::{run_cell, Axis, Metric, Outcome, Sweep, OUTAGE_ERROR_RATE};
use incident_sim::scenario::Scenario;
use incident_sim::sim::summary::Summary;
use incident_sim::sim::Sim;
use std::process::Command;

/// The small cluster, 200 s, the rollout at 60 s.
fn base_set() -> Vec<(String, String)> {
    let mut set: Vec<(String, String)> = common::SMALL
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    set.push(("duration_s".into(), "200".into()));
    set.push(("rollout_start_s".into(), "60".into()));
    set
}

const AXES: [&str; 2] = [
    "max_delay_ms=100..120000:log:3",
    "lb_policy=round_robin,pick_first",
];

fn cli(threads: &str, format: &str) -> std::process::Output {
    let mut args: Vec<String> = vec!["sweep".into(), "--preset".into(), "incident".into()];
    for (k, v) in base_set() {
        args.push("--set".into());
        args.push(format!("{k}={v}"));
    }
    for a in AXES {
        args.push("--vary".into());
        args.push(a.into());
    }
    args.extend(
        [
            "--metric",
            "conntrack_allowance_exceeded",
            "--threads",
            threads,
        ]
        .map(String::from),
    );
    if !format.is_empty() {
        args.push(format.into());
    }
    Command::new(env!("CARGO_BIN_EXE_incident-sim"))
        .args(&args)
        .output()
        .expect("run incident-sim")
}

#[test]
fn every_cell_is_the_single_run_of_its_parameters() {
    let sweep = Sweep::new(
        Scenario {
            set: base_set(),
            ..Scenario::default()
        },
        AXES.iter().map(|a| Axis::parse(a).unwrap()).collect(),
        Metric::ConntrackAllowanceExceeded,
    )
    .unwrap();
    let cells = sweep.cells();
    assert_eq!(cells.len(), 6);
    let mut outcomes = Vec::new();
    let mut digests = Vec::new();
    for c in &cells {
        // The reference: the scenario built by hand, as `run` builds it.
        let mut sc = Scenario {
            set: base_set(),
            ..Scenario::default()
        };
        for (k, v) in &c.at {
            sc.set.push((k.clone(), v.clone()));
        }
        let p = sc.params().unwrap();
        let mut sim = Sim::new(&p, sc.seed);
        sim.run_to_end();
        let s = Summary::of(&sim);
        let r = run_cell(&c.scenario, sweep.metric).unwrap();
        assert_eq!(r.digest, sim.digest(), "cell {}", c.index);
        assert_eq!(r.value, s.conntrack_allowance_exceeded, "cell {}", c.index);
        assert_eq!(r.events, sim.events());
        assert_eq!(
            r.outcome == Outcome::Outage,
            s.error_rate_peak > OUTAGE_ERROR_RATE
        );
        assert!(!r.series.is_empty() && r.series.len() <= 120);
        outcomes.push(r.outcome);
        digests.push(r.digest);
    }
    // The axes change the runs: no two cells' traces are the same here.
    let mut d = digests.clone();
    d.sort_unstable();
    d.dedup();
    assert_eq!(d.len(), digests.len(), "{digests:x?}");
    // The fast backoff under round robin is the storm the post describes.
    assert_eq!(outcomes[0], Outcome::Outage, "{outcomes:?}");
}

#[test]
fn the_command_line_prints_the_same_bytes_on_one_thread_and_two() {
    let one = cli("1", "--csv");
    let two = cli("2", "--csv");
    assert!(
        one.status.success(),
        "{}",
        String::from_utf8_lossy(&one.stderr)
    );
    assert!(
        two.status.success(),
        "{}",
        String::from_utf8_lossy(&two.stderr)
    );
    assert_eq!(one.stdout, two.stdout);
    let text = String::from_utf8(one.stdout).unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("index,max_delay_ms,lb_policy,seed,conntrack_allowance_exceeded,outcome,incident,digest,events,series")
    );
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert_eq!(rows.len(), 6);
    assert_eq!(rows[0][..4], ["0", "100", "round_robin", "1"]);
    assert_eq!(rows[5][..4], ["5", "120000", "pick_first", "1"]);
    // Each row's digest is that of the single run.
    let mut sc = Scenario {
        set: base_set(),
        ..Scenario::default()
    };
    sc.set.push(("max_delay_ms".into(), "120000".into()));
    sc.set.push(("lb_policy".into(), "pick_first".into()));
    let r = run_cell(&sc, Metric::ConntrackAllowanceExceeded).unwrap();
    assert_eq!(rows[5][7], format!("{:#018x}", r.digest));
    assert_eq!(rows[5][4], r.value.to_string());
}

#[test]
fn json_and_table_carry_the_cells_and_the_boundary() {
    let out = cli("2", "--json");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
    assert_eq!(v["columns"], 3);
    assert_eq!(v["rows"], 2);
    assert_eq!(
        v["sweep"],
        "max_delay_ms:100..120000:log:3*lb_policy:round_robin,pick_first"
    );
    let cells = v["cells"].as_array().unwrap();
    assert_eq!(cells.len(), 6);
    assert_eq!(cells[4]["at"]["max_delay_ms"], "3464");
    assert!(cells
        .iter()
        .all(|c| c["series"].as_array().unwrap().len() <= 120));
    assert_eq!(v["boundary"].as_array().unwrap().len(), 2);
    let table = cli("1", "");
    let t = String::from_utf8(table.stdout).unwrap();
    assert!(
        t.contains("where the outcome changes along max_delay_ms"),
        "{t}"
    );
    assert_eq!(t.lines().filter(|l| l.contains("0x")).count(), 6, "{t}");
}

#[test]
fn the_incidents_cell_is_marked_and_is_the_incidents_run() {
    let out = Command::new(env!("CARGO_BIN_EXE_incident-sim"))
        .args([
            "sweep",
            "--vary",
            "lb_policy=round_robin,pick_first",
            "--metric",
            "error_rate_peak",
            "--json",
        ])
        .output()
        .expect("run incident-sim");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let cells = v["cells"].as_array().unwrap();
    let incident = common::PRESET_DIGESTS[0];
    assert_eq!(incident.0, "incident");
    assert_eq!(cells[0]["incident"], true);
    assert_eq!(cells[0]["digest"], format!("{:#018x}", incident.1));
    assert_eq!(cells[0]["outcome"], "outage");
    assert_eq!(cells[1]["incident"], false);
}
