//! The chapters file: it parses, its mistakes are reported where they are,
//! and moments map to chapters (and back) as the page needs.

use super::*;
use crate::scenario::Scenario;

fn incident_params() -> Params {
    Scenario::default().params().unwrap()
}

/// A minimal valid file with the given chapters (JSON objects).
fn file(chapters: &str) -> String {
    format!(r#"{{"title": "T", "chapters": [{chapters}]}}"#)
}

const A: &str = r#"{"id": "a", "title": "A", "text": ["one `ens6` two"], "after": "start", "seconds": 10, "panel": "topology"}"#;
const B: &str = r#"{"id": "b", "title": "B", "text": ["x"], "after": "first_deletion", "seconds": 5, "panel": "chart:vpc-conntrack", "select": "rp_filter_drop", "compare": "fix-default-backoff"}"#;

#[test]
fn the_built_in_story_parses_and_its_chapters_go_forward_in_time() {
    let s = incident().expect("story/incident.json is valid");
    assert!(s.chapters.len() >= 8, "{} chapters", s.chapters.len());
    assert_eq!(
        s.investigation.len(),
        9,
        "the guided investigation has nine steps"
    );
    let starts = s.starts(&incident_params());
    assert!(starts.windows(2).all(|w| w[0] < w[1]), "{starts:?}");
    // One chapter selects a SYN dropped by rp_filter and shows the kernel.
    assert!(s
        .chapters
        .iter()
        .any(|c| c.select == Some(Pick::RpFilterDrop) && c.panel == "kernel"));
    // The investigation compares the fix and explains one SYN's why-chain.
    assert!(s
        .investigation
        .iter()
        .any(|c| c.compare.as_deref() == Some("fix-default-backoff")));
    assert!(s
        .investigation
        .iter()
        .any(|c| c.select == Some(Pick::SynToDeletedPod) && c.panel == "inspector"));
}

#[test]
fn a_small_file_parses_with_its_defaults() {
    let s = Story::parse("t.json", &file(&format!("{A},{B}"))).unwrap();
    assert_eq!(s.chapters.len(), 2);
    assert!(s.investigation.is_empty() && s.intro.is_none());
    assert_eq!(s.chapters[0].select, None);
    assert_eq!(s.chapters[1].select, Some(Pick::RpFilterDrop));
    assert_eq!(s.chapters[1].after, Anchor::FirstDeletion);
}

#[test]
fn bad_json_is_reported_with_the_file_line_and_column() {
    let e = Story::parse(
        "mine.json",
        "{\n  \"title\": \"T\",\n  \"chapters\": [\n  }",
    )
    .unwrap_err();
    assert!(e.starts_with("mine.json, line 4, column"), "{e}");
    // A misspelt field is named, with the fields there are.
    let typo = file(&A.replace("\"seconds\"", "\"secnds\""));
    let e = Story::parse("mine.json", &typo).unwrap_err();
    assert!(
        e.contains("unknown field `secnds`") && e.contains("line 1"),
        "{e}"
    );
    // A wrong anchor lists the right ones.
    let e = Story::parse("mine.json", &file(&A.replace("\"start\"", "\"begin\""))).unwrap_err();
    assert!(e.contains("begin") && e.contains("first_deletion"), "{e}");
    // A missing field.
    let e = Story::parse(
        "mine.json",
        &file(&A.replace(r#""panel": "topology""#, r#""look": "x""#)),
    )
    .unwrap_err();
    assert!(e.contains("missing field `panel`"), "{e}");
}

#[test]
fn mistakes_in_the_content_name_the_chapter_and_what_is_wrong() {
    let cases = [
        (file(""), "no chapters"),
        (
            file(&A.replace("topology", "topolgy")),
            "chapter 1 (\"a\"): unknown panel \"topolgy\"",
        ),
        (
            file(&format!("{A},{}", B.replace("fix-default-backoff", "fix"))),
            "chapter 2 (\"b\"): compare: unknown preset \"fix\"",
        ),
        (
            file(&format!("{A},{}", A.replace("\"A\"", "\"C\""))),
            "chapter 2 (\"a\"): the id is used twice",
        ),
        (
            file(&A.replace("one `ens6` two", "one `ens6 two")),
            "unclosed `",
        ),
        (
            file(&A.replace("[\"one `ens6` two\"]", "[]")),
            "at least one paragraph",
        ),
        (file(&A.replace("\"a\"", "\"A b\"")), "the id must be"),
        // In time order: a chapter at or before the one before it.
        (
            file(&format!("{B},{A}")),
            "chapter 2 (\"a\") is at 10 s, not after chapter 1 (\"b\") at 135 s",
        ),
        (
            file(&format!("{A},{}", A.replace("\"a\"", "\"c\""))),
            "not after chapter 1",
        ),
    ];
    for (json, want) in cases {
        let e = Story::parse("f.json", &json).unwrap_err();
        assert!(
            e.starts_with("f.json: ") && e.contains(want),
            "{e:?} should say {want:?}"
        );
    }
    // The investigation scrolls the whole page: one chart alone is not a panel of it.
    let inv = format!(
        r#"{{"title": "T", "chapters": [{A}], "investigation": [{}]}}"#,
        B.replace("\"b\"", "\"s\"")
    );
    let e = Story::parse("f.json", &inv).unwrap_err();
    assert!(
        e.contains("investigation step 1 (\"s\"): unknown panel \"chart:vpc-conntrack\""),
        "{e}"
    );
}

#[test]
fn moments_follow_the_scenario_they_are_written_against() {
    let s = Story::parse("t.json", &file(&format!("{A},{B}"))).unwrap();
    let mut p = incident_params();
    assert_eq!(
        s.starts(&p),
        vec![SimTime::from_secs(10), SimTime::from_secs(135)]
    );
    // A later rollout and a longer grace period move the second chapter.
    p.rollout_start_s = 300;
    p.graceful_timeout_s = 30;
    assert_eq!(s.chapters[1].at(&p), SimTime::from_secs(335));
    // Never before the start nor past the end.
    let early = Scene {
        seconds: -50.0,
        ..s.chapters[0].clone()
    };
    assert_eq!(early.at(&p), SimTime::ZERO);
    p.duration_s = 200;
    assert_eq!(s.chapters[1].at(&p), SimTime::from_secs(200));
}

#[test]
fn a_moment_belongs_to_the_last_chapter_started_at_or_before_it() {
    let starts: Vec<SimTime> = [60, 120, 132, 145]
        .iter()
        .map(|s| SimTime::from_secs(*s))
        .collect();
    let at = |s: f64| chapter_at(&starts, SimTime((s * 1e6) as u64));
    assert_eq!(at(0.0), 0, "before the first chapter: the first");
    assert_eq!(at(60.0), 0);
    assert_eq!(at(119.9), 0);
    assert_eq!(at(120.0), 1);
    assert_eq!(at(131.0), 1);
    assert_eq!(at(140.0), 2);
    assert_eq!(at(900.0), 3, "after the last chapter: the last");
    // The reading line over chapters' tops on screen, the same rule.
    let tops = [-900.0, -300.0, 250.0, 1200.0];
    assert_eq!(last_at_or_before(&tops, 360.0), 2);
    assert_eq!(last_at_or_before(&tops, -1000.0), 0);
    // Equal starts: the later chapter.
    let tied = [
        SimTime::from_secs(1),
        SimTime::from_secs(5),
        SimTime::from_secs(5),
    ];
    assert_eq!(chapter_at(&tied, SimTime::from_secs(6)), 2);
}

#[test]
fn the_shown_chapter_follows_the_clock_but_not_within_its_own_moment() {
    let s = |x: u64| SimTime::from_secs(x);
    let starts = [s(60), s(120), s(120), s(200)];
    // The clock moved into another chapter: show it.
    assert_eq!(follow_clock(&starts, 0, s(150)), Some(2));
    assert_eq!(follow_clock(&starts, 3, s(10)), Some(0));
    // Still in the shown chapter: nothing to do.
    assert_eq!(follow_clock(&starts, 1 + 1, s(199)), None);
    assert_eq!(follow_clock(&starts, 0, s(119)), None);
    // The reader scrolled to chapter 1, which shares its moment with 2: it stays.
    assert_eq!(follow_clock(&starts, 1, s(120)), None);
}

#[test]
fn backticks_mark_code() {
    assert_eq!(
        spans("on `ens6`, no address"),
        vec![(false, "on "), (true, "ens6"), (false, ", no address")]
    );
    assert_eq!(spans("`a`"), vec![(true, "a")]);
    assert_eq!(spans("plain"), vec![(false, "plain")]);
}

#[test]
fn every_chart_a_chapter_shows_exists() {
    let s = incident().unwrap();
    for c in &s.chapters {
        if let Some(id) = c.panel.strip_prefix("chart:") {
            assert!(
                crate::viz::charts::CHART_IDS.contains(&id),
                "chapter {:?}: no chart {id:?}",
                c.id
            );
        }
    }
}

#[test]
fn the_investigation_walks_the_lenses_in_the_responders_order() {
    use crate::scenario::lens::Lens;
    let s = incident().expect("story/incident.json is valid");
    let seen: Vec<Lens> = s
        .investigation
        .iter()
        .map(Scene::lens)
        .filter(|l| *l != Lens::Truth)
        .collect();
    // The application's symptoms, node-local-dns, the ENA counters, the flow
    // logs, then a node's own counters: the order the post's responders
    // learned things in (docs/story.md).
    assert_eq!(
        seen,
        [
            Lens::Application,
            Lens::NodeLocalDns,
            Lens::Ena,
            Lens::FlowLogs,
            Lens::Kernel
        ]
    );
    for st in &s.investigation {
        assert!(
            st.lens().shows_panel(&st.panel),
            "step {:?}: its lens fades its panel",
            st.id
        );
    }
}

#[test]
fn a_lens_is_for_investigation_steps_and_must_show_their_panel() {
    let chapter_with_lens = file(
        r#"{"id": "a", "title": "A", "text": ["x"], "after": "start", "panel": "topology", "lens": "kernel"}"#,
    );
    let e = Story::parse("f.json", &chapter_with_lens).unwrap_err();
    assert!(e.contains("only investigation steps"), "{e}");
    let step = |lens: &str, panel: &str| {
        format!(
            r#"{{"title": "T", "chapters": [{A}], "investigation": [{{"id": "s", "title": "S", "text": ["x"], "after": "start", "panel": "{panel}", "lens": "{lens}"}}]}}"#
        )
    };
    let e = Story::parse("f.json", &step("tcpdump", "charts")).unwrap_err();
    assert!(
        e.contains("unknown lens") && e.contains("investigation step 1"),
        "{e}"
    );
    let e = Story::parse("f.json", &step("application", "kernel")).unwrap_err();
    assert!(e.contains("fades the step's panel"), "{e}");
    let ok = Story::parse("f.json", &step("application", "charts")).expect("valid");
    assert_eq!(
        ok.investigation[0].lens(),
        crate::scenario::lens::Lens::Application
    );
}
