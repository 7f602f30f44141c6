//! Each lens's figures against the run's own counters: the page's record
//! assembled from the worker's chunks, and a plain run stopped at the same
//! moment (what the CSV and flow-log downloads of that moment are made of).

use super::*;
use crate::run::{Reply, Request, RunId, Service};
use crate::scenario::Scenario;
use crate::sim::Sim;

/// The unit tests' small cluster over 200 s on seed 3, with `extra` set.
fn small(preset: &str, extra: &[(&str, &str)]) -> Scenario {
    let mut s = crate::scenario::small_for_tests(preset, 3);
    for (k, v) in [("duration_s", "200")].iter().chain(extra) {
        s.set.push((k.to_string(), v.to_string()));
    }
    s
}

/// The page's record of `sc`, assembled as the page does.
fn record_of(sc: &Scenario) -> RunRecord {
    let mut svc = Service::default();
    let mut rec = None;
    for r in svc.request(Request::Start(RunId {
        gen: 1,
        scenario: sc.clone(),
    })) {
        if let Reply::Started(meta) = r {
            rec = Some(RunRecord::new(*meta));
        }
    }
    let mut rec = rec.expect("started");
    while svc.busy() {
        for r in svc.work() {
            if let Reply::Progress { chunk, .. } = r {
                rec.apply(*chunk);
            }
        }
    }
    assert!(rec.finished());
    rec
}

/// A plain run stopped at `t`: what the page's downloads at `t` come from.
fn sim_at(sc: &Scenario, t: SimTime) -> Sim {
    let mut sim = Sim::new(&sc.params().unwrap(), sc.seed);
    sim.run_until(t);
    sim
}

fn total(sim: &Sim, m: Global) -> f64 {
    sim.metrics.global(m).iter().sum()
}

const T: SimTime = SimTime::from_secs(120);

#[test]
fn the_kernel_lens_counts_what_rp_filter_dropped_per_node_up_to_the_moment() {
    let sc = small("incident", &[]);
    let rec = record_of(&sc);
    let v = view(&rec, Lens::Kernel, T);
    let sim = sim_at(&sc, T);
    let drops = v.figure("martian_drops").unwrap();
    assert!(drops > 0.0, "the incident drops SYNs by then");
    assert_eq!(drops, total(&sim, Global::MartianDrops), "the CSV's column");
    let n = seconds_to(&rec, T);
    assert_eq!(n, sim.metrics.seconds());
    for node in 0..rec.series.nodes() {
        let own = sum_to(rec.series.node(node, PerNode::MartianDrops), n);
        let line = format!("{:<32}{:<16}", "TcpExtIPReversePathFilter", own);
        assert!(v.blocks[0].text.contains(&line), "node {node}: {line}");
    }
    // Later, more: the counter only grows.
    let later = view(&rec, Lens::Kernel, SimTime::from_secs(150));
    assert!(later.figure("martian_drops").unwrap() >= drops);
    // The martian log is the kernel-log download's, to the moment.
    let log = crate::export::klog::syslog(&sim);
    assert_eq!(v.blocks[1].text, log);
    assert_eq!(
        v.figure("martian_log_lines").unwrap() as usize,
        sim.trace
            .kernel_log
            .iter()
            .filter(|l| l.line.starts_with("IPv4: martian"))
            .count()
    );
}

#[test]
fn without_log_martians_the_kernel_logs_nothing_but_still_counts() {
    let sc = small("incident", &[("log_martians", "false")]);
    let rec = record_of(&sc);
    let v = view(&rec, Lens::Kernel, T);
    assert!(v.figure("martian_drops").unwrap() > 0.0);
    assert_eq!(v.figure("martian_log_lines"), Some(0.0));
    assert!(v.blocks[1].text.contains("log_martians is off"));
}

#[test]
fn the_ena_lens_is_the_allowance_series_and_the_tables_room() {
    let sc = small("incident", &[]);
    let rec = record_of(&sc);
    let v = view(&rec, Lens::Ena, T);
    let sim = sim_at(&sc, T);
    let exceeded = v.figure("conntrack_allowance_exceeded").unwrap();
    assert!(exceeded > 0.0, "the table is full by then");
    assert_eq!(exceeded, total(&sim, Global::ConntrackAllowanceExceeded));
    let n = seconds_to(&rec, T);
    let m = rec.tracked_moment(T).unwrap();
    let mut room = 0.0;
    for node in 0..rec.series.nodes() {
        let own = sum_to(
            rec.series.node(node, PerNode::ConntrackAllowanceExceeded),
            n,
        );
        assert!(v.blocks[0]
            .text
            .contains(&format!("     conntrack_allowance_exceeded: {own}\n")));
        let avail = rec.meta.nodes[node].allowance - m.nodes[node].vpc;
        room += avail as f64;
        assert!(v.blocks[0]
            .text
            .contains(&format!("     conntrack_allowance_available: {avail}")));
    }
    assert_eq!(v.figure("conntrack_allowance_available"), Some(room));
}

