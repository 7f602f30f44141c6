//! Differential test: every `tests/lab/*.lab` script is run both through the
//! lab (for the kernel version of the machine running the tests) and, one
//! command at a time, through the real `ip`/`sysctl` inside a fresh network
//! namespace; stdout and stderr of every command must be identical.
//!
//! The namespace is built like [`NetNs::lab_node`]: `lo` up (the kernel gives
//! it 127.0.0.1/8), `ens5` and `ens6` created as `ifb` devices (always
//! carrier-up, no IPv4 address) and set up, `conf.{all,default}.rp_filter`,
//! `accept_local` and `log_martians` 0 and `net.ipv4.ip_forward=1`.
//! `type dummy` is run as `type ifb` (the dummy module is not available on the
//! test machines). Commands the lab answers with `lab: unsupported:` are not
//! run in the namespace (so the two states cannot drift apart) and are counted
//! as skipped.
//!
//! Where this cannot run (not root, no `ip netns`, no `ifb`), the test prints
//! `skipping real-kernel comparison: <reason>` and passes.

use incident_sim::lab::{Lab, Stream};
use incident_sim::sim::linux::{KernelVersion, NetNs};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Deletes the namespace when dropped, also when the test panics.
struct NsGuard(String);

impl Drop for NsGuard {
    fn drop(&mut self) {
        let _ = Command::new("ip").args(["netns", "del", &self.0]).output();
    }
}

fn run(args: &[&str]) -> std::io::Result<Output> {
    Command::new(args[0]).args(&args[1..]).output()
}

fn in_ns(ns: &str, args: &[&str]) -> std::io::Result<Output> {
    let mut v = vec!["ip", "netns", "exec", ns];
    v.extend_from_slice(args);
    run(&v)
}

fn must(ns: &str, args: &[&str]) -> Result<(), String> {
    let o = in_ns(ns, args).map_err(|e| format!("{}: {e}", args.join(" ")))?;
    if o.status.success() {
        Ok(())
    } else {
        Err(format!(
            "`{}` failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&o.stderr).trim()
        ))
    }
}

fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .map(|l| l.split_whitespace().nth(2) == Some("0"))
        })
        .unwrap_or(false)
}

fn ns_name(tag: &str) -> String {
    format!("labt-{}-{tag}", std::process::id())
}

/// Creates a namespace holding the lab's starting node.
fn build_node(name: &str) -> Result<NsGuard, String> {
    let o = run(&["ip", "netns", "add", name]).map_err(|e| format!("cannot run ip: {e}"))?;
    if !o.status.success() {
        return Err(format!(
            "`ip netns add` failed: {}",
            String::from_utf8_lossy(&o.stderr).trim()
        ));
    }
    let guard = NsGuard(name.to_string());
    must(name, &["ip", "link", "set", "lo", "up"])?;
    // The lab models IPv4 only: no IPv6 addresses or routes in listings
    // (set before the devices exist, so that they copy it from `default`).
    for scope in ["all", "default", "lo"] {
        must(
            name,
            &[
                "sysctl",
                "-qw",
                &format!("net.ipv6.conf.{scope}.disable_ipv6=1"),
            ],
        )?;
    }
    // Defaults first, so that ens5/ens6 copy them from `default`.
    for scope in ["all", "default"] {
        for key in ["rp_filter", "accept_local", "log_martians"] {
            must(
                name,
                &["sysctl", "-qw", &format!("net.ipv4.conf.{scope}.{key}=0")],
            )?;
        }
    }
    for dev in ["ens5", "ens6"] {
        must(name, &["ip", "link", "add", dev, "type", "ifb"])
            .map_err(|e| format!("cannot create an ifb device ({e})"))?;
        must(name, &["ip", "link", "set", dev, "up"])?;
    }
    must(name, &["sysctl", "-qw", "net.ipv4.ip_forward=1"])?;
    Ok(guard)
}

fn scripts() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/lab");
    let mut v: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("tests/lab exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "lab"))
        .collect();
    v.sort();
    v
}

/// What one script produced.
#[derive(Default)]
struct Report {
    compared: usize,
    skipped: Vec<String>,
    mismatches: Vec<String>,
}

