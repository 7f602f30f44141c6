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
//! Where this cannot run (not root, no `ip` from iproute2, no network
//! namespaces or `ifb` devices), Rust's harness has no way to mark a test
//! skipped at run time, so the test writes `SKIPPED: <test>: <reason>`
//! straight to stderr (shown even when the harness captures output) and
//! returns. With `LAB_NETNS_REQUIRED=1` in the environment a skip is a
//! failure instead, for machines where the comparison must run.
//! `the_environment_check_is_right_about_this_machine` checks the reason
//! given against the machine, so a broken check cannot hide the comparison.

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

/// Set to make a skip a failure.
const REQUIRED: &str = "LAB_NETNS_REQUIRED";

/// The real kernel to compare with (its release and the lab's version for
/// it), or why the comparison cannot run on this machine. `probe` names the
/// namespace built (and removed) to find out.
fn environment(probe: &str) -> Result<(String, KernelVersion), String> {
    if !is_root() {
        return Err("not running as root (needs root and iproute2's `ip`)".into());
    }
    match run(&["ip", "-V"]) {
        Ok(o) if o.status.success() => {}
        Ok(o) => {
            return Err(format!(
                "`ip -V` failed: {}",
                String::from_utf8_lossy(&o.stderr).trim()
            ))
        }
        Err(e) => return Err(format!("no `ip` command (iproute2): {e}")),
    }
    let release = std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map_err(|e| format!("cannot read the kernel release: {e}"))?
        .trim()
        .to_string();
    let version: KernelVersion = release.parse()?;
    // Probe: can we make a namespace with the starting node at all?
    build_node(probe).map(drop)?;
    Ok((release, version))
}

/// Reports a skip where it cannot be missed, or fails if skips are not
/// allowed here.
fn skip(test: &str, reason: &str) {
    use std::io::Write;
    if std::env::var_os(REQUIRED).is_some_and(|v| v != "0" && !v.is_empty()) {
        panic!("{test} cannot run ({reason}) and {REQUIRED} is set");
    }
    // Written to the process's stderr, not through `eprintln!`, which the
    // harness captures for passing tests.
    let _ = writeln!(std::io::stderr(), "SKIPPED: {test}: {reason}");
}

#[test]
fn lab_matches_the_real_kernel_in_a_network_namespace() {
    let (release, version) = match environment(&ns_name("probe")) {
        Ok(v) => v,
        Err(reason) => {
            return skip(
                "lab_matches_the_real_kernel_in_a_network_namespace",
                &reason,
            )
        }
    };
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

/// Whether an executable `name` is on `PATH`.
fn on_path(name: &str) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::env::var_os("PATH").is_some_and(|path| {
        std::env::split_paths(&path).any(|d| {
            std::fs::metadata(d.join(name))
                .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
    })
}

/// The check that decides whether the comparison runs, against what the
/// machine says by other means: it runs exactly when this process is root
/// and `ip` is installed (unless namespaces themselves fail, which it must
/// then say), its probe namespace is gone afterwards, and with
/// `LAB_NETNS_REQUIRED` set it must run.
#[test]
fn the_environment_check_is_right_about_this_machine() {
    use std::os::unix::fs::MetadataExt;
    // /proc/self belongs to the process's effective user.
    let root = std::fs::metadata("/proc/self").expect("/proc/self").uid() == 0;
    assert_eq!(
        is_root(),
        root,
        "is_root() disagrees with /proc/self's owner"
    );
    let ip = on_path("ip");
    let probe = ns_name("probe-check");
    let env = environment(&probe);
    println!(
        "root: {root}, ip on PATH: {ip}, environment: {:?}",
        env.as_ref().map(|e| &e.0)
    );
    match (&env, root, ip) {
        (Err(reason), false, _) => assert!(reason.contains("root"), "{reason}"),
        (Err(reason), true, false) => assert!(reason.contains("`ip"), "{reason}"),
        (Err(reason), true, true) => {
            assert!(
                !reason.contains("root") && !reason.contains("no `ip`"),
                "root with ip on PATH, but skipped for: {reason}"
            );
        }
        (Ok(_), false, _) => panic!("ready to compare without being root"),
        (Ok(_), true, false) => panic!("ready to compare without `ip` on PATH"),
        (Ok((release, version)), true, true) => {
            let want = std::fs::read_to_string("/proc/sys/kernel/osrelease").expect("osrelease");
            assert_eq!(release, want.trim());
            assert_eq!(Ok(*version), release.parse::<KernelVersion>());
            let list = run(&["ip", "netns", "list"]).expect("ip netns list");
            assert!(
                !String::from_utf8_lossy(&list.stdout).contains(&probe),
                "the probe namespace {probe} was left behind"
            );
        }
    }
    if std::env::var_os(REQUIRED).is_some_and(|v| v != "0" && !v.is_empty()) {
        assert!(env.is_ok(), "{REQUIRED} is set: {env:?}");
    }
}
