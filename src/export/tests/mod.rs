//! Export tests on short real runs ([`super::fixture`]). The pcapng output
//! is read back twice: by a small reader written here from the spec (block
//! framing, options) and by `pcap-file`'s reader; header checksums are
//! recomputed here (RFC 1071), not taken from the crate that wrote them.
//! The capture's tests are in `pcapng.rs`, the text exports' in `text.rs`.

mod pcapng;
mod text;

use super::clock::{unix_micros, unix_secs, EPOCH_UNIX};
use super::fixture::{incident, unreachable_route};
use super::ident::{hostname, Iface};
use super::wire::{client_isn, frame, ETH_LEN};
use super::{csv, events, flowlog, klog, pcap};
use crate::sim::metrics::Global;
use crate::sim::trace::{Fate, PacketKind, PacketRecord};
use std::collections::{BTreeMap, BTreeSet};

// ---------- a minimal pcapng reader (draft-ietf-opsawg-pcapng §3, §4) ----------

const SHB: u32 = 0x0A0D_0D0A;
const IDB: u32 = 1;
const EPB: u32 = 6;

fn u16le(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}
fn u32le(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().unwrap())
}
fn be16(b: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([b[at], b[at + 1]])
}

/// (type, body) of every block; checks the framing on the way.
fn blocks(file: &[u8]) -> Vec<(u32, &[u8])> {
    let mut out = Vec::new();
    let mut at = 0;
    while at < file.len() {
        let ty = u32le(file, at);
        let len = u32le(file, at + 4) as usize;
        assert!(len >= 12 && len % 4 == 0, "block at {at}: length {len}");
        assert_eq!(
            u32le(file, at + len - 4) as usize,
            len,
            "trailing length at {at}"
        );
        if out.is_empty() {
            assert_eq!(ty, SHB, "the file starts with a Section Header Block");
            assert_eq!(
                u32le(file, at + 8),
                0x1A2B_3C4D,
                "little-endian byte-order magic"
            );
            assert_eq!(
                (u16le(file, at + 12), u16le(file, at + 14)),
                (1, 0),
                "version 1.0"
            );
        }
        out.push((ty, &file[at + 8..at + len - 4]));
        at += len;
    }
    assert_eq!(at, file.len());
    out
}

/// Options (code, value) until opt_endofopt.
fn options(mut b: &[u8]) -> Vec<(u16, &[u8])> {
    let mut out = Vec::new();
    while b.len() >= 4 {
        let (code, len) = (u16le(b, 0), u16le(b, 2) as usize);
        if code == 0 {
            assert_eq!(len, 0);
            return out;
        }
        out.push((code, &b[4..4 + len]));
        b = &b[4 + len.div_ceil(4) * 4..];
    }
    panic!("options without opt_endofopt");
}

struct Epb<'a> {
    iface: u32,
    ts: u64,
    data: &'a [u8],
    comment: String,
    flags: u32,
}

impl Epb<'_> {
    fn id(&self) -> u32 {
        let rest = self
            .comment
            .strip_prefix('#')
            .expect("comment starts with #id");
        rest.split(' ').next().unwrap().parse().unwrap()
    }
}

/// An interface: name, link type, options.
type Idb<'a> = (String, u16, Vec<(u16, &'a [u8])>);

struct Capture<'a> {
    ifaces: Vec<Idb<'a>>,
    packets: Vec<Epb<'a>>,
}

fn read(file: &[u8]) -> Capture<'_> {
    let mut c = Capture {
        ifaces: Vec::new(),
        packets: Vec::new(),
    };
    for (ty, body) in blocks(file) {
        match ty {
            SHB => {}
            IDB => {
                let opts = options(&body[8..]);
                let name = opts
                    .iter()
                    .find(|o| o.0 == 2)
                    .map(|o| o.1)
                    .expect("if_name");
                c.ifaces.push((
                    String::from_utf8(name.to_vec()).unwrap(),
                    u16le(body, 0),
                    opts,
                ));
            }
            EPB => {
                let cap = u32le(body, 12) as usize;
                assert_eq!(u32le(body, 16) as usize, cap, "nothing truncated");
                let data = &body[20..20 + cap];
                let opts = options(&body[20 + cap.div_ceil(4) * 4..]);
                let comment = opts.iter().find(|o| o.0 == 1).expect("opt_comment").1;
                let flags = opts.iter().find(|o| o.0 == 2).expect("epb_flags").1;
                c.packets.push(Epb {
                    iface: u32le(body, 0),
                    ts: (u64::from(u32le(body, 4)) << 32) | u64::from(u32le(body, 8)),
                    data,
                    comment: String::from_utf8(comment.to_vec()).unwrap(),
                    flags: u32le(flags, 0),
                });
            }
            other => panic!("unexpected block type {other:#x}"),
        }
    }
    c
}

// ---------- RFC 1071 checksums, recomputed ----------

fn sum16(data: &[u8], mut acc: u32) -> u32 {
    for ch in data.chunks(2) {
        acc += u32::from(u16::from_be_bytes([ch[0], *ch.get(1).unwrap_or(&0)]));
    }
    acc
}
fn folds_to_ffff(mut acc: u32) -> bool {
    while acc > 0xffff {
        acc = (acc & 0xffff) + (acc >> 16);
    }
    acc == 0xffff
}

/// Checks an Ethernet/IPv4 frame's lengths and checksums; returns the
/// IP protocol and the L4 bytes.
fn check_frame(f: &[u8]) -> (u8, &[u8]) {
    assert_eq!(be16(f, 12), 0x0800, "EtherType IPv4");
    let ip = &f[ETH_LEN..];
    assert_eq!(ip[0] >> 4, 4);
    let ihl = usize::from(ip[0] & 0x0f) * 4;
    assert_eq!(usize::from(be16(ip, 2)), ip.len(), "IPv4 total length");
    assert!(folds_to_ffff(sum16(&ip[..ihl], 0)), "IPv4 header checksum");
    let l4 = &ip[ihl..];
    let proto = ip[9];
    match proto {
        6 | 17 => {
            let mut pseudo = Vec::from(&ip[12..20]);
            pseudo.extend_from_slice(&[0, proto]);
            pseudo.extend_from_slice(&(l4.len() as u16).to_be_bytes());
            if proto == 17 {
                assert_ne!(be16(l4, 6), 0, "UDP checksum present");
            }
            assert!(
                folds_to_ffff(sum16(l4, sum16(&pseudo, 0))),
                "TCP/UDP checksum"
            );
        }
        1 => assert!(folds_to_ffff(sum16(l4, 0)), "ICMP checksum"),
        p => panic!("protocol {p}"),
    }
    (proto, l4)
}

fn by_id(c: &Capture<'_>) -> BTreeMap<u32, usize> {
    c.packets
        .iter()
        .enumerate()
        .map(|(i, e)| (e.id(), i))
        .collect()
}

// ---------- pcap ----------
