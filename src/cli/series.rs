//! `incident-sim series`: one per-second series of a scenario.

use super::drive::{admit, drive};
use super::run::{parse_scenario, value, Parsed};
use super::{write_out, EXIT_USAGE};
use crate::sim::metrics::{Global, PerNode};
use crate::sim::Sim;
use std::ffi::OsString;

/// Every series name the command accepts.
pub fn names() -> Vec<&'static str> {
    let mut v: Vec<&'static str> = Global::ALL.iter().map(|g| g.name()).collect();
    v.extend(PerNode::ALL.iter().map(|n| n.name()));
    v.push("error_rate");
    v
}

pub(super) fn run(args: Vec<OsString>) -> i32 {
    let mut metric: Option<String> = None;
    let mut node: Option<String> = None;
    let mut csv = false;
    let Parsed { sc, allow_long } = match parse_scenario("series", args, |p, a| match a {
        "metric" => {
            metric = Some(value("series", p)?);
            Ok(true)
        }
        "node" => {
            node = Some(value("series", p)?);
            Ok(true)
        }
        "csv" => {
            csv = true;
            Ok(true)
        }
        _ => Ok(false),
    }) {
        Ok(s) => s,
        Err(c) => return c,
    };
    let Some(metric) = metric else {
        eprintln!(
            "incident-sim series: --metric NAME is required (one of: {})",
            names().join(", ")
        );
        return EXIT_USAGE;
    };
    if !names().contains(&metric.as_str()) {
        let metric_q = crate::scenario::quoted(&metric);
        eprintln!(
            "incident-sim series: --metric: unknown series {metric_q} (one of: {})",
            names().join(", ")
        );
        return EXIT_USAGE;
    }
    let params = sc.params().expect("validated");
    let node: Option<usize> = match node {
        None => None,
        Some(n) => match n.parse::<usize>() {
            Ok(i) if i < params.service_nodes as usize => Some(i),
            _ => {
                let n_q = crate::scenario::quoted(&n);
                eprintln!(
                    "incident-sim series: --node: {n_q} is not a node (allowed 0..={})",
                    params.service_nodes.saturating_sub(1)
                );
                return EXIT_USAGE;
            }
        },
    };
    let budget = match admit("series", &params, allow_long) {
        Ok(b) => b,
        Err(c) => return c,
    };
    let mut sim = Sim::new(&params, sc.seed);
    if let Err(c) = drive("series", &mut sim, None, &budget, true) {
        return c;
    }
    let values = series_values(&sim, &metric, node);
    let mut out = String::new();
    if csv {
        out += &format!("second,{metric}\n");
    }
    for (i, v) in values.iter().enumerate() {
        if csv {
            out += &format!("{i},{v}\n");
        } else {
            out += &format!("{i:>5} {v}\n");
        }
    }
    write_out("series", out.as_bytes()).map_or_else(|c| c, |()| 0)
}

/// The values of series `name` (per-node series: one node, or aggregated).
pub fn series_values(sim: &Sim, name: &str, node: Option<usize>) -> Vec<f64> {
    if name == "error_rate" {
        let r = sim.metrics.global(Global::Requests);
        let e = sim.metrics.global(Global::RequestErrors);
        return r
            .iter()
            .zip(e)
            .map(|(r, e)| if *r > 0.0 { e / r } else { 0.0 })
            .collect();
    }
    if let Some(g) = Global::ALL.iter().find(|g| g.name() == name) {
        return sim.metrics.global(*g).to_vec();
    }
    if let Some(m) = PerNode::ALL.iter().find(|m| m.name() == name) {
        return match node {
            Some(n) => sim.metrics.node(n, *m).to_vec(),
            None => sim.metrics.node_aggregate(*m),
        };
    }
    Vec::new()
}
