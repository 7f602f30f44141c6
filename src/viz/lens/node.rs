//! The lenses that read the nodes and their ENIs: the kernel's counters
//! and log, the ENA driver's allowance counters, and the VPC flow logs.

use super::{seconds_to, sum_to, tail, Block};
use crate::export::flowlog::{self, Record, FIELDS};
use crate::export::ident::hostname;
use crate::export::klog;
use crate::run::RunRecord;
use crate::sim::metrics::PerNode;
use crate::sim::node::Node;
use crate::sim::time::SimTime;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;
use std::net::Ipv4Addr;

type Out = (Vec<Block>, Vec<(String, f64)>);

fn host(rec: &RunRecord, node: usize) -> String {
    hostname(
        rec.meta
            .nodes
            .get(node)
            .map(|n| n.ip)
            .unwrap_or_else(|| Node::primary_ip(node as u16)),
    )
}

/// The kernel: `nstat -az` per node (absolute counters since boot, the
/// run's start; the rate column needs nstat's history daemon, so 0.0),
/// `IPReversePathFilter` being `LINUX_MIB_IPRPFILTER`, bumped in
/// `ip_rcv_finish_core` for every `-EXDEV` (facts.md §1.4), and
/// `TcpRetransSegs`; `nf_conntrack_count` at the moment; and the martian
/// log (only if `log_martians` is on), as the kernel-log download writes it.
pub(super) fn kernel(rec: &RunRecord, t: SimTime) -> Out {
    let n = seconds_to(rec, t);
    let s = &rec.series;
    let moment = rec.tracked_moment(t);
    let mut counters = String::new();
    let mut total = 0.0;
    for node in 0..s.nodes() {
        let rp = sum_to(s.node(node, PerNode::MartianDrops), n);
        let retrans = sum_to(s.node(node, PerNode::TcpRetransmits), n);
        total += rp;
        let ct = moment
            .and_then(|m| m.nodes.get(node))
            .map_or(0, |m| m.linux);
        let _ = writeln!(
            counters,
            "[{}]$ nstat -az TcpExtIPReversePathFilter TcpRetransSegs\n#kernel\n{:<32}{:<16}{:>6.1}\n{:<32}{:<16}{:>6.1}\n[{}]$ sysctl net.netfilter.nf_conntrack_count\nnet.netfilter.nf_conntrack_count = {ct}",
            host(rec, node),
            "TcpExtIPReversePathFilter",
            rp,
            0.0,
            "TcpRetransSegs",
            retrans,
            0.0,
            host(rec, node),
        );
    }
    let upto = rec.klog.partition_point(|l| l.at <= t);
    let lines = &rec.klog[..upto];
    let martians = lines
        .iter()
        .filter(|l| l.line.starts_with("IPv4: martian source "))
        .count();
    let mut log = klog::syslog_of(lines, |i| {
        rec.meta
            .nodes
            .get(i as usize)
            .map(|x| x.ip)
            .unwrap_or_else(|| Node::primary_ip(i))
    });
    if log.is_empty() {
        log = if rec.params().log_martians {
            "(no martian logged yet)\n".into()
        } else {
            "(log_martians is off: the kernel logs nothing, the counter still counts)\n".into()
        };
    }
    (
        vec![
            Block {
                caption: "Each node's kernel counters (since boot: the run's start) and its Linux conntrack table".into(),
                command: "for each node: nstat -az …; sysctl net.netfilter.nf_conntrack_count".into(),
                text: counters,
            },
            Block {
                caption: "The nodes' kernel log: martian sources, when log_martians is on (rate-limited by net_ratelimit)".into(),
                command: "journalctl -k | grep -A1 martian (every node)".into(),
                text: log,
            },
        ],
        vec![
            ("martian_drops".into(), total),
            ("martian_log_lines".into(), martians as f64),
        ],
    )
}

/// The ENA driver's allowance counters, `ethtool -S` (AWS, "Monitor network
/// performance for ENA settings", facts.md §5.1), per node: the model's
/// per-instance allowance drops as `conntrack_allowance_exceeded`, and
/// `conntrack_allowance_available` (the allowance minus the VPC table's
/// entries at the moment; it needs ENA driver 2.8.1, later than the
/// incident's). The model has no bandwidth, packet-rate or link-local
/// limits, so those counters stay 0, as on an instance far below them.
pub(super) fn ena(rec: &RunRecord, t: SimTime) -> Out {
    let n = seconds_to(rec, t);
    let s = &rec.series;
    let moment = rec.tracked_moment(t);
    let mut text = String::new();
    let mut total = 0.0;
    let mut available_total = 0.0;
    for node in 0..s.nodes() {
        let exceeded = sum_to(s.node(node, PerNode::ConntrackAllowanceExceeded), n);
        total += exceeded;
        let allowance = rec.meta.nodes.get(node).map_or(0, |x| x.allowance);
        let used = moment.and_then(|m| m.nodes.get(node)).map_or(0, |m| m.vpc);
        let available = allowance.saturating_sub(used);
        available_total += available as f64;
        let _ = writeln!(
            text,
            "[{}]$ ethtool -S ens5 | grep allowance\n     bw_in_allowance_exceeded: 0\n     bw_out_allowance_exceeded: 0\n     pps_allowance_exceeded: 0\n     conntrack_allowance_exceeded: {exceeded}\n     linklocal_allowance_exceeded: 0\n     conntrack_allowance_available: {available}",
            host(rec, node)
        );
    }
    (
        vec![Block {
            caption: "Each instance's ENA counters (cumulative since the driver started: the run's start); nothing collected them at the time".into(),
            command: "for each node: ethtool -S ens5 | grep allowance".into(),
            text,
        }],
        vec![
            ("conntrack_allowance_exceeded".into(), total),
            ("conntrack_allowance_available".into(), available_total),
        ],
    )
}

