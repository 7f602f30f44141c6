//! What happened, for the page: a bounded sample of packets with their fate
//! and cause, the notable events of the run, and the nodes' kernel log.
//!
//! The sample keeps every packet of every Nth client (so one client's whole
//! story can be followed), capped per simulated second and spread evenly over
//! the second (see [`Trace::may_sample`]); aggregate numbers live in
//! [`super::metrics`]. Nothing here grows with the traffic beyond the caps.

use super::time::SimTime;
use serde::{Deserialize, Serialize};
use std::net::Ipv4Addr;

/// What kind of packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum PacketKind {
    /// A client's SYN (first transmission).
    Syn,
    /// A retransmitted SYN on the same 5-tuple.
    SynRetransmit,
    /// SYN-ACK from a pod.
    SynAck,
    /// RST from a pod with no listener.
    Rst,
    /// ICMP destination unreachable from the node.
    IcmpUnreachable,
    /// FIN when a connection closes after GOAWAY.
    Fin,
    /// node-local-dns opening a TCP connection to cluster DNS.
    DnsTcpSyn,
    /// node-local-dns health check (UDP `. IN NS`).
    DnsHealthCheck,
}

impl PacketKind {
    /// Short label.
    pub fn label(self) -> &'static str {
        match self {
            PacketKind::Syn => "SYN",
            PacketKind::SynRetransmit => "SYN (retransmit)",
            PacketKind::SynAck => "SYN-ACK",
            PacketKind::Rst => "RST",
            PacketKind::IcmpUnreachable => "ICMP host unreachable",
            PacketKind::Fin => "FIN",
            PacketKind::DnsTcpSyn => "DNS TCP SYN",
            PacketKind::DnsHealthCheck => "DNS health check",
        }
    }
}

/// How a packet's journey ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Fate {
    /// Reached its destination (a pod, a client, cluster DNS).
    Delivered,
    /// Dropped by the reverse-path filter: `martian (rp_filter, no_addr)`
    /// when the ingress device had no address, `martian (rp_filter)` otherwise.
    RpFilter {
        /// The ingress device had no IPv4 address.
        no_addr: bool,
    },
    /// Dropped by the VPC: the instance's conntrack allowance was exhausted.
    ConntrackAllowance,
    /// Unroutable at the node: went to `ip_error`, which sent an ICMP error.
    UnreachableIcmpSent,
    /// Unroutable at the node; the ICMP error was rate-limited away.
    UnreachableIcmpLimited,
    /// Forwarded out of ens5, dropped by the ENI source/destination check.
    SrcDstCheck,
    /// Dropped because the node's Linux conntrack table was full.
    LinuxConntrackFull,
    /// Dropped as another martian.
    Martian,
}

impl Fate {
    /// The reason shown on the page.
    pub fn reason(self) -> &'static str {
        match self {
            Fate::Delivered => "delivered",
            Fate::RpFilter { no_addr: true } => "martian (rp_filter, no_addr)",
            Fate::RpFilter { no_addr: false } => "martian (rp_filter)",
            Fate::ConntrackAllowance => "VPC conntrack allowance exceeded",
            Fate::UnreachableIcmpSent => "unreachable route: ICMP host unreachable sent",
            Fate::UnreachableIcmpLimited => {
                "unreachable route: ICMP rate-limited, dropped silently"
            }
            Fate::SrcDstCheck => "ENI source/destination check",
            Fate::LinuxConntrackFull => "nf_conntrack table full",
            Fate::Martian => "martian",
        }
    }

    /// True if the packet did not reach its destination.
    pub fn dropped(self) -> bool {
        !matches!(self, Fate::Delivered)
    }
}

