use super::*;

#[test]
fn series_at_the_ceilings_fit_their_byte_budget() {
    let max_nodes = crate::scenario::catalog::spec("service_nodes").map(|s| s.kind);
    let max_secs = crate::scenario::catalog::spec("duration_s").map(|s| s.kind);
    let (
        Some(crate::scenario::catalog::Kind::Int { max: nodes, .. }),
        Some(crate::scenario::catalog::Kind::Int { max: secs, .. }),
    ) = (max_nodes, max_secs)
    else {
        panic!("integer ranges");
    };
    let mut m = Metrics::new(nodes as usize);
    for _ in 0..secs {
        m.roll();
    }
    assert!(m.bytes() <= Metrics::SERIES_BYTES, "{} bytes", m.bytes());
}

#[test]
fn buckets_are_the_number_of_edges_below() {
    let by_search = |us: u64| LatencyHistogram::EDGES.partition_point(|e| *e < us).min(60);
    // Every latency up to 2 s, then every edge's neighbours and a
    // spread of large values.
    for us in 0..2_000_000 {
        assert_eq!(LatencyHistogram::bucket(us), by_search(us), "{us}");
    }
    for e in LatencyHistogram::EDGES {
        for us in [e - 1, e, e + 1] {
            assert_eq!(LatencyHistogram::bucket(us), by_search(us), "{us}");
        }
    }
    let mut us = 1u64;
    while let Some(next) = us.checked_mul(3) {
        for v in [us, us + 1, next - 1] {
            assert_eq!(LatencyHistogram::bucket(v), by_search(v), "{v}");
        }
        us = next;
    }
    for k in 0..64 {
        let low = 1u64 << k;
        for v in [low - 1, low, low | (low - 1)] {
            assert_eq!(LatencyHistogram::bucket(v), by_search(v), "{v}");
        }
    }
    assert_eq!(LatencyHistogram::bucket(u64::MAX), 60);
}

#[test]
fn histogram_quantiles_land_in_the_right_decade() {
    let mut h = LatencyHistogram::default();
    for _ in 0..900 {
        h.record(20_000);
    }
    for _ in 0..100 {
        h.record(5_000_000);
    }
    let p50 = h.quantile_ms(0.5);
    let p99 = h.quantile_ms(0.99);
    assert!((20.0..26.0).contains(&p50), "{p50}");
    assert!((5_000.0..6_400.0).contains(&p99), "{p99}");
}

#[test]
fn counters_sum_and_gauges_keep_the_max() {
    let mut m = Metrics::new(2);
    m.add(Global::SynSent, 3.0);
    m.add(Global::SynSent, 4.0);
    m.gauge_node(1, PerNode::VpcConntrack, 10.0);
    m.gauge_node(1, PerNode::VpcConntrack, 7.0);
    m.roll();
    assert_eq!(m.global(Global::SynSent), &[7.0]);
    assert_eq!(m.node(1, PerNode::VpcConntrack), &[10.0]);
    assert_eq!(m.node_aggregate(PerNode::VpcConntrack), vec![10.0]);
}
