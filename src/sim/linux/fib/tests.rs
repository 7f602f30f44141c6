use super::*;

fn ip(s: &str) -> Ipv4Addr {
    s.parse().unwrap()
}

fn uni(dst: &str, dev: u32, gw: Option<&str>) -> Route {
    Route::unicast(dst.parse().unwrap(), IfIndex(dev), gw.map(ip))
}

#[test]
fn longest_prefix_wins_and_error_routes_return_their_errno() {
    let mut t = Table::default();
    t.insert(uni("default", 2, Some("10.0.0.1")));
    t.insert(uni("10.0.64.0/18", 3, None));
    assert_eq!(
        t.lookup(ip("10.0.64.9"), None, Scope::UNIVERSE)
            .unwrap()
            .unwrap()
            .dev,
        Some(IfIndex(3))
    );
    t.insert(Route {
        kind: RouteType::Unreachable,
        dev: None,
        ..uni("10.0.64.9", 0, None)
    });
    assert_eq!(
        t.lookup(ip("10.0.64.9"), None, Scope::UNIVERSE),
        Some(Err(Errno::HostUnreach))
    );
    assert_eq!(
        t.lookup(ip("10.0.64.10"), None, Scope::UNIVERSE)
            .unwrap()
            .unwrap()
            .dev,
        Some(IfIndex(3))
    );
}

#[test]
fn oif_restricted_lookup_backtracks_to_shorter_prefixes() {
    let mut t = Table::default();
    t.insert(uni("default", 3, Some("10.0.0.1")));
    t.insert(uni("10.0.128.0/17", 2, None));
    let r = t
        .lookup(ip("10.0.200.1"), Some(IfIndex(3)), Scope::UNIVERSE)
        .unwrap()
        .unwrap();
    assert!(r.dst.is_default());
    assert!(t
        .lookup(ip("10.0.200.1"), Some(IfIndex(9)), Scope::UNIVERSE)
        .is_none());
}

#[test]
fn rules_walk_in_priority_order_and_fall_through_empty_tables() {
    let mut fib = Fib::default();
    fib.table_mut(RT_TABLE_MAIN)
        .insert(uni("default", 2, Some("10.0.0.1")));
    fib.table_mut(11)
        .insert(uni("default", 3, Some("10.0.64.1")));
    fib.add_rule(Rule {
        priority: 111,
        from: "10.0.64.7".parse().unwrap(),
        to: Prefix::ANY,
        table: 11,
    });
    fib.add_rule(Rule {
        priority: 50,
        from: Prefix::ANY,
        to: Prefix::ANY,
        table: 99, // does not exist: skipped like -EAGAIN
    });
    let a = fib.lookup(ip("10.0.130.1"), ip("10.0.64.7"), None).unwrap();
    assert_eq!((a.rule, a.table, a.route.dev), (111, 11, Some(IfIndex(3))));
    let b = fib.lookup(ip("10.0.130.1"), ip("10.0.64.8"), None).unwrap();
    assert_eq!((b.rule, b.table), (32766, RT_TABLE_MAIN));
    assert!(fib.has_custom_rules);
}

#[test]
fn no_route_anywhere_is_enetunreach() {
    let fib = Fib::default();
    let miss = fib.lookup(ip("10.9.9.9"), ip("0.0.0.0"), None).unwrap_err();
    assert_eq!(miss.errno, Errno::NetUnreach);
}

#[test]
fn default_rule_pref_is_just_before_main() {
    let fib = Fib::default();
    assert_eq!(fib.default_rule_pref(), 32765);
}

#[test]
fn rule_display_matches_ip_rule_show() {
    let r = Rule {
        priority: 20,
        from: Prefix::ANY,
        to: "10.0.64.7".parse().unwrap(),
        table: RT_TABLE_MAIN,
    };
    assert_eq!(r.to_string(), "20:\tfrom all to 10.0.64.7 lookup main");
}

