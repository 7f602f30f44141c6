//! A service node: its Linux network namespace, the two connection-tracking
//! tables that matter (the AWS hypervisor's and the kernel's), the ICMP rate
//! limiter and the kernel log's rate limit.
//!
//! Cilium in ENI mode (facts.md §4.3) is modelled as the calls it makes on
//! the namespace: per pod an `lxc` device with a `/32` route in main, rule 20
//! (`to podIP lookup main`) and rule 111 (`from podIP lookup 11`); table 11
//! holds the ENI's gateway route and a default route through `ens6`. On pod
//! deletion it removes both rules and the device (its route goes with it),
//! and optionally adds `unreachable podIP` (PR #18505, facts.md §4.1–4.2).

use super::expiry::ExpiryCounter;
use super::linux::fib::{Route, Rule, RT_TABLE_MAIN};
use super::linux::icmp::IcmpLimiter;
use super::linux::{
    route_input, DevKind, IfIndex, InputPacket, InputVerdict, KernelVersion, NetNs, Prefix,
};
use super::params::Params;
use super::route_memo::RouteMemo;
use super::time::{SimDuration, SimTime};
use std::net::Ipv4Addr;

/// Cilium's per-ENI routing table for ens6 (`RouteTableInterfacesOffset` 10 + 1).
pub const ENI_TABLE: u32 = 11;
/// Cilium's ingress rule priority.
pub const RULE_INGRESS: u32 = 20;
/// Cilium's egress rule priority (v2).
pub const RULE_EGRESS: u32 = 111;

/// The VPC gateway of the nodes' subnet.
pub const VPC_GATEWAY: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 1);
/// The gateway of the pods' (ens6) subnet.
pub const ENI_GATEWAY: Ipv4Addr = Ipv4Addr::new(10, 0, 64, 1);

/// One instance's hypervisor connection tracking (facts.md §5.1–5.2).
///
/// Each new 5-tuple takes an entry; when the table holds `allowance`
/// entries, packets of new flows are dropped and counted in
/// `conntrack_allowance_exceeded`. Established flows are counted as such;
/// half-open, closed and UDP entries are counted by expiry time. Timed-out
/// entries are reclaimed every `sweep_us` (0: continuously), an assumption:
/// AWS documents neither how nor how often its flow table ages entries.
#[derive(Clone, Debug)]
pub struct VpcConntrack {
    /// Maximum entries (the instance's allowance; an assumption, see params).
    pub allowance: u64,
    /// Established TCP flows.
    pub established: u64,
    /// Entries with an idle timeout.
    timed: ExpiryCounter,
    /// Reclamation interval, µs (0 = continuous).
    pub sweep_us: u64,
    /// Offset of this instance's sweeps, µs.
    pub sweep_phase_us: u64,
    /// The interval `[from, to)` µs in which the last computed sweep time
    /// (`from`) holds: it changes once per sweep, so the division that
    /// finds it runs once per sweep instead of for every packet.
    sweep_window: (u64, u64),
    /// Packets dropped for the allowance (cumulative).
    pub exceeded: u64,
    /// Highest entry count seen.
    pub peak: u64,
    /// Whether the table was full at the last check (for notable events).
    pub full: bool,
}

impl VpcConntrack {
    /// The time up to which timed-out entries have been reclaimed.
    fn reclaimed_to(&mut self, now: SimTime) -> SimTime {
        if self.sweep_us == 0 {
            return now;
        }
        let t = now.micros();
        let (from, to) = self.sweep_window;
        if from <= t && t < to {
            return SimTime(from);
        }
        self.sweep_window = if t < self.sweep_phase_us {
            (0, self.sweep_phase_us)
        } else {
            let k = (t - self.sweep_phase_us) / self.sweep_us;
            let last = self.sweep_phase_us + k * self.sweep_us;
            (last, last + self.sweep_us)
        };
        SimTime(self.sweep_window.0)
    }

    /// Entries in use at `now`, without touching the table (the page's
    /// gauges and the moment track read this; the run never does).
    pub fn count_at(&self, now: SimTime) -> u64 {
        let t = if self.sweep_us == 0 || now.micros() < self.sweep_phase_us {
            if self.sweep_us == 0 {
                now
            } else {
                SimTime::ZERO
            }
        } else {
            let k = (now.micros() - self.sweep_phase_us) / self.sweep_us;
            SimTime(self.sweep_phase_us + k * self.sweep_us)
        };
        self.established + self.timed.count_at(t)
    }

    /// Entries in use at `now`.
    pub fn count(&mut self, now: SimTime) -> u64 {
        let t = self.reclaimed_to(now);
        self.established + self.timed.count(t)
    }

