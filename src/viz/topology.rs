//! Where things are drawn on the topology view, and where a packet is at a
//! given moment: the view model of the animation, with no DOM in it.
//!
//! Coordinates are logical (a 1000 × H canvas, H growing with the number of
//! nodes up to [`MAX_ROWS`], then a window of them); the UI scales them. A packet moves along a polyline from its
//! sender through the VPC to the node's `ens6`, the routing/rp_filter gate and
//! the pod, or back; a dropped packet stops where it died. Because a SYN
//! crosses the network in a quarter of a millisecond, it is shown for at
//! least a fixed stretch of wall-clock time, scaled by the playback speed
//! (non-linear time: the trace itself keeps the true times).

use crate::sim::metrics::{Metrics, PerNode};
use crate::sim::time::SimTime;
use crate::sim::trace::{Fate, PacketKind, PacketRecord};

/// Logical width of the canvas.
pub const WIDTH: f64 = 1000.0;
/// Height of one node's row.
pub const NODE_H: f64 = 74.0;
/// Top margin (Route 53 / external-dns strip).
pub const TOP: f64 = 64.0;

/// A point.
pub type Pt = (f64, f64);

/// The most node rows drawn at once. With more nodes the view draws a
/// window of them that the reader moves (and that follows the selected
/// packet): one row per node made the canvas 4,153 px tall at 64 nodes,
/// 29 MB of pixels with its off-screen copy, and a panel no one scrolls
/// through.
pub const MAX_ROWS: usize = 12;

/// Fixed places of the view.
#[derive(Clone, Debug, PartialEq)]
pub struct Layout {
    /// Number of service nodes.
    pub nodes: usize,
    /// The first node drawn.
    pub first: usize,
    /// How many nodes are drawn, from `first`.
    pub rows: usize,
    /// Number of client pods drawn.
    pub client_pods: usize,
    /// Canvas height.
    pub height: f64,
}

/// X positions of the columns.
pub mod x {
    /// Client pods.
    pub const CLIENTS: f64 = 70.0;
    /// The VPC fabric.
    pub const VPC: f64 = 250.0;
    /// A node's ens6 port.
    pub const ENS6: f64 = 345.0;
    /// The routing / rp_filter gate.
    pub const GATE: f64 = 410.0;
    /// First pod of a node.
    pub const PODS: f64 = 462.0;
    /// Spacing between pods.
    pub const POD_STEP: f64 = 22.0;
    /// ens5 port (leaving the node).
    pub const ENS5: f64 = 345.0;
    /// The conntrack gauges.
    pub const GAUGES: f64 = 700.0;
    /// node-local-dns.
    pub const NLD: f64 = 850.0;
    /// Cluster DNS.
    pub const COREDNS: f64 = 985.0;
}

impl Layout {
    /// A layout for `nodes` nodes and `client_pods` client pods, drawing
    /// the first [`MAX_ROWS`] nodes.
    pub fn new(nodes: usize, client_pods: usize) -> Layout {
        Layout::window(nodes, client_pods, 0)
    }

    /// A layout drawing nodes from `first` (moved back if fewer than
    /// [`MAX_ROWS`] would follow it).
    pub fn window(nodes: usize, client_pods: usize, first: usize) -> Layout {
        let nodes = nodes.max(1);
        let rows = nodes.min(MAX_ROWS);
        Layout {
            nodes,
            first: first.min(nodes - rows),
            rows,
            client_pods: client_pods.max(1),
            height: TOP + rows as f64 * NODE_H + 24.0,
        }
    }

    /// The nodes drawn.
    pub fn shown(&self) -> std::ops::Range<usize> {
        self.first..self.first + self.rows
    }

    /// Whether node `n` is drawn.
    pub fn shows(&self, n: usize) -> bool {
        self.shown().contains(&n)
    }

    /// The first node of the window nearest this one that draws node `n`.
    pub fn first_showing(&self, n: usize) -> usize {
        if n < self.first {
            n
        } else if n >= self.first + self.rows {
            (n + 1)
                .saturating_sub(self.rows)
                .min(self.nodes - self.rows)
        } else {
            self.first
        }
    }

