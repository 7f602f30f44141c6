//! Names and addresses the simulation does not model, made up once and
//! kept stable so every export of a run agrees with every other.
//!
//! | what | made-up rule | why this shape |
//! |---|---|---|
//! | MAC of an ENI | `0a:1e:` + the ENI's primary IPv4 address | AWS gives ENIs locally administered MACs (first byte `0a`, `02`, `06`, `0e`); embedding the address makes captures readable |
//! | MAC of the VPC router on a subnet | `0a:fe:` + the subnet's gateway (`.1`) | the router answers for `.1` (the VPC reserves it) |
//! | ens6's own primary address | `10.0.(64+node).5` | an ENI always has a primary private address (Linux just never configured it); pods use `.10` upwards |
//! | instance, ENI, VPC, subnet ids, account | fixed hex patterns, `111122223333` | the shapes of AWS ids; AWS uses `111122223333` as its placeholder account |
//! | host name | `ip-10-0-0-11` | EC2's default host name for a private address |
//!
//! Subnets follow the engine's addressing: nodes `10.0.0.0/19` (gateway
//! [`VPC_GATEWAY`]), pods `10.0.64.0/18` (gateway [`ENI_GATEWAY`]), clients
//! `10.0.128.0/18`.

use crate::sim::node::{Node, ENI_GATEWAY, VPC_GATEWAY};
use std::net::Ipv4Addr;

/// The clients' subnet gateway.
pub const CLIENT_GATEWAY: Ipv4Addr = Ipv4Addr::new(10, 0, 128, 1);
/// The account every made-up resource belongs to.
pub const ACCOUNT_ID: &str = "111122223333";
/// The VPC.
pub const VPC_ID: &str = "vpc-0a1b2c3d4e5f60718";

/// A capture point: the clients' side of the VPC, or one ENI of a service node.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Iface {
    /// The client pods' side: where packets that never reached a node are seen.
    Clients,
    /// A node's primary ENI (`ens5`, the node's address, the default route).
    Ens5(u16),
    /// A node's secondary ENI (`ens6`, the pods' addresses, no IPv4 in Linux).
    Ens6(u16),
}

impl Iface {
    /// Every interface of a run with `nodes` nodes, in pcapng interface-id order:
    /// clients first, then `ens5`, `ens6` of node 0, 1, …
    pub fn all(nodes: usize) -> Vec<Iface> {
        let mut v = vec![Iface::Clients];
        for n in 0..nodes as u16 {
            v.push(Iface::Ens5(n));
            v.push(Iface::Ens6(n));
        }
        v
    }

    /// Index in [`Iface::all`].
    pub fn index(self) -> u32 {
        match self {
            Iface::Clients => 0,
            Iface::Ens5(n) => 1 + 2 * u32::from(n),
            Iface::Ens6(n) => 2 + 2 * u32::from(n),
        }
    }

    /// Interface name, e.g. `node3-ens6`.
    pub fn name(self) -> String {
        match self {
            Iface::Clients => "clients-eth0".into(),
            Iface::Ens5(n) => format!("node{n}-ens5"),
            Iface::Ens6(n) => format!("node{n}-ens6"),
        }
    }

    /// The ENI's primary private address and prefix length (for the clients'
    /// side: the subnet gateway).
    pub fn primary(self) -> (Ipv4Addr, u8) {
        match self {
            Iface::Clients => (CLIENT_GATEWAY, 18),
            Iface::Ens5(n) => (Node::primary_ip(n), 19),
            Iface::Ens6(n) => (ens6_primary(n), 18),
        }
    }

    /// The gateway (VPC router) of the interface's subnet.
    pub fn gateway(self) -> Ipv4Addr {
        match self {
            Iface::Clients => CLIENT_GATEWAY,
            Iface::Ens5(_) => VPC_GATEWAY,
            Iface::Ens6(_) => ENI_GATEWAY,
        }
    }

