//! What each vantage point recorded of a run, up to a moment, in the form
//! its tool prints it: the page's lens panel and its download.
//!
//! Everything is computed from the page's [`RunRecord`] (its per-second
//! series, tracked moments, sampled packets and kernel log), never typed in,
//! so a lens shows the run the rest of the page shows. Which lens sees which
//! panel is [`crate::scenario::lens`]; the issue this answers is 22 ("what
//! each team could see, against what was true").
//!
//! Counters are summed over the run's *completed* seconds up to the moment
//! ([`seconds_to`]), the rows the CSV export of the same moment holds, so a
//! lens's figure and the CSV's column sum agree (the end-to-end test checks
//! it). Each lens also returns its headline figures by series name
//! ([`LensView::figures`]) for that check.

mod node;
#[cfg(test)]
mod tests;

use crate::export::clock::rfc3339;
use crate::export::flowlog;
use crate::export::ident::hostname;
use crate::run::RunRecord;
use crate::scenario::lens::Lens;
use crate::sim::metrics::{Global, PerNode};
use crate::sim::params::CorednsVersion;
use crate::sim::time::SimTime;
use crate::sim::trace::{Fate, PacketKind};
use std::fmt::Write;

/// One tool's output.
#[derive(Clone, Debug, PartialEq)]
pub struct Block {
    /// What it is and where it comes from.
    pub caption: String,
    /// The command that prints it (or where it is read).
    pub command: String,
    /// What the tool prints, every line up to the moment.
    pub text: String,
}

/// What a lens shows at one moment.
#[derive(Clone, Debug, PartialEq)]
pub struct LensView {
    /// The lens.
    pub lens: Lens,
    /// The moment.
    pub at: SimTime,
    /// The tools' outputs.
    pub blocks: Vec<Block>,
    /// Headline figures, keyed by series name where there is one (the CSV
    /// export's column): what the end-to-end test compares.
    pub figures: Vec<(String, f64)>,
}

impl LensView {
    /// A figure by key.
    pub fn figure(&self, key: &str) -> Option<f64> {
        self.figures.iter().find(|(k, _)| k == key).map(|f| f.1)
    }

    /// The figures as `key=value;…` (the panel's `data-figures`).
    pub fn figures_attr(&self) -> String {
        let v: Vec<String> = self
            .figures
            .iter()
            .map(|(k, x)| format!("{k}={x}"))
            .collect();
        v.join(";")
    }
}

/// Seconds of the run complete at `t`: the series' rows a lens sums. The
/// engine closes second `k - 1` with an event at `k` s, and a run stopped
/// at `t` has run the events before `t` (all of them at the end), so the
/// rows are the whole seconds strictly before `t`: 119 at `t = 120`, 120 at
/// `t = 120.5`.
pub fn seconds_to(rec: &RunRecord, t: SimTime) -> usize {
    let rows = if t >= rec.end() {
        usize::MAX
    } else {
        (t.micros().div_ceil(1_000_000) as usize).saturating_sub(1)
    };
    rows.min(rec.series.seconds())
}

/// The sum of `v` over its first `n` values.
pub(crate) fn sum_to(v: &[f64], n: usize) -> f64 {
    v[..n.min(v.len())].iter().sum()
}

/// How many packets a [`Prepared`] was made from, and whether the run had
/// finished.
type MadeFrom = (usize, bool);

/// What a lens reuses between moments of one run, made on first use: each
/// sampled packet's one-packet flow-log record (building a packet's frame
/// to read its length and ports is the costly part of the flow-log lens).
/// They are made again when the record has grown or finished since (a
/// record still streaming in may resend the fates of its last packets).
#[derive(Default)]
pub struct Prepared {
    flow: Option<(MadeFrom, Vec<Option<flowlog::Record>>)>,
}

/// What `lens` records of the run up to `t`.
pub fn view(rec: &RunRecord, lens: Lens, t: SimTime) -> LensView {
    view_with(rec, lens, t, &mut Prepared::default())
}

