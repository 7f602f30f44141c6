//! Addresses: `ip addr add|del|flush` and the routes the kernel adds and
//! removes with them (`fib_add_ifaddr`, `fib_del_ifaddr`).

use super::{same_subnet, subnet, NetNs};
use crate::sim::linux::addr::Prefix;
use crate::sim::linux::errno::{Errno, NetlinkError};
use crate::sim::linux::fib::{Proto, Route, RouteType, Scope, RT_TABLE_LOCAL, RT_TABLE_MAIN};
use crate::sim::linux::netdev::{DevKind, IfAddr, IfIndex, Netdev};
use std::net::Ipv4Addr;

impl NetNs {
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
    pub(super) fn link_addr(&mut self, idx: IfIndex, a: IfAddr) {
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
    pub(super) fn unlink_addr(&mut self, idx: IfIndex, a: IfAddr) {
        self.addr_keys.remove(&(idx, a.addr, a.prefix_len));
        if self.subnets.get(&(idx, subnet(&a))) == Some(&a.addr) {
            self.subnets.remove(&(idx, subnet(&a)));
        }
        self.dev_mut(idx).addrs.retain(|x| *x != a);
    }

    /// Whether `a`, an address of device `dev`, is a secondary (one probe;
    /// the same as [`is_secondary`] on the device's list).
    pub(super) fn secondary(&self, dev: IfIndex, a: &IfAddr) -> bool {
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
    pub(super) fn add_ifaddr_routes(&mut self, dev: IfIndex, a: IfAddr) {
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
        if t.same_key(r.dst, r.metric).any(|(_, x)| {
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
        let found = t.with_dst(dst).find(|(_, x)| {
            x.kind == kind
                && x.dev == Some(dev)
                && x.proto == Proto::Kernel
                && x.prefsrc == Some(prefsrc)
        });
        if let Some((k, _)) = found {
            t.remove(k);
        }
    }

    /// `ip addr del A/N dev NAME` (`inet_rtm_deladdr` → `__inet_del_ifa`):
    /// deleting a primary first deletes its secondaries (`promote_secondaries`
    /// is 0), each through `del_ifaddr_routes`; deleting the last
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
            self.fib.remove_dev_routes(idx, |_| true);
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
                    if t.has_src(gone) {
                        self.fib.table_mut(RT_TABLE_MAIN).remove_src(gone);
                    }
                }
            }
        }
    }
}