    /// Adds `n` entries that time out at `expiry`.
    pub fn add(&mut self, now: SimTime, expiry: SimTime, n: u32) {
        let t = self.reclaimed_to(now);
        self.timed.add(t, expiry, n);
    }

    /// Removes an entry added with `expiry` if it is still held.
    pub fn remove(&mut self, now: SimTime, expiry: SimTime) -> bool {
        let t = self.reclaimed_to(now);
        self.timed.remove(t, expiry)
    }

    /// Gives an entry added with `from` the expiry `to`, if it is still
    /// held (its flow changed state); returns whether it was.
    pub fn retime(&mut self, now: SimTime, from: SimTime, to: SimTime) -> bool {
        let t = self.reclaimed_to(now);
        self.timed.retime(t, from, to)
    }

    /// A packet of a new flow whose entry, if there is room, expires at
    /// `expiry`: [`VpcConntrack::admit`] then [`VpcConntrack::add`], with
    /// one look at the clock instead of two.
    pub fn admit_and_add(&mut self, now: SimTime, expiry: SimTime) -> bool {
        let t = self.reclaimed_to(now);
        let admitted = self.admit_reclaimed(t);
        if admitted {
            self.timed.add(t, expiry, 1);
        }
        admitted
    }

    /// A packet of a new flow: true if an entry could be created. The caller
    /// adds the entry (with its expiry) when true.
    pub fn admit(&mut self, now: SimTime) -> bool {
        let t = self.reclaimed_to(now);
        self.admit_reclaimed(t)
    }

    /// [`VpcConntrack::admit`] with timed-out entries reclaimed up to `t`.
    fn admit_reclaimed(&mut self, t: SimTime) -> bool {
        let n = self.established + self.timed.count(t);
        if n >= self.allowance {
            self.exceeded += 1;
            false
        } else {
            self.peak = self.peak.max(n + 1);
            true
        }
    }
}

/// The node's netfilter conntrack (facts.md §6): only packets that survive
/// routing are confirmed; SYN_SENT 120 s, CLOSE 10 s, TIME_WAIT 120 s,
/// ESTABLISHED counted. A refused flow (the pod's RST is its only reply) is
/// deleted at once, not kept in CLOSE (`close_refused_flow` in `fabric/`).
#[derive(Clone, Debug)]
pub struct LinuxConntrack {
    /// `nf_conntrack_max`.
    pub max: u64,
    /// Established entries.
    pub established: u64,
    /// Entries with a timeout.
    pub timed: ExpiryCounter,
    /// Packets dropped because the table was full.
    pub drops: u64,
    /// Highest count seen.
    pub peak: u64,
    /// Entries confirmed (new flows admitted), cumulative.
    pub confirmed: u64,
}

impl LinuxConntrack {
    /// `nf_conntrack_tcp_timeout_syn_sent`.
    pub const SYN_SENT: SimDuration = SimDuration::from_secs(120);
    /// `nf_conntrack_tcp_timeout_close`: a flow reset after it saw a reply.
    pub const CLOSE: SimDuration = SimDuration::from_secs(10);
    /// `nf_conntrack_tcp_timeout_time_wait` (`tcp_timeouts[TCP_CONNTRACK_TIME_WAIT]`
    /// in `nf_conntrack_proto_tcp.c`, 2 min; facts.md §6): where a flow
    /// closed by FINs both ways and the last ACK ends, whichever side closed
    /// first. The FIN_WAIT / CLOSE_WAIT / LAST_ACK states on the way last
    /// one round trip here (both ends close at once), so the entry is
    /// modelled as TIME_WAIT from the close on.
    pub const TIME_WAIT: SimDuration = SimDuration::from_secs(120);

    /// Entries at `now`.
    pub fn count(&mut self, now: SimTime) -> u64 {
        self.established + self.timed.count(now)
    }

    /// Entries at `now`, without touching the table.
    pub fn count_at(&self, now: SimTime) -> u64 {
        self.established + self.timed.count_at(now)
    }

    /// Confirms a new entry if there is room.
    pub fn admit(&mut self, now: SimTime, expiry: SimTime) -> bool {
        let n = self.count(now);
        if n >= self.max {
            self.drops += 1;
            return false;
        }
        self.timed.add(now, expiry, 1);
        self.peak = self.peak.max(n + 1);
        self.confirmed += 1;
        true
    }
}

/// `net_ratelimit()`: at most 10 messages per 5 s window (the kernel's
/// `DEFAULT_RATELIMIT_BURST` / `net.core.message_cost` = 5 s).
#[derive(Clone, Debug, Default)]
pub struct NetRatelimit {
    window_start: u64,
    printed: u32,
    /// Messages suppressed in the current window.
    pub suppressed: u32,
}

