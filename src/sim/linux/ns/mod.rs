//! One network namespace: devices, addresses, sysctls, routing tables, rules.
//!
//! The configuration calls mirror what rtnetlink does for `ip link`, `ip addr`,
//! `ip route` and `ip rule`, including the routes the kernel installs by
//! itself (`fib_add_ifaddr`, `net/ipv4/fib_frontend.c`) and the errors it
//! returns (errno plus extended-ack text), so the lab can print what iproute2
//! prints and the engine's node is configured by the same code.
//!
//! Devices and sysctls here; addresses in `addr.rs`, routes and rules in
//! `route.rs`, the lookups (`ip route get`, the input path's) in `lookup.rs`.

mod addr;
mod lookup;
mod route;
#[cfg(test)]
mod tests;

use super::addr::Prefix;
use super::errno::{Errno, NetlinkError};
use super::fib::{Fib, Route, RouteType, Scope};
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
        self.fib.remove_dev_routes(idx, |_| true);
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
            self.fib.remove_dev_routes(idx, |r| r.scope != Scope::HOST);
        }
        Ok(())
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