    /// Which nodes the window draws, as the reader reads it ("nodes 8–19 of
    /// 64"); `None` when every node is drawn.
    pub fn window_text(&self) -> Option<String> {
        (self.rows < self.nodes).then(|| {
            format!(
                "nodes {}–{} of {}",
                self.first,
                self.first + self.rows - 1,
                self.nodes
            )
        })
    }

    /// Vertical centre of node `n`'s row (`n` drawn).
    pub fn node_y(&self, n: usize) -> f64 {
        TOP + (n.saturating_sub(self.first) as f64 + 0.5) * NODE_H
    }

    /// Where client pod `i` sits (a column, wrapped if needed).
    pub fn client(&self, i: usize) -> Pt {
        let rows = ((self.height - TOP - 20.0) / 9.0).floor().max(1.0) as usize;
        let col = i / rows;
        let row = i % rows;
        (
            x::CLIENTS - 40.0 + col as f64 * 12.0,
            TOP + 10.0 + row as f64 * 9.0,
        )
    }

    /// Where pod slot `slot` of node `n` sits.
    pub fn pod(&self, n: usize, slot: usize) -> Pt {
        let per_row = 10;
        let row = (slot / per_row) as f64;
        (
            x::PODS + (slot % per_row) as f64 * x::POD_STEP,
            self.node_y(n) - 12.0 + row * 22.0,
        )
    }

    /// Where `ens6` of node `n` is.
    pub fn ens6(&self, n: usize) -> Pt {
        (x::ENS6, self.node_y(n) - 10.0)
    }

    /// Where `ens5` of node `n` is.
    pub fn ens5(&self, n: usize) -> Pt {
        (x::ENS5, self.node_y(n) + 18.0)
    }

    /// The gate (routing decision, rp_filter) of node `n`.
    pub fn gate(&self, n: usize) -> Pt {
        (x::GATE, self.node_y(n) - 10.0)
    }

    /// Where the VPC meets node `n`'s row.
    pub fn vpc(&self, n: usize) -> Pt {
        (x::VPC, self.node_y(n) - 10.0)
    }
}

/// Which client pod a client number belongs to (clients_per_pod per pod).
pub fn client_pod(client: u32, per_pod: u32) -> usize {
    (client / per_pod.max(1)) as usize
}

/// The polyline a packet follows and the index of the vertex where it
/// stops if it was dropped.
pub fn path(l: &Layout, p: &PacketRecord, per_pod: u32, pod_slot: usize) -> (Vec<Pt>, usize) {
    let n = p.node as usize;
    let client = l.client(client_pod(p.client, per_pod));
    let inbound = [client, l.vpc(n), l.ens6(n), l.gate(n), l.pod(n, pod_slot)];
    match p.kind {
        PacketKind::Syn | PacketKind::SynRetransmit => {
            let stop = match p.fate {
                Fate::ConntrackAllowance => 1,
                Fate::RpFilter { .. }
                | Fate::Martian
                | Fate::UnreachableIcmpLimited
                | Fate::UnreachableIcmpSent => 3,
                Fate::SrcDstCheck => 3,
                Fate::LinuxConntrackFull => 3,
                Fate::Delivered => 4,
            };
            if p.fate == Fate::SrcDstCheck {
                // Forwarded out of ens5: it turns back towards the VPC and dies there.
                let mut v = inbound[..4].to_vec();
                v.push(l.ens5(n));
                v.push((x::VPC, l.ens5(n).1));
                return (v, 5);
            }
            (inbound.to_vec(), stop)
        }
        PacketKind::SynAck | PacketKind::Rst | PacketKind::Fin => {
            let v: Vec<Pt> = inbound.iter().rev().copied().collect();
            (v, 4)
        }
        PacketKind::IcmpUnreachable => {
            let v = vec![l.gate(n), l.ens6(n), l.vpc(n), client];
            (v, 3)
        }
        PacketKind::DnsTcpSyn | PacketKind::DnsHealthCheck => {
            // Out of ens5 through the VPC to cluster DNS; the VPC's drop is
            // shown half-way, where the packet leaves the instance.
            let y = l.node_y(n) + 18.0;
            let mid = ((x::NLD + x::COREDNS) / 2.0, y);
            let stop = if p.fate == Fate::Delivered { 2 } else { 1 };
            (vec![(x::NLD, y), mid, (x::COREDNS, y)], stop)
        }
    }
}

