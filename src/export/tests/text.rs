//! The text exports: VPC flow logs, the kernel log, jsonl, csv, and the
//! capture's comment.

use super::*;

#[test]
fn flow_logs_show_martian_syns_as_accepted_with_no_answer() {
    let sim = incident();
    let text = flowlog::text(sim, flowlog::Options::default());
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some(flowlog::FIELDS));
    let n_fields = flowlog::FIELDS.split(' ').count();
    for l in lines {
        let f: Vec<&str> = l.split(' ').collect();
        assert_eq!(f.len(), n_fields, "{l}");
        assert_eq!((f[0], f[6], f[20]), ("3", "IPv4", "OK"));
        let (start, end): (u64, u64) = (f[16].parse().unwrap(), f[17].parse().unwrap());
        assert!(start <= end && start / 60 == end / 60, "{l}");
        assert!(start >= EPOCH_UNIX);
    }
    let recs = flowlog::records(sim, flowlog::Options::default());
    let key = |r: &flowlog::Record| {
        (
            r.start / 60,
            r.pkt_srcaddr,
            r.srcport,
            r.pkt_dstaddr,
            r.dstport,
        )
    };
    let all: BTreeSet<_> = recs.iter().map(key).collect();
    let mut checked = 0;
    for p in sim
        .trace
        .packets
        .iter()
        .filter(|p| matches!(p.fate, Fate::RpFilter { .. }))
    {
        let w = unix_secs(p.arrives) / 60;
        let r = recs
            .iter()
            .find(|r| key(r) == (w, p.src, p.sport, p.dst, p.dport))
            .expect("the SYN is logged");
        assert!(r.accept && r.tcp_flags == 2, "{r}");
        assert_eq!(r.iface, Iface::Ens6(p.node));
        assert_eq!(
            r.dstaddr,
            Iface::Ens6(p.node).primary().0,
            "dstaddr = ENI primary"
        );
        assert!(r.to_string().contains(" ACCEPT 2 OK"));
        // No answer, so no reverse record, unless another SYN of the same
        // client pod reused the source port within the minute and was answered.
        let reused = sim.trace.packets.iter().any(|q| {
            q.answers != u32::MAX
                && (q.src, q.sport, q.dst, q.dport) == (p.dst, p.dport, p.src, p.sport)
                && unix_secs(q.sent) / 60 == w
        });
        assert!(!sim.trace.packets.iter().any(|q| q.answers == p.id));
        assert_eq!(all.contains(&(w, p.dst, p.dport, p.src, p.sport)), reused);
        checked += 1;
    }
    assert!(checked > 0);
    // Answered SYNs: 18 back for SYN-ACK, 4 for RST.
    let flags: BTreeSet<u8> = recs.iter().map(|r| r.tcp_flags).collect();
    assert!(flags.contains(&18) && flags.contains(&4), "{flags:?}");
}

#[test]
fn conntrack_drops_are_not_logged_unless_asked_for() {
    let sim = incident();
    let dropped = sim
        .trace
        .packets
        .iter()
        .filter(|p| p.fate == Fate::ConntrackAllowance)
        .count() as u64;
    assert!(dropped > 0);
    let total = sim.trace.packets.len() as u64;
    let count = |o| -> (u64, u64) {
        let r = flowlog::records(sim, o);
        let rej = r.iter().filter(|r| !r.accept).map(|r| r.packets).sum();
        (r.iter().map(|r| r.packets).sum(), rej)
    };
    assert_eq!(count(flowlog::Options::default()), (total - dropped, 0));
    let (all, rejected) = count(flowlog::Options {
        conntrack_drops_as_reject: true,
    });
    assert_eq!((all, rejected), (total, dropped));
}

// ---------- kernel log ----------

#[test]
fn kernel_log_is_syslog_with_an_ll_header_after_each_martian() {
    let sim = incident();
    let text = klog::syslog(sim);
    let lines: Vec<&str> = text.lines().collect();
    let martians = sim
        .trace
        .kernel_log
        .iter()
        .filter(|l| l.line.starts_with("IPv4: martian source"))
        .count();
    assert!(martians > 0);
    assert_eq!(lines.len(), sim.trace.kernel_log.len() + martians);
    for (i, l) in lines.iter().enumerate() {
        assert!(l.starts_with("Sep 14 14:"), "{l}");
        let host = l.split(' ').nth(3).unwrap();
        assert!(sim.nodes.iter().any(|n| hostname(n.ip) == host), "{l}");
        assert_eq!(l.split(' ').nth(4), Some("kernel:"));
        if l.contains("martian source") {
            let next = lines[i + 1];
            let node = sim
                .nodes
                .iter()
                .position(|n| hostname(n.ip) == host)
                .unwrap() as u16;
            let mut want = klog::ll_header(Iface::Ens6(node).mac(), Iface::Ens6(node).router_mac());
            assert_eq!(
                next,
                format!(
                    "{} {}",
                    &l[..l.find("IPv4").unwrap()].trim_end(),
                    want.remove(0)
                )
            );
            assert!(next.ends_with(" 08 00"));
        }
    }
}