impl NetRatelimit {
    /// Whether a message may be printed at `now`; returns the number of
    /// messages suppressed in the previous window when a new one opens.
    pub fn allow(&mut self, now: SimTime) -> (bool, u32) {
        let mut report = 0;
        if now.micros() >= self.window_start + 5_000_000 {
            report = self.suppressed;
            self.window_start = now.micros();
            self.printed = 0;
            self.suppressed = 0;
        }
        if self.printed < 10 {
            self.printed += 1;
            (true, report)
        } else {
            self.suppressed += 1;
            (false, report)
        }
    }
}

/// A service node.
#[derive(Clone, Debug)]
pub struct Node {
    /// Index.
    pub index: u16,
    /// The kernel's network state.
    pub ns: NetNs,
    /// `ens5` (primary ENI).
    pub ens5: IfIndex,
    /// `ens6` (secondary ENI, pods).
    pub ens6: IfIndex,
    /// ens5's address.
    pub ip: Ipv4Addr,
    /// Hypervisor conntrack.
    pub vpc: VpcConntrack,
    /// netfilter conntrack.
    pub linux_ct: LinuxConntrack,
    /// ICMP rate limits.
    pub icmp: IcmpLimiter,
    /// Kernel log rate limit.
    pub klog_limit: NetRatelimit,
    /// Next pod IP slot on the ENI.
    pub next_slot: u16,
    /// Decisions of `route_input` for the clients' SYNs on ens6.
    memo: RouteMemo,
}

impl Node {
    /// Heap bytes held, roughly (tables and memo; the namespace is small).
    pub fn approx_bytes(&self) -> usize {
        self.vpc.timed.approx_bytes()
            + self.linux_ct.timed.approx_bytes()
            + self.memo.approx_bytes()
            + 16_384
    }

    /// ens5's address of node `i`.
    pub fn primary_ip(i: u16) -> Ipv4Addr {
        Ipv4Addr::new(10, 0, (i / 200) as u8, (10 + i % 200) as u8)
    }

    /// The pod IP in `slot` of node `i`'s ENI (10.0.(64+i).(10+slot)).
    pub fn pod_ip(i: u16, slot: u16) -> Ipv4Addr {
        Ipv4Addr::new(10, 0, (64 + i) as u8, (10 + slot) as u8)
    }

    /// Builds a node the way the incident's nodes were configured.
    pub fn new(index: u16, p: &Params, version: KernelVersion) -> Node {
        let mut ns = NetNs::new(version);
        ns.addr_add("lo", Ipv4Addr::LOCALHOST, 8).expect("lo");
        ns.link_set_up("lo", true).expect("lo up");
        let ens5 = ns.link_add("ens5", DevKind::Ether).expect("ens5");
        let ens6 = ns.link_add("ens6", DevKind::Ether).expect("ens6");
        ns.link_set_up("ens5", true).expect("up");
        ns.link_set_up("ens6", true).expect("up");
        let ip = Self::primary_ip(index);
        ns.addr_add("ens5", ip, 19).expect("ens5 addr");
        ns.set_ip_forward(true);
        let gw = Route::unicast;
        ns.route_add(
            RT_TABLE_MAIN,
            gw(Prefix::ANY, ens5, Some(VPC_GATEWAY)),
            false,
        )
        .expect("default route");
        // Cilium's per-ENI table for ens6.
        ns.route_add(ENI_TABLE, gw(Prefix::host(ENI_GATEWAY), ens6, None), false)
            .expect("eni gw");
        ns.route_add(ENI_TABLE, gw(Prefix::ANY, ens6, Some(ENI_GATEWAY)), false)
            .expect("eni default");
        // Cilium sets conf.all.rp_filter=0 (facts.md §1.3); the distro set ens6 to loose.
        ns.conf_mut("all").expect("all").rp_filter = p.rp_filter_all;
        ns.conf_mut("ens6").expect("ens6").rp_filter = p.rp_filter_ens6;
        ns.conf_mut("all").expect("all").log_martians = p.log_martians;
        if p.ens6_address {
            ns.addr_add("ens6", Ipv4Addr::new(192, 168, 1, 1), 32)
                .expect("ens6 addr");
        }
        Node {
            index,
            ns,
            ens5,
            ens6,
            ip,
            vpc: VpcConntrack {
                allowance: p.conntrack_allowance,
                established: 0,
                timed: ExpiryCounter::new(),
                sweep_us: p.vpc_sweep_ms * 1_000,
                sweep_phase_us: if p.vpc_sweep_ms == 0 {
                    0
                } else {
                    // Instances age their tables independently.
                    (u64::from(index) * 7_919_000) % (p.vpc_sweep_ms * 1_000)
                },
                sweep_window: (0, 0),
                exceeded: 0,
                peak: 0,
                full: false,
            },
            linux_ct: LinuxConntrack {
                max: p.nf_conntrack_max,
                established: 0,
                timed: ExpiryCounter::new(),
                drops: 0,
                peak: 0,
                confirmed: 0,
            },
            icmp: IcmpLimiter::for_kernel(version),
            klog_limit: NetRatelimit::default(),
            next_slot: 0,
            memo: RouteMemo::new(p.clients.div_ceil(p.clients_per_pod.max(1)) as usize),
        }
    }