fn compare_script(path: &Path, version: KernelVersion, tag: &str) -> Result<Report, String> {
    let name = ns_name(tag);
    let _guard = build_node(&name)?;
    let script = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    let file = path.file_name().unwrap().to_string_lossy().to_string();
    let mut lab = Lab::new(version, false);
    let mut rep = Report::default();
    for (n, raw) in script.lines().enumerate() {
        let code = raw.split('#').next().unwrap_or("").trim();
        if code.is_empty() {
            continue;
        }
        let out = lab.run_line(raw);
        let (lab_out, lab_err) = (out.text(Stream::Out), out.text(Stream::Err));
        if lab_err.starts_with("lab: unsupported:") {
            rep.skipped.push(format!("{file}:{}: {code}", n + 1));
            continue;
        }
        let mut words: Vec<&str> = code.split_whitespace().collect();
        for i in 1..words.len() {
            if words[i - 1] == "type" && words[i] == "dummy" {
                words[i] = "ifb";
            }
        }
        let real = in_ns(&name, &words).map_err(|e| format!("{code}: {e}"))?;
        let (real_out, real_err) = (
            String::from_utf8_lossy(&real.stdout).to_string(),
            String::from_utf8_lossy(&real.stderr).to_string(),
        );
        rep.compared += 1;
        // ifb devices get random MAC addresses (they refuse a set one); the
        // lab derives its own from the index: both are masked.
        let (real_out, lab_out) = (mask_macs(&real_out), mask_macs(&lab_out));
        if real_out != lab_out || real_err != lab_err {
            rep.mismatches.push(format!(
                "{file}:{}: $ {code}\n  real stdout: {real_out:?}\n  lab  stdout: {lab_out:?}\n  real stderr: {real_err:?}\n  lab  stderr: {lab_err:?}",
                n + 1
            ));
        }
    }
    Ok(rep)
}

/// Replaces every MAC address but the all-zero and broadcast ones by
/// `<mac>`.
fn mask_macs(s: &str) -> String {
    s.split_inclusive([' ', '\n'])
        .map(|w| {
            let t = w.trim_end();
            let is_mac = t.len() == 17
                && t.split(':').count() == 6
                && t.split(':')
                    .all(|b| b.len() == 2 && b.chars().all(|c| c.is_ascii_hexdigit()));
            if is_mac && t != "00:00:00:00:00:00" && t != "ff:ff:ff:ff:ff:ff" {
                format!("<mac>{}", &w[t.len()..])
            } else {
                w.to_string()
            }
        })
        .collect()
}

fn skip(reason: &str) {
    println!("skipping real-kernel comparison: {reason}");
    eprintln!("skipping real-kernel comparison: {reason}");
}

#[test]
fn lab_matches_the_real_kernel_in_a_network_namespace() {
    if !is_root() {
        return skip("not running as root");
    }
    let release = match std::fs::read_to_string("/proc/sys/kernel/osrelease") {
        Ok(r) => r.trim().to_string(),
        Err(e) => return skip(&format!("cannot read the kernel release: {e}")),
    };
    let version: KernelVersion = match release.parse() {
        Ok(v) => v,
        Err(e) => return skip(&e),
    };
    // Probe: can we make a namespace with the starting node at all?
    match build_node(&ns_name("probe")) {
        Ok(g) => drop(g),
        Err(e) => return skip(&e),
    }
    // The lab's node must be what we build here.
    let _ = NetNs::lab_node(version);

    let paths = scripts();
    assert!(!paths.is_empty(), "no tests/lab/*.lab scripts");
    let results: Vec<(PathBuf, Result<Report, String>)> = std::thread::scope(|s| {
        let handles: Vec<_> = paths
            .iter()
            .enumerate()
            .map(|(i, p)| s.spawn(move || (p.clone(), compare_script(p, version, &i.to_string()))))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let (mut compared, mut skipped, mut bad) = (0, Vec::new(), Vec::new());
    for (p, r) in results {
        match r {
            Ok(r) => {
                compared += r.compared;
                skipped.extend(r.skipped);
                bad.extend(r.mismatches);
            }
            Err(e) => bad.push(format!("{}: setup failed: {e}", p.display())),
        }
    }
    println!(
        "real kernel {release} (lab --kernel {version}): {compared} commands compared, {} mismatching, {} not modelled by the lab and skipped",
        bad.len(),
        skipped.len()
    );
    for s in &skipped {
        println!("  skipped {s}");
    }
    assert!(
        bad.is_empty(),
        "{} of {compared} commands differ between the lab and Linux {release}:\n{}",
        bad.len(),
        bad.join("\n")
    );
}
