//! Exports: the engine's trace and metrics in formats other tools read.
//!
//! Every function here is pure: it takes a finished (or paused)
//! [`Sim`](crate::sim::Sim) and
//! returns bytes or text, with no file system, clock or randomness, so the
//! same code serves the CLI and the browser (which offers the result as a
//! download). Each format's module cites the specification it follows.
//!
//! | module | gives | spec |
//! |---|---|---|
//! | [`pcap`] | the sampled packets as a pcapng capture, one interface per ENI, a comment per packet saying why it died | pcapng (IETF draft-ietf-opsawg-pcapng) |
//! | [`csv`] | per-second series as CSV | RFC 4180 |
//! | [`flowlog`] | AWS VPC Flow Logs (v3 custom format with `tcp-flags`), 1-minute aggregation | AWS VPC user guide, "Flow log records" |
//! | [`klog`] | the nodes' kernel log as syslog lines, with the `ll header:` dump | RFC 3164 §4.1.2 timestamp; Linux `ip_handle_martian_source` |
//! | [`events`] | notable events, sampled packets and kernel lines as JSON Lines | JSON Lines, RFC 8259 |
//!
//! What the simulation does not model (MAC addresses, ENI and instance ids,
//! the ENIs' own primary addresses, TCP sequence numbers) is made up in
//! [`ident`] and [`wire`], stable for a given seed, and said to be made up in
//! each file's header. Simulated time 0 is [`clock::EPOCH_UNIX`].

pub mod clock;
pub mod csv;
pub mod events;
pub mod flowlog;
pub mod ident;
pub mod klog;
pub mod pcap;
pub mod wire;

#[cfg(test)]
mod fixture;
#[cfg(test)]
mod tests;