/// [`view`], reusing `prep` (which must have been used with `rec` only).
pub fn view_with(rec: &RunRecord, lens: Lens, t: SimTime, prep: &mut Prepared) -> LensView {
    let (blocks, figures) = match lens {
        Lens::Application => application(rec, t),
        Lens::NodeLocalDns => node_local_dns(rec, t),
        Lens::Ena => node::ena(rec, t),
        Lens::FlowLogs => {
            let made_from = (rec.packets.len(), rec.finished());
            if prep.flow.as_ref().map(|f| f.0) != Some(made_from) {
                let seed = rec.id().scenario.seed;
                let one = flowlog::packet_records(seed, &rec.packets, Default::default());
                prep.flow = Some((made_from, one));
            }
            let flow = prep.flow.as_ref().map(|f| f.1.as_slice()).unwrap_or(&[]);
            node::flow_logs(rec, t, flow)
        }
        Lens::Kernel => node::kernel(rec, t),
        Lens::Truth => truth(rec, t),
    };
    LensView {
        lens,
        at: t,
        blocks,
        figures,
    }
}

/// The download: a header saying what run and moment it is, then each
/// block's command and text.
pub fn export_text(rec: &RunRecord, v: &LensView) -> String {
    let sc = &rec.id().scenario;
    let mut out = format!(
        "# {} lens of the run {} (seed {}) up to {} ({}), computed by the simulation\n",
        v.lens.label(),
        sc.preset,
        sc.seed,
        crate::format::sim_time_at(v.at),
        rfc3339(v.at)
    );
    for b in &v.blocks {
        let _ = write!(out, "\n# {}\n$ {}\n{}", b.caption, b.command, b.text);
        if !b.text.ends_with('\n') {
            out.push('\n');
        }
    }
    out
}

/// The download's file name.
pub fn file_name(rec: &RunRecord, lens: Lens, t: SimTime) -> String {
    let sc = &rec.id().scenario;
    format!(
        "incident-{}-seed{}-t{}-lens-{}.txt",
        sc.preset,
        sc.seed,
        t.secs(),
        lens.name()
    )
}

/// The last `max` lines of `text`, and how many were left out.
pub fn tail(text: &str, max: usize) -> (String, usize) {
    let lines: Vec<&str> = text.lines().collect();
    let skip = lines.len().saturating_sub(max);
    let mut s = lines[skip..].join("\n");
    if !s.is_empty() {
        s.push('\n');
    }
    (s, skip)
}

/// The address node-local-dns listens on in every pod's resolv.conf: the
/// link-local address Kubernetes' NodeLocal DNSCache documentation uses.
pub const NODE_LOCAL_DNS: &str = "169.254.20.10";

/// How many of the gRPC clients' warnings the application lens keeps.
const GRPC_LINES: usize = 200;

/// A data-store name the service resolves (the model counts lookups, not
/// names; the name is made up).
const DATASTORE: &str = "datastore.service.internal.";

