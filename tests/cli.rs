//! The `incident-sim` binary as a user runs it: figures as JSON, exports
//! identical to the page's, the lab on stdin, and bad input answered with
//! one line naming what was wrong and exit code 2 (never a panic).

use incident_sim::export;
use incident_sim::scenario::Scenario;
use incident_sim::sim::time::SimTime;
use incident_sim::sim::Sim;
use std::io::Write;
use std::process::{Command, Output, Stdio};

fn cli(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_incident-sim"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn incident-sim");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("write stdin");
    child.wait_with_output().expect("wait")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn bad_input_gets_one_line_naming_the_problem_and_exit_code_2() {
    let cases: &[(&[&str], &str)] = &[
        (&["run", "--preset", "nope"], "unknown preset \"nope\""),
        (
            &["run", "--set", "base_delay_ms=-5"],
            "base_delay_ms: -5 is out of range (allowed 1..=600000 ms)",
        ),
        (&["run", "--set", "base_delay_ms=fast"], "base_delay_ms"),
        (&["run", "--set", "foo=1"], "unknown parameter \"foo\""),
        (&["run", "--set", "rp_filter_ens6"], "rp_filter_ens6"),
        (&["run", "--seed", "-1"], "seed"),
        (&["run", "--preset"], "--preset"),
        (&["series", "--metric", "nope"], "unknown series \"nope\""),
        (
            &["series", "--metric", "syn_sent", "--node", "99"],
            "--node",
        ),
        (&["export", "--format", "pdf"], "unknown format \"pdf\""),
        (
            &["export", "--format", "csv", "--until", "1e9"],
            "allowed 0..=900",
        ),
        (&["export"], "--format NAME is required"),
        (&["frobnicate"], "unknown command \"frobnicate\""),
        (&["presets", "extra"], "unexpected argument"),
        (&["sensitivity", "--duration", "60"], "180..=3600"),
        (&["calibrate", "--seed", "x"], "seed"),
        (&["lab", "--kernel", "2.4"], "2.4"),
        (
            &["sweep", "--metric", "martian_drops"],
            "--vary KEY=A..B:lin|log:N",
        ),
        (
            &[
                "sweep",
                "--vary",
                "max_delay_ms=0..100:log:3",
                "--metric",
                "martian_drops",
            ],
            "max_delay_ms: 0 is out of range (allowed 1..=600000 ms)",
        ),
        (&["sweep", "--seeds", "1..3"], "--metric NAME is required"),
        (
            &["sweep", "--seeds", "1..3", "--metric", "dns"],
            "unknown metric \"dns\"",
        ),
        (
            &[
                "sweep",
                "--seeds",
                "1..3",
                "--metric",
                "martian_drops",
                "--threads",
                "0",
            ],
            "--threads",
        ),
        (
            &[
                "sweep",
                "--seeds",
                "1..30",
                "--vary",
                "replicas=1..20",
                "--metric",
                "martian_drops",
            ],
            "600 cells",
        ),
        (
            &[
                "sweep",
                "--vary",
                "clients=2000,3000",
                "--vary",
                "max_delay_ms=1..10:lin:10",
                "--metric",
                "martian_drops",
                "--threads",
                "1",
            ],
            "a long sweep",
        ),
    ];
    for (args, needle) in cases {
        let out = cli(args, "");
        let err = text(&out.stderr);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: exit code; stderr {err:?}"
        );
        assert_eq!(
            err.trim_end().lines().count(),
            1,
            "{args:?}: one line, got {err:?}"
        );
        assert!(
            err.contains(needle),
            "{args:?}: {err:?} should name {needle:?}"
        );
        assert!(!err.contains("panicked"), "{args:?} panicked: {err}");
    }
}

