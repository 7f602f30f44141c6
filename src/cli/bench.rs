//! `incident-sim bench`: wall time, events per second and peak memory of a
//! preset's full run (native).

use super::drive::{admit, drive};
use super::run::{parse_scenario, value, Parsed};
use super::{write_out, EXIT_USAGE};
use crate::sim::Sim;
use std::ffi::OsString;
use std::time::Instant;

/// Peak resident memory of this process (Linux `VmHWM`), in KiB.
fn peak_rss_kib() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    s.lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
}

/// The machine the figures were measured on, printed beside them because
/// the same build's time depends on the processor and above all its caches
/// (docs/performance.md): the CPU's name, family and model, how many
/// CPUs this process may use, and the sizes of CPU 0's L2 and L3 caches, from Linux's
/// `/proc/cpuinfo` and `/sys/devices/system/cpu`. "unknown" elsewhere.
fn host() -> String {
    let Ok(info) = std::fs::read_to_string("/proc/cpuinfo") else {
        return "unknown".into();
    };
    let field = |key: &str| {
        info.lines()
            .filter_map(|l| l.split_once(':'))
            .find(|(k, _)| k.trim() == key)
            .map(|(_, v)| v.trim().to_string())
    };
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut out = field("model name").unwrap_or_else(|| "unknown CPU".into());
    if let (Some(family), Some(model)) = (field("cpu family"), field("model")) {
        out += &format!(" (family {family}, model {model})");
    }
    out += &format!(", {cpus} CPU{}", if cpus == 1 { "" } else { "s" });
    for level in ["2", "3"] {
        if let Some(size) = cache_size(level) {
            out += &format!(", L{level} {size}");
        }
    }
    out
}

/// The size of CPU 0's unified cache at `level` ("1 MiB", "32 MiB", "512 KiB").
fn cache_size(level: &str) -> Option<String> {
    let dir = std::fs::read_dir("/sys/devices/system/cpu/cpu0/cache").ok()?;
    dir.flatten().find_map(|e| {
        let read = |f: &str| std::fs::read_to_string(e.path().join(f)).ok();
        if read("level")?.trim() != level || read("type")?.trim() != "Unified" {
            return None;
        }
        let kib: u64 = read("size")?.trim().strip_suffix('K')?.parse().ok()?;
        Some(if kib % 1024 == 0 {
            format!("{} MiB", kib / 1024)
        } else {
            format!("{kib} KiB")
        })
    })
}

/// Which kind of build is timing itself, printed beside its figures because
/// they are only comparable within one kind: `scripts/native-pgo.sh` sets
/// `INCIDENT_SIM_BUILD` when it compiles (`profile-guided`, or
/// `pgo-instrumented` for its training build); otherwise `release`, or `dev`
/// for a build with debug assertions (the dev and test profiles).
fn build_kind() -> &'static str {
    match option_env!("INCIDENT_SIM_BUILD") {
        Some(kind) => kind,
        None if cfg!(debug_assertions) => "dev",
        None => "release",
    }
}

pub(super) fn run(args: Vec<OsString>) -> i32 {
    let mut runs: u32 = 3;
    let mut json = false;
    let Parsed { sc, allow_long } = match parse_scenario("bench", args, |p, a| match a {
        "runs" => {
            let v = value("bench", p)?;
            runs = match v.parse::<u32>() {
                Ok(n) if (1..=100).contains(&n) => n,
                _ => {
                    let v_q = crate::scenario::quoted(&v);
                    eprintln!(
                        "incident-sim bench: --runs: {v_q} is out of range (allowed 1..=100)"
                    );
                    return Err(EXIT_USAGE);
                }
            };
            Ok(true)
        }
        "json" => {
            json = true;
            Ok(true)
        }
        _ => Ok(false),
    }) {
        Ok(s) => s,
        Err(c) => return c,
    };
    let params = sc.params().expect("validated");
    let budget = match admit("bench", &params, allow_long) {
        Ok(b) => b,
        Err(c) => return c,
    };
    let mut walls = Vec::new();
    let mut events = 0;
    let mut digests = Vec::new();
    for _ in 0..runs {
        let t0 = Instant::now();
        let mut sim = Sim::new(&params, sc.seed);
        if let Err(c) = drive("bench", &mut sim, None, &budget, false) {
            return c;
        }
        walls.push(t0.elapsed().as_secs_f64());
        events = sim.events();
        digests.push(sim.digest());
    }
    // Every run of the same scenario and seed must take the same course.
    let digest = digests[0];
    if digests.iter().any(|d| *d != digest) {
        eprintln!("incident-sim bench: runs disagree (trace digests {digests:x?})");
        return 1;
    }
    walls.sort_by(|a, b| a.total_cmp(b));
    let median = walls[walls.len() / 2];
    let rss = peak_rss_kib().unwrap_or(0);
    let mut text = String::new();
    if json {
        // Rounded as the text output prints them.
        let round = |x: f64, places: i32| {
            let k = 10f64.powi(places);
            (x * k).round() / k
        };
        let out = serde_json::json!({
            "preset": sc.preset,
            "build": build_kind(),
            "host": host(),
            "runs": runs,
            "events": events,
            "digest": format!("{digest:#018x}"),
            "sim_seconds": params.duration_s,
            "wall_s_median": round(median, 3),
            "wall_s_min": round(walls[0], 3),
            "events_per_s": (events as f64 / median).round() as u64,
            "peak_rss_mib": round(rss as f64 / 1024.0, 1),
        });
        text = format!("{out}\n");
    } else {
        text += &format!(
            "preset {} ({} simulated s, seed {})\n",
            sc.preset, params.duration_s, sc.seed
        );
        text += &format!("  build            {}\n", build_kind());
        text += &format!("  host             {}\n", host());
        text += &format!("  runs             {runs}\n");
        text += &format!("  events           {events}\n");
        text += &format!("  trace digest     {digest:#018x}\n");
        text += &format!(
            "  wall (median)    {median:.3} s   (min {:.3} s)\n",
            walls[0]
        );
        text += &format!("  events/s         {:.0}\n", events as f64 / median);
        text += &format!(
            "  peak memory      {:.1} MiB (VmHWM)\n",
            rss as f64 / 1024.0
        );
    }
    write_out("bench", text.as_bytes()).map_or_else(|c| c, |()| 0)
}