/// Why a client sent this SYN.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Trigger {
    /// The server's GracefulStop sent GOAWAY; the transport closed and the
    /// subchannel reconnected.
    GoAway,
    /// The previous attempt timed out (no answer), then the backoff elapsed.
    AfterTimeout,
    /// The previous attempt was refused (RST), then the backoff elapsed.
    AfterRst,
    /// The previous attempt got ICMP unreachable, then the backoff elapsed.
    AfterIcmp,
    /// A DNS resolution returned a new address.
    NewAddress,
    /// An RPC on an idle pick_first channel.
    Rpc,
    /// The client kernel retransmitted the SYN (same 5-tuple).
    Retransmit,
    /// The server's GOAWAY, or an address leaving DNS, closed the connection.
    GracefulClose,
    /// node-local-dns had no connection to cluster DNS younger than its
    /// `expire`, so it dialed a new one.
    DnsNewConnection,
    /// node-local-dns health-checks its upstream from a new UDP socket.
    DnsHealthCheck,
}

impl Trigger {
    /// A sentence for the "why" chain.
    pub fn text(self) -> &'static str {
        match self {
            Trigger::GoAway => "the server sent GOAWAY (GracefulStop) and the client reconnected at once",
            Trigger::AfterTimeout => "the previous attempt got no answer before its deadline; after the backoff the client tried again",
            Trigger::AfterRst => "the previous attempt was refused (RST); after the backoff the client tried again",
            Trigger::AfterIcmp => "the previous attempt got ICMP host unreachable; after the backoff the client tried again",
            Trigger::NewAddress => "a DNS resolution listed this address, so the client opened a channel to it",
            Trigger::Rpc => "the application sent an RPC on the idle pick_first channel",
            Trigger::Retransmit => "the client's kernel retransmitted the unanswered SYN on the same 5-tuple",
            Trigger::GracefulClose => "the connection closed: the server's GracefulStop sent GOAWAY, or the address left the client's DNS answer",
            Trigger::DnsNewConnection => "node-local-dns forwards to cluster DNS over TCP and had no open connection younger than its 10 s expiry (cluster DNS closes each after 128 queries), so it dialed a new one: a new flow for the VPC's conntrack",
            Trigger::DnsHealthCheck => "node-local-dns health-checks cluster DNS with a UDP query from a new socket: a new flow for the VPC's conntrack each time",
        }
    }
}

/// One sampled packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PacketRecord {
    /// Index in the sample.
    pub id: u32,
    /// Kind.
    pub kind: PacketKind,
    /// Sent at.
    pub sent: SimTime,
    /// Reaches its next hop (or is dropped) at.
    pub arrives: SimTime,
    /// Source.
    pub src: Ipv4Addr,
    /// Source port.
    pub sport: u16,
    /// Destination.
    pub dst: Ipv4Addr,
    /// Destination port.
    pub dport: u16,
    /// Service node involved (the ENI owner).
    pub node: u16,
    /// How it ended.
    pub fate: Fate,
    /// Client number (u32::MAX for node-originated packets).
    pub client: u32,
    /// Backend pod number (u32::MAX if none).
    pub pod: u32,
    /// Connection attempt number of that subchannel.
    pub attempt: u32,
    /// SYN number within the attempt (0 = first).
    pub syn_no: u8,
    /// Why it was sent.
    pub trigger: Trigger,
    /// When the client last resolved DNS before this attempt (µs), or 0.
    pub resolved_at: SimTime,
    /// The ingress device had no IPv4 address (for step-through replays).
    pub ingress_ens6: bool,
    /// The packet this one answers (SYN-ACK/RST/ICMP → SYN), or u32::MAX.
    pub answers: u32,
}