#[test]
fn presets_lists_every_preset_of_the_catalog() {
    let out = cli(&["presets"], "");
    assert!(out.status.success());
    let names: Vec<String> = text(&out.stdout)
        .lines()
        .filter_map(|l| l.split_whitespace().next().map(str::to_string))
        .collect();
    assert_eq!(
        names,
        [
            "incident",
            "fix-default-backoff",
            "larger-instance",
            "pick-first",
            "cilium-unreachable-route",
            "ens6-address",
            "no-rollout"
        ]
    );
}

#[test]
fn run_json_has_every_figure_the_issue_names() {
    let out = cli(
        &[
            "run",
            "--preset",
            "no-rollout",
            "--set",
            "duration_s=60",
            "--json",
        ],
        "",
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
    for key in [
        "events",
        "sim_seconds",
        "peak_syn_per_s",
        "syn_to_one_old_ip_90s",
        "vpc_conntrack_peak",
        "vpc_conntrack_allowance",
        "conntrack_allowance_exceeded",
        "linux_conntrack_peak",
        "martian_drops",
        "icmp_unreachable_sent",
        "dns_qps_baseline",
        "dns_qps_peak",
        "nodelocaldns_rejects",
        "nodelocaldns_healthcheck_failures",
        "error_rate_peak",
        "p99_latency_ms_peak",
        "stale_ip_seconds_mean",
        "stale_ip_seconds_max",
    ] {
        assert!(v[key].is_number(), "{key} missing or not a number in {v}");
    }
    assert_eq!(v["sim_seconds"].as_f64(), Some(60.0));
    // No rollout: nothing is sent to a deleted pod, nothing is dropped.
    assert_eq!(v["martian_drops"].as_f64(), Some(0.0));
    assert_eq!(v["conntrack_allowance_exceeded"].as_f64(), Some(0.0));
    assert!(v["events"].as_f64().unwrap() > 0.0);
}

#[test]
fn bench_reports_the_runs_events_and_trace_digest() {
    let out = cli(
        &[
            "bench",
            "--preset",
            "incident",
            "--runs",
            "2",
            "--set",
            "duration_s=60",
            "--set",
            "rollout_start_s=10",
            "--json",
        ],
        "",
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
    let sc = Scenario {
        set: vec![
            ("duration_s".into(), "60".into()),
            ("rollout_start_s".into(), "10".into()),
        ],
        ..Scenario::preset("incident")
    };
    let mut sim = Sim::new(&sc.params().expect("valid"), sc.seed);
    sim.run_to_end();
    assert_eq!(v["events"].as_u64(), Some(sim.events()));
    assert_eq!(
        v["digest"].as_str(),
        Some(format!("{:#018x}", sim.digest()).as_str())
    );
    // The figures say which kind of build made them (this test's binary is
    // built with the test's own profile).
    let build = if cfg!(debug_assertions) {
        "dev"
    } else {
        "release"
    };
    assert_eq!(v["build"].as_str(), Some(build), "{v}");
    // And which machine: the same build's time depends on it.
    let host = v["host"].as_str().unwrap_or_default();
    assert!(!host.is_empty(), "{v}");
    if cfg!(target_os = "linux") {
        assert!(host.contains(" CPU"), "{v}");
    }
    for key in [
        "wall_s_median",
        "wall_s_min",
        "events_per_s",
        "peak_rss_mib",
    ] {
        assert!(v[key].as_f64().is_some_and(|x| x > 0.0), "{key} in {v}");
    }
}

#[test]
fn export_gives_the_same_bytes_as_the_page_at_the_same_moment() {
    let dir = std::env::temp_dir().join(format!("incident-sim-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("run.pcapng");
    let out = cli(
        &[
            "export",
            "--preset",
            "incident",
            "--format",
            "pcapng",
            "--until",
            "150",
            "--out",
            path.to_str().unwrap(),
        ],
        "",
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let file = std::fs::read(&path).unwrap();
    std::fs::remove_dir_all(&dir).ok();
    // pcapng starts with a Section Header Block.
    assert_eq!(&file[..4], &[0x0a, 0x0d, 0x0d, 0x0a]);
    // What the page's download holds after playing to 150 s.
    let sc = Scenario::default();
    let mut sim = Sim::new(&sc.params().unwrap(), sc.seed);
    sim.run_until(SimTime::from_secs(150));
    let page = export::render(&sim, "pcapng", "incident").unwrap();
    assert_eq!(file.len(), page.len());
    assert!(file == page, "the CLI's pcapng differs from the page's");

    // Text formats go to stdout.
    let out = cli(
        &[
            "export", "--preset", "incident", "--format", "klog", "--until", "150",
        ],
        "",
    );
    assert!(out.status.success());
    let log = text(&out.stdout);
    assert!(
        log.contains("IPv4: martian source"),
        "kernel log has martian lines: {}",
        &log[..log.len().min(300)]
    );
}

#[test]
fn the_lab_reproduces_the_posts_commands_on_stdin() {
    let script = "\
ip addr add 10.0.1.10/24 dev ens5
ip route add default via 10.0.1.1 dev ens5
sysctl -w net.ipv4.conf.ens6.rp_filter=2
ip route get 10.0.64.7 from 10.0.130.5 iif ens6
ip addr add 192.168.1.1/32 dev ens6
ip route get 10.0.64.7 from 10.0.130.5 iif ens6
ip route flush table 100
";
    let out = cli(&["lab"], script);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("RTNETLINK answers: Invalid cross-device link"),
        "first route get fails: {stderr}"
    );
    assert!(
        stdout.contains("10.0.64.7 from 10.0.130.5 via 10.0.1.1 dev ens5"),
        "second succeeds: {stdout}"
    );
    assert!(
        stderr.contains("lab: unsupported: ip route flush table 100"),
        "unsupported commands are named and skipped: {stderr}"
    );
}

/// Runs the binary with stdout going to `out` and stdin holding `stdin`.
fn cli_into(args: &[&str], stdin: &str, out: Stdio) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_incident-sim"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(out)
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn incident-sim");
    // The lab may stop reading early; a closed stdin is then no error here.
    let _ = child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes());
    child.wait_with_output().expect("wait")
}

/// The write end of a pipe whose read end is already closed (as after
/// `| head -1` has read its line and gone).
fn closed_pipe() -> Stdio {
    let mut reader = Command::new("true")
        .stdin(Stdio::piped())
        .spawn()
        .expect("spawn true");
    let w = reader.stdin.take().expect("pipe");
    reader.wait().expect("true exits");
    Stdio::from(w)
}

/// Every subcommand that prints, with arguments that keep it short.
const PRINTING: &[(&[&str], &str)] = &[
    (&["presets"], ""),
    (&["params"], ""),
    (&["help"], ""),
    (
        &["run", "--preset", "no-rollout", "--set", "duration_s=60"],
        "",
    ),
    (
        &[
            "run",
            "--preset",
            "no-rollout",
            "--set",
            "duration_s=60",
            "--json",
        ],
        "",
    ),
    (
        &[
            "series",
            "--preset",
            "no-rollout",
            "--set",
            "duration_s=60",
            "--metric",
            "syn_sent",
        ],
        "",
    ),
    (
        &[
            "bench",
            "--preset",
            "no-rollout",
            "--set",
            "duration_s=60",
            "--runs",
            "1",
        ],
        "",
    ),
    (&["calibrate", "--markdown"], ""),
    (
        &[
            "sweep",
            "--preset",
            "no-rollout",
            "--set",
            "duration_s=60",
            "--seeds",
            "1..2",
            "--metric",
            "error_rate_peak",
        ],
        "",
    ),
    (
        &[
            "sensitivity",
            "--only",
            "vpc_sweep_ms",
            "--seeds",
            "1",
            "--duration",
            "180",
        ],
        "",
    ),
    (
        &[
            "export",
            "--preset",
            "no-rollout",
            "--set",
            "duration_s=60",
            "--format",
            "csv",
        ],
        "",
    ),
    (
        &["lab"],
        "ip addr add 10.0.1.10/24 dev ens5\nip route show table local\nip link show\n",
    ),
];

#[test]
fn a_closed_pipe_ends_every_command_quietly() {
    for (args, stdin) in PRINTING {
        let out = cli_into(args, stdin, closed_pipe());
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {err}");
        assert!(err.is_empty(), "{args:?}: quiet, got {err:?}");
    }
}

#[test]
fn a_full_disk_is_one_line_and_exit_1_for_every_command() {
    if !std::path::Path::new("/dev/full").exists() {
        return;
    }
    for (args, stdin) in PRINTING {
        let full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .expect("/dev/full");
        let out = cli_into(args, stdin, Stdio::from(full));
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{args:?}: one line, got {err:?}");
        assert!(
            err.contains("cannot write to stdout") && err.contains(args[0]),
            "{args:?}: {err}"
        );
    }
}

#[test]
fn long_arguments_are_named_not_repeated_and_help_takes_none() {
    let long = "9".repeat(100_000);
    let set = format!("duration_s={long}");
    let key = format!("{long}=1");
    let opt = format!("--{long}");
    let cases: Vec<Vec<&str>> = vec![
        vec!["run", "--set", &set],
        vec!["run", "--set", &key],
        vec!["run", "--preset", &long],
        vec!["run", "--seed", &long],
        vec!["run", &opt],
        vec!["run", &long],
        vec!["series", "--metric", &long],
        vec!["export", "--format", &long],
        vec!["sweep", "--vary", &set, "--metric", "martian_drops"],
        vec!["sweep", "--vary", &key, "--metric", "martian_drops"],
        vec!["sweep", "--seeds", "1..2", "--metric", &long],
        vec!["presets", &long],
        vec![&long],
    ];
    for args in cases {
        let out = cli(&args, "");
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{}: {err}", args[0]);
        assert!(err.len() < 2_000, "{}: {} bytes", args[0], err.len());
        assert!(err.contains("… (1000"), "{err}");
    }
    let out = cli(&["help", "extra"], "");
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("unexpected argument \"extra\""));
}

#[test]
fn long_runs_are_refused_up_front_naming_what_drives_the_cost() {
    let cases: &[(&[&str], &[&str])] = &[
        (&["run", "--set", "max_delay_ms=1"], &["max_delay_ms=1"]),
        (
            &[
                "series",
                "--metric",
                "syn_sent",
                "--set",
                "clients=3000",
                "--set",
                "replicas=133",
                "--set",
                "service_nodes=64",
                "--set",
                "duration_s=3600",
                "--set",
                "max_delay_ms=1",
            ],
            &["clients=3000", "replicas=133", "max_delay_ms=1"],
        ),
        (
            &[
                "export",
                "--format",
                "csv",
                "--set",
                "dns_qps_per_node=20000",
                "--set",
                "service_nodes=64",
                "--set",
                "client_nodes=1000",
                "--set",
                "duration_s=3600",
            ],
            &["dns_qps_per_node=20000", "service_nodes=64"],
        ),
        (&["bench", "--set", "max_delay_ms=1"], &["max_delay_ms=1"]),
    ];
    for (args, names) in cases {
        let t0 = std::time::Instant::now();
        let out = cli(args, "");
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(
            t0.elapsed().as_secs_f64() < 5.0,
            "{args:?}: refused up front"
        );
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(
            err.contains("estimated ") && err.contains("--allow-long"),
            "{err}"
        );
        for n in *names {
            assert!(err.contains(n), "{args:?}: {err} should name {n}");
        }
    }
}

#[test]
fn ctrl_c_stops_a_long_run_cleanly() {
    let sweep = [
        "sweep",
        "--allow-long",
        "--seeds",
        "1..2",
        "--set",
        "max_delay_ms=1",
        "--metric",
        "martian_drops",
        "--threads",
        "2",
    ];
    for (args, said) in [
        (
            &["run", "--allow-long", "--set", "max_delay_ms=1"][..],
            "interrupted at ",
        ),
        (&sweep[..], "interrupted after 0 of 2 runs"),
    ] {
        let child = Command::new(env!("CARGO_BIN_EXE_incident-sim"))
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn");
        std::thread::sleep(std::time::Duration::from_millis(1_500));
        let killed = Command::new("kill")
            .args(["-INT", &child.id().to_string()])
            .status()
            .expect("kill");
        assert!(killed.success());
        let t0 = std::time::Instant::now();
        let out = child.wait_with_output().expect("wait");
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(130), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains(said), "{err}");
        assert!(!err.contains("panicked"), "{err}");
        assert!(out.stdout.is_empty());
        assert!(
            t0.elapsed().as_secs_f64() < 5.0,
            "{args:?}: stopped promptly"
        );
    }
}

