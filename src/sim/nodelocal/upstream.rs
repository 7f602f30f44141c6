//! `forward` to cluster DNS over TCP: cached upstream connections,
//! `max_concurrent`, the overall deadline, and a query that cannot connect
//! dialling again every dial timeout while it holds its slot.

use super::{Hanging, Req, CACHE_MAX_TTL_S, CLUSTER_DNS, TCP_TIMEWAIT_LEN};
use crate::sim::engine::Sim;
use crate::sim::event::Ev;
use crate::sim::metrics::{Global, PerNode};
use crate::sim::time::{SimDuration, SimTime};
use crate::sim::trace::{Fate, PacketKind, PacketRecord, Trigger};
use std::cmp::Reverse;

impl Sim {
    pub(super) fn nld_housekeeping(&mut self, node: usize) {
        let now = self.now.micros();
        let max_q = self.p.upstream_max_tcp_queries;
        let mut closed = 0;
        let d = &mut self.nld[node];
        // Those already out of `busy` first: they came out in order, and
        // before anything still in it.
        let mut next_returned = 0;
        loop {
            let (t, q, port) = if let Some(&c) = d.returned.get(next_returned) {
                next_returned += 1;
                c
            } else {
                match d.busy.peek() {
                    Some(&Reverse(c)) if c.0 <= now => {
                        d.busy.pop();
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
                d.tcp_ports.release(port, SimTime(now));
            } else {
                d.idle.push((t, q, port));
            }
        }
        d.returned.clear();
        if closed > 0 {
            self.close_upstream_conns(node, closed);
        }
    }

    /// forward: get a connection (cached or new) and ask cluster DNS.
    pub(super) fn forward(
        &mut self,
        node: usize,
        req: Req,
        name: u32,
        deadline: SimTime,
        slot: u32,
    ) {
        let now = self.now;
        let expire = self.p.nld_expire_s * 1_000_000;
        let d = &mut self.nld[node];
        let mut conn = None;
        if let Some((used, q, port)) = d.idle.pop() {
            if now.micros().saturating_sub(used) < expire {
                conn = Some((q, port));
            } else {
                // connManager: the most recent is stale, so all are: close
                // them all (node-local-dns closes first: TIME_WAIT).
                let stale = 1 + d.idle.len() as u64;
                let tw = now + TCP_TIMEWAIT_LEN;
                d.tcp_ports.release(port, tw);
                for (_, _, p) in d.idle.drain(..) {
                    d.tcp_ports.release(p, tw);
                }
                self.close_upstream_conns(node, stale);
            }
        }
        let lat = {
            let mean = self.p.upstream_latency_us.max(1);
            self.nld[node].rng.exp_micros(mean)
        };
        let handshake = 2 * self.p.network_latency_us;
        let mut dial_port = 0;
        let done = if let Some((q, port)) = conn {
            Some((now + SimDuration::from_micros(lat), q + 1, port))
        } else {
            // A new TCP connection to cluster DNS: a new socket and port
            // (with every port in use the connect fails locally), confirmed
            // by the node's own conntrack first (a full table drops it:
            // "nf_conntrack: table full, dropping packet"), then a new flow
            // for the VPC.
            let port = self.nld[node].tcp_ports.connect(now);
            let ct = &mut self.nodes[node].linux_ct;
            let ct_room = ct.count(now) < ct.max;
            if !ct_room {
                ct.drops += 1;
            }
            let vpc_refused = port.is_some() && ct_room && !self.nodes[node].vpc.admit(now);
            let admitted = port.is_some() && ct_room && !vpc_refused;
            let port = port.unwrap_or(0);
            dial_port = port;
            self.sample_dns_packet(node, PacketKind::DnsTcpSyn, admitted, port);
            if admitted {
                self.nodes[node].vpc.established += 1;
                self.nodes[node].linux_ct.established += 1;
                Some((now + SimDuration::from_micros(handshake + lat), 1, port))
            } else {
                // The dial gives up at its timeout and closes the socket
                // (a SYN_SENT socket leaves no TIME_WAIT).
                let until =
                    (now + SimDuration::from_millis(self.p.nld_dial_timeout_ms)).min(deadline);
                self.nld[node].tcp_ports.release(port, until);
                if vpc_refused {
                    self.metrics.add(Global::ConntrackAllowanceExceeded, 1.0);
                    self.metrics
                        .add_node(node, PerNode::ConntrackAllowanceExceeded, 1.0);
                }
                None
            }
        };
        match done {
            Some((at, queries, port)) => {
                self.upstream_answers(node, req, name, slot, at, queries, port)
            }
            None => {
                let slot = if slot == u32::MAX {
                    self.hold_hanging(node, req, name, deadline)
                } else {
                    slot
                };
                let h = &mut self.nld[node].hanging[slot as usize];
                h.dial_start = now;
                h.retx = 0;
                h.port = dial_port;
                self.schedule_dial_step(node, slot);
                let inflight = self.nld[node].inflight(now);
                self.nld[node].peak_inflight = self.nld[node].peak_inflight.max(inflight);
                self.metrics
                    .gauge_node(node, PerNode::NldInflight, f64::from(inflight));
            }
        }
    }

    /// Samples a packet node-local-dns sends to cluster DNS out of ens5
    /// (a TCP SYN for a new upstream connection, or a health check), and
    /// whether the VPC let its new flow in.
    pub(super) fn sample_dns_packet(
        &mut self,
        node: usize,
        kind: PacketKind,
        admitted: bool,
        sport: u16,
    ) {
        if !self.trace.may_sample_node(self.now, node) {
            return;
        }
        let trigger = match kind {
            PacketKind::DnsHealthCheck => Trigger::DnsHealthCheck,
            _ => Trigger::DnsNewConnection,
        };
        let rec = PacketRecord {
            id: 0,
            kind,
            sent: self.now,
            arrives: self.now + SimDuration::from_micros(self.p.network_latency_us),
            src: self.nodes[node].ip,
            sport,
            dst: CLUSTER_DNS,
            dport: 53,
            node: node as u16,
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
        self.trace.push_node_packet(rec);
    }

    pub(super) fn close_upstream_conns(&mut self, node: usize, n: u64) {
        let now = self.now;
        let closed = SimDuration::from_secs(self.p.vpc_closed_timeout_s);
        let nd = &mut self.nodes[node];
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

    fn hold_hanging(&mut self, node: usize, req: Req, name: u32, deadline: SimTime) -> u32 {
        let d = &mut self.nld[node];
        let h = Hanging {
            req,
            name,
            deadline,
            live: true,
            dial_start: SimTime::ZERO,
            retx: 0,
            port: 0,
        };
        d.hanging_live += 1;
        match d.free_hanging.pop() {
            Some(i) => {
                d.hanging[i as usize] = h;
                i
            }
            None => {
                d.hanging.push(h);
                (d.hanging.len() - 1) as u32
            }
        }
    }

    pub(super) fn release_hanging(&mut self, node: usize, slot: u32) {
        let d = &mut self.nld[node];
        let h = &mut d.hanging[slot as usize];
        if h.live {
            h.live = false;
            d.hanging_live -= 1;
            d.free_hanging.push(slot);
        }
    }

    pub(crate) fn on_nld_retry(&mut self, node: u16, slot: u32) {
        let node = node as usize;
        let h = self.nld[node].hanging[slot as usize];
        if !h.live {
            return;
        }
        let now = self.now;
        if now >= h.deadline {
            // The forward deadline passed: SERVFAIL to the pod.
            self.release_hanging(node, slot);
            self.lookup_failed(node, h.req, now);
            return;
        }
        if now < self.dial_end(&h) {
            // The kernel retransmits the dial's SYN on the same 5-tuple: it
            // crosses the VPC's table again, and finds room or not.
            self.metrics.add_node(node, PerNode::TcpRetransmits, 1.0);
            self.nld[node].hanging[slot as usize].retx += 1;
            if self.nodes[node].vpc.admit(now) {
                self.nodes[node].vpc.established += 1;
                self.nodes[node].linux_ct.established += 1;
                self.nld[node].tcp_ports.reopen(h.port);
                let lat = {
                    let mean = self.p.upstream_latency_us.max(1);
                    self.nld[node].rng.exp_micros(mean)
                };
                let at = now + SimDuration::from_micros(2 * self.p.network_latency_us + lat);
                self.upstream_answers(node, h.req, h.name, slot, at, 1, h.port);
            } else {
                self.metrics.add(Global::ConntrackAllowanceExceeded, 1.0);
                self.metrics
                    .add_node(node, PerNode::ConntrackAllowanceExceeded, 1.0);
                self.schedule_dial_step(node, slot);
            }
            return;
        }
        // The dial timed out: a new one (new socket, new port).
        self.forward(node, h.req, h.name, h.deadline, slot);
    }

    /// When the pending dial of `h` gives up: CoreDNS's dial timeout
    /// (`nld_dial_timeout_ms`) after it started, or the query's deadline.
    fn dial_end(&self, h: &Hanging) -> SimTime {
        (h.dial_start + SimDuration::from_millis(self.p.nld_dial_timeout_ms)).min(h.deadline)
    }

    /// Schedules the next step of the pending dial of hanging query `slot`:
    /// its SYN's next retransmission by the node's kernel (the schedule of
    /// [`Sim::syn_retx_ms`], from the dial's start), if that comes strictly
    /// before the dial gives up, else the dial's end. At the 1 s floor of
    /// CoreDNS's dial timeout the first retransmission (TCP_TIMEOUT_INIT,
    /// 1 s) ties with it and is not sent: the dial is cancelled by Go's
    /// timer at the deadline, while the kernel's retransmission timer, a
    /// timer-wheel timer, never fires early (an assumption on a race the
    /// sources do not settle; a dial timeout above 1 s sends it).
    fn schedule_dial_step(&mut self, node: usize, slot: u32) {
        let h = self.nld[node].hanging[slot as usize];
        let end = self.dial_end(&h);
        let next = self
            .syn_retx_ms
            .get(usize::from(h.retx))
            .map(|ms| h.dial_start + SimDuration::from_millis(*ms))
            .filter(|t| *t < end)
            .unwrap_or(end);
        self.schedule_at(
            next,
            Ev::NldRetry {
                node: node as u16,
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
        node: usize,
        req: Req,
        name: u32,
        slot: u32,
        at: SimTime,
        queries: u32,
        port: u16,
    ) {
        let now = self.now;
        if slot != u32::MAX {
            self.release_hanging(node, slot);
        }
        let d = &mut self.nld[node];
        d.busy.push(Reverse((at.micros(), queries, port)));
        let ttl = self.p.datastore_ttl_s.min(CACHE_MAX_TTL_S) * 1_000_000;
        d.cache_insert(name, at.micros() + ttl);
        let inflight = d.inflight(now);
        d.peak_inflight = d.peak_inflight.max(inflight);
        self.metrics
            .gauge_node(node, PerNode::NldInflight, f64::from(inflight));
        self.request_succeeded(node, req, at);
    }
}
