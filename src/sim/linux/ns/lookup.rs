//! Lookups: the output route of `ip route get`, the input path's route
//! and source validation, and the martian log line.

use super::{NetNs, OutputRoute};
use crate::sim::linux::addr::mask;
use crate::sim::linux::errno::{Errno, NetlinkError};
use crate::sim::linux::fib::{Proto, Route, RouteType, Scope};
use crate::sim::linux::netdev::{DevKind, IfIndex};
use std::net::Ipv4Addr;

impl NetNs {
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
        if let Some(t) = table.filter(|t| *t != crate::sim::linux::fib::RT_TABLE_MAIN) {
            s.push_str(&format!(" table {}", crate::sim::linux::fib::table_name(t)));
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
