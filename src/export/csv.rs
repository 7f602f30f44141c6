//! Per-second series as CSV (RFC 4180): a header record, then one record
//! per simulated second, CRLF line breaks (§2.1–2.3). Series names are the
//! CLI's (`incident-sim series --metric NAME`); per-node columns put the
//! node number after the `node` prefix (`node3_vpc_conntrack_entries`).
//! No field needs quoting: names are identifiers and values are numbers
//! (Rust's shortest round-trip decimal form, never an exponent).

use crate::sim::metrics::{Global, Metrics, PerNode};
use std::fmt::Write;

const CRLF: &str = "\r\n";

/// The column name of node `n`'s series `m`: `node_x` → `node<n>_x`.
pub fn node_column(n: usize, m: PerNode) -> String {
    let name = m.name();
    let rest = name.strip_prefix("node_").unwrap_or(name);
    format!("node{n}_{rest}")
}

/// Every series of the run in one table: `second`, the global series in
/// display order ([`Global::ALL`]), then each node's series ([`PerNode::ALL`]).
///
/// Spec: RFC 4180 (header line, CRLF, comma-separated, unquoted fields).
pub fn all(m: &Metrics) -> String {
    let mut cols: Vec<(String, &[f64])> = Global::ALL
        .iter()
        .map(|g| (g.name().to_string(), m.global(*g)))
        .collect();
    for n in 0..m.nodes() {
        for s in PerNode::ALL {
            cols.push((node_column(n, s), m.node(n, s)));
        }
    }
    table(&cols, m.seconds())
}

/// One series: header `second,<name>`, then `i,value` per second.
///
/// Spec: RFC 4180 as [`all`].
pub fn series(name: &str, values: &[f64]) -> String {
    table(&[(name.to_string(), values)], values.len())
}

fn table(cols: &[(String, &[f64])], rows: usize) -> String {
    let mut out = String::with_capacity(rows * (cols.len() * 4 + 6) + 64);
    out.push_str("second");
    for (name, _) in cols {
        out.push(',');
        out.push_str(name);
    }
    out.push_str(CRLF);
    for i in 0..rows {
        let _ = write!(out, "{i}");
        for (_, v) in cols {
            out.push(',');
            if let Some(x) = v.get(i) {
                let _ = write!(out, "{x}");
            }
        }
        out.push_str(CRLF);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_series_is_header_then_rows() {
        let s = series("syn_sent", &[0.0, 7.0, 2.5]);
        assert_eq!(s, "second,syn_sent\r\n0,0\r\n1,7\r\n2,2.5\r\n");
        assert_eq!(series("x", &[]), "second,x\r\n");
    }

    #[test]
    fn all_has_every_series_once_and_rectangular_rows() {
        let mut m = Metrics::new(2);
        m.add(Global::SynSent, 3.0);
        m.gauge_node(1, PerNode::VpcConntrack, 1e20);
        m.roll();
        m.add(Global::SynSent, 4.0);
        m.roll();
        let text = all(&m);
        let rows: Vec<&str> = text.split("\r\n").collect();
        assert_eq!(rows.len(), 2 + 1 + 1, "header, 2 seconds, empty tail");
        assert_eq!(rows[3], "");
        let header: Vec<&str> = rows[0].split(',').collect();
        assert_eq!(header.len(), 1 + Global::ALL.len() + 2 * PerNode::ALL.len());
        let mut uniq = header.clone();
        uniq.sort_unstable();
        uniq.dedup();
        assert_eq!(uniq.len(), header.len(), "column names are unique");
        for name in &header {
            assert!(
                name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'),
                "{name} would need quoting"
            );
        }
        let col = |name: &str| header.iter().position(|h| *h == name).expect(name);
        let r1: Vec<&str> = rows[1].split(',').collect();
        let r2: Vec<&str> = rows[2].split(',').collect();
        assert_eq!(r1.len(), header.len());
        assert_eq!((r1[0], r2[0]), ("0", "1"));
        assert_eq!((r1[col("syn_sent")], r2[col("syn_sent")]), ("3", "4"));
        let big = r1[col("node1_vpc_conntrack_entries")];
        assert!(!big.contains('e'), "no exponent: {big}");
        assert_eq!(big.parse::<f64>().unwrap(), 1e20);
        assert_eq!(r1[col("node0_vpc_conntrack_entries")], "0");
    }
}