/// A milestone of the run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Notable {
    /// The rollout began.
    RolloutStarted,
    /// A new pod was created.
    PodCreated {
        /// Pod number.
        pod: u32,
    },
    /// A pod became Ready.
    PodReady {
        /// Pod number.
        pod: u32,
    },
    /// A pod got SIGTERM: GracefulStop, GOAWAY to clients.
    PodTerminating {
        /// Pod number.
        pod: u32,
    },
    /// A pod was deleted; Cilium removed its rules and route.
    PodDeleted {
        /// Pod number.
        pod: u32,
    },
    /// external-dns changed the records in Route 53.
    DnsUpdated {
        /// Records added.
        added: u32,
        /// Records removed.
        removed: u32,
    },
    /// The first SYN to a deleted pod's IP was dropped by rp_filter.
    FirstMartian {
        /// Pod number.
        pod: u32,
    },
    /// The last client stopped sending to a deleted pod's IP.
    LastSynToDeletedIp {
        /// Pod number.
        pod: u32,
    },
    /// A node's VPC conntrack allowance ran out.
    ConntrackFull {
        /// Node.
        node: u16,
    },
    /// A node's VPC conntrack has room again.
    ConntrackRecovered {
        /// Node.
        node: u16,
    },
    /// node-local-dns started rejecting at max_concurrent.
    DnsRejecting {
        /// Node.
        node: u16,
    },
    /// node-local-dns marked its upstream down after failed health checks.
    UpstreamDown {
        /// Node.
        node: u16,
    },
    /// node-local-dns was OOM-killed.
    NldOomKilled {
        /// Node.
        node: u16,
    },
    /// The rollout finished.
    RolloutFinished,
}

/// A notable event with its time and a sentence.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventRecord {
    /// When.
    pub at: SimTime,
    /// What.
    pub what: Notable,
    /// A sentence in the project's words.
    pub text: String,
}

/// One line of a node's kernel log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KernelLogLine {
    /// When.
    pub at: SimTime,
    /// Node.
    pub node: u16,
    /// The line as the kernel prints it (without the syslog prefix).
    pub line: String,
}

/// The sampling caps' counters (kept in checkpoints, so a replay samples the
/// same packets).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SampleState {
    /// The current sampling window (see [`Trace::may_sample`]).
    window: u64,
    /// Packets sampled in it.
    in_window: u32,
    /// The second the node counts are for.
    node_second: u64,
    /// Node-originated (DNS) packets sampled this second, per node: they
    /// have a share of their own so the SYN storm cannot crowd them out,
    /// and per node so that the first node served each tick cannot either.
    node_counts: Vec<u32>,
}

/// Bytes the sampled packets may take (a fixed size each: about 520,000
/// of them, reserved at once: see `Trace::store`). With the kernel log's and
/// the notable events' budgets below, a trace holds at most 44 MiB of
/// records, whatever the parameters (issue 21: memory bounded by bytes); the
/// log and the events can take up to half again while their vectors grow.
pub const PACKET_BYTES: usize = 32 << 20;

/// The packets [`PACKET_BYTES`] hold.
pub const MAX_PACKETS: usize = PACKET_BYTES / std::mem::size_of::<PacketRecord>();

/// Bytes the kernel log may take, its lines' text included.
pub const LOG_BYTES: usize = 4 << 20;

/// Bytes the notable events may take, their text included.
pub const EVENT_BYTES: usize = 8 << 20;

/// The bytes a kernel log line takes in the trace.
fn log_line_bytes(l: &KernelLogLine) -> usize {
    std::mem::size_of::<KernelLogLine>() + l.line.len()
}

/// The bytes a notable event takes in the trace.
fn event_bytes(e: &EventRecord) -> usize {
    std::mem::size_of::<EventRecord>() + e.text.len()
}

/// The run's bounded record.
#[derive(Clone, Debug, Default)]
pub struct Trace {
    /// Sampled packets in time order of sending.
    pub packets: Vec<PacketRecord>,
    /// Notable events in time order.
    pub events: Vec<EventRecord>,
    /// Kernel log lines (martians), as `net_ratelimit` lets them through.
    pub kernel_log: Vec<KernelLogLine>,
    /// Where the sampling caps stand.
    sampling: SampleState,
    /// Cap per second.
    pub per_second_cap: u32,
    /// Hard cap on stored packets ([`PACKET_BYTES`] of them).
    pub max_packets: usize,
    /// Hard cap on kernel log lines (what [`LOG_BYTES`] holds of the
    /// shortest; the byte budget usually stops them first).
    pub max_log_lines: usize,
    /// Bytes the kernel log holds.
    log_bytes: usize,
    /// Bytes the notable events hold.
    event_bytes: usize,
}

