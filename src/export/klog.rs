//! The nodes' kernel log as a syslog file would show it.
//!
//! Each line is `TIMESTAMP HOSTNAME kernel: MESSAGE`, the BSD syslog layout
//! (RFC 3164 §4.1.2: `Mmm dd hh:mm:ss`, then the host name, then the tag)
//! that rsyslog writes to `/var/log/messages` / `kern.log`. Host names are
//! EC2's defaults for the node's primary address (`ip-10-0-0-11`); times
//! are simulated time from 2021-09-14T14:00:00Z, to the second.
//!
//! After each martian line the kernel prints the packet's link-layer header
//! (`ip_handle_martian_source`, net/ipv4/route.c: `print_hex_dump(KERN_WARNING,
//! "ll header: ", DUMP_PREFIX_OFFSET, 16, 1, skb_mac_header(skb),
//! dev->hard_header_len, false)`): 14 bytes on Ethernet, destination MAC,
//! source MAC, EtherType `08 00`, e.g. (facts.md §1.4)
//! `ll header: 00000000: ff ff ff ff ff ff 40 00 ad fe 64 6d 08 06`.
//! Here the destination is the ENI's MAC and the source the VPC router's,
//! both made up ([`super::ident`]) and the same as in the pcap export.

use super::clock::Civil;
use super::ident::{hostname, Iface};
use crate::sim::node::Node;
use crate::sim::trace::KernelLogLine;
use crate::sim::Sim;
use std::net::Ipv4Addr;

/// `hard_header_len` of an Ethernet device.
pub const ETH_HLEN: usize = 14;

/// The `ll header:` dump of an IPv4 Ethernet frame from `src` to `dst`, as
/// `print_hex_dump` prints it (offset, then bytes in groups of one, 16 per row).
pub fn ll_header(dst: [u8; 6], src: [u8; 6]) -> Vec<String> {
    let mut bytes = Vec::with_capacity(ETH_HLEN);
    bytes.extend_from_slice(&dst);
    bytes.extend_from_slice(&src);
    bytes.extend_from_slice(&[0x08, 0x00]);
    bytes
        .chunks(16)
        .enumerate()
        .map(|(row, chunk)| {
            let hex: Vec<String> = chunk.iter().map(|b| format!("{b:02x}")).collect();
            format!("ll header: {:08x}: {}", row * 16, hex.join(" "))
        })
        .collect()
}

/// The device a martian line names (`… on dev ens6`).
fn martian_dev(line: &str) -> Option<&str> {
    if !line.starts_with("IPv4: martian source ") {
        return None;
    }
    line.rsplit_once("on dev ").map(|(_, d)| d.trim())
}

/// Every node's kernel log lines, interleaved in time order, as syslog text.
///
/// Spec: RFC 3164 §4.1.2 (timestamp and host name), message text as Linux
/// 5.10 prints it (`IPv4: martian source …` and `ll header: …`,
/// `net_ratelimit: N callbacks suppressed`).
pub fn syslog(sim: &Sim) -> String {
    syslog_of(&sim.trace.kernel_log, |n| {
        sim.nodes
            .get(n as usize)
            .map(|x| x.ip)
            .unwrap_or_else(|| Node::primary_ip(n))
    })
}

/// Kernel log lines `lines` as [`syslog`] writes them, `ip` giving each
/// node's primary address (its host name): the page's kernel lens calls it
/// on the lines it holds, so the lens and the download are the same text.
pub fn syslog_of(lines: &[KernelLogLine], ip: impl Fn(u16) -> Ipv4Addr) -> String {
    let mut out = String::new();
    for l in lines {
        let prefix = format!(
            "{} {} kernel: ",
            Civil::of(l.at).syslog(),
            hostname(ip(l.node))
        );
        out.push_str(&prefix);
        out.push_str(&l.line);
        out.push('\n');
        if let Some(dev) = martian_dev(&l.line) {
            let iface = if dev == "ens5" {
                Iface::Ens5(l.node)
            } else {
                Iface::Ens6(l.node)
            };
            for row in ll_header(iface.mac(), iface.router_mac()) {
                out.push_str(&prefix);
                out.push_str(&row);
                out.push('\n');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ll_header_matches_the_kernel_layout() {
        // The example in facts.md §1.4, with its ARP EtherType swapped for IPv4.
        let rows = ll_header([0xff; 6], [0x40, 0x00, 0xad, 0xfe, 0x64, 0x6d]);
        assert_eq!(
            rows,
            vec!["ll header: 00000000: ff ff ff ff ff ff 40 00 ad fe 64 6d 08 00"]
        );
    }

    #[test]
    fn martian_lines_name_their_device() {
        assert_eq!(
            martian_dev("IPv4: martian source 10.0.64.12 from 10.0.128.2, on dev ens6"),
            Some("ens6")
        );
        assert_eq!(martian_dev("net_ratelimit: 3 callbacks suppressed"), None);
    }
}
