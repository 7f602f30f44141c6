//! The forwarding information base: routing tables and policy rules.
//!
//! Models `net/ipv4/fib_trie.c` `fib_table_lookup` (longest-prefix match, then
//! the first alias whose scope and nexthop fit the flow), `fib_rules.c` /
//! `fib4_rule_action` (rules in priority order; a table without a match sends
//! the walk on to the next rule, any other result ends it) and `fib_semantics.c`
//! `fib_props[]` (an `unreachable` route yields `-EHOSTUNREACH`, `blackhole`
//! `-EINVAL`, `prohibit` `-EACCES`; no route at all is `-ENETUNREACH`).
//! Tables are kept in the order `ip route show` prints them (the trie's walk:
//! ascending key, longer prefixes first for the same key, then lower metric),
//! indexed by device and by `src` (`table.rs`).

use super::addr::Prefix;
use super::errno::Errno;
use super::netdev::IfIndex;
use std::fmt;
use std::net::Ipv4Addr;

mod table;
pub use table::{RouteKey, Table};

/// Table ids with names (`/etc/iproute2/rt_tables`).
pub const RT_TABLE_DEFAULT: u32 = 253;
/// The main table.
pub const RT_TABLE_MAIN: u32 = 254;
/// The local table.
pub const RT_TABLE_LOCAL: u32 = 255;

/// iproute2's name for a table id.
pub fn table_name(id: u32) -> String {
    match id {
        RT_TABLE_DEFAULT => "default".into(),
        RT_TABLE_MAIN => "main".into(),
        RT_TABLE_LOCAL => "local".into(),
        n => n.to_string(),
    }
}

/// Route type (`rtm_type`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RouteType {
    /// A gateway or directly connected route.
    Unicast,
    /// An address of this host (table local).
    Local,
    /// A broadcast address of this host (table local).
    Broadcast,
    /// `unreachable`: lookup fails with `-EHOSTUNREACH`.
    Unreachable,
    /// `blackhole`: lookup fails with `-EINVAL`.
    Blackhole,
    /// `prohibit`: lookup fails with `-EACCES`.
    Prohibit,
}

impl RouteType {
    /// `fib_props[type].error`: the error a lookup that lands here returns.
    pub fn error(self) -> Option<Errno> {
        match self {
            RouteType::Unreachable => Some(Errno::HostUnreach),
            RouteType::Blackhole => Some(Errno::Inval),
            RouteType::Prohibit => Some(Errno::Acces),
            _ => None,
        }
    }

    /// The kernel's `RTN_*` name.
    pub fn rtn_name(self) -> &'static str {
        match self {
            RouteType::Unicast => "RTN_UNICAST",
            RouteType::Local => "RTN_LOCAL",
            RouteType::Broadcast => "RTN_BROADCAST",
            RouteType::Unreachable => "RTN_UNREACHABLE",
            RouteType::Blackhole => "RTN_BLACKHOLE",
            RouteType::Prohibit => "RTN_PROHIBIT",
        }
    }

    /// The word iproute2 prints before the prefix (nothing for unicast).
    pub fn keyword(self) -> Option<&'static str> {
        match self {
            RouteType::Unicast => None,
            RouteType::Local => Some("local"),
            RouteType::Broadcast => Some("broadcast"),
            RouteType::Unreachable => Some("unreachable"),
            RouteType::Blackhole => Some("blackhole"),
            RouteType::Prohibit => Some("prohibit"),
        }
    }
}

/// Route scope (`rtm_scope`); larger is narrower.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Scope(pub u8);

impl Scope {
    /// `RT_SCOPE_UNIVERSE` (0).
    pub const UNIVERSE: Scope = Scope(0);
    /// `RT_SCOPE_LINK` (253).
    pub const LINK: Scope = Scope(253);
    /// `RT_SCOPE_HOST` (254).
    pub const HOST: Scope = Scope(254);
    /// `RT_SCOPE_NOWHERE` (255).
    pub const NOWHERE: Scope = Scope(255);

    /// iproute2's name.
    pub fn name(self) -> String {
        match self.0 {
            0 => "global".into(),
            200 => "site".into(),
            253 => "link".into(),
            254 => "host".into(),
            255 => "nowhere".into(),
            n => n.to_string(),
        }
    }

    /// Parses iproute2's scope names or a number.
    pub fn parse(s: &str) -> Option<Scope> {
        Some(match s {
            "global" | "universe" => Scope::UNIVERSE,
            "site" => Scope(200),
            "link" => Scope::LINK,
            "host" => Scope::HOST,
            "nowhere" => Scope::NOWHERE,
            n => Scope(n.parse().ok()?),
        })
    }
}

/// Route protocol (`rtm_protocol`): who installed it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Proto {
    /// `RTPROT_KERNEL`: added by the kernel (addresses) or by Cilium (`proto kernel`).
    Kernel,
    /// `RTPROT_BOOT`: iproute2's default for `ip route add`; `ip route show` hides it.
    Boot,
    /// `RTPROT_STATIC`.
    Static,
}

