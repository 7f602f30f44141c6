//! The worker's service driven natively, the way the page's worker drives it.

use super::*;
use crate::scenario::Scenario;
use crate::sim::trace::Fate;
use crate::sim::Sim;

/// A small cluster with every mechanism (the tests' usual one).
fn small(preset: &str, seed: u64) -> Scenario {
    crate::scenario::small_for_tests(preset, seed)
}

fn id(sc: Scenario) -> RunId {
    RunId {
        gen: 1,
        scenario: sc,
    }
}

/// Runs `sc` through a service slice by slice, as the worker does, and
/// returns the page's assembled record.
fn record_of(sc: Scenario) -> (RunRecord, Service) {
    let mut svc = Service::default();
    let mut rec = None;
    for r in svc.request(Request::Start(id(sc))) {
        if let Reply::Started(meta) = r {
            rec = Some(RunRecord::new(*meta));
        }
    }
    let mut rec = rec.expect("started");
    let mut slices = 0;
    while svc.busy() {
        for r in svc.work() {
            if let Reply::Progress { gen, chunk } = r {
                assert_eq!(gen, 1);
                rec.apply(*chunk);
            }
        }
        slices += 1;
        assert!(slices < 10_000, "the run ends");
    }
    (rec, svc)
}

fn plain(sc: &Scenario) -> Sim {
    let mut sim = Sim::new(&sc.params().unwrap(), sc.seed);
    sim.run_to_end();
    sim
}

/// Closed seconds that change long after they were sent reach the page: the
/// flow-log gauge of the first pod to terminate is filled in from the run's
/// start when that pod is chosen, many chunks after its early seconds went
/// out (here the rollout starts at 200 s and a chunk is sent every 500
/// events).
#[test]
fn seconds_changed_after_they_were_sent_reach_the_record() {
    let mut sc = small("incident", 3);
    sc.set.push(("rollout_start_s".into(), "200".into()));
    let mut r = Runner::new(id(sc.clone())).expect("valid");
    let mut rec = RunRecord::new(r.meta().clone());
    let mut chunks_before_the_rollout = 0;
    while !r.finished() {
        r.advance(500);
        let c = r.take_chunk();
        if c.done_to < SimTime::from_secs(200) {
            chunks_before_the_rollout += 1;
        }
        rec.apply(c);
    }
    assert!(
        chunks_before_the_rollout > 10,
        "{chunks_before_the_rollout}"
    );
    let sim = plain(&sc);
    let m = crate::sim::metrics::Global::FlowLogEstablished;
    assert!(
        sim.metrics.global(m)[..150].iter().any(|v| *v > 0.0),
        "the gauge is filled in for early seconds"
    );
    assert_eq!(rec.series.global(m), sim.metrics.global(m));
    assert_eq!(rec.series.tail(0), sim.metrics.tail(0));
}

#[test]
fn the_assembled_record_is_the_plain_run() {
    for preset in ["incident", "cilium-unreachable-route", "ens6-address"] {
        let sc = small(preset, 7);
        let (rec, _) = record_of(sc.clone());
        let sim = plain(&sc);
        let fin = rec.finish.as_ref().expect("finished");
        assert_eq!(
            fin.digest,
            sim.digest(),
            "{preset}: slicing changes nothing"
        );
        assert_eq!(
            rec.packets, sim.trace.packets,
            "{preset}: packets, final fates"
        );
        assert_eq!(rec.events, sim.trace.events, "{preset}");
        assert_eq!(rec.klog, sim.trace.kernel_log, "{preset}");
        assert_eq!(rec.series.seconds(), sim.metrics.seconds());
        assert_eq!(rec.series.tail(0), sim.metrics.tail(0), "{preset}: series");
        assert_eq!(fin.summary, crate::sim::summary::Summary::of(&sim));
        assert_eq!(rec.pods.len(), sim.pods.len());
        assert_eq!(rec.route53, sim.route53.versions);
        assert_eq!(rec.done_to, sim.end());
    }
}