/// A `tcp-flags` value in words (FIN 1, SYN 2, RST 4, ACK 16 with SYN:
/// facts.md §5.3).
fn flag_words(f: u8) -> String {
    if f == 0 {
        return "none (UDP, ICMP, ACK only)".into();
    }
    let mut w = Vec::new();
    if f & 18 == 18 {
        w.push("SYN-ACK");
    } else if f & 2 != 0 {
        w.push("SYN");
    }
    if f & 1 != 0 {
        w.push("FIN");
    }
    if f & 4 != 0 {
        w.push("RST");
    }
    w.join("+")
}

/// VPC flow logs: the flow-log export's own records (the same functions,
/// [`flowlog::packet_records`] and [`flowlog::aggregate`], on the sampled
/// packets sent up to the moment),
/// grouped by `tcp-flags` as a query over them would (records and packets
/// per value); SYN-only records with no reverse SYN-ACK record are the
/// unanswered connection attempts. Then the latest records as delivered.
pub(super) fn flow_logs(rec: &RunRecord, t: SimTime, one_packet: &[Option<Record>]) -> Out {
    let upto = rec
        .first_packet_at_or_after(SimTime(t.micros() + 1))
        .min(one_packet.len());
    let records = flowlog::aggregate(one_packet[..upto].iter().flatten().cloned());
    let mut by_flags: BTreeMap<u8, (u64, u64)> = BTreeMap::new();
    type Ends = (Ipv4Addr, u16, Ipv4Addr, u16);
    let mut answered: BTreeSet<Ends> = BTreeSet::new();
    for r in &records {
        let e = by_flags.entry(r.tcp_flags).or_default();
        e.0 += 1;
        e.1 += r.packets;
        if r.tcp_flags & 18 == 18 {
            answered.insert((r.pkt_dstaddr, r.dstport, r.pkt_srcaddr, r.srcport));
        }
    }
    let unanswered = records
        .iter()
        .filter(|r| {
            r.tcp_flags == 2
                && !answered.contains(&(r.pkt_srcaddr, r.srcport, r.pkt_dstaddr, r.dstport))
        })
        .count();
    let mut agg = String::from(
        "tcp_flags  records  packets  meaning\n---------  -------  -------  -------\n",
    );
    let mut rows: Vec<(u8, (u64, u64))> = by_flags.into_iter().collect();
    rows.sort_by_key(|(f, (n, _))| (std::cmp::Reverse(*n), *f));
    for (f, (nrec, npk)) in &rows {
        let _ = writeln!(agg, "{f:>9}  {nrec:>7}  {npk:>7}  {}", flag_words(*f));
    }
    let _ = writeln!(
        agg,
        "\nSYN-only records with no SYN-ACK record back: {unanswered} (connection attempts nobody answered)"
    );
    let all: String = records.iter().map(|r| format!("{r}\n")).collect();
    let (latest, _) = tail(&all, 20);
    let packets: u64 = records.iter().map(|r| r.packets).sum();
    let syn_only = rows
        .iter()
        .find(|(f, _)| *f == 2)
        .map_or(0, |(_, (n, _))| *n);
    (
        vec![
            Block {
                caption: "Flow-log records of the service nodes' ENIs (sampled packets, 1-minute aggregation), grouped by tcp-flags".into(),
                command: "SELECT tcp_flags, count(*) AS records, sum(packets) AS packets FROM vpc_flow_logs GROUP BY tcp_flags ORDER BY records DESC".into(),
                text: agg,
            },
            Block {
                caption: "The latest records, as delivered to S3 (the flow-log download holds them all)".into(),
                command: "head -n 1 flowlogs.txt; tail -n 20 flowlogs.txt".into(),
                text: format!("{FIELDS}\n{latest}"),
            },
        ],
        vec![
            ("flowlog_records".into(), records.len() as f64),
            ("flowlog_packets".into(), packets as f64),
            ("flowlog_syn_only_records".into(), syn_only as f64),
            ("flowlog_unanswered".into(), unanswered as f64),
        ],
    )
}
