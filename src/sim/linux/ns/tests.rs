//! The namespace's indexes against its lists.

use super::*;

/// The lookups by index agree with reading the lists, through adds and
/// deletes of primaries and secondaries and of devices (and each table's
/// index of routes by device agrees with its routes).
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
        assert!(ns.fib.tables().all(|(_, t)| t.index_agrees()));
        let n: usize = ns.devs().map(|d| d.addrs.len()).sum();
        assert_eq!(ns.addr_keys.len(), n);
    }
    assert!(ns.dev_by_name("nope").is_none());
}
