//! Exports: the engine's trace and metrics in formats other tools read.
//!
//! Every function here is pure: it takes a finished (or paused) [`Sim`] and
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

use crate::sim::Sim;

/// One export format: its `--format` name, what it holds, its file name
/// (`{}` stands for preset, seed and time) and MIME type.
pub struct Format {
    /// Name on the command line.
    pub name: &'static str,
    /// What the file holds.
    pub holds: &'static str,
    /// File name pattern.
    pub file: &'static str,
    /// MIME type of the download.
    pub mime: &'static str,
}

/// Every export, in the order the page offers them.
pub const FORMATS: [Format; 5] = [
    Format {
        name: "csv",
        holds: "every per-second series",
        file: "incident-{}.csv",
        mime: "text/csv",
    },
    Format {
        name: "pcapng",
        holds: "the sampled packets, one interface per ENI, a comment per packet with its fate",
        file: "incident-{}.pcapng",
        mime: "application/vnd.tcpdump.pcap",
    },
    Format {
        name: "flowlog",
        holds: "AWS VPC flow log records (1-minute aggregation)",
        file: "incident-{}-flowlogs.txt",
        mime: "text/plain",
    },
    Format {
        name: "klog",
        holds: "the nodes' kernel log (martian source lines)",
        file: "incident-{}-kern.log",
        mime: "text/plain",
    },
    Format {
        name: "jsonl",
        holds: "notable events, sampled packets and kernel lines as JSON Lines",
        file: "incident-{}.jsonl",
        mime: "application/x-ndjson",
    },
];

/// The bytes of export `format` of `sim` so far; `None` for an unknown
/// format. The page's downloads and `incident-sim export` both call this,
/// so the same run and moment give the same bytes in both.
pub fn render(sim: &Sim, format: &str, preset: &str) -> Option<Vec<u8>> {
    Some(match format {
        "csv" => csv::all(&sim.metrics).into_bytes(),
        "pcapng" => pcap::pcapng(sim, preset),
        "flowlog" => flowlog::text(sim, Default::default()).into_bytes(),
        "klog" => klog::syslog(sim).into_bytes(),
        "jsonl" => events::jsonl(sim, preset),
        _ => return None,
    })
}

#[cfg(test)]
mod fixture;
#[cfg(test)]
mod tests;