/// How long (simulated seconds) a packet is shown: its real flight time, or
/// `min_wall_s` of wall-clock time at the current speed, whichever is longer.
pub fn shown_for(p: &PacketRecord, speed: f64, min_wall_s: f64) -> f64 {
    let real = p.arrives.saturating_since(p.sent).as_secs_f64();
    real.max(min_wall_s * speed)
}

/// Where along `path` a packet is at `t` (simulated seconds), if it is
/// visible: `progress` in 0..=1 along the whole journey up to `stop`.
pub fn position(path: &[Pt], stop: usize, progress: f64) -> Pt {
    let stop = stop.min(path.len().saturating_sub(1));
    if stop == 0 {
        return path.first().copied().unwrap_or((0.0, 0.0));
    }
    let segs: Vec<f64> = path[..=stop]
        .windows(2)
        .map(|w| ((w[1].0 - w[0].0).powi(2) + (w[1].1 - w[0].1).powi(2)).sqrt())
        .collect();
    let total: f64 = segs.iter().sum::<f64>().max(1e-9);
    let mut d = progress.clamp(0.0, 1.0) * total;
    for (i, s) in segs.iter().enumerate() {
        if d <= *s || i == segs.len() - 1 {
            let f = if *s > 0.0 { (d / s).min(1.0) } else { 1.0 };
            let (a, b) = (path[i], path[i + 1]);
            return (a.0 + (b.0 - a.0) * f, a.1 + (b.1 - a.1) * f);
        }
        d -= s;
    }
    path[stop]
}

/// The colour of a packet kind (Okabe–Ito palette, readable in both themes).
pub fn kind_colour(k: PacketKind) -> &'static str {
    match k {
        PacketKind::Syn | PacketKind::SynRetransmit => "#E69F00",
        PacketKind::SynAck => "#009E73",
        PacketKind::Rst => "#CC79A7",
        PacketKind::IcmpUnreachable => "#56B4E9",
        PacketKind::Fin => "#999999",
        PacketKind::DnsTcpSyn | PacketKind::DnsHealthCheck => "#0072B2",
    }
}

/// Minimum wall-clock time a packet stays on screen, seconds.
pub const MIN_WALL_S: f64 = 0.6;
/// Most dots drawn per frame.
pub const MAX_DOTS: usize = 350;

/// One sampled packet where the topology draws it at a moment.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Dot {
    /// Where.
    pub at: Pt,
    /// The packet.
    pub id: u32,
    /// Its kind (its colour).
    pub kind: PacketKind,
    /// It has reached the place where it was dropped (drawn as a cross).
    pub dropped_here: bool,
}