    /// The interface's MAC.
    pub fn mac(self) -> [u8; 6] {
        eni_mac(self.primary().0)
    }

    /// The MAC packets from the VPC router carry on this interface's subnet.
    pub fn router_mac(self) -> [u8; 6] {
        let g = self.gateway().octets();
        [0x0a, 0xfe, g[0], g[1], g[2], g[3]]
    }

    /// A sentence for the capture's interface description.
    pub fn description(self) -> String {
        match self {
            Iface::Clients => {
                "client pods' side of the VPC (only packets that never reached a node are captured here)".into()
            }
            Iface::Ens5(n) => format!(
                "node {n} primary ENI {} ({}/19, default route)",
                eni_id(n, 5),
                Node::primary_ip(n)
            ),
            Iface::Ens6(n) => format!(
                "node {n} secondary ENI {} (pod addresses; no IPv4 address in Linux; ENI primary {})",
                eni_id(n, 6),
                ens6_primary(n)
            ),
        }
    }
}

/// ens6's own primary private address on node `n` (made up, see module doc).
pub fn ens6_primary(n: u16) -> Ipv4Addr {
    Ipv4Addr::new(10, 0, (64 + n) as u8, 5)
}

/// The MAC of an ENI (or a client pod) whose address is `ip`.
pub fn eni_mac(ip: Ipv4Addr) -> [u8; 6] {
    let o = ip.octets();
    [0x0a, 0x1e, o[0], o[1], o[2], o[3]]
}

/// EC2's default host name for a private address: `ip-10-0-0-11`.
pub fn hostname(ip: Ipv4Addr) -> String {
    let o = ip.octets();
    format!("ip-{}-{}-{}-{}", o[0], o[1], o[2], o[3])
}

/// The EC2 instance id of node `n` (17 hex digits, as AWS's).
pub fn instance_id(n: u16) -> String {
    format!("i-0{:016x}", 0x7c3e_91a4_d200_0000u64 | u64::from(n))
}

/// The ENI id of node `n`'s `ens<dev>` (5 or 6).
pub fn eni_id(n: u16, dev: u8) -> String {
    format!(
        "eni-0{:016x}",
        0x3f81_b6c2_e000_0000u64 | (u64::from(n) << 4) | u64::from(dev)
    )
}

/// The subnet id of an interface's subnet.
pub fn subnet_id(i: Iface) -> &'static str {
    match i {
        Iface::Clients => "subnet-0c11e27700000c128",
        Iface::Ens5(_) => "subnet-0c11e27700000a000",
        Iface::Ens6(_) => "subnet-0c11e27700000a064",
    }
}

/// `aa:bb:cc:dd:ee:ff`.
pub fn mac_text(m: [u8; 6]) -> String {
    m.iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interfaces_are_numbered_densely_and_named_after_nodes() {
        let all = Iface::all(3);
        assert_eq!(all.len(), 7);
        for (i, f) in all.iter().enumerate() {
            assert_eq!(f.index() as usize, i);
        }
        assert_eq!(Iface::Ens6(3).name(), "node3-ens6");
        assert_eq!(hostname(Node::primary_ip(1)), "ip-10-0-0-11");
        assert_eq!(mac_text(Iface::Ens5(1).mac()), "0a:1e:0a:00:00:0b");
        // Every MAC is unicast and locally administered, and all differ.
        let mut macs: Vec<[u8; 6]> = all.iter().map(|f| f.mac()).collect();
        macs.extend(all.iter().map(|f| f.router_mac()));
        for m in &macs {
            assert_eq!(m[0] & 0b11, 0b10, "{}", mac_text(*m));
        }
        let mut uniq = macs.clone();
        uniq.sort();
        uniq.dedup();
        assert_eq!(
            uniq.len(),
            7 + 3,
            "ENIs distinct, one router MAC per subnet"
        );
        assert_eq!(instance_id(2).len(), 19);
        assert_eq!(eni_id(2, 6).len(), 21);
    }
}
