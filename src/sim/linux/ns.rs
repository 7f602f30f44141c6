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
    devs: Vec<Netdev>,
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
            devs: Vec::new(),
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

    /// All devices by index.
    pub fn devs(&self) -> &[Netdev] {
        &self.devs
    }

    /// A device by index.
    pub fn dev(&self, i: IfIndex) -> Option<&Netdev> {
        self.devs.iter().find(|d| d.index == i)
    }

    /// A device by name.
    pub fn dev_by_name(&self, name: &str) -> Option<&Netdev> {
        self.devs.iter().find(|d| d.name == name)
    }

    fn dev_mut_by_name(&mut self, name: &str) -> Option<&mut Netdev> {
        self.devs.iter_mut().find(|d| d.name == name)
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
        self.devs.iter().any(|d| d.has_addr(ip))
    }

    /// `ip link add NAME type KIND`: the new device starts down with the
    /// `net.ipv4.conf.default` settings copied in (`devinet.c`).
    pub fn link_add(&mut self, name: &str, kind: DevKind) -> Result<IfIndex, NetlinkError> {
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
        self.devs.push(Netdev {
            index,
            name: name.to_string(),
            kind,
            up: false,
            addrs: Vec::new(),
            conf,
        });
        Ok(index)
    }

    /// `ip link del NAME`: removes the device, its addresses and every route through it.
    pub fn link_del(&mut self, name: &str) -> Result<(), NetlinkError> {
        let idx = self.ifindex(name).ok_or(Errno::NoDev)?;
        if idx == IfIndex::LOOPBACK {
            return Err(Errno::NoEnt.into());
        }
        self.fib.remove_routes_where(|r| r.dev == Some(idx));
        self.devs.retain(|d| d.index != idx);
        Ok(())
    }

    /// `ip link set NAME up|down`. Down flushes every route through the
    /// device, local ones included (`fib_disable_ip` → `fib_sync_down_dev` →
    /// `fib_flush`); up re-adds the kernel routes of its addresses
    /// (`fib_netdev_event(NETDEV_UP)` → `fib_add_ifaddr` per address).
    pub fn link_set_up(&mut self, name: &str, up: bool) -> Result<(), NetlinkError> {
        let d = self.dev_mut_by_name(name).ok_or(Errno::NoDev)?;
        if d.up == up {
            return Ok(());
        }
        d.up = up;
        let idx = d.index;
        let addrs = d.addrs.clone();
        if up {
            for a in addrs {
                self.add_ifaddr_routes(idx, a, true);
            }
        } else {
            self.fib.remove_routes_where(|r| r.dev == Some(idx));
        }
        Ok(())
    }

    // ----- addresses -------------------------------------------------------

    /// `ip addr add A/N dev NAME`.
    pub fn addr_add(&mut self, name: &str, addr: Ipv4Addr, len: u8) -> Result<(), NetlinkError> {
        let d = self.dev_mut_by_name(name).ok_or(Errno::NoDev)?;
        if d.addrs
            .iter()
            .any(|a| a.addr == addr && a.prefix_len == len)
        {
            return Err(Errno::Exist.into());
        }
        let a = IfAddr {
            addr,
            prefix_len: len,
        };
        // A second address in an existing prefix is a "secondary" and adds no
        // prefix route of its own.
        let primary = !d.addrs.iter().any(|x| {
            x.prefix_len == len && Prefix::truncating(x.addr, len) == Prefix::truncating(addr, len)
        });
        d.addrs.push(a);
        let (idx, up) = (d.index, d.up);
        self.add_ifaddr_routes(idx, a, primary);
        let _ = up;
        Ok(())
    }

    /// The routes `fib_add_ifaddr` installs for an address: `local A` in the
    /// local table (even while the device is down); then, only when it is up,
    /// the prefix route in main (a `local` route in table local for
    /// loopback) and the directed broadcast of the prefix for `/0`–`/30`.
    /// Kernels before 5.? also added `broadcast <network address>`; see
    /// [`KernelVersion::adds_network_broadcast`].
    fn add_ifaddr_routes(&mut self, dev: IfIndex, a: IfAddr, primary: bool) {
        let up = self.dev(dev).map(|d| d.up).unwrap_or(false);
        let is_lo = self
            .dev(dev)
            .map(|d| d.kind == DevKind::Loopback)
            .unwrap_or(false);
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
            prefsrc: Some(a.addr),
            metric: 0,
        };
        self.insert_kernel_route(
            RT_TABLE_LOCAL,
            magic(RouteType::Local, Prefix::host(a.addr)),
        );
        if !up {
            return;
        }
        let prefix = Prefix::truncating(a.addr, a.prefix_len);
        let zeronet = prefix.addr().octets()[0] == 0;
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

    fn insert_kernel_route(&mut self, table: u32, r: Route) {
        let t = self.fib.table_mut(table);
        if t.routes()
            .iter()
            .any(|x| x.dst == r.dst && x.kind == r.kind && x.dev == r.dev && x.metric == r.metric)
        {
            return;
        }
        t.insert(r);
    }

    /// `ip addr del A/N dev NAME`: removes the address and the kernel routes
    /// that carry it as their source (`fib_del_ifaddr`).
    pub fn addr_del(&mut self, name: &str, addr: Ipv4Addr, len: u8) -> Result<(), NetlinkError> {
        let d = self.dev_mut_by_name(name).ok_or(Errno::NoDev)?;
        let pos = d
            .addrs
            .iter()
            .position(|a| a.addr == addr && a.prefix_len == len)
            .ok_or(Errno::AddrNotAvail)?;
        d.addrs.remove(pos);
        let idx = d.index;
        self.fib.remove_routes_where(|r| {
            r.proto == Proto::Kernel && r.dev == Some(idx) && r.prefsrc == Some(addr)
        });
        Ok(())
    }

    // ----- sysctl ----------------------------------------------------------

    /// `sysctl -w net.ipv4.ip_forward=N`: sets `forwarding` in `all`,
    /// `default` and every device (`devinet_sysctl_forward` →
    /// `inet_forward_change`).
    pub fn set_ip_forward(&mut self, on: bool) {
        self.sysctl.all.forwarding = on;
        self.sysctl.default.forwarding = on;
        for d in &mut self.devs {
            d.conf.forwarding = on;
        }
        self.fib.table_mut(RT_TABLE_MAIN); // bump the generation: decisions changed
    }

    /// `net.ipv4.conf.<scope>` for writing: `all`, `default` or a device.
    pub fn conf_mut(&mut self, scope: &str) -> Option<&mut DevConf> {
        self.fib.table_mut(RT_TABLE_MAIN); // bump the generation
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
    /// (`fib_create_info`, `fib_check_nh`): the nexthop device must be up,
    /// a gateway must be reachable through a link-scope route (on the given
    /// device, if one was given), and an existing route with the same prefix
    /// and metric is `File exists` unless replacing.
    pub fn route_add(
        &mut self,
        table: u32,
        mut r: Route,
        replace: bool,
    ) -> Result<(), NetlinkError> {
        if r.kind.error().is_none() && r.kind != RouteType::Broadcast {
            if let Some(gw) = r.gateway {
                let want_scope = Scope(r.scope.0.saturating_add(1)).max(Scope::LINK);
                let tbl_hit = self
                    .fib
                    .table(table)
                    .and_then(|t| t.lookup(gw, r.dev, want_scope))
                    .and_then(|x| x.ok());
                let found = match tbl_hit {
                    Some(x) => Some(x),
                    None => self
                        .fib
                        .lookup_scoped(gw, Ipv4Addr::UNSPECIFIED, r.dev, want_scope)
                        .ok()
                        .map(|x| x.route),
                };
                let Some(nh) =
                    found.filter(|x| matches!(x.kind, RouteType::Unicast | RouteType::Local))
                else {
                    return Err(NetlinkError::ext(
                        Errno::NetUnreach,
                        "Nexthop has invalid gateway",
                    ));
                };
                if nh.kind == RouteType::Local {
                    return Err(NetlinkError::ext(
                        Errno::Inval,
                        "Nexthop has invalid gateway",
                    ));
                }
                r.dev = r.dev.or(nh.dev);
            }
            let Some(dev) = r.dev else {
                return Err(NetlinkError::ext(
                    Errno::Inval,
                    "Nexthop device required for onlink",
                ));
            };
            let up = self.dev(dev).map(|d| d.up).unwrap_or(false);
            if !up {
                return Err(NetlinkError::ext(
                    Errno::NetDown,
                    "Nexthop device is not up",
                ));
            }
        }
        if table == RT_TABLE_LOCAL {
            self.fib.has_custom_local_routes = true;
        }
        let t = self.fib.table_mut(table);
        match t.find_same_key(r.dst, r.metric) {
            Some(i) if replace => t.replace_at(i, r),
            Some(_) => return Err(Errno::Exist.into()),
            None => t.insert(r),
        }
        Ok(())
    }

    /// `ip route del SELECTOR [table N]` (`fib_table_delete`): the first route
    /// with that prefix whose type, device, gateway and metric match the
    /// ones given; `No such process` if none.
    pub fn route_del(&mut self, table: u32, sel: RouteSelector) -> Result<Route, NetlinkError> {
        let dst = sel.dst.ok_or(Errno::Inval)?;
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

    /// `ip rule add`: `File exists` if an identical rule is there.
    pub fn rule_add(&mut self, rule: Rule) -> Result<(), NetlinkError> {
        if self.fib.rules().iter().any(|r| *r == rule) {
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
        self.fib
            .remove_rule(|r| {
                priority.is_none_or(|p| p == r.priority)
                    && from.is_none_or(|f| f == r.from)
                    && to.is_none_or(|t| t == r.to)
                    && table.is_none_or(|t| t == r.table)
            })
            .ok_or_else(|| Errno::NoEnt.into())
    }

    // ----- lookups ---------------------------------------------------------

    /// `ip_route_output_key` for `ip route get DST [from SRC]`: a given
    /// source must be one of our addresses (`-EINVAL` otherwise); the source
    /// is otherwise the route's `src` or the first address of the output device.
    pub fn route_output(
        &self,
        daddr: Ipv4Addr,
        saddr: Option<Ipv4Addr>,
    ) -> Result<OutputRoute, NetlinkError> {
        if let Some(s) = saddr {
            if s.is_multicast()
                || s == Ipv4Addr::BROADCAST
                || s.octets()[0] == 0
                || !self.is_local_addr(s)
            {
                return Err(Errno::Inval.into());
            }
        }
        let res = self
            .fib
            .lookup(daddr, saddr.unwrap_or(Ipv4Addr::UNSPECIFIED), None)
            .map_err(|m| NetlinkError::plain(m.errno))?;
        let src = match saddr {
            Some(s) => s,
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
            .iter()
            .filter(|d| d.kind != DevKind::Loopback)
            .flat_map(|d| d.addrs.iter())
            .map(|a| a.addr)
            .next()
    }

    /// A route as `ip route show` prints it (without trailing space).
    pub fn describe_route(&self, r: &Route) -> String {
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
        s
    }

    /// The martian-source kernel log line (`ip_handle_martian_source`):
    /// destination first, then source (facts.md §1.4).
    pub fn martian_log_line(daddr: Ipv4Addr, saddr: Ipv4Addr, dev: &str) -> String {
        format!("IPv4: martian source {daddr} from {saddr}, on dev {dev}")
    }
}