/// The table's map and device index against a plain list kept the way the
/// tables were before them (sorted inserts, linear removals and lookups):
/// same order, same lookups, through random inserts, replaces and removals.
#[test]
fn table_agrees_with_a_sorted_list() {
    fn walk(a: &Route, b: &Route) -> std::cmp::Ordering {
        u32::from(a.dst.addr())
            .cmp(&u32::from(b.dst.addr()))
            .then(b.dst.len().cmp(&a.dst.len()))
            .then(a.metric.cmp(&b.metric))
    }
    fn linear_lookup(
        list: &[Route],
        daddr: Ipv4Addr,
        oif: Option<IfIndex>,
        min: Scope,
    ) -> Option<Result<Route, Errno>> {
        let mut best: Option<&Route> = None;
        for r in list {
            if !r.dst.contains(daddr) || r.scope < min {
                continue;
            }
            if r.kind.error().is_none() && oif.is_some_and(|o| r.dev != Some(o)) {
                continue;
            }
            if best.is_none_or(|b| {
                r.dst.len() > b.dst.len() || (r.dst.len() == b.dst.len() && b.metric > r.metric)
            }) {
                best = Some(r);
            }
        }
        best.map(|r| r.kind.error().map_or(Ok(*r), Err))
    }
    let mut t = Table::default();
    let mut list: Vec<Route> = Vec::new();
    let mut x: u64 = 11;
    let mut next = || {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        x >> 16
    };
    for _ in 0..4_000 {
        let n = next();
        let len = [0, 8, 16, 24, 30, 31, 32][(n % 7) as usize];
        let addr = Ipv4Addr::new(10, 0, ((n >> 4) & 3) as u8, ((n >> 8) & 7) as u8);
        let dst = Prefix::truncating(addr, len);
        let dev = IfIndex(1 + ((n >> 12) % 4) as u32);
        let r = Route {
            dst,
            kind: [RouteType::Unicast, RouteType::Local, RouteType::Unreachable]
                [((n >> 16) % 3) as usize],
            dev: ((n >> 18) % 5 != 0).then_some(dev),
            scope: [Scope::UNIVERSE, Scope::LINK, Scope::HOST][((n >> 20) % 3) as usize],
            metric: ((n >> 22) % 3) as u32,
            prefsrc: ((n >> 40) % 3 != 0).then_some(Ipv4Addr::new(10, 0, 0, ((n >> 42) % 4) as u8)),
            ..uni("default", 0, None)
        };
        match (n >> 24) % 9 {
            0..=3 => {
                let pos = list.partition_point(|x| walk(x, &r) != std::cmp::Ordering::Greater);
                list.insert(pos, r);
                t.insert(r);
            }
            4 => {
                if let Some(k) = t.find_same_key(r.dst, r.metric) {
                    let i = list.iter().position(|x| walk(x, &r).is_eq()).unwrap();
                    list[i] = r;
                    t.replace(k, r);
                }
            }
            5 => {
                let found = t
                    .with_dst(dst)
                    .find(|(_, x)| x.kind == r.kind)
                    .map(|(k, _)| k);
                let i = list.iter().position(|x| x.dst == dst && x.kind == r.kind);
                assert_eq!(found.is_some(), i.is_some());
                if let (Some(k), Some(i)) = (found, i) {
                    assert_eq!(t.remove(k), Some(list.remove(i)));
                }
            }
            6 => {
                let gone = t.remove_dev_where(dev, |x| x.scope != Scope::HOST);
                let before = list.len();
                list.retain(|x| !(x.dev == Some(dev) && x.scope != Scope::HOST));
                assert_eq!(gone, before - list.len());
            }
            7 => {
                let src = r.prefsrc.unwrap_or(Ipv4Addr::UNSPECIFIED);
                assert_eq!(t.has_src(src), list.iter().any(|x| x.prefsrc == Some(src)));
                let gone = t.remove_src(src);
                let before = list.len();
                list.retain(|x| x.prefsrc != Some(src));
                assert_eq!(gone, before - list.len());
            }
            _ => {
                let gone = t.remove_where(|x| x.metric == r.metric && x.dst == dst);
                let before = list.len();
                list.retain(|x| !(x.metric == r.metric && x.dst == dst));
                assert_eq!(gone, before - list.len());
            }
        }
        assert!(t.routes().eq(list.iter()));
        assert!(t.index_agrees());
        let daddr = Ipv4Addr::new(10, 0, ((n >> 30) & 3) as u8, ((n >> 33) & 7) as u8);
        let oif = ((n >> 36) % 3 != 0).then_some(dev);
        let min = [Scope::UNIVERSE, Scope::LINK][((n >> 38) % 2) as usize];
        assert_eq!(
            t.lookup(daddr, oif, min),
            linear_lookup(&list, daddr, oif, min)
        );
    }
}