impl Trace {
    /// An empty trace with this one's caps.
    pub fn empty_like(&self) -> Trace {
        Trace {
            per_second_cap: self.per_second_cap,
            max_packets: self.max_packets,
            max_log_lines: self.max_log_lines,
            ..Trace::default()
        }
    }

    /// Makes this trace (a copy's, of any length) hold the first `packets`,
    /// `events` and `klog` records of `full`, the run's own, copying only
    /// those it lacks. Its counters are left to the caller (`recount`).
    pub fn fill_from(&mut self, full: &Trace, packets: usize, events: usize, klog: usize) {
        fn fill<T: Clone>(to: &mut Vec<T>, from: &[T], len: usize) {
            to.truncate(len);
            let have = to.len();
            to.extend_from_slice(&from[have..len.min(from.len())]);
        }
        fill(&mut self.packets, &full.packets, packets);
        fill(&mut self.events, &full.events, events);
        fill(&mut self.kernel_log, &full.kernel_log, klog);
    }

    /// A copy of the first `packets`, `events` and `klog` records (the rest
    /// not copied: a checkpoint's trace, taken from a later one).
    pub fn prefix(&self, packets: usize, events: usize, klog: usize) -> Trace {
        let head = |n: usize, len: usize| n.min(len);
        Trace {
            packets: self.packets[..head(packets, self.packets.len())].to_vec(),
            events: self.events[..head(events, self.events.len())].to_vec(),
            kernel_log: self.kernel_log[..head(klog, self.kernel_log.len())].to_vec(),
            sampling: self.sampling.clone(),
            per_second_cap: self.per_second_cap,
            max_packets: self.max_packets,
            max_log_lines: self.max_log_lines,
            log_bytes: self.log_bytes,
            event_bytes: self.event_bytes,
        }
    }

    /// An empty trace with the given caps.
    pub fn new(per_second_cap: u32) -> Trace {
        Trace {
            per_second_cap,
            max_packets: MAX_PACKETS,
            max_log_lines: LOG_BYTES / std::mem::size_of::<KernelLogLine>(),
            ..Trace::default()
        }
    }

    /// Bytes the records hold (packets, kernel log and notable events with
    /// their text; not the vectors' spare capacity).
    pub fn bytes(&self) -> usize {
        self.packets.len() * std::mem::size_of::<PacketRecord>() + self.log_bytes + self.event_bytes
    }

    /// Recounts the bytes held after the vectors were cut back (a restored
    /// checkpoint).
    pub fn recount(&mut self) {
        self.log_bytes = self.kernel_log.iter().map(log_line_bytes).sum();
        self.event_bytes = self.events.iter().map(event_bytes).sum();
    }

    /// Sampling windows per second: the cap is spread over up to 100 of
    /// them (10 ms each at the default 400 a second). With one window a
    /// second the storm used the whole cap in its first few milliseconds,
    /// and the animation showed bursts once a second.
    fn windows_per_second(&self) -> u64 {
        u64::from(self.per_second_cap.clamp(1, 100))
    }

    /// How many of `cap` a second window `window` may take: the cap split
    /// evenly over the second's windows, remainders spread, summing to `cap`.
    fn quota(&self, cap: u32, window: u64) -> u32 {
        let n = self.windows_per_second();
        let k = window % n;
        let cap = u64::from(cap);
        (cap * (k + 1) / n - cap * k / n) as u32
    }