impl Proto {
    /// iproute2's name.
    pub fn name(self) -> &'static str {
        match self {
            Proto::Kernel => "kernel",
            Proto::Boot => "boot",
            Proto::Static => "static",
        }
    }
}

/// One route (`fib_alias` + `fib_info` with a single nexthop).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Route {
    /// Destination prefix.
    pub dst: Prefix,
    /// Type.
    pub kind: RouteType,
    /// Output device, for unicast/local/broadcast routes.
    pub dev: Option<IfIndex>,
    /// Gateway.
    pub gateway: Option<Ipv4Addr>,
    /// Scope of the route.
    pub scope: Scope,
    /// Protocol.
    pub proto: Proto,
    /// Preferred source (`src`).
    pub prefsrc: Option<Ipv4Addr>,
    /// Metric (`priority`).
    pub metric: u32,
    /// `onlink` (`RTNH_F_ONLINK`): the gateway is taken to be on the link
    /// of `dev` without a route to it (`fib_check_nh_v4_gw`, 5.10
    /// fib_semantics.c).
    pub onlink: bool,
}

impl Route {
    /// `<dst> [via <gateway>] dev <dev>` as `ip route add` makes it: scope
    /// `universe` with a gateway, `link` without (iproute2's default,
    /// `ip-route(8)`), protocol `boot`.
    pub fn unicast(dst: Prefix, dev: IfIndex, gateway: Option<Ipv4Addr>) -> Route {
        Route {
            dst,
            kind: RouteType::Unicast,
            dev: Some(dev),
            gateway,
            scope: if gateway.is_some() {
                Scope::UNIVERSE
            } else {
                Scope::LINK
            },
            proto: Proto::Boot,
            prefsrc: None,
            metric: 0,
            onlink: false,
        }
    }

    /// `unreachable <dst>` as Cilium installs it for a deleted endpoint
    /// (cilium/cilium PR #18505, facts.md §4): no device, no gateway.
    pub fn unreachable(dst: Prefix) -> Route {
        Route {
            dst,
            kind: RouteType::Unreachable,
            dev: None,
            gateway: None,
            scope: Scope::UNIVERSE,
            proto: Proto::Kernel,
            prefsrc: None,
            metric: 0,
            onlink: false,
        }
    }

    /// The nexthop's scope (`nhc_scope`): `RT_SCOPE_LINK` for a gateway
    /// nexthop, `RT_SCOPE_HOST` for a device-only nexthop (`fib_check_nh`),
    /// which `__fib_validate_source` compares with `RT_SCOPE_HOST` to report a
    /// directly connected source.
    pub fn nh_scope(&self) -> Scope {
        if self.gateway.is_some() {
            Scope::LINK
        } else {
            Scope::HOST
        }
    }
}

/// What a rule does (`FR_ACT_TO_TBL` only: `lookup N`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rule {
    /// Priority (`pref`); lower runs first.
    pub priority: u32,
    /// `from` selector (`0/0` = all).
    pub from: Prefix,
    /// `to` selector (`0/0` = all).
    pub to: Prefix,
    /// Table to look up.
    pub table: u32,
}

impl Rule {
    /// True if the flow matches this rule's selectors (`fib4_rule_match`).
    pub fn matches(&self, saddr: Ipv4Addr, daddr: Ipv4Addr) -> bool {
        self.from.contains(saddr) && self.to.contains(daddr)
    }
}

impl fmt::Display for Rule {
    /// `ip rule show` format: `PRIO:\tfrom SEL [to SEL] lookup TABLE`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:\tfrom ", self.priority)?;
        if self.from.is_default() {
            write!(f, "all")?;
        } else {
            write!(f, "{}", self.from)?;
        }
        if !self.to.is_default() {
            write!(f, " to {}", self.to)?;
        }
        write!(f, " lookup {}", table_name(self.table))
    }
}

/// The result of a successful `fib_lookup`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FibResult {
    /// The route found.
    pub route: Route,
    /// The table it is in.
    pub table: u32,
    /// The priority of the rule that led there.
    pub rule: u32,
}

/// Where a failed lookup stopped (for step-through display).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FibMiss {
    /// The errno.
    pub errno: Errno,
    /// The rule and table that returned it (`None` for "no rule matched").
    pub at: Option<(u32, u32, Prefix)>,
}

/// Tables and rules of one network namespace.
#[derive(Clone, Debug)]
pub struct Fib {
    tables: Vec<(u32, Table)>,
    rules: Vec<Rule>,
    /// True once any rule beyond the three defaults was added
    /// (`net->ipv4.fib_has_custom_rules`, set by `fib4_rule_configure` and
    /// never cleared), which takes `fib_validate_source` off its fast path.
    pub has_custom_rules: bool,
    /// True once a local route was added by hand
    /// (`net->ipv4.fib_has_custom_local_routes`).
    pub has_custom_local_routes: bool,
    generation: u64,
}