/// Progress shows on stderr when it is a terminal (here `script`'s pty),
/// and never when it is not.
#[test]
fn long_runs_show_progress_on_a_terminal_only() {
    let bin = env!("CARGO_BIN_EXE_incident-sim");
    let args = "run --allow-long --preset no-rollout --set duration_s=300";
    let piped = cli(&args.split(' ').collect::<Vec<_>>(), "");
    assert!(piped.status.success());
    assert!(piped.stderr.is_empty(), "{}", text(&piped.stderr));
    let Ok(out) = Command::new("script")
        .args(["-qec", &format!("{bin} {args} > /dev/null"), "/dev/null"])
        .output()
    else {
        return; // no util-linux `script`: no pty to test with
    };
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("of 300 simulated s"),
        "{}",
        text(&out.stdout)
    );
    let sweep = "sweep --allow-long --preset no-rollout --set duration_s=300 --seeds 1..3 --metric martian_drops";
    let piped = cli(&sweep.split(' ').collect::<Vec<_>>(), "");
    assert!(piped.status.success());
    assert!(piped.stderr.is_empty(), "{}", text(&piped.stderr));
    let out = Command::new("script")
        .args(["-qec", &format!("{bin} {sweep} > /dev/null"), "/dev/null"])
        .output()
        .expect("script ran above");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("/3 runs"),
        "{}",
        text(&out.stdout)
    );
}