    fn at_window(&mut self, now: SimTime) {
        let w = now.micros() * self.windows_per_second() / 1_000_000;
        if w != self.sampling.window {
            self.sampling.window = w;
            self.sampling.in_window = 0;
        }
    }

    /// Whether another packet may be sampled at `now`: at most
    /// `per_second_cap` a second, spread evenly over the second.
    pub fn may_sample(&mut self, now: SimTime) -> bool {
        self.at_window(now);
        self.sampling.in_window < self.quota(self.per_second_cap, self.sampling.window)
            && self.packets.len() < self.max_packets
    }

    /// Node-originated (DNS) packets each node may have sampled a second,
    /// on top of the cap: a hundredth of it, rounded up (4 at the default).
    fn node_cap(&self) -> u32 {
        self.per_second_cap.div_ceil(100)
    }

    /// Whether another packet node `node` sends itself (DNS) may be sampled
    /// at `now`.
    pub fn may_sample_node(&mut self, now: SimTime, node: usize) -> bool {
        let st = &mut self.sampling;
        if now.secs() != st.node_second {
            st.node_second = now.secs();
            st.node_counts.iter_mut().for_each(|c| *c = 0);
        }
        let used = st.node_counts.get(node).copied().unwrap_or(0);
        used < self.node_cap() && self.packets.len() < self.max_packets
    }

    /// The sampling counters (for checkpoints).
    pub fn sample_state(&self) -> SampleState {
        self.sampling.clone()
    }

    /// Restores the sampling counters.
    pub fn set_sample_state(&mut self, s: SampleState) {
        self.sampling = s;
    }

    /// Stores a packet; returns its id.
    pub fn push_packet(&mut self, mut p: PacketRecord) -> u32 {
        p.id = self.packets.len() as u32;
        self.sampling.in_window += 1;
        self.store(p);
        p.id
    }

    /// Stores a packet node `p.node` sent itself (see
    /// [`Trace::may_sample_node`]).
    pub fn push_node_packet(&mut self, mut p: PacketRecord) -> u32 {
        p.id = self.packets.len() as u32;
        let node = usize::from(p.node);
        let counts = &mut self.sampling.node_counts;
        if counts.len() <= node {
            counts.resize(node + 1, 0);
        }
        counts[node] += 1;
        self.store(p);
        p.id
    }

    /// Appends a packet. The first one reserves room for as many as the cap
    /// allows: that is address space, not memory, until packets are written
    /// into it (natively and in a browser's wasm memory alike), and the
    /// vector then never moves. Growing instead copies it each time, holding
    /// the old and the new buffer at once (68 MB at the ranges' extremes
    /// over an hour), and in wasm the old buffers' memory is never returned.
    fn store(&mut self, p: PacketRecord) {
        if self.packets.capacity() == 0 {
            self.packets.reserve_exact(self.max_packets);
        }
        super::growth::push(&mut self.packets, p);
    }

    /// Updates a stored packet's fate.
    pub fn set_fate(&mut self, id: u32, fate: Fate, arrives: SimTime) {
        if let Some(p) = self.packets.get_mut(id as usize) {
            p.fate = fate;
            p.arrives = arrives;
        }
    }

    /// Adds a notable event (within [`EVENT_BYTES`]).
    pub fn note(&mut self, at: SimTime, what: Notable, text: String) {
        let e = EventRecord { at, what, text };
        let b = event_bytes(&e);
        if self.event_bytes + b <= EVENT_BYTES {
            self.event_bytes += b;
            self.events.push(e);
        }
    }

    /// Adds a kernel log line (within [`LOG_BYTES`]).
    pub fn klog(&mut self, at: SimTime, node: u16, line: String) {
        let l = KernelLogLine { at, node, line };
        let b = log_line_bytes(&l);
        if self.kernel_log.len() < self.max_log_lines && self.log_bytes + b <= LOG_BYTES {
            self.log_bytes += b;
            self.kernel_log.push(l);
        }
    }
}

#[cfg(test)]
mod tests;
