//! The page's sweep: cells run by the workers' `Service` (as the page's Web
//! Workers run them, two at a time) give the command line's cells exactly
//! (figure, outcome, digest, sparkline); a superseded or cancelled sweep's
//! results never reach the grid; a cell's reply stays small.

mod common;

use incident_sim::run::sweep::SweepJob;
use incident_sim::run::{Reply, Request, Service};
use incident_sim::scenario::sweep::{Axis, CellResult, Metric, Outcome, Sweep};
use incident_sim::scenario::Scenario;
use std::process::Command;

const AXES: [&str; 2] = [
    "max_delay_ms=100..120000:log:3",
    "lb_policy=round_robin,pick_first",
];

fn base() -> Scenario {
    let mut set: Vec<(String, String)> = common::SMALL
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    set.push(("duration_s".into(), "200".into()));
    set.push(("rollout_start_s".into(), "60".into()));
    Scenario {
        set,
        ..Scenario::default()
    }
}

fn sweep(metric: Metric) -> Sweep {
    Sweep::new(
        base(),
        AXES.iter().map(|a| Axis::parse(a).unwrap()).collect(),
        metric,
    )
    .unwrap()
}

/// Runs `job` to its end over `services`, the way the page and its workers
/// do: each request goes to its worker, which works in slices until it
/// replies; replies go back to the job, which hands out the next cells.
fn drive(job: &mut SweepJob, services: &mut [Service]) {
    let mut pending: Vec<Vec<Reply>> = vec![Vec::new(); services.len()];
    loop {
        for (w, r) in job.fill() {
            pending[w].extend(services[w].request(r));
        }
        if job.finished() {
            return;
        }
        let mut any = false;
        for (w, s) in services.iter_mut().enumerate() {
            if s.busy() {
                any = true;
                pending[w].extend(s.work());
            }
        }
        for (w, replies) in pending.iter_mut().enumerate() {
            for r in replies.drain(..) {
                job.on_reply(w, r);
            }
        }
        assert!(
            any || job.finished(),
            "nothing runs and the job is not done"
        );
    }
}

fn cli_json(metric: Metric) -> serde_json::Value {
    let mut args: Vec<String> = vec!["sweep".into(), "--preset".into(), "incident".into()];
    for (k, v) in base().set {
        args.push("--set".into());
        args.push(format!("{k}={v}"));
    }
    for a in AXES {
        args.push("--vary".into());
        args.push(a.into());
    }
    args.extend(["--metric", metric.name(), "--json"].map(String::from));
    let out = Command::new(env!("CARGO_BIN_EXE_incident-sim"))
        .args(&args)
        .output()
        .expect("run incident-sim");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON")
}

/// Equal but for the last bit: serde_json (without its float_roundtrip
/// feature) may read the command line's shortest round-trip decimals one
/// bit off; the digests above are compared exactly.
fn same(a: f64, b: f64) -> bool {
    (a - b).abs() <= a.abs().max(b.abs()) * 1e-15
}

#[test]
fn the_pages_cells_are_the_command_lines_cells() {
    let metric = Metric::ErrorRatePeak;
    let s = sweep(metric);
    let mut job = SweepJob::new(1, &s, 2);
    let mut services = vec![Service::default(), Service::default()];
    drive(&mut job, &mut services);
    assert_eq!(job.done(), 6);
    let cli = cli_json(metric);
    let cells = cli["cells"].as_array().unwrap();
    assert_eq!(cells.len(), 6);
    for (i, (r, c)) in job.results().iter().zip(cells).enumerate() {
        let r: &CellResult = r.as_ref().unwrap().as_ref().unwrap();
        assert_eq!(c["index"], i);
        assert_eq!(c["digest"], format!("{:#018x}", r.digest), "cell {i}");
        assert!(same(c["value"].as_f64().unwrap(), r.value), "cell {i}");
        let outcome = match r.outcome {
            Outcome::Ok => "ok",
            Outcome::Outage => "outage",
        };
        assert_eq!(c["outcome"], outcome, "cell {i}");
        assert_eq!(c["events"].as_u64(), Some(r.events), "cell {i}");
        let series: Vec<f64> = c["series"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap())
            .collect();
        assert_eq!(series.len(), r.series.len(), "cell {i}");
        assert!(
            series.iter().zip(&r.series).all(|(a, b)| same(*a, *b)),
            "cell {i}: {series:?} {:?}",
            r.series
        );
    }
    // The boundary the page draws is the command line's.
    let outcomes: Vec<Option<Outcome>> = job
        .results()
        .iter()
        .map(|r| r.as_ref().and_then(|x| x.as_ref().ok()).map(|x| x.outcome))
        .collect();
    let rows = incident_sim::viz::sweep::row_boundaries(&outcomes, 3);
    let cli_b = cli["boundary"].as_array().unwrap();
    assert_eq!(rows.len(), cli_b.len());
    for (b, c) in rows.iter().zip(cli_b) {
        assert_eq!(b.flatten().map(|x| x as u64), c["col"].as_u64(), "{c}");
    }
}

#[test]
fn a_superseded_or_cancelled_sweep_reaches_nothing() {
    let s = sweep(Metric::ConntrackAllowanceExceeded);
    let mut old = SweepJob::new(1, &s, 2);
    let first = old.fill();
    assert_eq!(first.len(), 2);
    // Cells go out costliest first: the 100 ms backoff's storms.
    let Request::Cell { index, .. } = &first[0].1 else {
        panic!("a cell request")
    };
    assert_eq!(*index, 0);
    // The reader changes the sweep: a new generation on the same workers.
    let mut new = SweepJob::new(2, &s, 2);
    let result =
        Ok(incident_sim::scenario::sweep::run_cell(&s.cells()[0].scenario, s.metric).unwrap());
    let late = Reply::Cell {
        gen: 1,
        index: 0,
        result: result.clone(),
    };
    let _ = new.fill();
    assert!(
        !new.on_reply(0, late),
        "a reply of the old sweep is dropped"
    );
    assert_eq!(new.done(), 0);
    // A reply for a cell the worker is not running is dropped too.
    let wrong = Reply::Cell {
        gen: 2,
        index: 5,
        result: result.clone(),
    };
    assert!(!new.on_reply(0, wrong));
    let right = Reply::Cell {
        gen: 2,
        index: 0,
        result,
    };
    assert!(new.on_reply(0, right));
    assert_eq!(new.done(), 1);
    // Cancel: a Cancel for the busy worker, nothing handed out after.
    let c = new.cancel();
    assert!(c.iter().all(|(_, r)| *r == Request::Cancel) && c.len() == 1);
    assert!(new.fill().is_empty() && new.finished() && new.done() == 1);
    // A worker's Cancel drops its cell: no reply comes.
    let mut svc = Service::default();
    let _ = svc.request(first[0].1.clone());
    assert!(svc.busy());
    let _ = svc.request(Request::Cancel);
    assert!(!svc.busy() && svc.work().is_empty());
}

#[test]
fn a_cells_reply_is_small() {
    let s = sweep(Metric::ConntrackAllowanceExceeded);
    let c = &s.cells()[0];
    let mut svc = Service::default();
    let mut replies = svc.request(Request::Cell {
        gen: 1,
        index: 0,
        scenario: c.scenario.clone(),
        metric: s.metric,
    });
    while svc.busy() {
        replies.extend(svc.work());
    }
    assert_eq!(replies.len(), 1);
    // JSON is larger than the worker's bincode; either way a few KB, not
    // the run's packets.
    let bytes = serde_json::to_vec(&replies[0]).unwrap().len();
    assert!(bytes < 8_000, "{bytes} bytes");
}
