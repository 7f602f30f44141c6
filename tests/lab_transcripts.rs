//! Every `tests/lab/NAME.lab` script, run through the lab as `--kernel 5.10`,
//! must print exactly `tests/lab/NAME.5.10.out`.
//!
//! Transcript format: blank and comment-only script lines are copied; each
//! command is echoed as `$ COMMAND`, followed by what it printed in the order
//! printed: stdout lines verbatim (iproute2's route lines end in a space),
//! stderr lines prefixed with `! `.
//!
//! How the expected 5.10 text was written. `BLESS=1 cargo test --test
//! lab_transcripts` regenerates the files from the lab; every line of every
//! file was then reviewed by hand, in two halves:
//! - Every line that 5.10 shares with a 6.x kernel is the text the real
//!   Linux 6.18 kernel on the test machine prints for the same command in the
//!   same state (`tests/lab_netns.rs` compares every command of every script
//!   against it; iproute2 is 6.1 for both, the lab models that userland).
//! - Every line where 5.10 differs was checked against the Debian 5.10.262
//!   source:
//!   - `RTNETLINK answers: Invalid cross-device link` wherever 6.18 says
//!     `Invalid argument` for a reverse-path failure: `__fib_validate_source`
//!     returns -EXDEV from `e_rpf` (net/ipv4/fib_frontend.c:415-416), reached
//!     from `last_resort` (407-411, including the `no_addr` jump at 394-395)
//!     or the strict test (396-397); `__mkroute_input` returns it unchanged
//!     (net/ipv4/route.c:1862-1868), the RTN_LOCAL and `brd_input` branches
//!     jump to `martian_source` keeping it (2254-2258, 2276-2281, 2366-2368),
//!     and `inet_rtm_getroute` hands it to userspace as is (3246-3252); 6.13+
//!     maps every drop reason to -EINVAL instead.
//!   - `broadcast <network address>` routes in `ip route show table local`
//!     (and `broadcast 10.0.0.0 …` / `cache <local,brd>` answers for the
//!     network address): `fib_add_ifaddr` adds them for prefixes shorter than
//!     /31 (fib_frontend.c:1148-1153), `fib_del_ifaddr` removes them with the
//!     BRD0 bookkeeping (1197, 1289-1316); removed in 5.14.
//!   - `<redirect>` for a packet sent back out of its ingress device when the
//!     source's route is a gateway route on that device: 5.10 returns 1 for
//!     any nexthop scope >= RT_SCOPE_LINK (fib_frontend.c:390-392, 401-403),
//!     6.12+ only for RT_SCOPE_HOST, i.e. directly connected sources.
//!   - `RTNETLINK answers: File exists` / `Cannot assign requested address`
//!     for duplicate / missing addresses: 5.10's devinet.c has no extack text
//!     (`ipv4: Address already assigned` / `ipv4: Address not found` came
//!     with 6.3).

use incident_sim::lab::{Lab, Stream};
use incident_sim::sim::linux::KernelVersion;
use std::path::{Path, PathBuf};

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

/// The transcript of one script on one kernel version.
pub fn transcript(script: &str, version: KernelVersion) -> String {
    let mut lab = Lab::new(version, false);
    let mut t = String::new();
    for raw in script.lines() {
        let line = raw.trim();
        let code = line.split('#').next().unwrap_or("").trim();
        if code.is_empty() {
            t.push_str(line);
            t.push('\n');
            continue;
        }
        t.push_str(&format!("$ {line}\n"));
        for l in lab.run_line(raw).lines {
            match l.stream {
                Stream::Out | Stream::Explain => t.push_str(&format!("{}\n", l.text)),
                Stream::Err => t.push_str(&format!("! {}\n", l.text)),
            }
        }
    }
    t
}

fn first_difference(want: &str, got: &str) -> String {
    let (w, g): (Vec<&str>, Vec<&str>) = (want.lines().collect(), got.lines().collect());
    let n = w.iter().zip(&g).take_while(|(a, b)| a == b).count();
    let from = n.saturating_sub(3);
    let show = |v: &[&str]| {
        v.iter()
            .enumerate()
            .skip(from)
            .take(n - from + 4)
            .map(|(i, l)| format!("  {:>4} {l:?}", i + 1))
            .collect::<Vec<_>>()
            .join("\n")
    };
    format!(
        "first difference at line {}\nexpected:\n{}\nlab:\n{}",
        n + 1,
        show(&w),
        show(&g)
    )
}

#[test]
fn every_script_prints_its_checked_in_5_10_transcript() {
    let bless = std::env::var_os("BLESS").is_some_and(|v| v == "1");
    let paths = scripts();
    assert!(!paths.is_empty(), "no tests/lab/*.lab scripts");
    let mut failures = Vec::new();
    for p in &paths {
        let script = std::fs::read_to_string(p).unwrap();
        let got = transcript(&script, KernelVersion::V5_10);
        let out = p.with_extension("5.10.out");
        if bless {
            std::fs::write(&out, &got).unwrap();
            continue;
        }
        match std::fs::read_to_string(&out) {
            Ok(want) if want == got => {}
            Ok(want) => failures.push(format!(
                "{}: {}",
                out.display(),
                first_difference(&want, &got)
            )),
            Err(e) => failures.push(format!(
                "{}: {e} (run with BLESS=1 to create it, then review it)",
                out.display()
            )),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// The incident's own two commands, spelled out here so that a reader sees
/// the one fact this project is about without opening a fixture.
#[test]
fn the_incident_fails_with_exdev_on_5_10_until_ens6_has_an_address() {
    let script = "ip addr add 10.0.0.10/20 dev ens5\n\
                  ip route add default via 10.0.0.1 dev ens5\n\
                  sysctl -w net.ipv4.conf.ens6.rp_filter=2\n\
                  ip route get 10.0.64.7 from 10.0.130.5 iif ens6\n\
                  ip addr add 192.168.1.1/32 dev ens6\n\
                  ip route get 10.0.64.7 from 10.0.130.5 iif ens6\n";
    let t = transcript(script, KernelVersion::V5_10);
    assert!(t.contains(
        "$ ip route get 10.0.64.7 from 10.0.130.5 iif ens6\n! RTNETLINK answers: Invalid cross-device link\n"
    ));
    assert!(t.ends_with(
        "$ ip route get 10.0.64.7 from 10.0.130.5 iif ens6\n10.0.64.7 from 10.0.130.5 via 10.0.0.1 dev ens5 \n    cache iif ens6 \n"
    ));
    // 6.13+ reports the same drop as EINVAL.
    let t = transcript(script, KernelVersion::V6_18);
    assert!(t.contains("! RTNETLINK answers: Invalid argument\n"));
}