#[test]
fn the_track_holds_the_state_of_every_step() {
    let sc = small("incident", 3);
    let (rec, _) = record_of(sc.clone());
    let step = rec.meta.track_step;
    assert_eq!(step.micros(), 100_000);
    assert_eq!(
        rec.track.len() as u64,
        rec.end().micros() / step.micros() + 1
    );
    // Checked against a plain run stopped at a few of the steps.
    let mut sim = Sim::new(&sc.params().unwrap(), sc.seed);
    for k in [0usize, 350, 901, 1_500, 2_400] {
        let t = crate::sim::time::SimTime(k as u64 * step.micros());
        sim.run_until(t);
        assert_eq!(rec.track[k], runner::moment_of(&sim), "step {k}");
    }
    // Something happened: some node's VPC table held entries.
    assert!(rec.track.iter().any(|m| m.nodes.iter().any(|n| n.vpc > 0)));
}

#[test]
fn pod_phases_follow_from_the_record_as_the_engine_had_them() {
    let sc = small("incident", 5);
    let (rec, _) = record_of(sc.clone());
    let mut sim = Sim::new(&sc.params().unwrap(), sc.seed);
    for t in [0u64, 40, 45, 60, 90, 150, 239] {
        let at = crate::sim::time::SimTime::from_secs(t);
        sim.run_until(at);
        for p in &sim.pods {
            let info = &rec.pods[p.index as usize];
            // `run_until` leaves the state before events at `at`.
            let just_before = crate::sim::time::SimTime(at.micros().saturating_sub(1));
            assert_eq!(
                info.phase_at(just_before),
                Some(p.phase),
                "pod {} at {t} s",
                p.index
            );
        }
    }
}

#[test]
fn questions_about_the_past_are_answered_exactly() {
    let sc = small("incident", 7);
    let (rec, mut svc) = record_of(sc.clone());
    let mut sim = Sim::new(&sc.params().unwrap(), sc.seed);
    // Moments, out of order, answered from checkpoints.
    for t_us in [150_123_456u64, 60_000_001, 200_000_000, 60_000_002] {
        let at = crate::sim::time::SimTime(t_us);
        let replies = svc.request(Request::Moment { gen: 1, at });
        let Some(Reply::Moment { moment, .. }) = replies.into_iter().next() else {
            panic!("a moment at {t_us}");
        };
        let mut fresh = Sim::new(&sc.params().unwrap(), sc.seed);
        fresh.run_until(at);
        assert_eq!(moment, runner::moment_of(&fresh), "at {t_us} µs");
    }
    // A question for another run is dropped.
    assert!(svc
        .request(Request::Moment {
            gen: 2,
            at: crate::sim::time::SimTime::from_secs(10),
        })
        .is_empty());
    // An export equals the CLI's: a fresh run to the same moment.
    let until = crate::sim::time::SimTime::from_secs(100);
    sim.run_until(until);
    let want = crate::export::render(&sim, "csv", &sc.preset).unwrap();
    let got = svc.request(Request::Export {
        gen: 1,
        format: "csv".into(),
        until,
    });
    assert!(
        matches!(got.first(), Some(Reply::Export { bytes, .. }) if *bytes == want),
        "csv export up to 100 s"
    );
    // Exports of the whole run, after the questions above took the finished
    // run's state back in time, equal a plain run's, and so do moments at
    // its end.
    let full = plain(&sc);
    for format in ["csv", "jsonl", "pcapng", "flowlog", "klog"] {
        let want = crate::export::render(&full, format, &sc.preset).unwrap();
        let got = svc.request(Request::Export {
            gen: 1,
            format: format.into(),
            until: full.end(),
        });
        assert!(
            matches!(got.first(), Some(Reply::Export { bytes, .. }) if *bytes == want),
            "{format} export of the whole run"
        );
    }
    let end = svc.request(Request::Moment {
        gen: 1,
        at: full.end(),
    });
    assert!(
        matches!(end.first(), Some(Reply::Moment { moment, .. }) if *moment == runner::moment_of(&full)),
        "the moment at the end"
    );
    assert!(rec.finished());
}

