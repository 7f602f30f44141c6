//! `forward` to cluster DNS over TCP: cached upstream connections,
//! `max_concurrent`, the overall deadline, and a query that cannot connect
//! dialling again every dial timeout while it holds its slot.

use super::{Hanging, Host, NodeLocalDns, Req, CACHE_MAX_TTL_S, CLUSTER_DNS, TCP_TIMEWAIT_LEN};
use crate::sim::ctx::Ctx;
use crate::sim::event::Ev;
use crate::sim::metrics::{Global, PerNode};
use crate::sim::node::Node;
use crate::sim::params::Params;
use crate::sim::time::{SimDuration, SimTime};
use crate::sim::trace::{Fate, PacketKind, PacketRecord, Trigger};
use std::cmp::Reverse;

impl NodeLocalDns {
    /// Hands back the upstream connections whose query has completed: to
    /// the idle pool, or closed if cluster DNS closes them after their last
    /// allowed query.
    pub(super) fn housekeeping(&mut self, cx: &mut Ctx, node: &mut Node) {
        let now = cx.now.micros();
        let max_q = cx.p.upstream_max_tcp_queries;
        let mut closed = 0;
        // Those already out of `busy` first: they came out in order, and
        // before anything still in it.
        let mut next_returned = 0;
        loop {
            let (t, q, port) = if let Some(&c) = self.returned.get(next_returned) {
                next_returned += 1;
                c
            } else {
                match self.busy.peek() {
                    Some(&Reverse(c)) if c.0 <= now => {
                        self.busy.pop();
                        c
                    }
                    _ => break,
                }
            };
            if max_q > 0 && q >= max_q {
                // The upstream closes the connection after its last allowed
                // query; node-local-dns closes passively (no TIME_WAIT on
                // its side), so the port is free at once.
                closed += 1;
                self.tcp_ports.release(port, SimTime(now));
            } else {
                self.idle.push((t, q, port));
            }
        }
        self.returned.clear();
        if closed > 0 {
            close_upstream_conns(cx, node, closed);
        }
    }

    /// forward: get a connection (cached or new) and ask cluster DNS.
    pub(super) fn forward(
        &mut self,
        cx: &mut Ctx,
        host: &mut Host,
        req: Req,
        name: u32,
        deadline: SimTime,
        slot: u32,
    ) {
        let now = cx.now;
        let node_i = usize::from(host.node.index);
        let expire = cx.p.nld_expire_s * 1_000_000;
        let mut conn = None;
        if let Some((used, q, port)) = self.idle.pop() {
            if now.micros().saturating_sub(used) < expire {
                conn = Some((q, port));
            } else {
                // connManager: the most recent is stale, so all are: close
                // them all (node-local-dns closes first: TIME_WAIT).
                let stale = 1 + self.idle.len() as u64;
                let tw = now + TCP_TIMEWAIT_LEN;
                self.tcp_ports.release(port, tw);
                for (_, _, p) in self.idle.drain(..) {
                    self.tcp_ports.release(p, tw);
                }
                close_upstream_conns(cx, host.node, stale);
            }
        }
        let lat = {
            let mean = cx.p.upstream_latency_us.max(1);
            self.rng.exp_micros(mean)
        };
        let handshake = 2 * cx.p.network_latency_us;
        let mut dial_port = 0;
        let done = if let Some((q, port)) = conn {
            Some((now + SimDuration::from_micros(lat), q + 1, port))
        } else {
            // A new TCP connection to cluster DNS: a new socket and port
            // (with every port in use the connect fails locally), confirmed
            // by the node's own conntrack first (a full table drops it:
            // "nf_conntrack: table full, dropping packet"), then a new flow
            // for the VPC.
            let port = self.tcp_ports.connect(now);
            let ct = &mut host.node.linux_ct;
            let ct_room = ct.count(now) < ct.max;
            if !ct_room {
                ct.drops += 1;
            }
            let vpc_refused = port.is_some() && ct_room && !host.node.vpc.admit(now);
            let admitted = port.is_some() && ct_room && !vpc_refused;
            let port = port.unwrap_or(0);
            dial_port = port;
            sample_dns_packet(cx, host.node, PacketKind::DnsTcpSyn, admitted, port);
            if admitted {
                host.node.vpc.established += 1;
                host.node.linux_ct.established += 1;
                Some((now + SimDuration::from_micros(handshake + lat), 1, port))
            } else {
                // The dial gives up at its timeout and closes the socket
                // (a SYN_SENT socket leaves no TIME_WAIT).
                let until =
                    (now + SimDuration::from_millis(cx.p.nld_dial_timeout_ms)).min(deadline);
                self.tcp_ports.release(port, until);
                if vpc_refused {
                    cx.metrics.add(Global::ConntrackAllowanceExceeded, 1.0);
                    cx.metrics
                        .add_node(node_i, PerNode::ConntrackAllowanceExceeded, 1.0);
                }
                None
            }
        };
        match done {
            Some((at, queries, port)) => {
                self.upstream_answers(cx, node_i, req, name, slot, at, queries, port)
            }
            None => {
                let slot = if slot == u32::MAX {
                    self.hold_hanging(req, name, deadline)
                } else {
                    slot
                };
                let h = &mut self.hanging[slot as usize];
                h.dial_start = now;
                h.retx = 0;
                h.port = dial_port;
                self.schedule_dial_step(cx, host, slot);
                let inflight = self.inflight(now);
                self.peak_inflight = self.peak_inflight.max(inflight);
                cx.metrics
                    .gauge_node(node_i, PerNode::NldInflight, f64::from(inflight));
            }
        }
    }

