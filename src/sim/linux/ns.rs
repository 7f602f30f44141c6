//! One network namespace: devices, addresses, sysctls, routing tables, rules.
//!
//! The configuration calls mirror what rtnetlink does for `ip link`, `ip addr`,
//! `ip route` and `ip rule`, including the routes the kernel installs by
//! itself (`fib_add_ifaddr`, `net/ipv4/fib_frontend.c`) and the errors it
//! returns (errno plus extended-ack text), so the lab can print what iproute2
//! prints and the engine's node is configured by the same code.

use super::addr::{mask, Prefix};
use super::errno::{Errno, NetlinkError};
use super::fib::{Fib, Proto, Route, RouteType, Rule, Scope, RT_TABLE_LOCAL, RT_TABLE_MAIN};
use super::netdev::{DevConf, DevKind, IfAddr, IfIndex, Netdev, Sysctls};
use super::version::KernelVersion;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::Ipv4Addr;

/// Counters a real node exposes (`nstat`, `/proc/net/stat/rt_cache`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counters {
    /// `TcpExtIPReversePathFilter` (`LINUX_MIB_IPRPFILTER`).
    pub ip_reverse_path_filter: u64,
    /// `in_martian_src`.
    pub in_martian_src: u64,
    /// `in_martian_dst`.
    pub in_martian_dst: u64,
    /// `in_no_route`.
    pub in_no_route: u64,
    /// Packets forwarded.
    pub forwarded: u64,
    /// Packets delivered locally.
    pub delivered: u64,
}

/// A network namespace.
#[derive(Clone, Debug)]
pub struct NetNs {
    /// The kernel version whose behaviour is modelled.
    pub version: KernelVersion,
    /// By index (indexes only grow, so this is creation order): a device is
    /// found, added or deleted in logarithmic time, so a script of 100,000
    /// `ip link del` lines takes linear time (a sorted `Vec` shifted every
    /// later device on each deletion: 7 s for 100,000).
    devs: BTreeMap<IfIndex, Netdev>,
    /// Indexes of `devs`' entries: every lookup below is one probe, so a
    /// script of 100,000 `ip link add` or `ip addr add` lines takes linear
    /// time. Only looked up, never iterated (iteration order would not be
    /// deterministic). Kept in step with `devs` by `link_add`, `link_del`,
    /// `link_addr` and `unlink_addr`, which are the only places that change
    /// a device's name or addresses.
    names: HashMap<String, IfIndex>,
    /// The primary address of each (device, subnet): the first address of
    /// that subnet on the device (see [`is_secondary`]).
    subnets: HashMap<(IfIndex, Prefix), Ipv4Addr>,
    /// Every (device, address, prefix length) configured.
    addr_keys: HashSet<(IfIndex, Ipv4Addr, u8)>,
    next_ifindex: u32,
    /// `net.ipv4.conf.{all,default}`.
    pub sysctl: Sysctls,
    /// Tables and rules.
    pub fib: Fib,
    /// Counters.
    pub counters: Counters,
}

/// What `ip route del` matches on (unset fields match anything).
#[derive(Clone, Copy, Debug, Default)]
pub struct RouteSelector {
    /// Destination (required).
    pub dst: Option<Prefix>,
    /// Route type, if given.
    pub kind: Option<RouteType>,
    /// Device, if given.
    pub dev: Option<IfIndex>,
    /// Gateway, if given.
    pub gateway: Option<Ipv4Addr>,
    /// Metric, if given.
    pub metric: Option<u32>,
}

/// The answer to an output route lookup (`ip route get DST [from SRC]`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OutputRoute {
    /// The route found.
    pub route: Route,
    /// The table it came from.
    pub table: u32,
    /// The source address the kernel picked (or the one given).
    pub src: Ipv4Addr,
}

impl NetNs {
    /// A fresh namespace with only `lo` (down, no address), as `unshare -n` gives.
    pub fn new(version: KernelVersion) -> NetNs {
        let mut ns = NetNs {
            version,
            devs: BTreeMap::new(),
            names: HashMap::new(),
            subnets: HashMap::new(),
            addr_keys: HashSet::new(),
            next_ifindex: 1,
            sysctl: Sysctls::default(),
            fib: Fib::default(),
            counters: Counters::default(),
        };
        ns.link_add("lo", DevKind::Loopback).expect("lo");
        ns
    }

    /// The lab's starting node: `lo` (127.0.0.1/8), `ens5` and `ens6`, all up,
    /// no other addresses or routes, kernel defaults except `ip_forward=1`.
    pub fn lab_node(version: KernelVersion) -> NetNs {
        let mut ns = NetNs::new(version);
        ns.addr_add("lo", "127.0.0.1".parse().unwrap(), 8)
            .expect("lo addr");
        ns.link_set_up("lo", true).expect("lo up");
        for name in ["ens5", "ens6"] {
            ns.link_add(name, DevKind::Ether).expect("nic");
            ns.link_set_up(name, true).expect("nic up");
        }
        ns.set_ip_forward(true);
        ns
    }