#[test]
fn every_sampled_syn_that_reached_a_kernel_walks_to_its_recorded_fate() {
    for preset in [
        "incident",
        "cilium-unreachable-route",
        "ens6-address",
        "fix-default-backoff",
    ] {
        let sc = small(preset, 11);
        let (rec, mut svc) = record_of(sc);
        let mut seen = std::collections::BTreeSet::new();
        // A sample of each fate, spread over the run.
        let syns: Vec<_> = rec
            .packets
            .iter()
            .filter(|p| matches!(p.kind, crate::sim::trace::PacketKind::Syn))
            .collect();
        let mut checked = 0;
        for p in syns.iter().step_by((syns.len() / 60).max(1)) {
            let reply = svc.request(Request::Kernel {
                gen: 1,
                packet: p.id,
                toggles: Default::default(),
            });
            match reply.first() {
                Some(Reply::Kernel { walk, .. }) => {
                    assert_ne!(p.fate, Fate::ConntrackAllowance);
                    assert!(
                        crate::explain::kernel::fates_consistent(walk, p.fate),
                        "{preset}: packet #{} fate {:?} but the walk says {:?}",
                        p.id,
                        p.fate,
                        walk.verdict
                    );
                    seen.insert(format!("{:?}", p.fate));
                    checked += 1;
                }
                Some(Reply::Error { .. }) => {
                    assert_eq!(p.fate, Fate::ConntrackAllowance, "{preset} #{}", p.id)
                }
                other => panic!("{preset}: {other:?}"),
            }
        }
        assert!(checked > 10, "{preset}: {checked} walks");
        match preset {
            "incident" => assert!(seen.iter().any(|f| f.starts_with("RpFilter")), "{seen:?}"),
            "ens6-address" => assert!(seen.contains("SrcDstCheck"), "{seen:?}"),
            "cilium-unreachable-route" => {
                assert!(
                    seen.iter().any(|f| f.starts_with("Unreachable")),
                    "{seen:?}"
                )
            }
            _ => assert!(seen.contains("Delivered"), "{seen:?}"),
        }
    }
}

#[test]
fn a_new_start_drops_the_old_run_and_its_questions() {
    let mut svc = Service::default();
    // The full incident: one slice runs only its first seconds.
    svc.request(Request::Start(id(Scenario::preset("incident"))));
    svc.work();
    let later = svc.runner().unwrap().done_to() + crate::sim::time::SimDuration::from_secs(60);
    // A question about the future waits...
    assert!(svc
        .request(Request::Moment { gen: 1, at: later })
        .is_empty());
    // ...and is dropped with its run.
    let mut next = id(small("fix-default-backoff", 1));
    next.gen = 2;
    let r = svc.request(Request::Start(next));
    assert!(matches!(r.first(), Some(Reply::Started(m)) if m.id.gen == 2));
    while svc.busy() {
        for r in svc.work() {
            match r {
                Reply::Progress { gen, .. } => assert_eq!(gen, 2),
                other => panic!("only the new run's news: {other:?}"),
            }
        }
    }
    // A bad scenario is refused with a message, not a panic.
    let mut bad = id(Scenario::preset("no-such-preset"));
    bad.gen = 3;
    let r = svc.request(Request::Start(bad));
    assert!(matches!(r.first(), Some(Reply::Error { gen: 3, .. })));
    assert!(!svc.busy());
}

#[test]
fn checkpoints_stay_within_their_byte_budget() {
    // Many events and a budget of a few copies: checkpoints are thinned to
    // fit before a copy is made, stay evenly spaced, and every moment is
    // still answered exactly, from the start's state made again too.
    let mut sc = small("incident", 2);
    sc.set.push(("max_delay_ms".into(), "10".into())); // 6 million events
    let mut r = Runner::new(id(sc.clone())).unwrap();
    let budget = 4 * plain(&sc).approx_bytes();
    r.set_checkpoint_budget(budget);
    let mut held_most = 0;
    while !r.advance(200_000) {
        assert!(r.checkpoint_bytes() <= budget);
        held_most = held_most.max(r.checkpoints());
    }
    let at = r.checkpoint_events();
    assert!(held_most >= 3 && at.len() >= 2, "{held_most}: {at:?}");
    let gaps: Vec<u64> = at.windows(2).map(|w| w[1] - w[0]).collect();
    assert!(
        gaps.iter().all(|g| *g >= runner::EVENTS_PER_CHECKPOINT * 2),
        "thinned to twice the interval at least: {at:?}"
    );
    let p = sc.params().unwrap();
    for t_s in [0u64, 31, 100, 170, 239, 45] {
        let t = crate::sim::time::SimTime::from_secs(t_s)
            + crate::sim::time::SimDuration::from_micros(7);
        let mut fresh = Sim::new(&p, sc.seed);
        fresh.run_until(t);
        assert_eq!(r.moment(t), Some(runner::moment_of(&fresh)), "at {t_s} s");
    }
}