    fn hold_hanging(&mut self, req: Req, name: u32, deadline: SimTime) -> u32 {
        let h = Hanging {
            req,
            name,
            deadline,
            live: true,
            dial_start: SimTime::ZERO,
            retx: 0,
            port: 0,
        };
        self.hanging_live += 1;
        match self.free_hanging.pop() {
            Some(i) => {
                self.hanging[i as usize] = h;
                i
            }
            None => {
                self.hanging.push(h);
                (self.hanging.len() - 1) as u32
            }
        }
    }

    pub(super) fn release_hanging(&mut self, slot: u32) {
        let h = &mut self.hanging[slot as usize];
        if h.live {
            h.live = false;
            self.hanging_live -= 1;
            self.free_hanging.push(slot);
        }
    }

    /// The next step of hanging query `slot`'s pending dial
    /// ([`Ev::NldRetry`]): its deadline, a SYN retransmission, or a new dial.
    pub(crate) fn on_retry(&mut self, cx: &mut Ctx, host: &mut Host, slot: u32) {
        let node = usize::from(host.node.index);
        let h = self.hanging[slot as usize];
        if !h.live {
            return;
        }
        let now = cx.now;
        if now >= h.deadline {
            // The forward deadline passed: SERVFAIL to the pod.
            self.release_hanging(slot);
            self.lookup_failed(cx, h.req, now);
            return;
        }
        if now < dial_end(cx.p, &h) {
            // The kernel retransmits the dial's SYN on the same 5-tuple: it
            // crosses the VPC's table again, and finds room or not.
            cx.metrics.add_node(node, PerNode::TcpRetransmits, 1.0);
            self.hanging[slot as usize].retx += 1;
            if host.node.vpc.admit(now) {
                host.node.vpc.established += 1;
                host.node.linux_ct.established += 1;
                self.tcp_ports.reopen(h.port);
                let lat = {
                    let mean = cx.p.upstream_latency_us.max(1);
                    self.rng.exp_micros(mean)
                };
                let at = now + SimDuration::from_micros(2 * cx.p.network_latency_us + lat);
                self.upstream_answers(cx, node, h.req, h.name, slot, at, 1, h.port);
            } else {
                cx.metrics.add(Global::ConntrackAllowanceExceeded, 1.0);
                cx.metrics
                    .add_node(node, PerNode::ConntrackAllowanceExceeded, 1.0);
                self.schedule_dial_step(cx, host, slot);
            }
            return;
        }
        // The dial timed out: a new one (new socket, new port).
        self.forward(cx, host, h.req, h.name, h.deadline, slot);
    }