/// The service: its dashboard (error rate and latency, the last ten
/// seconds), its own log of failed requests, and the gRPC clients' warnings
/// for the sampled connection attempts to deleted pods that failed.
fn application(rec: &RunRecord, t: SimTime) -> (Vec<Block>, Vec<(String, f64)>) {
    let n = seconds_to(rec, t);
    let s = &rec.series;
    let req = s.global(Global::Requests);
    let err = s.global(Global::RequestErrors);
    let p90 = s.global(Global::P90LatencyMs);
    let p99 = s.global(Global::P99LatencyMs);
    let at = |i: usize, v: &[f64]| v.get(i).copied().unwrap_or(0.0);
    let mut dash = String::from("time (UTC)  requests  errors  error rate  p90 ms  p99 ms\n");
    for i in n.saturating_sub(10)..n {
        let (r, e) = (at(i, req), at(i, err));
        let rate = if r > 0.0 { 100.0 * e / r } else { 0.0 };
        let ts = rfc3339(SimTime::from_secs(i as u64));
        let _ = writeln!(
            dash,
            "{:<10}  {:>8}  {:>6}  {:>8.2} %  {:>6.0}  {:>6.0}",
            &ts[11..19],
            r,
            e,
            rate,
            at(i, p90),
            at(i, p99)
        );
    }
    let mut logs = String::new();
    let mut lines = 0.0;
    for i in 0..n {
        let e = at(i, err);
        if e > 0.0 {
            lines += 1.0;
            let ts = rfc3339(SimTime::from_secs(i as u64));
            let _ = writeln!(
                logs,
                "ts={} level=error msg=\"request failed\" err=\"lookup {DATASTORE} on {NODE_LOCAL_DNS}:53: server misbehaving\" count={e}",
                &ts[..19]
            );
        }
    }
    if logs.is_empty() {
        logs.push_str("(no errors logged)\n");
    }
    // The latest GRPC_LINES sampled first SYNs to deleted pods that failed.
    let upto = rec.first_packet_at_or_after(SimTime(t.micros() + 1));
    let mut failed: Vec<String> = Vec::new();
    for p in rec.packets[..upto].iter().rev() {
        if failed.len() == GRPC_LINES {
            break;
        }
        if p.kind != PacketKind::Syn || !to_deleted_pod(rec, p) {
            continue;
        }
        let why = match p.fate {
            Fate::UnreachableIcmpSent => "connect: no route to host",
            Fate::Delivered => continue,
            _ => "i/o timeout",
        };
        let ts = rfc3339(p.sent);
        failed.push(format!(
            "WARNING: {} {} [core] grpc: addrConn.createTransport failed to connect to {}:{}. Err: connection error: desc = \"transport: Error while dialing dial tcp {}:{}: {why}\"\n",
            ts[..10].replace('-', "/"),
            &ts[11..19],
            p.dst,
            p.dport,
            p.dst,
            p.dport
        ));
    }
    let mut grpc: String = failed.into_iter().rev().collect();
    if grpc.is_empty() {
        grpc.push_str("(no failed connection attempt to a deleted pod among the sampled ones)\n");
    }
    let figures = vec![
        ("requests".into(), sum_to(req, n)),
        ("request_errors".into(), sum_to(err, n)),
        ("error_log_lines".into(), lines),
    ];
    (
        vec![
            Block {
                caption: "The service's dashboard: requests, errors and latency as its users felt them, the last ten seconds".into(),
                command: "dashboard: service / requests, errors, p90, p99 (1 s)".into(),
                text: dash,
            },
            Block {
                caption: format!("The service's log: its data-store lookups through node-local-dns ({NODE_LOCAL_DNS}) failing, one line per second with the count"),
                command: "kubectl logs deploy/service --since-time=<rollout>".into(),
                text: logs,
            },
            Block {
                caption: format!("The gRPC clients' log for the latest {GRPC_LINES} sampled first SYNs to deleted pods that got no answer (stamped when the SYN left; the dial fails at its deadline)"),
                command: "kubectl logs deploy/clients | grep createTransport".into(),
                text: grpc,
            },
        ],
        figures,
    )
}

/// True if `p` reached its node after its pod was deleted.
pub(crate) fn to_deleted_pod(rec: &RunRecord, p: &crate::sim::trace::PacketRecord) -> bool {
    rec.pods
        .get(p.pod as usize)
        .and_then(|q| q.deleted_at)
        .is_some_and(|d| d <= p.arrives)
}