#[test]
fn the_flow_log_lens_groups_the_downloads_records_by_tcp_flags() {
    let sc = small("incident", &[]);
    let rec = record_of(&sc);
    let v = view(&rec, Lens::FlowLogs, T);
    let sim = sim_at(&sc, T);
    let export = crate::export::flowlog::records(&sim, Default::default());
    assert_eq!(v.figure("flowlog_records"), Some(export.len() as f64));
    let packets: u64 = export.iter().map(|r| r.packets).sum();
    assert_eq!(v.figure("flowlog_packets"), Some(packets as f64));
    let syn_only = export.iter().filter(|r| r.tcp_flags == 2).count();
    assert_eq!(v.figure("flowlog_syn_only_records"), Some(syn_only as f64));
    let unanswered = v.figure("flowlog_unanswered").unwrap();
    assert!(unanswered > 0.0 && unanswered <= syn_only as f64);
    assert!(v.blocks[0]
        .text
        .contains(&format!("{:>9}  {syn_only:>7}", 2)));
    // The latest records are the download's last lines.
    let last = export.last().unwrap().to_string();
    assert!(v.blocks[1].text.ends_with(&format!("{last}\n")));
}

#[test]
fn node_local_dns_and_the_application_show_their_own_series() {
    // A smaller allowance and max_concurrent: the small cluster's DNS
    // fails and rejects too.
    let sc = small(
        "incident",
        &[
            ("conntrack_allowance", "4000"),
            ("nld_max_concurrent", "10"),
        ],
    );
    let rec = record_of(&sc);
    let end = rec.end();
    let sim = sim_at(&sc, end);
    let d = view(&rec, Lens::NodeLocalDns, end);
    assert_eq!(
        d.figure("nodelocaldns_rejects"),
        Some(total(&sim, Global::NldRejects))
    );
    assert_eq!(
        d.figure("nodelocaldns_healthcheck_failures"),
        Some(total(&sim, Global::NldHealthcheckFailures))
    );
    assert!(d.figure("nodelocaldns_rejects").unwrap() > 0.0);
    assert!(d.blocks[0]
        .text
        .contains("[ERROR] plugin/errors: 2 datastore.service.internal. A: concurrent queries exceeded maximum 10  ×"));
    let a = view(&rec, Lens::Application, end);
    let errors = total(&sim, Global::RequestErrors);
    assert_eq!(a.figure("request_errors"), Some(errors));
    assert_eq!(a.figure("requests"), Some(total(&sim, Global::Requests)));
    let seconds_with_errors = sim
        .metrics
        .global(Global::RequestErrors)
        .iter()
        .filter(|e| **e > 0.0)
        .count();
    assert_eq!(
        a.figure("error_log_lines"),
        Some(seconds_with_errors as f64)
    );
    assert!(errors > 0.0, "the incident's users see errors");
    assert!(a.blocks[2].text.contains("createTransport failed"));
}

#[test]
fn ground_truth_puts_every_count_beside_who_saw_it_and_the_download_holds_it_all() {
    let sc = small("incident", &[]);
    let rec = record_of(&sc);
    let v = view(&rec, Lens::Truth, T);
    let n = seconds_to(&rec, T);
    for m in [Global::SynSent, Global::MartianDrops, Global::RequestErrors] {
        assert_eq!(v.figure(m.name()), Some(sum_to(rec.series.global(m), n)));
    }
    for l in Lens::ALL {
        let v = view(&rec, l, T);
        let text = export_text(&rec, &v);
        assert!(text.starts_with(&format!(
            "# {} lens of the run incident (seed 3)",
            l.label()
        )));
        for b in &v.blocks {
            assert!(text.contains(&b.text), "{l:?}");
        }
        assert!(file_name(&rec, l, T).ends_with(&format!("-t120-lens-{}.txt", l.name())));
    }
}

#[test]
fn tail_keeps_the_last_lines_and_counts_the_rest() {
    assert_eq!(tail("a\nb\nc\n", 2), ("b\nc\n".to_string(), 1));
    assert_eq!(tail("", 2), (String::new(), 0));
}

#[test]
fn a_lens_kept_while_the_run_streams_in_ends_equal_to_one_made_on_the_whole_run() {
    let sc = small("incident", &[]);
    let mut svc = Service::default();
    let mut rec = None;
    for r in svc.request(Request::Start(RunId {
        gen: 1,
        scenario: sc.clone(),
    })) {
        if let Reply::Started(meta) = r {
            rec = Some(RunRecord::new(*meta));
        }
    }
    let mut rec = rec.expect("started");
    let mut prep = Prepared::default();
    let mut partial = 0;
    while svc.busy() {
        for r in svc.work() {
            if let Reply::Progress { chunk, .. } = r {
                rec.apply(*chunk);
            }
        }
        if !rec.finished() {
            // The page shows the run as far as it is known.
            let _ = view_with(&rec, Lens::FlowLogs, rec.done_to, &mut prep);
            partial += 1;
        }
    }
    assert!(partial > 0, "the run came in several chunks");
    let kept = view_with(&rec, Lens::FlowLogs, T, &mut prep);
    assert_eq!(kept, view(&rec, Lens::FlowLogs, T));
}