// ---------- JSON Lines, CSV ----------

#[test]
fn jsonl_has_the_run_then_every_record_in_time_order() {
    let sim = incident();
    let bytes = events::jsonl(sim, "incident");
    let text = std::str::from_utf8(&bytes).unwrap();
    assert!(text.ends_with('\n'));
    let t = &sim.trace;
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON value per line"))
        .collect();
    assert_eq!(
        lines.len(),
        1 + t.events.len() + t.packets.len() + t.kernel_log.len()
    );
    assert_eq!(lines[0]["type"], "run");
    assert_eq!(lines[0]["seed"], sim.seed);
    assert_eq!(lines[0]["params"]["service_nodes"], 4);
    let mut last = 0;
    let mut martian_seen = false;
    for v in &lines[1..] {
        let at = v["at_us"].as_u64().unwrap();
        assert!(at >= last);
        last = at;
        if v["type"] == "packet" && v["reason"] == "martian (rp_filter, no_addr)" {
            assert_eq!(v["dropped"], true);
            assert!(v["kernel"].as_str().unwrap().contains("-EXDEV"));
            martian_seen = true;
        }
    }
    assert!(martian_seen);
    assert_eq!(
        lines.iter().filter(|v| v["type"] == "event").count(),
        t.events.len()
    );
    // No sentinel leaks: "none" is null, and both kinds occur.
    assert!(!text.contains(&u32::MAX.to_string()));
    let packets = || lines.iter().filter(|v| v["type"] == "packet");
    for key in ["client", "pod", "answers"] {
        assert!(packets().any(|v| v[key].is_null()), "{key}: some null");
        assert!(packets().any(|v| v[key].is_u64()), "{key}: some number");
    }
}

#[test]
fn csv_of_a_run_has_a_row_per_second() {
    let sim = incident();
    let text = csv::all(&sim.metrics);
    let rows: Vec<&str> = text.trim_end().split("\r\n").collect();
    assert_eq!(rows.len(), 1 + sim.metrics.seconds());
    assert_eq!(sim.metrics.seconds() as u64, sim.p.duration_s);
    let one = csv::series("syn_sent", sim.metrics.global(Global::SynSent));
    let sum: f64 = one
        .trim_end()
        .split("\r\n")
        .skip(1)
        .map(|r| r.split(',').nth(1).unwrap().parse::<f64>().unwrap())
        .sum();
    assert_eq!(sum, sim.metrics.global(Global::SynSent).iter().sum::<f64>());
    assert!(sum > 0.0);
}

/// Writes every export of the incident fixture to `$EXPORT_DIR` (for
/// checking with Wireshark/tshark by hand): `EXPORT_DIR=/tmp/x cargo test
/// --lib export::tests::write_samples -- --ignored`.
#[test]
#[ignore]
fn write_samples() {
    let dir = std::env::var("EXPORT_DIR").expect("EXPORT_DIR");
    for (name, sim) in [
        ("incident", incident()),
        ("unreachable", unreachable_route()),
    ] {
        let w = |ext: &str, b: &[u8]| std::fs::write(format!("{dir}/{name}.{ext}"), b).unwrap();
        w("pcapng", &pcap::pcapng(sim, name));
        w(
            "flowlog.txt",
            flowlog::text(sim, flowlog::Options::default()).as_bytes(),
        );
        w("kern.log", klog::syslog(sim).as_bytes());
        w("jsonl", &events::jsonl(sim, name));
        w("csv", csv::all(&sim.metrics).as_bytes());
    }
}

#[test]
fn the_capture_comment_says_how_far_the_run_went() {
    let sc = crate::scenario::Scenario::default();
    let mut sim = crate::sim::Sim::new(&sc.params().unwrap(), sc.seed);
    sim.run_until(crate::sim::time::SimTime::from_secs(180));
    let c = pcap::section_comment(&sim, "incident");
    assert!(c.contains(" 180 s simulated (of a 900 s run)"), "{c}");
    sim.run_until(crate::sim::time::SimTime::from_millis(180_250));
    let c = pcap::section_comment(&sim, "incident");
    assert!(c.contains(" 180.250 s simulated (of a 900 s run)"), "{c}");
}