/// The dots of a frame: the sampled packets in flight at `t` (seconds),
/// each shown for its real flight time or [`MIN_WALL_S`] of wall time at
/// `speed`, whichever is longer (a dropped one lingers at its drop), at
/// most [`MAX_DOTS`] of them (every `stride`-th); `reduced` (reduced motion)
/// puts each at the end of its path. Returns the dots, how many packets
/// were in view and the stride. `slot` gives a packet's pod's place on its
/// node.
pub fn dots(
    packets: &[PacketRecord],
    layout: &Layout,
    t: f64,
    speed: f64,
    per_pod: u32,
    reduced: bool,
    slot: impl Fn(&PacketRecord) -> usize,
) -> (Vec<Dot>, usize, usize) {
    let horizon = (MIN_WALL_S * speed * 1.4).max(0.002);
    let from = first_sent_at_or_after(packets, ((t - horizon).max(0.0) * 1e6) as u64);
    let to = first_sent_at_or_after(packets, (t * 1e6) as u64 + 1);
    let shown = to.saturating_sub(from);
    let stride = shown.div_ceil(MAX_DOTS).max(1);
    let mut out = Vec::new();
    for pkt in packets[from..to].iter().step_by(stride) {
        if !layout.shows(usize::from(pkt.node)) {
            continue;
        }
        let dur = shown_for(pkt, speed, MIN_WALL_S);
        let age = t - pkt.sent.as_secs_f64();
        let dropped = pkt.fate.dropped();
        let hold = if dropped { dur * 0.4 } else { 0.0 };
        if age < 0.0 || age > dur + hold {
            continue;
        }
        let (path, stop) = path(layout, pkt, per_pod, slot(pkt));
        let full = path.len().saturating_sub(1).max(1) as f64;
        let progress = if reduced { 1.0 } else { (age / dur).min(1.0) };
        let frac_to_stop = stop as f64 / full;
        let at = position(&path, stop, (progress / frac_to_stop.max(1e-9)).min(1.0));
        let at_stop = progress >= frac_to_stop || reduced;
        out.push(Dot {
            at,
            id: pkt.id,
            kind: pkt.kind,
            dropped_here: dropped && at_stop,
        });
    }
    (out, shown, stride)
}

/// Martian drops at each node's gate as of `t`: the total over the seconds
/// closed by then and the last closed second's count (the burst the gate
/// shows), from the per-node series (`node_martian_drops`).
pub fn martians_by_node(series: &Metrics, t: SimTime) -> Vec<(u64, u64)> {
    let closed = (t.secs() as usize).min(series.seconds());
    (0..series.nodes())
        .map(|n| {
            let v = &series.node(n, PerNode::MartianDrops)[..closed];
            let total: f64 = v.iter().sum();
            (total as u64, v.last().copied().unwrap_or(0.0) as u64)
        })
        .collect()
}