    // ----- devices ---------------------------------------------------------

    /// All devices in index order.
    pub fn devs(&self) -> impl Iterator<Item = &Netdev> + '_ {
        self.devs.values()
    }

    /// A device by index.
    pub fn dev(&self, i: IfIndex) -> Option<&Netdev> {
        self.devs.get(&i)
    }

    /// A device by name.
    pub fn dev_by_name(&self, name: &str) -> Option<&Netdev> {
        let d = self.dev(*self.names.get(name)?)?;
        debug_assert_eq!(d.name, name, "the name index is stale");
        Some(d)
    }

    fn dev_mut_by_name(&mut self, name: &str) -> Option<&mut Netdev> {
        self.devs.get_mut(self.names.get(name)?)
    }

    /// A device's name, or `if<N>` if it is gone.
    pub fn dev_name(&self, i: IfIndex) -> String {
        self.dev(i)
            .map(|d| d.name.clone())
            .unwrap_or_else(|| format!("if{}", i.0))
    }

    /// The index of a named device.
    pub fn ifindex(&self, name: &str) -> Option<IfIndex> {
        self.dev_by_name(name).map(|d| d.index)
    }

    /// True if `ip` is an address of any device (`inet_lookup_ifaddr_rcu`).
    pub fn is_local_addr(&self, ip: Ipv4Addr) -> bool {
        self.devs.values().any(|d| d.has_addr(ip))
    }

    /// `ip link add NAME type KIND`: the new device starts down with the
    /// `net.ipv4.conf.default` settings copied in (`devinet.c`).
    pub fn link_add(&mut self, name: &str, kind: DevKind) -> Result<IfIndex, NetlinkError> {
        self.fib.bump_generation();
        if self.dev_by_name(name).is_some() {
            return Err(Errno::Exist.into());
        }
        let index = IfIndex(self.next_ifindex);
        self.next_ifindex += 1;
        let conf = if kind == DevKind::Loopback {
            // lo is created before `default` could be changed; it takes the
            // compiled-in defaults plus the current forwarding setting.
            DevConf {
                forwarding: self.sysctl.default.forwarding,
                ..DevConf::KERNEL_DEFAULT
            }
        } else {
            self.sysctl.default
        };
        self.names.insert(name.to_string(), index);
        self.devs.insert(
            index,
            Netdev {
                index,
                name: name.to_string(),
                kind,
                up: false,
                addrs: Vec::new(),
                conf,
                was_up: false,
            },
        );
        Ok(index)
    }

    /// `ip link del NAME`: removes the device, its addresses and every route through it.
    pub fn link_del(&mut self, name: &str) -> Result<(), NetlinkError> {
        self.fib.bump_generation();
        let idx = self.ifindex(name).ok_or(Errno::NoDev)?;
        if idx == IfIndex::LOOPBACK {
            return Err(Errno::NoEnt.into());
        }
        self.fib.remove_routes_where(|r| r.dev == Some(idx));
        let d = self.devs.remove(&idx).expect("device exists");
        self.names.remove(&d.name);
        for a in d.addrs {
            self.addr_keys.remove(&(idx, a.addr, a.prefix_len));
            self.subnets.remove(&(idx, subnet(&a)));
        }
        Ok(())
    }

    /// `ip link set NAME up|down`. Down flushes every route through the
    /// device except `scope host` ones (the `local` routes), whose nexthop scope is
    /// `RT_SCOPE_NOWHERE` (`fib_disable_ip` → `fib_sync_down_dev` →
    /// `fib_flush`); up re-adds the kernel routes of its addresses
    /// (`fib_netdev_event(NETDEV_UP)` → `fib_add_ifaddr` per address); user
    /// routes through it are gone for good.
    pub fn link_set_up(&mut self, name: &str, up: bool) -> Result<(), NetlinkError> {
        self.fib.bump_generation();
        let d = self.dev_mut_by_name(name).ok_or(Errno::NoDev)?;
        if d.up == up {
            return Ok(());
        }
        d.up = up;
        d.was_up |= up;
        let idx = d.index;
        let addrs = d.addrs.clone();
        if up {
            for a in addrs {
                self.add_ifaddr_routes(idx, a);
            }
        } else {
            // fib_sync_down_dev (5.10 fib_semantics.c:2003-2066) spares
            // nexthops of scope RT_SCOPE_NOWHERE: those of every route
            // created with scope host (1551-1565), local ones or not.
            self.fib
                .remove_routes_where(|r| r.dev == Some(idx) && r.scope != Scope::HOST);
        }
        Ok(())
    }

    // ----- addresses -------------------------------------------------------

    /// `ip addr add A/N dev NAME` (`__inet_insert_ifa`, 5.10 devinet.c).
    /// The same address and length twice is `EEXIST`, with the extack
    /// `ipv4: Address already assigned` from 6.3 on. An address in the
    /// subnet of an existing primary (same length) becomes a secondary and
    /// goes to the end of the list; a primary goes after the last primary.
    pub fn addr_add(&mut self, name: &str, addr: Ipv4Addr, len: u8) -> Result<(), NetlinkError> {
        self.fib.bump_generation();
        let extack = self.version.has_addr_not_found_extack();
        let d = self.dev_mut_by_name(name).ok_or(Errno::NoDev)?;
        let a = IfAddr {
            addr,
            prefix_len: len,
        };
        let idx = d.index;
        if self.addr_keys.contains(&(idx, addr, len)) {
            return Err(if extack {
                NetlinkError::ext(Errno::Exist, "ipv4: Address already assigned")
            } else {
                Errno::Exist.into()
            });
        }
        self.link_addr(idx, a);
        self.add_ifaddr_routes(idx, a);
        Ok(())
    }

    /// Puts `a` on device `idx` (not yet there): a secondary at the end of
    /// its list, a primary after the last primary. The list is always its
    /// primaries, then its secondaries.
    fn link_addr(&mut self, idx: IfIndex, a: IfAddr) {
        let secondary = self.subnets.contains_key(&(idx, subnet(&a)));
        if !secondary {
            self.subnets.insert((idx, subnet(&a)), a.addr);
        }
        self.addr_keys.insert((idx, a.addr, a.prefix_len));
        let subnets = &self.subnets;
        let d = self.devs.get_mut(&idx).expect("device exists");
        if secondary {
            d.addrs.push(a);
        } else {
            let last_primary = d
                .addrs
                .partition_point(|x| subnets.get(&(idx, subnet(x))) == Some(&x.addr));
            d.addrs.insert(last_primary, a);
        }
    }

    /// Takes `a` off device `idx` (it is there). A primary's secondaries
    /// must have gone first.
    fn unlink_addr(&mut self, idx: IfIndex, a: IfAddr) {
        self.addr_keys.remove(&(idx, a.addr, a.prefix_len));
        if self.subnets.get(&(idx, subnet(&a))) == Some(&a.addr) {
            self.subnets.remove(&(idx, subnet(&a)));
        }
        self.dev_mut(idx).addrs.retain(|x| *x != a);
    }

    /// Whether `a`, an address of device `dev`, is a secondary (one probe;
    /// the same as [`is_secondary`] on the device's list).
    fn secondary(&self, dev: IfIndex, a: &IfAddr) -> bool {
        self.subnets
            .get(&(dev, subnet(a)))
            .is_some_and(|p| *p != a.addr)
    }

    /// The primary address of `a`'s subnet on device `dev` (`a` itself if it
    /// is a primary): whose address is the `src` of the kernel routes.
    fn primary_of(&self, dev: IfIndex, a: IfAddr) -> IfAddr {
        match self.subnets.get(&(dev, subnet(&a))) {
            Some(p) => IfAddr {
                addr: *p,
                prefix_len: a.prefix_len,
            },
            None => a,
        }
    }

    /// `fib_add_ifaddr` (5.10 fib_frontend.c:1111-1157): `local A` in the
    /// local table (even while the device is down), with the subnet's
    /// primary address as `src`; then, only when the device is up and `a` is
    /// a primary, the prefix route in main (a `local` route in table local
    /// for loopback) and, for `/0`–`/30`, the directed broadcast of the
    /// prefix, plus on kernels before 5.14 `broadcast <network address>`
    /// (see [`KernelVersion::adds_network_broadcast`]).
    fn add_ifaddr_routes(&mut self, dev: IfIndex, a: IfAddr) {
        let Some(d) = self.dev(dev) else {
            return;
        };
        let (up, is_lo) = (d.up, d.kind == DevKind::Loopback);
        let primary = !self.secondary(dev, &a);
        let prim = self.primary_of(dev, a);
        let magic = |kind: RouteType, dst: Prefix| Route {
            dst,
            kind,
            dev: Some(dev),
            gateway: None,
            scope: if kind == RouteType::Local {
                Scope::HOST
            } else {
                Scope::LINK
            },
            proto: Proto::Kernel,
            prefsrc: Some(prim.addr),
            metric: 0,
            onlink: false,
        };
        self.insert_kernel_route(
            RT_TABLE_LOCAL,
            magic(RouteType::Local, Prefix::host(a.addr)),
        );
        if !up {
            return;
        }
        let prefix = Prefix::truncating(a.addr, a.prefix_len);
        let zeronet = prefix.addr().is_unspecified();
        if !zeronet && primary && (prefix.addr() != a.addr || a.prefix_len < 32) {
            if is_lo {
                self.insert_kernel_route(RT_TABLE_LOCAL, magic(RouteType::Local, prefix));
            } else {
                self.insert_kernel_route(RT_TABLE_MAIN, magic(RouteType::Unicast, prefix));
            }
            if a.prefix_len < 31 {
                if self.version.adds_network_broadcast() {
                    self.insert_kernel_route(
                        RT_TABLE_LOCAL,
                        magic(RouteType::Broadcast, Prefix::host(prefix.addr())),
                    );
                }
                self.insert_kernel_route(
                    RT_TABLE_LOCAL,
                    magic(RouteType::Broadcast, Prefix::host(prefix.broadcast())),
                );
            }
        }
    }

    /// `fib_magic(RTM_NEWROUTE, …)`: `NLM_F_CREATE | NLM_F_APPEND`, so a route
    /// identical to an existing one is silently not added again, while one
    /// that differs (another device or `src`) is added beside it.
    fn insert_kernel_route(&mut self, table: u32, r: Route) {
        let t = self.fib.table_mut(table);
        if t.same_key(r.dst, r.metric).iter().any(|x| {
            x.dst == r.dst
                && x.kind == r.kind
                && x.dev == r.dev
                && x.metric == r.metric
                && x.prefsrc == r.prefsrc
        }) {
            return;
        }
        t.insert(r);
    }

    /// `fib_magic(RTM_DELROUTE, …)`: removes the kernel route of that type,
    /// key, device and `src`, if there is one.
    fn delete_kernel_route(
        &mut self,
        kind: RouteType,
        dst: Prefix,
        dev: IfIndex,
        prefsrc: Ipv4Addr,
    ) {
        let table = if kind == RouteType::Unicast {
            RT_TABLE_MAIN
        } else {
            RT_TABLE_LOCAL
        };
        let t = self.fib.table_mut(table);
        if let Some(i) = t.routes().iter().position(|x| {
            x.dst == dst
                && x.kind == kind
                && x.dev == Some(dev)
                && x.proto == Proto::Kernel
                && x.prefsrc == Some(prefsrc)
        }) {
            t.remove_at(i);
        }
    }

    /// `ip addr del A/N dev NAME` (`inet_rtm_deladdr` → `__inet_del_ifa`):
    /// deleting a primary first deletes its secondaries (`promote_secondaries`
    /// is 0), each through [`Self::del_ifaddr_routes`]; deleting the last
    /// address flushes every route through the device (`fib_inetaddr_event`
    /// → `fib_disable_ip(force)`). No such address: `EADDRNOTAVAIL`.
    pub fn addr_del(&mut self, name: &str, addr: Ipv4Addr, len: u8) -> Result<(), NetlinkError> {
        self.fib.bump_generation();
        let d = self.dev_by_name(name).ok_or(Errno::NoDev)?;
        let idx = d.index;
        let pos = d
            .addrs
            .iter()
            .position(|a| a.addr == addr && a.prefix_len == len)
            .ok_or(Errno::AddrNotAvail)?;
        let victim = d.addrs[pos];
        let primary = !self.secondary(idx, &victim);
        if primary {
            // 1. Secondaries of the same subnet go first.
            loop {
                let d = self.dev(idx).expect("device");
                let Some(j) = (pos + 1..d.addrs.len())
                    .find(|&j| same_subnet(&d.addrs[j], &victim) && d.addrs[j] != victim)
                else {
                    break;
                };
                let sec = d.addrs[j];
                self.unlink_addr(idx, sec);
                self.del_ifaddr_routes(idx, sec, Some(victim));
            }
        }
        // 2./3. Unlink, then announce (NETDEV_DOWN).
        let prim = self.primary_of(idx, victim);
        self.unlink_addr(idx, victim);
        self.del_ifaddr_routes(idx, victim, (!primary).then_some(prim));
        if self.dev(idx).is_some_and(|d| d.addrs.is_empty()) {
            self.fib.remove_routes_where(|r| r.dev == Some(idx));
        }
        Ok(())
    }

    fn dev_mut(&mut self, i: IfIndex) -> &mut Netdev {
        self.devs.get_mut(&i).expect("device exists")
    }

    /// `fib_del_ifaddr(ifa, NULL)` (5.10 fib_frontend.c:1185-1308) for an
    /// address already unlinked from the device; `prim` is the primary of its
    /// subnet if it was a secondary. Removes its prefix route (primaries
    /// only), the subnet's broadcast routes unless another primary with the
    /// same local address still covers them, and its `local` route unless
    /// that address is still configured; once the address is gone for good,
    /// every main-table route with it as `src` is flushed too
    /// (`fib_sync_down_addr`).
    fn del_ifaddr_routes(&mut self, dev: IfIndex, ifa: IfAddr, prim: Option<IfAddr>) {
        let is_lo = self.dev(dev).is_some_and(|d| d.kind == DevKind::Loopback);
        let secondary = prim.is_some();
        let prim = prim.unwrap_or(ifa);
        let any = Prefix::truncating(ifa.addr, ifa.prefix_len);
        let brd = any.broadcast();
        let mut subnet = false;
        if !secondary
            && !any.addr().is_unspecified()
            && (any.addr() != ifa.addr || ifa.prefix_len < 32)
        {
            let kind = if is_lo {
                RouteType::Local
            } else {
                RouteType::Unicast
            };
            self.delete_kernel_route(kind, any, dev, prim.addr);
            subnet = true;
        }
        let (mut local_ok, mut brd1_ok, mut brd0_ok) = (false, false, false);
        let mut same_prefsrc = false;
        let addrs = self.dev(dev).map(|d| d.addrs.clone()).unwrap_or_default();
        for ifa1 in &addrs {
            let prim1 = if self.secondary(dev, ifa1) {
                if same_subnet(ifa1, &prim) {
                    prim
                } else {
                    if !same_prefsrc {
                        continue;
                    }
                    let p1 = self.primary_of(dev, *ifa1);
                    if p1.addr != prim.addr {
                        continue;
                    }
                    p1
                }
            } else {
                if prim.addr != ifa1.addr {
                    continue;
                }
                if prim != *ifa1 {
                    same_prefsrc = true;
                }
                *ifa1
            };
            if ifa.addr == ifa1.addr {
                local_ok = true;
            }
            if prim1 == *ifa1 && ifa1.prefix_len < 31 {
                let any1 = Prefix::truncating(ifa1.addr, ifa1.prefix_len);
                if !any1.addr().is_unspecified() {
                    let brd1 = any1.broadcast();
                    if brd == brd1 || brd == any1.addr() {
                        brd1_ok = true;
                    }
                    if any.addr() == brd1 || any.addr() == any1.addr() {
                        brd0_ok = true;
                    }
                }
            }
        }
        if subnet && ifa.prefix_len < 31 {
            if !brd1_ok {
                self.delete_kernel_route(RouteType::Broadcast, Prefix::host(brd), dev, prim.addr);
            }
            if !brd0_ok {
                self.delete_kernel_route(
                    RouteType::Broadcast,
                    Prefix::host(any.addr()),
                    dev,
                    prim.addr,
                );
            }
        }
        if !local_ok {
            self.delete_kernel_route(RouteType::Local, Prefix::host(ifa.addr), dev, prim.addr);
            let still_local = self
                .fib
                .table(RT_TABLE_LOCAL)
                .and_then(|t| t.lookup(ifa.addr, None, Scope::UNIVERSE))
                .is_some_and(
                    |x| matches!(x, Ok(r) if r.kind == RouteType::Local && r.dev == Some(dev)),
                );
            if !still_local {
                let gone = ifa.addr;
                if let Some(t) = self.fib.table(RT_TABLE_MAIN) {
                    if t.routes().iter().any(|r| r.prefsrc == Some(gone)) {
                        self.fib
                            .table_mut(RT_TABLE_MAIN)
                            .remove_where(|r| r.prefsrc == Some(gone));
                    }
                }
            }
        }
    }

    // ----- sysctl ----------------------------------------------------------

    /// `sysctl -w net.ipv4.ip_forward=N`: sets `forwarding` in `all`,
    /// `default` and every device (`devinet_sysctl_forward` →
    /// `inet_forward_change`).
    pub fn set_ip_forward(&mut self, on: bool) {
        self.sysctl.all.forwarding = on;
        self.sysctl.default.forwarding = on;
        for d in self.devs.values_mut() {
            d.conf.forwarding = on;
        }
        self.fib.bump_generation();
    }

    /// `net.ipv4.conf.<scope>` for writing: `all`, `default` or a device.
    pub fn conf_mut(&mut self, scope: &str) -> Option<&mut DevConf> {
        self.fib.bump_generation();
        match scope {
            "all" => Some(&mut self.sysctl.all),
            "default" => Some(&mut self.sysctl.default),
            name => self.dev_mut_by_name(name).map(|d| &mut d.conf),
        }
    }

    /// `net.ipv4.conf.<scope>` for reading.
    pub fn conf(&self, scope: &str) -> Option<&DevConf> {
        match scope {
            "all" => Some(&self.sysctl.all),
            "default" => Some(&self.sysctl.default),
            name => self.dev_by_name(name).map(|d| &d.conf),
        }
    }

    // ----- routes ----------------------------------------------------------

    /// `ip route add|replace ROUTE [table N]`, with the kernel's checks
    /// (`fib_create_info` → `fib_check_nh`, 5.10 fib_semantics.c:1116-1240,
    /// then `fib_valid_prefsrc`, 1379-1401):
    /// - a gateway is looked up with scope at least `link` (so only through a
    ///   connected or local route), restricted to the given device; for a table
    ///   other than main that table is tried first, then the full rule walk.
    ///   Anything but a unicast or local result is `Nexthop has invalid
    ///   gateway`; a gateway that is our own address is accepted;
    /// - a device-only nexthop must be up (`Device for nexthop is not up`);
    /// - `src` must be a local address (`Invalid prefsrc address`);
    /// - an existing route with the same prefix and metric is `File exists`
    ///   unless replacing.
    pub fn route_add(
        &mut self,
        table: u32,
        mut r: Route,
        replace: bool,
    ) -> Result<(), NetlinkError> {
        if r.kind.error().is_none() && r.scope == Scope::HOST {
            // fib_create_info, 5.10 fib_semantics.c:1551-1568: a host-scope
            // route (every `local` route) needs a device, up or not, and no
            // gateway.
            if r.gateway.is_some() {
                return Err(NetlinkError::ext(
                    Errno::Inval,
                    "Route with host scope can not have a gateway",
                ));
            }
            if r.dev.is_none() {
                return Err(Errno::NoDev.into());
            }
        } else if r.kind.error().is_none() && r.kind != RouteType::Broadcast && r.onlink {
            // fib_check_nh_v4_gw with RTNH_F_ONLINK (5.10 fib_semantics.c):
            // no route to the gateway is needed, but a device is; then, in
            // this order (as the 6.18 kernel answers), the route's scope
            // must be below link, the device up, and the gateway a unicast
            // address as the device's table sees it (not one of our local or
            // broadcast addresses, not multicast or 0/limited broadcast).
            if r.dev.is_none() {
                return Err(NetlinkError::ext(
                    Errno::Inval,
                    "Nexthop device required for onlink",
                ));
            }
            if r.scope.0 >= Scope::LINK.0 {
                return Err(NetlinkError::ext(Errno::Inval, "Nexthop has invalid scope"));
            }
            let up = r.dev.and_then(|d| self.dev(d)).is_some_and(|d| d.up);
            if !up {
                return Err(NetlinkError::ext(
                    Errno::NetDown,
                    "Nexthop device is not up",
                ));
            }
            let gw = r.gateway.unwrap_or(Ipv4Addr::UNSPECIFIED);
            let local_type = self
                .fib
                .table(RT_TABLE_LOCAL)
                .and_then(|t| t.lookup(gw, None, Scope::UNIVERSE))
                .and_then(|x| x.ok())
                .map(|x| x.kind);
            let unicast = !gw.is_multicast()
                && !gw.is_unspecified()
                && !gw.is_broadcast()
                && !matches!(local_type, Some(RouteType::Local | RouteType::Broadcast));
            if !unicast {
                return Err(NetlinkError::ext(
                    Errno::Inval,
                    "Nexthop has invalid gateway",
                ));
            }
        } else if r.kind.error().is_none() && r.kind != RouteType::Broadcast {
            if let Some(gw) = r.gateway {
                let want_scope = Scope(r.scope.0.saturating_add(1)).max(Scope::LINK);
                let tbl_hit = if table != RT_TABLE_MAIN {
                    self.fib
                        .table(table)
                        .and_then(|t| t.lookup(gw, r.dev, want_scope))
                        .and_then(|x| x.ok())
                } else {
                    None
                };
                let found = match tbl_hit {
                    Some(x) => Ok(x),
                    None => self
                        .fib
                        .lookup_scoped(gw, Ipv4Addr::UNSPECIFIED, r.dev, want_scope)
                        .map(|x| x.route),
                };
                let nh = match found {
                    Ok(nh) if matches!(nh.kind, RouteType::Unicast | RouteType::Local) => nh,
                    Ok(_) => {
                        return Err(NetlinkError::ext(
                            Errno::Inval,
                            "Nexthop has invalid gateway",
                        ))
                    }
                    Err(m) => {
                        return Err(NetlinkError::ext(m.errno, "Nexthop has invalid gateway"))
                    }
                };
                r.dev = r.dev.or(nh.dev);
                // fib_check_nh_v4_gw: a found gateway on a down device is a
                // plain -ENETDOWN (no extack).
                let up = r.dev.and_then(|d| self.dev(d)).is_some_and(|d| d.up);
                if !up {
                    return Err(Errno::NetDown.into());
                }
            } else {
                let Some(dev) = r.dev else {
                    // fib_check_nh_nongw: no device at all.
                    return Err(Errno::NoDev.into());
                };
                let up = self.dev(dev).is_some_and(|d| d.up);
                if !up {
                    return Err(NetlinkError::ext(
                        Errno::NetDown,
                        "Device for nexthop is not up",
                    ));
                }
            }
        }
        if let Some(src) = r.prefsrc {
            if !self.prefsrc_valid(table, src) {
                return Err(NetlinkError::ext(Errno::Inval, "Invalid prefsrc address"));
            }
        }
        let t = self.fib.table_mut(table);
        match t.find_same_key(r.dst, r.metric) {
            Some(i) if replace => t.replace_at(i, r),
            Some(_) => return Err(Errno::Exist.into()),
            None => t.insert(r),
        }
        // inet_rtm_newroute (5.10 fib_frontend.c:905-907): any successfully
        // added `local` route, in whatever table.
        if r.kind == RouteType::Local {
            self.fib.has_custom_local_routes = true;
        }
        Ok(())
    }

    /// `fib_valid_prefsrc` / `inet_addr_type_table`: `src` is an address the
    /// route's table (main counts as local), or else the local table, says is
    /// `local`.
    fn prefsrc_valid(&self, table: u32, src: Ipv4Addr) -> bool {
        if src.is_unspecified() || src == Ipv4Addr::BROADCAST || src.is_multicast() {
            return false;
        }
        let tb = if table == RT_TABLE_MAIN {
            RT_TABLE_LOCAL
        } else {
            table
        };
        let is_local = |id: u32| {
            self.fib
                .table(id)
                .and_then(|t| t.lookup(src, None, Scope::UNIVERSE))
                .is_some_and(|x| matches!(x, Ok(r) if r.kind == RouteType::Local))
        };
        is_local(tb) || (tb != RT_TABLE_LOCAL && is_local(RT_TABLE_LOCAL))
    }

    /// `ip route del SELECTOR [table N]` (`fib_table_delete`): the first route
    /// with that prefix whose type, device, gateway and metric match the
    /// ones given; `No such process` if none.
    pub fn route_del(&mut self, table: u32, sel: RouteSelector) -> Result<Route, NetlinkError> {
        let dst = sel.dst.ok_or(Errno::Inval)?;
        if self.fib.table(table).is_none() {
            return Err(NetlinkError::ext(Errno::Srch, "FIB table does not exist"));
        }
        let t = self.fib.table_mut(table);
        let pos = t
            .routes()
            .iter()
            .position(|r| {
                r.dst == dst
                    && sel.kind.is_none_or(|k| k == r.kind)
                    && sel.dev.is_none_or(|d| r.dev == Some(d))
                    && sel.gateway.is_none_or(|g| r.gateway == Some(g))
                    && sel.metric.is_none_or(|m| m == r.metric)
            })
            .ok_or(Errno::Srch)?;
        Ok(t.remove_at(pos))
    }

    // ----- rules -----------------------------------------------------------

    /// `ip rule add`: `File exists` if an identical rule (same priority
    /// included) is there; a rule added without a priority gets a fresh one
    /// first, so it never collides.
    pub fn rule_add(&mut self, rule: Rule) -> Result<(), NetlinkError> {
        if self.fib.rules().contains(&rule) {
            return Err(Errno::Exist.into());
        }
        self.fib.add_rule(rule);
        Ok(())
    }

    /// `ip rule del`: the first rule matching every selector given.
    pub fn rule_del(
        &mut self,
        priority: Option<u32>,
        from: Option<Prefix>,
        to: Option<Prefix>,
        table: Option<u32>,
    ) -> Result<Rule, NetlinkError> {
        let removed = self.fib.remove_rule(|r| {
            priority.is_none_or(|p| p == r.priority)
                && from.is_none_or(|f| f == r.from)
                && to.is_none_or(|t| t == r.to)
                && table.is_none_or(|t| t == r.table)
        });
        // fib4_rule_delete (5.10 fib_rules.c:287-301, same in 6.12, and seen
        // on 6.18: `ip rule del pref 32767` alone makes `ip route get` say
        // `table local`) unmerges local/main and sets fib_has_custom_rules
        // for a rule it actually deleted. 7.3 no longer has that hook.
        if removed.is_some() && self.version <= KernelVersion::V6_18 {
            self.fib.has_custom_rules = true;
        }
        removed.ok_or_else(|| Errno::NoEnt.into())
    }

    // ----- lookups ---------------------------------------------------------

    /// `ip_route_output_key` for `ip route get DST [from SRC]`
    /// (`ip_route_output_key_hash_rcu`, 5.10 route.c:2590-2660): a given
    /// source that is multicast or the limited broadcast is `-EINVAL`; one
    /// that is not an address of this host is `-ENETUNREACH`; `0.0.0.0` is
    /// no source at all. Without a source, a `local` route gives its `src` or
    /// else the destination itself, other routes their `src` or the address
    /// `inet_select_addr` picks on the output device.
    pub fn route_output(
        &self,
        daddr: Ipv4Addr,
        saddr: Option<Ipv4Addr>,
    ) -> Result<OutputRoute, NetlinkError> {
        let saddr = saddr.filter(|s| !s.is_unspecified());
        if let Some(s) = saddr {
            if s.is_multicast() || s == Ipv4Addr::BROADCAST {
                return Err(Errno::Inval.into());
            }
            if !self.is_local_addr(s) {
                return Err(Errno::NetUnreach.into());
            }
        }
        let res = self
            .fib
            .lookup(daddr, saddr.unwrap_or(Ipv4Addr::UNSPECIFIED), None)
            .map_err(|m| NetlinkError::plain(m.errno))?;
        let src = match saddr {
            Some(s) => s,
            None if res.route.kind == RouteType::Local => res.route.prefsrc.unwrap_or(daddr),
            None => res
                .route
                .prefsrc
                .or_else(|| self.select_addr(res.route.dev, daddr))
                .unwrap_or(Ipv4Addr::UNSPECIFIED),
        };
        Ok(OutputRoute {
            route: res.route,
            table: res.table,
            src,
        })
    }

    /// `inet_select_addr`: the first primary address of the device (one in
    /// the same subnet as `dst` preferred), else any address of the host.
    fn select_addr(&self, dev: Option<IfIndex>, dst: Ipv4Addr) -> Option<Ipv4Addr> {
        let d = dev.and_then(|i| self.dev(i));
        if let Some(d) = d {
            if let Some(a) = d.addrs.iter().find(|a| {
                u32::from(a.addr) & mask(a.prefix_len) == u32::from(dst) & mask(a.prefix_len)
            }) {
                return Some(a.addr);
            }
            if let Some(a) = d.addrs.first() {
                return Some(a.addr);
            }
        }
        self.devs
            .values()
            .filter(|d| d.kind != DevKind::Loopback)
            .flat_map(|d| d.addrs.iter())
            .map(|a| a.addr)
            .next()
    }

    /// A route as `ip route show` prints it (without trailing space).
    pub fn describe_route(&self, r: &Route) -> String {
        self.describe_route_in(r, None)
    }

    /// [`NetNs::describe_route`] as `ip route show table all` prints a
    /// route of table `table` (its table named after the device, unless it
    /// is main).
    pub fn describe_route_in(&self, r: &Route, table: Option<u32>) -> String {
        let mut s = String::new();
        if let Some(k) = r.kind.keyword() {
            s.push_str(k);
            s.push(' ');
        }
        s.push_str(&r.dst.to_string());
        if let Some(g) = r.gateway {
            s.push_str(&format!(" via {g}"));
        }
        if let Some(d) = r.dev {
            s.push_str(&format!(" dev {}", self.dev_name(d)));
        }
        if let Some(t) = table.filter(|t| *t != super::fib::RT_TABLE_MAIN) {
            s.push_str(&format!(" table {}", super::fib::table_name(t)));
        }
        if r.proto != Proto::Boot {
            s.push_str(&format!(" proto {}", r.proto.name()));
        }
        if r.scope != Scope::UNIVERSE {
            s.push_str(&format!(" scope {}", r.scope.name()));
        }
        if let Some(p) = r.prefsrc {
            s.push_str(&format!(" src {p}"));
        }
        if r.metric != 0 {
            s.push_str(&format!(" metric {}", r.metric));
        }
        if r.onlink {
            s.push_str(" onlink");
        }
        s
    }

    /// The martian-source kernel log line (`ip_handle_martian_source`):
    /// destination first, then source (facts.md §1.4).
    pub fn martian_log_line(daddr: Ipv4Addr, saddr: Ipv4Addr, dev: &str) -> String {
        format!("IPv4: martian source {daddr} from {saddr}, on dev {dev}")
    }
}