    /// The kernel's decision for a SYN from client pod `host` (address
    /// `src`) to pod `pod` (address `dst`) arriving on ens6, remembered per
    /// pair until the FIB changes (see [`RouteMemo`]).
    pub fn route_from_ens6(
        &mut self,
        src: Ipv4Addr,
        dst: Ipv4Addr,
        host: u32,
        pod: u32,
    ) -> InputVerdict {
        self.memo.validate(self.ns.fib.generation());
        if let Some(v) = self.memo.get(host, pod) {
            return v;
        }
        let v = route_input(
            &self.ns,
            InputPacket {
                saddr: src,
                daddr: dst,
                iif: self.ens6,
            },
            None,
        )
        .verdict;
        self.memo.insert(host, pod, v);
        v
    }

    /// The host-side device name Cilium gives a pod's veth.
    pub fn lxc_name(pod: u32) -> String {
        format!("lxc{pod:05x}")
    }

    /// Cilium endpoint creation: device, route, rules 20 and 111. Replaces
    /// an `unreachable` route left for a previous pod with the same IP.
    pub fn cilium_add_pod(&mut self, pod: u32, ip: Ipv4Addr) -> IfIndex {
        let name = Self::lxc_name(pod);
        let lxc = self.ns.link_add(&name, DevKind::Veth).expect("lxc");
        self.ns.link_set_up(&name, true).expect("lxc up");
        let route = Route::unicast(Prefix::host(ip), lxc, None);
        self.ns
            .route_add(RT_TABLE_MAIN, route, true)
            .expect("pod route");
        self.ns
            .rule_add(Rule {
                priority: RULE_INGRESS,
                from: Prefix::ANY,
                to: Prefix::host(ip),
                table: RT_TABLE_MAIN,
            })
            .expect("rule 20");
        self.ns
            .rule_add(Rule {
                priority: RULE_EGRESS,
                from: Prefix::host(ip),
                to: Prefix::ANY,
                table: ENI_TABLE,
            })
            .expect("rule 111");
        lxc
    }

    /// Cilium endpoint deletion (`routing.Delete`): both rules go, the CNI
    /// removes the veth (and with it the route); the IP stays on the ENI.
    pub fn cilium_delete_pod(&mut self, pod: u32, ip: Ipv4Addr, unreachable_route: bool) {
        let host = Prefix::host(ip);
        let _ = self.ns.rule_del(Some(RULE_INGRESS), None, Some(host), None);
        let _ = self.ns.rule_del(Some(RULE_EGRESS), Some(host), None, None);
        let _ = self.ns.link_del(&Self::lxc_name(pod));
        if unreachable_route {
            let r = Route::unreachable(host);
            self.ns
                .route_add(RT_TABLE_MAIN, r, true)
                .expect("unreachable route");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn vpc(sweep_us: u64, sweep_phase_us: u64) -> VpcConntrack {
        VpcConntrack {
            allowance: 10,
            established: 0,
            timed: ExpiryCounter::new(),
            sweep_us,
            sweep_phase_us,
            sweep_window: (0, 0),
            exceeded: 0,
            peak: 0,
            full: false,
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        /// The remembered sweep window gives the last sweep at or before
        /// `now` (none before the first), whatever order times come in.
        #[test]
        fn last_sweep_is_the_one_at_or_before_now(
            sweep in 1u64..5_000_000,
            phase_frac in 0u64..1_000,
            times in proptest::collection::vec(0u64..60_000_000, 1..100),
        ) {
            let phase = sweep * phase_frac / 1_000;
            let mut v = vpc(sweep, phase);
            for t in times {
                let want = if t < phase { 0 } else { phase + (t - phase) / sweep * sweep };
                prop_assert_eq!(v.reclaimed_to(SimTime(t)), SimTime(want));
            }
        }
    }

    #[test]
    fn without_sweeps_entries_are_reclaimed_continuously() {
        let mut v = vpc(0, 0);
        assert_eq!(v.reclaimed_to(SimTime(1_234)), SimTime(1_234));
    }
}
