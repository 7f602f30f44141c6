use super::*;

#[test]
fn round_trips_a_full_state() {
    let mut v = ViewState::default();
    v.scenario.preset = "pick-first".into();
    v.scenario.seed = 42;
    v.scenario.set.push(("base_delay_ms".into(), "1000".into()));
    v.scenario.set.push(("rp_filter_ens6".into(), "1".into()));
    v.t = 312.5;
    v.packet = Some(4711);
    v.panel = Some("kernel".into());
    v.embed = Some("chart:error-rate".into());
    v.speed = 2.0;
    v.tour = Some(3);
    v.story = true;
    v.compare = Some("fix-default-backoff".into());
    v.toggles = Toggles {
        rp_all: Some(0),
        rp_ens6: Some(2),
        ens6_addr: Some(true),
        unreachable: Some(false),
    };
    v.step = Some(4);
    v.log_query = "rp_filter & 10.0.1.7:443 → ?".into();
    v.log_filter = LogFilter {
        events: false,
        syn: true,
        replies: false,
        drops_only: true,
    };
    let q = encode(&v);
    let (back, errors) = decode(&q);
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(back, v);
}

#[test]
fn story_mode_is_a_flag() {
    for q in ["?story", "?story=1&t=5", "?embed=story"] {
        let (v, errors) = decode(q);
        assert!(errors.is_empty(), "{q}: {errors:?}");
        assert!(v.story || v.embed.as_deref() == Some("story"), "{q}");
    }
    let (v, errors) = decode("?story=maybe");
    assert!(!v.story && errors[0].contains("not a flag"), "{errors:?}");
    // An embedded story's link to the whole page opens the story.
    let (v, _) = decode("?embed=story&t=150");
    let full = full_page_query(&v);
    assert!(
        full.contains("story") && !full.contains("embed") && full.contains("t=150"),
        "{full}"
    );
}

#[test]
fn the_panels_settings_round_trip_one_by_one_and_defaults_are_omitted() {
    assert_eq!(encode(&ViewState::default()), "preset=incident");
    let every_off = ViewState {
        log_filter: LogFilter {
            events: false,
            syn: false,
            replies: false,
            drops_only: false,
        },
        ..ViewState::default()
    };
    let q = encode(&every_off);
    assert!(q.contains("log=none"), "{q}");
    assert_eq!(decode(&q), (every_off, vec![]));
    let one = ViewState {
        toggles: Toggles {
            ens6_addr: Some(true),
            ..Toggles::default()
        },
        ..ViewState::default()
    };
    let q = encode(&one);
    assert!(q.contains("kt=addr1"), "{q}");
    assert_eq!(decode(&q), (one, vec![]));
    let (v, errs) = decode("?q=DNS+TCP+SYN&step=2&log=syn%2Cdrops");
    assert!(errs.is_empty(), "{errs:?}");
    assert_eq!((v.log_query.as_str(), v.step), ("DNS TCP SYN", Some(2)));
    assert!(v.log_filter.syn && v.log_filter.drops_only && !v.log_filter.events);
}

#[test]
fn bad_panel_settings_are_dropped_with_a_message() {
    let long = "x".repeat(201);
    let (v, errors) = decode(&format!("?kt=a7,addr1&step=0&log=syn,frob&q={long}&pkt=3"));
    assert_eq!(v.toggles, Toggles::default());
    assert_eq!(v.step, None);
    assert_eq!(v.log_query, "");
    // The good filter is kept, the unknown one named.
    assert!(v.log_filter.syn && !v.log_filter.events);
    assert_eq!(v.packet, Some(3));
    assert_eq!(errors.len(), 4, "{errors:?}");
    assert!(
        errors.iter().any(|e| e.contains("kernel toggle")),
        "{errors:?}"
    );
    assert!(errors.iter().any(|e| e.contains("\"frob\"")), "{errors:?}");
    assert!(
        errors.iter().any(|e| e.contains("kernel step")),
        "{errors:?}"
    );
    let (v, errors) = decode("?step=x&log=,");
    assert_eq!((v.step, v.log_filter), (None, LogFilter::default()));
    assert_eq!(errors.len(), 1, "{errors:?}");
}

#[test]
fn bad_pieces_are_dropped_with_a_message_and_the_rest_kept() {
    let (v, errors) = decode("?preset=nope&seed=x&t=-5&set=base_delay_ms:0,frob:1,rp_filter_ens6:1&speed=1000&pkt=7&zzz=1&panel=<script>");
    assert_eq!(v.scenario.preset, "incident");
    assert_eq!(
        v.scenario.set,
        vec![("rp_filter_ens6".to_string(), "1".to_string())]
    );
    assert_eq!(v.packet, Some(7));
    assert_eq!(v.t, 0.0);
    assert_eq!(v.speed, 1.0);
    assert_eq!(v.panel, None);
    assert_eq!(errors.len(), 8, "{errors:?}");
}