impl Default for Fib {
    fn default() -> Self {
        Fib {
            tables: vec![
                (RT_TABLE_DEFAULT, Table::default()),
                (RT_TABLE_MAIN, Table::default()),
                (RT_TABLE_LOCAL, Table::default()),
            ],
            rules: vec![
                Rule {
                    priority: 0,
                    from: Prefix::ANY,
                    to: Prefix::ANY,
                    table: RT_TABLE_LOCAL,
                },
                Rule {
                    priority: 32766,
                    from: Prefix::ANY,
                    to: Prefix::ANY,
                    table: RT_TABLE_MAIN,
                },
                Rule {
                    priority: 32767,
                    from: Prefix::ANY,
                    to: Prefix::ANY,
                    table: RT_TABLE_DEFAULT,
                },
            ],
            has_custom_rules: false,
            has_custom_local_routes: false,
            generation: 0,
        }
    }
}

impl Fib {
    /// A counter bumped on every change (lets callers memoise decisions).
    pub fn generation(&self) -> u64 {
        self.generation
    }

    fn touch(&mut self) {
        self.generation += 1;
    }

    /// Marks the namespace as changed (devices, addresses, sysctls): every
    /// cached routing decision is stale.
    pub fn bump_generation(&mut self) {
        self.touch();
    }

    /// The table with this id, if it exists.
    pub fn table(&self, id: u32) -> Option<&Table> {
        self.tables.iter().find(|(i, _)| *i == id).map(|(_, t)| t)
    }

    /// The table with this id, created if missing (as `fib_new_table` does).
    pub fn table_mut(&mut self, id: u32) -> &mut Table {
        self.touch();
        if let Some(pos) = self.tables.iter().position(|(i, _)| *i == id) {
            return &mut self.tables[pos].1;
        }
        let pos = self.tables.partition_point(|(i, _)| *i < id);
        self.tables.insert(pos, (id, Table::default()));
        &mut self.tables[pos].1
    }

    /// All tables, by id.
    pub fn tables(&self) -> impl Iterator<Item = (u32, &Table)> {
        self.tables.iter().map(|(i, t)| (*i, t))
    }

    /// Rules in priority order.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// Adds a rule after existing rules of the same priority.
    pub fn add_rule(&mut self, rule: Rule) {
        self.touch();
        self.has_custom_rules = true;
        let pos = self.rules.partition_point(|r| r.priority <= rule.priority);
        self.rules.insert(pos, rule);
    }

    /// Removes the first rule matching `pred`; returns it.
    pub fn remove_rule(&mut self, pred: impl Fn(&Rule) -> bool) -> Option<Rule> {
        let pos = self.rules.iter().position(pred)?;
        self.touch();
        Some(self.rules.remove(pos))
    }

    /// The priority a rule added without `priority` gets
    /// (`fib_default_rule_pref`): one less than the priority of the second
    /// rule in the list, i.e. just before `main` with the default rules.
    pub fn default_rule_pref(&self) -> u32 {
        match self.rules.get(1) {
            Some(r) if r.priority > 0 => r.priority - 1,
            _ => 0,
        }
    }

    /// Removes every route through `dev` (in every table) matching `pred`,
    /// reading only that device's routes.
    pub fn remove_dev_routes(&mut self, dev: IfIndex, pred: impl Fn(&Route) -> bool) -> usize {
        self.touch();
        self.tables
            .iter_mut()
            .map(|(_, t)| t.remove_dev_where(dev, &pred))
            .sum()
    }

    /// `fib_lookup` (rules enabled): walks the rules in priority order.
    /// Returns the route, or the errno and where the walk stopped.
    pub fn lookup(
        &self,
        daddr: Ipv4Addr,
        saddr: Ipv4Addr,
        oif: Option<IfIndex>,
    ) -> Result<FibResult, FibMiss> {
        self.lookup_scoped(daddr, saddr, oif, Scope::UNIVERSE)
    }

    /// `fib_lookup` with a minimum route scope (see [`Table::lookup`]).
    pub fn lookup_scoped(
        &self,
        daddr: Ipv4Addr,
        saddr: Ipv4Addr,
        oif: Option<IfIndex>,
        min_scope: Scope,
    ) -> Result<FibResult, FibMiss> {
        for rule in &self.rules {
            if !rule.matches(saddr, daddr) {
                continue;
            }
            let Some(table) = self.table(rule.table) else {
                continue;
            };
            match table.lookup(daddr, oif, min_scope) {
                None => continue,
                Some(Ok(route)) => {
                    return Ok(FibResult {
                        route,
                        table: rule.table,
                        rule: rule.priority,
                    })
                }
                Some(Err(errno)) => {
                    let dst = table
                        .routes()
                        .filter(|r| r.dst.contains(daddr))
                        .max_by_key(|r| r.dst.len())
                        .map(|r| r.dst)
                        .unwrap_or(Prefix::ANY);
                    return Err(FibMiss {
                        errno,
                        at: Some((rule.priority, rule.table, dst)),
                    });
                }
            }
        }
        Err(FibMiss {
            errno: Errno::NetUnreach,
            at: None,
        })
    }
}

#[cfg(test)]
mod tests;
