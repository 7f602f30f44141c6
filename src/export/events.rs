//! The raw trace as JSON Lines: one JSON object (RFC 8259) per line,
//! `\n`-terminated, UTF-8 (the JSON Lines convention, jsonlines.org).
//!
//! The first line describes the run (`"type":"run"`: preset, seed, epoch,
//! every parameter). Then, in time order (ties: events, packets, kernel
//! lines), one line per notable event (`"type":"event"`), sampled packet
//! (`"type":"packet"`: every field of the engine's record plus the fate's
//! `reason`, `dropped`, the kernel path and the trigger's sentence) and
//! kernel log line (`"type":"kernel"`). A packet's `client`, `pod` and
//! `answers` are `null` where they do not apply. `at_us` is simulated time in µs;
//! `time` is the same instant from 2021-09-14T14:00:00Z. Field names and
//! enum spellings are the engine's (serde), so they change with it.

use super::clock::{rfc3339, EPOCH_UNIX};
use super::pcap::kernel_path;
use crate::sim::params::Params;
use crate::sim::trace::{EventRecord, KernelLogLine, PacketRecord};
use crate::sim::Sim;
use serde::Serialize;

#[derive(Serialize)]
struct RunLine<'a> {
    #[serde(rename = "type")]
    ty: &'static str,
    preset: &'a str,
    seed: u64,
    epoch_unix: u64,
    epoch: &'static str,
    nodes: usize,
    pods: usize,
    sampled_packets: usize,
    params: &'a Params,
}

#[derive(Serialize)]
struct EventLine<'a> {
    #[serde(rename = "type")]
    ty: &'static str,
    at_us: u64,
    time: String,
    #[serde(flatten)]
    e: &'a EventRecord,
}

#[derive(Serialize)]
struct PacketLine<'a> {
    #[serde(rename = "type")]
    ty: &'static str,
    at_us: u64,
    time: String,
    #[serde(flatten)]
    p: &'a PacketRecord,
    label: &'static str,
    reason: &'static str,
    dropped: bool,
    kernel: &'static str,
    trigger_text: &'static str,
}

#[derive(Serialize)]
struct KernelLine<'a> {
    #[serde(rename = "type")]
    ty: &'static str,
    at_us: u64,
    time: String,
    #[serde(flatten)]
    k: &'a KernelLogLine,
}

/// Packet fields that hold `u32::MAX` where they do not apply (a packet
/// the node sent has no client; a SYN answers nothing): `null` in JSON.
const NONE_IS_NULL: [&str; 3] = ["client", "pod", "answers"];

/// The run, its notable events, sampled packets and kernel log as JSON Lines.
///
/// Spec: JSON Lines (one RFC 8259 JSON value per `\n`-terminated line, UTF-8).
pub fn jsonl(sim: &Sim, preset: &str) -> Vec<u8> {
    let t = &sim.trace;
    let mut out = Vec::with_capacity(256 * (t.packets.len() + t.events.len() + 1));
    let run = RunLine {
        ty: "run",
        preset,
        seed: sim.seed,
        epoch_unix: EPOCH_UNIX,
        epoch: "2021-09-14T14:00:00Z",
        nodes: sim.nodes.len(),
        pods: sim.pods.len(),
        sampled_packets: t.packets.len(),
        params: &sim.p,
    };
    line(&mut out, &run);
    // (time, source, index): a stable merge of the three time-ordered lists.
    let mut order: Vec<(u64, u8, usize)> =
        Vec::with_capacity(t.events.len() + t.packets.len() + t.kernel_log.len());
    order.extend(
        t.events
            .iter()
            .enumerate()
            .map(|(i, e)| (e.at.micros(), 0, i)),
    );
    order.extend(
        t.packets
            .iter()
            .enumerate()
            .map(|(i, p)| (p.sent.micros(), 1, i)),
    );
    order.extend(
        t.kernel_log
            .iter()
            .enumerate()
            .map(|(i, k)| (k.at.micros(), 2, i)),
    );
    order.sort_unstable();
    for (at_us, src, i) in order {
        let time = rfc3339(crate::sim::time::SimTime(at_us));
        match src {
            0 => line(
                &mut out,
                &EventLine {
                    ty: "event",
                    at_us,
                    time,
                    e: &t.events[i],
                },
            ),
            1 => {
                let p = &t.packets[i];
                let mut v = serde_json::to_value(PacketLine {
                    ty: "packet",
                    at_us,
                    time,
                    p,
                    label: p.kind.label(),
                    reason: p.fate.reason(),
                    dropped: p.fate.dropped(),
                    kernel: kernel_path(p.kind, p.fate),
                    trigger_text: p.trigger.text(),
                })
                .expect("plain data serializes");
                // The engine's "none" (u32::MAX) is JSON's null here.
                for key in NONE_IS_NULL {
                    if v[key] == u32::MAX {
                        v[key] = serde_json::Value::Null;
                    }
                }
                line(&mut out, &v)
            }
            _ => line(
                &mut out,
                &KernelLine {
                    ty: "kernel",
                    at_us,
                    time,
                    k: &t.kernel_log[i],
                },
            ),
        }
    }
    out
}

fn line<T: Serialize>(out: &mut Vec<u8>, v: &T) {
    serde_json::to_writer(&mut *out, v).expect("plain data serializes");
    out.push(b'\n');
}
