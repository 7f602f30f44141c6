//! Network devices, their IPv4 addresses, and the per-device `net.ipv4.conf`
//! settings the ingress path reads.
//!
//! Effective values follow `include/linux/inetdevice.h` (5.10.262 L85–110,
//! facts.md §1.3): `rp_filter` is `max(all, dev)` (`IN_DEV_MAXCONF`);
//! `accept_local`, `log_martians` and `src_valid_mark` are `all || dev`
//! (`IN_DEV_ORCONF`); `forwarding` is the device's own value
//! (`IN_DEV_FORWARD`), which `net.ipv4.ip_forward` sets on every device.

use std::net::Ipv4Addr;

/// A device's index (`ifindex`). `lo` is always 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct IfIndex(pub u32);

impl IfIndex {
    /// The loopback device's index (`LOOPBACK_IFINDEX`).
    pub const LOOPBACK: IfIndex = IfIndex(1);
}

/// What kind of device it is (only what routing cares about).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DevKind {
    /// `lo`.
    Loopback,
    /// A physical NIC (an AWS ENI: `ens5`, `ens6`).
    Ether,
    /// `ip link add NAME type dummy`.
    Dummy,
    /// One end of a veth pair (a pod's `lxc…` device on the host side).
    Veth,
}

/// One `net.ipv4.conf.<name>` directory: the settings routing reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DevConf {
    /// `rp_filter`: 0 off, 1 strict, 2 loose (any integer is accepted by the
    /// sysctl, as `proc_dointvec` does; the code only tests `== 1` and `!= 0`).
    pub rp_filter: i32,
    /// `accept_local`.
    pub accept_local: bool,
    /// `log_martians`.
    pub log_martians: bool,
    /// `forwarding`.
    pub forwarding: bool,
    /// `src_valid_mark`.
    pub src_valid_mark: bool,
    /// `route_localnet`.
    pub route_localnet: bool,
    /// `send_redirects` (default on): with it, a packet that would be
    /// forwarded back out of its ingress device skips the fast path.
    pub send_redirects: bool,
}

impl DevConf {
    /// The kernel's compiled-in defaults (`ipv4_devconf` in devinet.c): all off.
    pub const KERNEL_DEFAULT: DevConf = DevConf {
        rp_filter: 0,
        accept_local: false,
        log_martians: false,
        forwarding: false,
        src_valid_mark: false,
        route_localnet: false,
        send_redirects: true,
    };
}

/// An IPv4 address on a device (`struct in_ifaddr`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IfAddr {
    /// The local address.
    pub addr: Ipv4Addr,
    /// The prefix length.
    pub prefix_len: u8,
}

/// A network device with its IPv4 configuration (`net_device` + `in_device`).
#[derive(Clone, Debug)]
pub struct Netdev {
    /// `ifindex`.
    pub index: IfIndex,
    /// Interface name.
    pub name: String,
    /// Kind.
    pub kind: DevKind,
    /// Administratively up (`IFF_UP`).
    pub up: bool,
    /// IPv4 addresses in the order they were added (`ifa_list`).
    pub addrs: Vec<IfAddr>,
    /// `net.ipv4.conf.<name>.*`.
    pub conf: DevConf,
    /// Has been up: its default qdisc was attached then (`dev_activate`)
    /// and stays attached when it goes down (`ip link` shows `noop` only
    /// before the first `up`).
    pub was_up: bool,
}

impl Netdev {
    /// `no_addr` in `__fib_validate_source`: the device has no IPv4 address
    /// (`idev->ifa_list == NULL`, fib_frontend.c L366 in 5.10.262).
    pub fn no_addr(&self) -> bool {
        self.addrs.is_empty()
    }

    /// True if `ip` is one of this device's addresses.
    pub fn has_addr(&self, ip: Ipv4Addr) -> bool {
        self.addrs.iter().any(|a| a.addr == ip)
    }
}

/// `net.ipv4.conf.{all,default}` and `net.ipv4.ip_forward`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sysctls {
    /// `net.ipv4.conf.all.*`.
    pub all: DevConf,
    /// `net.ipv4.conf.default.*`, copied into each new device.
    pub default: DevConf,
}

impl Default for Sysctls {
    fn default() -> Self {
        Sysctls {
            all: DevConf::KERNEL_DEFAULT,
            default: DevConf::KERNEL_DEFAULT,
        }
    }
}

impl Sysctls {
    /// Effective `rp_filter` for a device: `max(all, dev)` (`IN_DEV_RPFILTER`).
    pub fn rp_filter(&self, dev: &Netdev) -> i32 {
        self.all.rp_filter.max(dev.conf.rp_filter)
    }

    /// Effective `accept_local` (`IN_DEV_ACCEPT_LOCAL`, ORCONF).
    pub fn accept_local(&self, dev: &Netdev) -> bool {
        self.all.accept_local || dev.conf.accept_local
    }

    /// Effective `log_martians` (`IN_DEV_LOG_MARTIANS`, ORCONF).
    pub fn log_martians(&self, dev: &Netdev) -> bool {
        self.all.log_martians || dev.conf.log_martians
    }

    /// Effective `src_valid_mark` (ORCONF).
    pub fn src_valid_mark(&self, dev: &Netdev) -> bool {
        self.all.src_valid_mark || dev.conf.src_valid_mark
    }

    /// Effective `route_localnet` (ORCONF).
    pub fn route_localnet(&self, dev: &Netdev) -> bool {
        self.all.route_localnet || dev.conf.route_localnet
    }

    /// Effective `send_redirects` (`IN_DEV_TX_REDIRECTS`, ORCONF).
    pub fn send_redirects(&self, dev: &Netdev) -> bool {
        self.all.send_redirects || dev.conf.send_redirects
    }

    /// `IN_DEV_FORWARD`: the device's own `forwarding`.
    pub fn forwarding(&self, dev: &Netdev) -> bool {
        dev.conf.forwarding
    }
}