#[test]
fn a_state_too_big_for_three_checkpoints_gets_none() {
    // At the ranges' extremes one copy of the state is 64 MB: fewer than
    // three in the budget would cost a copy each and save little, so none
    // is made, and questions are still answered exactly from the start.
    let sc = small("incident", 3);
    let mut r = Runner::new(id(sc.clone())).unwrap();
    r.set_checkpoint_budget(2 * plain(&sc).approx_bytes());
    while !r.advance(200_000) {}
    assert_eq!(r.checkpoints(), 0);
    let t = crate::sim::time::SimTime::from_secs(200);
    let mut fresh = Sim::new(&sc.params().unwrap(), sc.seed);
    fresh.run_until(t);
    assert_eq!(r.moment(t), Some(runner::moment_of(&fresh)));
}

#[test]
fn the_track_step_keeps_long_wide_runs_within_budget() {
    assert_eq!(runner::track_step(900, 8).micros(), 100_000);
    let step = runner::track_step(3_600, 64);
    let bytes = 3_600_000_000 / step.micros() * (48 + 64 * 24);
    assert!(bytes as usize <= runner::TRACK_BUDGET_BYTES, "{step:?}");
    assert_eq!(step.micros() % 100_000, 0);
}

#[test]
fn the_story_moment_is_the_latest_rp_filter_drop_to_a_deleted_pod_before_its_bound() {
    let (rec, _) = record_of(small("incident", 5));
    let before = crate::sim::time::SimTime::from_secs(120);
    let p = rec
        .rp_filter_drop_to_deleted_pod(before)
        .expect("the incident drops SYNs to deleted pods at rp_filter");
    assert!(p.sent < before);
    assert!(matches!(p.fate, Fate::RpFilter { .. }), "{:?}", p.fate);
    let deleted = rec.pods[p.pod as usize].deleted_at.expect("a deleted pod");
    assert!(deleted <= p.arrives);
    // No later packet before the bound is one.
    let later = rec.packets[p.id as usize + 1..rec.first_packet_at_or_after(before)]
        .iter()
        .filter(|q| {
            matches!(q.fate, Fate::RpFilter { .. })
                && rec.pods[q.pod as usize]
                    .deleted_at
                    .is_some_and(|d| d <= q.arrives)
        })
        .count();
    assert_eq!(later, 0);
    // Before the first pod deletion there is none.
    assert!(rec
        .rp_filter_drop_to_deleted_pod(crate::sim::time::SimTime::from_secs(30))
        .is_none());
    // Without the rollout, none either.
    let (calm, _) = record_of(small("no-rollout", 5));
    assert!(calm.rp_filter_drop_to_deleted_pod(before).is_none());
}

/// Every message of a run crosses `wire` unchanged, in fewer bytes than
/// gloo-worker's default (fixed-width) bincode; bytes that are not a whole
/// message are an error, not a panic.
#[test]
fn messages_cross_the_wire_unchanged_and_smaller() {
    fn round_trip<T>(m: &T) -> (usize, usize)
    where
        T: serde::Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug,
    {
        let bytes = wire::encode(m).expect("encodes");
        let back: T = wire::decode(&bytes).expect("decodes");
        assert_eq!(&back, m);
        (
            bytes.len(),
            bincode::serialize(m).expect("fixed-width").len(),
        )
    }
    let sc = small("incident", 7);
    let mut svc = Service::default();
    round_trip(&Request::Start(id(sc.clone())));
    let mut sizes = (0, 0);
    for r in svc.request(Request::Start(id(sc))) {
        round_trip(&r);
    }
    let mut finished = false;
    while svc.busy() {
        for r in svc.work() {
            finished |= matches!(&r, Reply::Progress { chunk, .. } if chunk.finish.is_some());
            let (v, f) = round_trip(&r);
            sizes = (sizes.0 + v, sizes.1 + f);
        }
    }
    assert!(finished, "the last chunk, with the run's end, crossed too");
    let at = SimTime::from_secs(100);
    let requests = [
        Request::Moment { gen: 1, at },
        Request::Kernel {
            gen: 1,
            packet: 0,
            toggles: Default::default(),
        },
        Request::Export {
            gen: 1,
            format: "csv".into(),
            until: at,
        },
        Request::Cancel,
    ];
    let mut answers = 0;
    for q in requests {
        round_trip(&q);
        for r in svc.request(q) {
            round_trip(&r);
            answers += 1;
        }
    }
    assert!(
        answers >= 3,
        "a moment, a kernel walk and an export answered"
    );
    assert!(
        (sizes.0 as f64) < 0.8 * sizes.1 as f64,
        "wire {} bytes against fixed-width {}",
        sizes.0,
        sizes.1
    );
    for junk in [&[][..], &[0xff; 7][..], &[4][..], &[250][..]] {
        assert!(wire::decode::<Reply>(junk).is_err());
        assert!(wire::decode::<Request>(junk).is_err());
    }
}

