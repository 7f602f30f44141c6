use super::*;

fn ip(s: &str) -> Ipv4Addr {
    s.parse().unwrap()
}

fn uni(dst: &str, dev: u32, gw: Option<&str>) -> Route {
    Route {
        dst: dst.parse().unwrap(),
        kind: RouteType::Unicast,
        dev: Some(IfIndex(dev)),
        gateway: gw.map(ip),
        scope: if gw.is_some() {
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
