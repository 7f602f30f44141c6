//! Routes and rules: `ip route add|replace|change|append|del` with the
//! kernel's checks, and `ip rule add|del`.

use super::{NetNs, RouteSelector};
use crate::sim::linux::addr::Prefix;
use crate::sim::linux::errno::{Errno, NetlinkError};
use crate::sim::linux::fib::{Route, RouteType, Rule, Scope, RT_TABLE_LOCAL, RT_TABLE_MAIN};
use crate::sim::linux::version::KernelVersion;
use std::net::Ipv4Addr;

impl NetNs {
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
            Some(k) if replace => t.replace(k, r),
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
        let (key, _) = t
            .with_dst(dst)
            .find(|(_, r)| {
                sel.kind.is_none_or(|k| k == r.kind)
                    && sel.dev.is_none_or(|d| r.dev == Some(d))
                    && sel.gateway.is_none_or(|g| r.gateway == Some(g))
                    && sel.metric.is_none_or(|m| m == r.metric)
            })
            .ok_or(Errno::Srch)?;
        Ok(t.remove(key).expect("the route found is there"))
    }

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
}