/// Peak memory at the ceilings of the ranges that cost memory (subchannels,
/// nodes, trace caps), for a shortened run: far below the 512 MB goal
/// (docs/performance.md has the full-length measurements).
#[test]
fn memory_at_the_ceilings_stays_far_below_512_mb() {
    let out = cli(
        &[
            "bench",
            "--runs",
            "1",
            "--json",
            "--set",
            "clients=3000",
            "--set",
            "replicas=133",
            "--set",
            "service_nodes=64",
            "--set",
            "duration_s=60",
            "--set",
            "rollout_start_s=20",
            "--set",
            "pod_startup_s=5",
            "--set",
            "trace_per_second_cap=100000",
            "--set",
            "trace_every_nth_client=1",
            "--set",
            "datastore_names=100000",
        ],
        "",
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let mib = v["peak_rss_mib"].as_f64().expect("peak_rss_mib");
    assert!(mib > 0.0 && mib < 512.0, "{mib} MiB");
}

/// A message that cannot be written to stderr does not turn into a panic.
#[test]
fn a_full_stderr_does_not_panic() {
    if !std::path::Path::new("/dev/full").exists() {
        return;
    }
    let full = || {
        std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .expect("/dev/full")
    };
    for (args, code) in [
        (&["run", "--set", "foo=1"][..], 2),
        (&["presets"][..], 1),
        (&["frobnicate"][..], 2),
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_incident-sim"))
            .args(args)
            .stdout(Stdio::from(full()))
            .stderr(Stdio::from(full()))
            .output()
            .expect("run");
        assert_eq!(out.status.code(), Some(code), "{args:?}");
    }
}