/// node-local-dns (CoreDNS's `forward` plugin, v1.7.0 in node-cache 1.21):
/// the `errors` plugin's lines for queries refused at `max_concurrent` (the
/// error text is the one `forward`'s setup builds, "concurrent queries
/// exceeded maximum N"; rcode 2 SERVFAIL on 1.7, 5 REFUSED from 1.8.1,
/// facts.md §3.2) and the Prometheus counters
/// `coredns_forward_max_concurrent_rejects_total` and
/// `coredns_forward_healthcheck_failures_total{to}` per node.
fn node_local_dns(rec: &RunRecord, t: SimTime) -> (Vec<Block>, Vec<(String, f64)>) {
    let n = seconds_to(rec, t);
    let s = &rec.series;
    let p = rec.params();
    let rcode = match p.coredns {
        CorednsVersion::V1_7 => 2,
        CorednsVersion::V1_8 => 5,
    };
    let mut logs = String::new();
    for i in 0..n {
        for node in 0..s.nodes() {
            let r = s
                .node(node, PerNode::NldRejects)
                .get(i)
                .copied()
                .unwrap_or(0.0);
            if r > 0.0 {
                let _ = writeln!(
                    logs,
                    "{} node-local-dns-{node} [ERROR] plugin/errors: {rcode} {DATASTORE} A: concurrent queries exceeded maximum {}  ×{r}",
                    &rfc3339(SimTime::from_secs(i as u64))[..19],
                    p.nld_max_concurrent
                );
            }
        }
    }
    if logs.is_empty() {
        logs.push_str("(nothing logged)\n");
    }
    let mut metrics = String::new();
    let (mut rejects, mut fails) = (0.0, 0.0);
    for node in 0..s.nodes() {
        let r = sum_to(s.node(node, PerNode::NldRejects), n);
        let f = sum_to(s.node(node, PerNode::NldHealthcheckFailures), n);
        rejects += r;
        fails += f;
        let host = rec
            .meta
            .nodes
            .get(node)
            .map(|x| hostname(x.ip))
            .unwrap_or_default();
        let _ = writeln!(
            metrics,
            "# node {node} ({host})\ncoredns_forward_max_concurrent_rejects_total {r}\ncoredns_forward_healthcheck_failures_total{{to=\"{}:53\"}} {f}",
            crate::sim::nodelocal::CLUSTER_DNS
        );
    }
    let figures = vec![
        ("nodelocaldns_rejects".into(), rejects),
        ("nodelocaldns_healthcheck_failures".into(), fails),
    ];
    (
        vec![
            Block {
                caption: "node-local-dns's log: queries refused at max_concurrent, one line per node and second with the count (×N)".into(),
                command: "kubectl logs -n kube-system -l k8s-app=node-local-dns --timestamps".into(),
                text: logs,
            },
            Block {
                caption: "node-local-dns's Prometheus metrics on each node".into(),
                command: "curl -s http://<node>:9253/metrics | grep -E 'max_concurrent_rejects|healthcheck_failures'".into(),
                text: metrics,
            },
        ],
        figures,
    )
}

/// Ground truth: each count of what happened beside the vantage point that
/// recorded it, if any.
fn truth(rec: &RunRecord, t: SimTime) -> (Vec<Block>, Vec<(String, f64)>) {
    let n = seconds_to(rec, t);
    let g = |m: Global| sum_to(rec.series.global(m), n);
    let rows: [(&str, Global, &str); 7] = [
        (
            "SYNs sent by the gRPC clients",
            Global::SynSent,
            "nobody (the clients' kernels)",
        ),
        (
            "SYNs that reached a node for a deleted pod's IP",
            Global::SynToDeletedIp,
            "VPC flow logs: SYN-only records (sampled)",
        ),
        (
            "… dropped by rp_filter (ens6 has no IPv4 address)",
            Global::MartianDrops,
            "kernel counters: TcpExtIPReversePathFilter",
        ),
        (
            "packets dropped for the VPC conntrack allowance",
            Global::ConntrackAllowanceExceeded,
            "ENA: conntrack_allowance_exceeded",
        ),
        (
            "queries node-local-dns refused at max_concurrent",
            Global::NldRejects,
            "node-local-dns: errors log, metrics",
        ),
        (
            "failed health checks to cluster DNS",
            Global::NldHealthcheckFailures,
            "node-local-dns: metrics",
        ),
        (
            "failed service requests",
            Global::RequestErrors,
            "application: error rate, logs",
        ),
    ];
    let mut text = String::new();
    let _ = writeln!(
        text,
        "{:<52} {:>10}  who could see it",
        "what happened", "count"
    );
    let mut figures = Vec::new();
    for (what, m, who) in rows {
        let v = g(m);
        let _ = writeln!(
            text,
            "{what:<52} {:>10}  {who}",
            crate::format::grouped(v, 0)
        );
        figures.push((m.name().to_string(), v));
    }
    (
        vec![Block {
            caption: "What the simulation knows: every count, and who recorded it".into(),
            command: "incident-sim run (the run's own counters)".into(),
            text,
        }],
        figures,
    )
}