    /// Schedules the next step of the pending dial of hanging query `slot`:
    /// its SYN's next retransmission by the node's kernel (the schedule of
    /// [`Host::syn_retx_ms`], from the dial's start), if that comes strictly
    /// before the dial gives up, else the dial's end. At the 1 s floor of
    /// CoreDNS's dial timeout the first retransmission (TCP_TIMEOUT_INIT,
    /// 1 s) ties with it and is not sent: the dial is cancelled by Go's
    /// timer at the deadline, while the kernel's retransmission timer, a
    /// timer-wheel timer, never fires early (an assumption on a race the
    /// sources do not settle; a dial timeout above 1 s sends it).
    fn schedule_dial_step(&self, cx: &mut Ctx, host: &Host, slot: u32) {
        let h = self.hanging[slot as usize];
        let end = dial_end(cx.p, &h);
        let next = host
            .syn_retx_ms
            .get(usize::from(h.retx))
            .map(|ms| h.dial_start + SimDuration::from_millis(*ms))
            .filter(|t| *t < end)
            .unwrap_or(end);
        cx.schedule_at(
            next,
            Ev::NldRetry {
                node: host.node.index,
                slot,
            },
        );
    }

    /// Cluster DNS answers query `req` for `name` at `at` over the upstream
    /// connection (`queries` carried so far, source `port`); `slot` is its
    /// hanging slot, if it waited for a connection.
    #[allow(clippy::too_many_arguments)]
    fn upstream_answers(
        &mut self,
        cx: &mut Ctx,
        node: usize,
        req: Req,
        name: u32,
        slot: u32,
        at: SimTime,
        queries: u32,
        port: u16,
    ) {
        let now = cx.now;
        if slot != u32::MAX {
            self.release_hanging(slot);
        }
        self.busy.push(Reverse((at.micros(), queries, port)));
        let ttl = cx.p.datastore_ttl_s.min(CACHE_MAX_TTL_S) * 1_000_000;
        self.cache_insert(name, at.micros() + ttl);
        let inflight = self.inflight(now);
        self.peak_inflight = self.peak_inflight.max(inflight);
        cx.metrics
            .gauge_node(node, PerNode::NldInflight, f64::from(inflight));
        self.request_succeeded(cx, req, at);
    }
}

/// When the pending dial of `h` gives up: CoreDNS's dial timeout
/// (`nld_dial_timeout_ms`) after it started, or the query's deadline.
fn dial_end(p: &Params, h: &Hanging) -> SimTime {
    (h.dial_start + SimDuration::from_millis(p.nld_dial_timeout_ms)).min(h.deadline)
}

/// Samples a packet node-local-dns sends to cluster DNS out of `node`'s
/// ens5 (a TCP SYN for a new upstream connection, or a health check), and
/// whether the VPC let its new flow in.
pub(super) fn sample_dns_packet(
    cx: &mut Ctx,
    node: &Node,
    kind: PacketKind,
    admitted: bool,
    sport: u16,
) {
    if !cx.trace.may_sample_node(cx.now, usize::from(node.index)) {
        return;
    }
    let trigger = match kind {
        PacketKind::DnsHealthCheck => Trigger::DnsHealthCheck,
        _ => Trigger::DnsNewConnection,
    };
    let rec = PacketRecord {
        id: 0,
        kind,
        sent: cx.now,
        arrives: cx.now + SimDuration::from_micros(cx.p.network_latency_us),
        src: node.ip,
        sport,
        dst: CLUSTER_DNS,
        dport: 53,
        node: node.index,
        fate: if admitted {
            Fate::Delivered
        } else {
            Fate::ConntrackAllowance
        },
        client: u32::MAX,
        pod: u32::MAX,
        attempt: 0,
        syn_no: 0,
        trigger,
        resolved_at: SimTime::ZERO,
        ingress_ens6: false,
        answers: u32::MAX,
    };
    cx.trace.push_node_packet(rec);
}

/// `n` upstream connections of `node`'s node-local-dns close: their
/// entries leave the established counts for their close timeouts.
pub(super) fn close_upstream_conns(cx: &mut Ctx, nd: &mut Node, n: u64) {
    let now = cx.now;
    let closed = SimDuration::from_secs(cx.p.vpc_closed_timeout_s);
    nd.vpc.established = nd.vpc.established.saturating_sub(n);
    nd.vpc.add(now, now + closed, n as u32);
    nd.linux_ct.established = nd.linux_ct.established.saturating_sub(n);
    // Closed by FINs (either side first): TIME_WAIT in netfilter.
    nd.linux_ct.timed.add(
        now,
        now + crate::sim::node::LinuxConntrack::TIME_WAIT,
        n as u32,
    );
}