/// Same mask and same subnet (`ifa1->ifa_mask == ifa->ifa_mask &&
/// inet_ifa_match(ifa1->ifa_address, ifa)`).
/// The subnet of an address (its prefix).
fn subnet(a: &IfAddr) -> Prefix {
    Prefix::truncating(a.addr, a.prefix_len)
}

fn same_subnet(a: &IfAddr, b: &IfAddr) -> bool {
    a.prefix_len == b.prefix_len
        && Prefix::truncating(a.addr, a.prefix_len) == Prefix::truncating(b.addr, b.prefix_len)
}

/// `IFA_F_SECONDARY`: an earlier address of the list is in the same subnet
/// (a secondary is only ever added after its primary, and deleting a primary
/// deletes its secondaries, so the first of a subnet is its primary).
pub fn is_secondary(addrs: &[IfAddr], i: usize) -> bool {
    addrs[..i].iter().any(|x| same_subnet(x, &addrs[i]))
}

#[cfg(test)]
mod index_tests {
    use super::*;

    /// The lookups by index agree with reading the lists, through adds and
    /// deletes of primaries and secondaries and of devices.
    #[test]
    fn indexes_agree_with_the_lists() {
        let mut ns = NetNs::lab_node(KernelVersion::V5_10);
        ns.link_add("d0", DevKind::Dummy).unwrap();
        let mut x: u64 = 7;
        for _ in 0..3_000 {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let dev = ["ens5", "ens6", "d0"][(x >> 60) as usize % 3];
            let addr = Ipv4Addr::new(10, 0, ((x >> 40) & 3) as u8, ((x >> 32) & 7) as u8);
            let len = [24, 30, 32][(x >> 50) as usize % 3];
            if (x >> 20) & 3 == 0 {
                let _ = ns.addr_del(dev, addr, len);
            } else {
                let _ = ns.addr_add(dev, addr, len);
            }
            if (x >> 10) & 255 == 0 {
                ns.link_del("d0").unwrap();
                ns.link_add("d0", DevKind::Dummy).unwrap();
            }
            for d in ns.devs() {
                assert_eq!(ns.dev_by_name(&d.name).map(|x| x.index), Some(d.index));
                for (i, a) in d.addrs.iter().enumerate() {
                    assert_eq!(ns.secondary(d.index, a), is_secondary(&d.addrs, i));
                    assert!(ns.addr_keys.contains(&(d.index, a.addr, a.prefix_len)));
                }
            }
            let n: usize = ns.devs().map(|d| d.addrs.len()).sum();
            assert_eq!(ns.addr_keys.len(), n);
        }
        assert!(ns.dev_by_name("nope").is_none());
    }
}