#[test]
fn an_embed_links_to_the_whole_page_and_the_snippet_carries_the_state() {
    let (v, _) = decode("?t=175&pkt=42&embed=kernel&set=base_delay_ms:1000");
    let full = full_page_query(&v);
    assert!(!full.contains("embed") && full.contains("t=175") && full.contains("pkt=42"));
    let snip = embed_snippet("https://example.org/its-not-dns/", &v, "chart:error-rate");
    assert!(
        snip.starts_with("<iframe src=\"https://example.org/its-not-dns/?"),
        "{snip}"
    );
    assert!(
        snip.contains("embed=chart%3Aerror-rate") || snip.contains("embed=chart:error-rate"),
        "{snip}"
    );
    assert!(
        snip.contains("&amp;t=175") && snip.contains("width=\"640\" height=\"360\""),
        "{snip}"
    );
    // The snippet's URL decodes to the same state, embedding the panel.
    let src = snip.split('"').nth(1).unwrap().replace("&amp;", "&");
    let (back, errs) = decode(src.split_once('?').unwrap().1);
    assert!(errs.is_empty(), "{errs:?}");
    assert_eq!(back.embed.as_deref(), Some("chart:error-rate"));
    assert_eq!((back.t, back.packet), (175.0, Some(42)));
}

#[test]
fn a_time_past_the_end_is_the_end_and_said_so() {
    let (v, errs) = decode("?t=99999");
    assert_eq!(v.t, 900.0);
    assert!(errs.iter().any(|e| e.contains("past the end")), "{errs:?}");
    let (v, errs) = decode("?t=300&set=duration_s:200");
    assert_eq!(v.t, 200.0);
    assert_eq!(errs.len(), 1);
    let (v, errs) = decode("?t=300");
    assert_eq!((v.t, errs.len()), (300.0, 0));
}

#[test]
fn a_sweep_round_trips_and_reads_as_written() {
    let q = "preset=incident&set=duration_s:200&sweep=max_delay_ms:100..120000:log:12*lb_policy:round_robin,pick_first&metric=error_rate_peak";
    let (v, errors) = decode(q);
    assert!(errors.is_empty(), "{errors:?}");
    let sw = v.sweep.clone().expect("a sweep");
    assert_eq!(sw.metric, Metric::ErrorRatePeak);
    assert_eq!(
        sw.axes[0],
        Axis::parse("max_delay_ms=100..120000:log:12").unwrap()
    );
    assert_eq!(encode(&v), q);
    // The default figure is left out, and a seed axis is an axis.
    let (v, errors) = decode("sweep=seed:1..20");
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(v.sweep.as_ref().unwrap().metric, Metric::ALL[0]);
    assert_eq!(encode(&v), "preset=incident&sweep=seed:1..20");
    // Percent-encoded as a browser may send it.
    let (v, _) = decode("sweep=replicas%3A6%2C12%2Alb_policy%3Around_robin%2Cpick_first");
    assert_eq!(v.sweep.unwrap().axes.len(), 2);
}

#[test]
fn a_bad_sweep_is_dropped_with_the_catalogs_message_and_the_rest_kept() {
    for (q, needle) in [
        (
            "sweep=max_delay_ms:0..100:log:3",
            "max_delay_ms: 0 is out of range (allowed 1..=600000 ms)",
        ),
        ("sweep=frob:1..3", "unknown parameter \"frob\""),
        ("sweep=seed:1..30*replicas:1..20", "600 cells"),
        ("sweep=seed:1..3*seed:4..5", "swept twice"),
        (
            "sweep=replicas:100..200:lin:3*service_nodes:1,8",
            "per node",
        ),
        ("sweep=", "expected KEY=VALUES"),
    ] {
        let (v, errors) = decode(&format!("set=base_delay_ms:1000&{q}"));
        assert_eq!(v.sweep, None, "{q}");
        assert_eq!(errors.len(), 1, "{q}: {errors:?}");
        assert!(
            errors[0].contains(needle) && errors[0].ends_with("the sweep was dropped"),
            "{q}: {errors:?}"
        );
        assert_eq!(v.scenario.set.len(), 1, "the scenario is kept");
    }
    let (v, errors) = decode("sweep=seed:1..3&metric=dns");
    assert_eq!(v.sweep.unwrap().metric, Metric::ALL[0]);
    assert!(errors[0].contains("unknown metric \"dns\""), "{errors:?}");
    let (_, errors) = decode("metric=martian_drops");
    assert!(errors[0].contains("without a sweep"), "{errors:?}");
    // A sweep the link's own scenario makes invalid is dropped too.
    let (v, errors) = decode("set=service_nodes:1&sweep=replicas:50..100:lin:2");
    assert_eq!(v.sweep, None);
    assert!(errors[0].contains("per node"), "{errors:?}");
}

#[test]
fn percent_encoding_and_garbage_never_panic() {
    for q in [
        "%",
        "%%",
        "%zz",
        "set=%2",
        "t=%FF%FE",
        "&&&",
        "=&=",
        "set=:,:",
        "embed=chart:",
        "sweep=*",
        "sweep=:..:",
        "sweep=seed:..",
        "sweep=replicas:1..%FF:log:3",
    ] {
        let _ = decode(q);
    }
    let (v, _) = decode("set=base_delay_ms%3A1500");
    assert_eq!(
        v.scenario.set,
        vec![("base_delay_ms".to_string(), "1500".to_string())]
    );
}