/// Index of the first packet sent at or after `t_us` (packets are stored in
/// non-decreasing `sent` order).
pub fn first_sent_at_or_after(packets: &[PacketRecord], t_us: u64) -> usize {
    packets.partition_point(|p| p.sent.micros() < t_us)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_gates_count_every_martian_drop_of_the_run_so_far() {
        use crate::sim::metrics::Global;
        let sc = crate::scenario::Scenario {
            set: [("duration_s", "240"), ("rollout_start_s", "30")]
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            ..crate::scenario::Scenario::preset("incident")
        };
        let mut sim = crate::sim::Sim::new(&sc.params().unwrap(), sc.seed);
        sim.run_to_end();
        let m = &sim.metrics;
        for t_s in [0u64, 30, 100, 239] {
            let by_node = martians_by_node(m, SimTime::from_secs(t_s));
            let closed = t_s as usize;
            let global: f64 = m.global(Global::MartianDrops)[..closed].iter().sum();
            let sum: u64 = by_node.iter().map(|n| n.0).sum();
            assert_eq!(sum, global as u64, "at {t_s} s");
            let last: f64 = m.global(Global::MartianDrops)[..closed]
                .last()
                .copied()
                .unwrap_or(0.0);
            assert_eq!(
                by_node.iter().map(|n| n.1).sum::<u64>(),
                last as u64,
                "at {t_s} s"
            );
        }
        let end = martians_by_node(m, SimTime::from_secs(240));
        assert!(end.iter().filter(|n| n.0 > 0).count() >= 2, "{end:?}");
    }

    #[test]
    fn positions_walk_the_path_and_stop_at_the_drop() {
        let path = vec![(0.0, 0.0), (100.0, 0.0), (100.0, 100.0)];
        assert_eq!(position(&path, 2, 0.0), (0.0, 0.0));
        assert_eq!(position(&path, 2, 0.5), (100.0, 0.0));
        assert_eq!(position(&path, 2, 1.0), (100.0, 100.0));
        assert_eq!(position(&path, 1, 1.0), (100.0, 0.0));
        assert_eq!(position(&path, 1, 0.5), (50.0, 0.0));
    }

    #[test]
    fn dots_are_the_packets_in_flight_and_crosses_where_they_died() {
        use crate::sim::time::SimTime;
        use crate::sim::trace::{Fate, Trigger};
        let layout = Layout::new(8, 60);
        let pkt = |id: u32, sent_ms: u64, fate: Fate| PacketRecord {
            id,
            kind: PacketKind::Syn,
            sent: SimTime::from_millis(sent_ms),
            arrives: SimTime::from_millis(sent_ms + 1),
            src: std::net::Ipv4Addr::new(10, 0, 130, 5),
            sport: 40_000,
            dst: std::net::Ipv4Addr::new(10, 0, 64, 12),
            dport: 8080,
            node: 1,
            fate,
            client: 3,
            pod: 0,
            attempt: 1,
            syn_no: 0,
            trigger: Trigger::AfterTimeout,
            resolved_at: SimTime::ZERO,
            ingress_ens6: true,
            answers: u32::MAX,
        };
        let packets = vec![
            pkt(0, 1_000, Fate::Delivered),
            pkt(1, 9_000, Fate::RpFilter { no_addr: true }),
            pkt(2, 9_500, Fate::Delivered),
        ];
        // At 9.6 s (1x): the first is long gone; the drop has reached its
        // place (0.6 s of wall time spans the path), the last is on its way.
        let (d, shown, stride) = dots(&packets, &layout, 9.6, 1.0, 15, false, |_| 0);
        assert_eq!((shown, stride), (2, 1));
        assert_eq!(d.iter().map(|x| x.id).collect::<Vec<_>>(), vec![1, 2]);
        assert!(d[0].dropped_here && !d[1].dropped_here);
        // A packet not sent yet is not drawn; reduced motion puts dots at
        // their ends at once.
        let (d, _, _) = dots(&packets, &layout, 9.2, 1.0, 15, true, |_| 0);
        assert_eq!(d.len(), 1);
        assert!(d[0].dropped_here);
        // A packet to a node outside the window is not drawn.
        let far = Layout::window(40, 60, 20);
        assert!(dots(&packets, &far, 9.6, 1.0, 15, false, |_| 0)
            .0
            .is_empty());
        // Many packets at once: at most MAX_DOTS are drawn.
        let many: Vec<_> = (0..2_000)
            .map(|i| pkt(i, 5_000 + u64::from(i) / 10, Fate::Delivered))
            .collect();
        let (d, shown, stride) = dots(&many, &layout, 5.2, 1.0, 15, false, |_| 0);
        assert_eq!(shown, 2_000);
        assert!(
            d.len() <= MAX_DOTS && stride == 6,
            "{} dots, stride {stride}",
            d.len()
        );
    }

    #[test]
    fn layout_grows_with_nodes() {
        let a = Layout::new(8, 60);
        let b = Layout::new(12, 60);
        assert!(b.height > a.height);
        assert!(a.node_y(7) < a.height);
        assert!(a.client(59).1 < a.height);
    }

    /// Past [`MAX_ROWS`] nodes the canvas stops growing: a window of rows,
    /// each where the first rows would be, moved to show a given node.
    #[test]
    fn many_nodes_draw_a_window_of_rows() {
        let twelve = Layout::new(MAX_ROWS, 400);
        let l = Layout::new(64, 400);
        assert_eq!(l.height, twelve.height);
        assert_eq!((l.shown(), l.rows), (0..MAX_ROWS, MAX_ROWS));
        assert!(l.client(399).1 < l.height);
        let w = Layout::window(64, 400, l.first_showing(40));
        assert_eq!(w.shown(), 29..41, "moved as little as needed");
        assert_eq!(w.node_y(29), l.node_y(0));
        assert_eq!(w.node_y(40), l.node_y(11));
        assert_eq!(Layout::window(64, 400, w.first_showing(3)).shown(), 3..15);
        assert_eq!(w.first_showing(35), 29, "already shown: stays");
        assert_eq!(Layout::window(64, 400, 60).shown(), 52..64, "kept full");
        assert_eq!(Layout::window(5, 10, 3).shown(), 0..5);
        assert_eq!(w.window_text().as_deref(), Some("nodes 29–40 of 64"));
        assert_eq!(Layout::window(5, 10, 3).window_text(), None);
    }
}