/// A page and a worker from two builds (one cached from before a deploy):
/// what one cannot read becomes `Unreadable`, whose bytes are the same in
/// every build; the worker answers it in kind, the page shows why, and a
/// sweep's cell fails with the reason instead of never finishing.
#[test]
fn a_message_from_another_build_is_said_to_be_unreadable() {
    assert_eq!(wire::encode(&Reply::Unreadable).unwrap(), [0]);
    assert_eq!(wire::encode(&Request::Unreadable).unwrap(), [0]);
    for junk in [&[][..], &[0xff; 7][..], &[4][..], &[250][..]] {
        assert_eq!(
            wire::decode_or_unreadable::<Reply>(junk),
            Some(Reply::Unreadable)
        );
        assert_eq!(
            wire::decode_or_unreadable::<Request>(junk),
            Some(Request::Unreadable)
        );
    }
    let asked = Request::Moment {
        gen: 4,
        at: SimTime::from_secs(3),
    };
    let bytes = wire::encode(&asked).unwrap();
    assert_eq!(wire::decode_or_unreadable::<Request>(&bytes), Some(asked));
    let mut svc = Service::default();
    assert_eq!(svc.request(Request::Unreadable), vec![Reply::Unreadable]);

    let sweep = crate::scenario::sweep::Sweep {
        base: small("incident", 3),
        axes: vec![crate::scenario::sweep::Axis::parse("clients=10,20").unwrap()],
        metric: crate::scenario::sweep::Metric::ErrorRatePeak,
    };
    let mut job = crate::run::sweep::SweepJob::new(1, &sweep, 1);
    let sent = job.fill();
    assert_eq!(sent.len(), 1);
    assert!(job.on_reply(0, Reply::Unreadable));
    let failed = job
        .results()
        .iter()
        .flatten()
        .next()
        .expect("the cell ended");
    assert_eq!(failed, &Err(crate::run::UNREADABLE.to_string()));
}

/// The first question after a run ends splits the run's state off without
/// its trace: exports of the whole run asked right then, and after a moment
/// at the end, still equal a plain run's in every format.
#[test]
fn exports_right_after_the_run_are_the_plain_runs() {
    let sc = small("incident", 13);
    let (_, mut svc) = record_of(sc.clone());
    let full = plain(&sc);
    let export = |svc: &mut Service, format: &str| {
        svc.request(Request::Export {
            gen: 1,
            format: format.into(),
            until: full.end(),
        })
    };
    let want = |format: &str| crate::export::render(&full, format, &sc.preset).unwrap();
    let first = export(&mut svc, "pcapng");
    assert!(
        matches!(first.first(), Some(Reply::Export { bytes, .. }) if *bytes == want("pcapng")),
        "the first question, an export of the whole run"
    );
    svc.request(Request::Moment {
        gen: 1,
        at: full.end(),
    });
    for format in ["csv", "jsonl", "pcapng", "flowlog", "klog"] {
        let got = export(&mut svc, format);
        assert!(
            matches!(got.first(), Some(Reply::Export { bytes, .. }) if *bytes == want(format)),
            "{format} export of the whole run"
        );
    }
}
