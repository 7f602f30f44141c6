//! The Linux node's IPv4 ingress path, modelled on the kernel's own control flow.
//!
//! | module | models |
//! |---|---|
//! | [`addr`] | prefixes as the FIB keys them |
//! | [`netdev`] | devices, addresses, `net.ipv4.conf.*` and their effective values |
//! | [`fib`] | routing tables (longest-prefix match, route types) and `ip rule`s |
//! | [`ns`] | a network namespace: the rtnetlink-like configuration calls |
//! | [`input`] | `ip_route_input_slow()`: the decision for each received packet |
//! | [`validate`] | `fib_validate_source()` / `__fib_validate_source()`: rp_filter |
//! | [`icmp`] | `ip_error()` and `icmp_send()` rate limits |
//! | [`explain`] | the step-through records the UI walks |
//! | [`version`] | what differs between 5.10 and current kernels |
//! | [`errno`] | errno values and the text iproute2 prints for them |
//!
//! The engine's node and the `incident-sim lab` command both use this one
//! implementation; nothing else in the crate decides a packet's route.

pub mod addr;
pub mod errno;
pub mod explain;
pub mod fib;
pub mod icmp;
pub mod input;
pub mod netdev;
pub mod ns;
pub mod validate;
pub mod version;

pub use addr::Prefix;
pub use errno::{Errno, NetlinkError};
pub use input::{route_input, InputDecision, InputPacket, InputVerdict};
pub use netdev::{DevKind, IfIndex};
pub use ns::NetNs;
pub use version::KernelVersion;
