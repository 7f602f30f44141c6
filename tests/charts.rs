//! The responders' charts, drawn natively with plotters' SVG backend and
//! checked for structure, not bytes: titles, one polyline per series,
//! thresholds, markers and cursor where asked, y ranges covering the data,
//! the mouse → time mapping, and degenerate inputs.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use common::small;
use incident_sim::scenario::Scenario;
use incident_sim::sim::metrics::Global;
use incident_sim::sim::Sim;
use incident_sim::viz::charts::{
    chart_spec, chart_specs, css, dns_per_node_specs, draw, markers_near, overlay, series_at,
    ChartGeometry, ChartSpec, Hue, Marker, MarkerKind, Series, SeriesStyle, Theme, Threshold,
    CHART_IDS,
};
use plotters::prelude::*;
use std::collections::{BTreeMap, HashSet};
use std::sync::OnceLock;

/// What the tests need from one run (the `Sim` itself is built once).
struct Fixture {
    specs: Vec<ChartSpec>,
    per_node: Vec<ChartSpec>,
    by_id: Vec<Option<ChartSpec>>,
    error_rate: Vec<f64>,
    deletions: usize,
    duration: f64,
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let mut sim = Sim::new(&small(), 7);
        sim.run_to_end();
        let req = sim.metrics.global(Global::Requests);
        let err = sim.metrics.global(Global::RequestErrors);
        let error_rate = req
            .iter()
            .zip(err)
            .map(|(r, e)| if *r > 0.0 { 100.0 * e / r } else { 0.0 })
            .collect();
        let deletions = sim
            .trace
            .events
            .iter()
            .filter(|e| matches!(e.what, incident_sim::sim::trace::Notable::PodDeleted { .. }))
            .count();
        Fixture {
            specs: chart_specs(&sim),
            per_node: dns_per_node_specs(&sim),
            by_id: CHART_IDS.iter().map(|id| chart_spec(&sim, id)).collect(),
            error_rate,
            deletions,
            duration: sim.p.duration_s as f64,
        }
    })
}

fn spec(id: &str) -> ChartSpec {
    fixture()
        .specs
        .iter()
        .find(|c| c.id == id)
        .unwrap_or_else(|| panic!("no chart {id}"))
        .clone()
}

// ---------------------------------------------------------------------------
// A minimal SVG reader: elements with attributes, and text contents.
// ---------------------------------------------------------------------------

#[derive(Debug, Clone)]
struct El {
    tag: String,
    attrs: BTreeMap<String, String>,
    text: String,
}

impl El {
    fn attr(&self, k: &str) -> &str {
        self.attrs.get(k).map(String::as_str).unwrap_or("")
    }

    fn points(&self) -> Vec<(i32, i32)> {
        self.attr("points")
            .split_whitespace()
            .map(|p| {
                let (x, y) = p.split_once(',').expect("x,y");
                (x.parse().expect("x"), y.parse().expect("y"))
            })
            .collect()
    }
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

fn parse(svg: &str) -> Vec<El> {
    let mut out = Vec::new();
    let mut rest = svg;
    while let Some(i) = rest.find('<') {
        rest = &rest[i + 1..];
        if rest.starts_with('/') || rest.starts_with('?') || rest.starts_with('!') {
            continue;
        }
        let end = rest.find('>').expect("tag end");
        let head = &rest[..end];
        let self_closing = head.ends_with('/');
        let head = head.trim_end_matches('/');
        let (tag, mut attrs_s) = head.split_once(' ').unwrap_or((head, ""));
        let mut attrs = BTreeMap::new();
        while let Some(eq) = attrs_s.find("=\"") {
            let name = attrs_s[..eq].trim().to_string();
            let after = &attrs_s[eq + 2..];
            let close = after.find('"').expect("attr end");
            attrs.insert(name, unescape(&after[..close]));
            attrs_s = &after[close + 1..];
        }
        rest = &rest[end + 1..];
        let mut text = String::new();
        if !self_closing && tag == "text" {
            let close = rest.find("</text>").expect("</text>");
            text = unescape(rest[..close].trim());
        }
        out.push(El {
            tag: tag.to_string(),
            attrs,
            text,
        });
    }
    out
}

/// Draws `spec` on a `w`×`h` SVG and returns the elements and the geometry.
fn render(spec: &ChartSpec, theme: &Theme, w: u32, h: u32) -> (Vec<El>, ChartGeometry) {
    let mut buf = String::new();
    let geo = {
        let root = SVGBackend::with_string(&mut buf, (w, h)).into_drawing_area();
        let geo = draw(&root, spec, theme).unwrap_or_else(|e| panic!("{}: {e}", spec.id));
        root.present().expect("present");
        geo
    };
    (parse(&buf), geo)
}

fn texts(els: &[El]) -> Vec<&str> {
    els.iter()
        .filter(|e| e.tag == "text")
        .map(|e| e.text.as_str())
        .collect()
}

fn polylines(els: &[El], colour: RGBColor) -> Vec<&El> {
    let c = css(colour);
    els.iter()
        .filter(|e| e.tag == "polyline" && e.attr("stroke") == c)
        .collect()
}

fn polygons(els: &[El], colour: RGBColor) -> Vec<&El> {
    let c = css(colour);
    els.iter()
        .filter(|e| e.tag == "polygon" && e.attr("fill") == c)
        .collect()
}

/// The distinct pixel columns of vertical dashed lines in `colour`.
fn marker_columns(els: &[El], colour: RGBColor) -> HashSet<i32> {
    polylines(els, colour)
        .iter()
        .map(|e| e.points())
        .filter(|p| p.iter().all(|q| q.0 == p[0].0))
        .map(|p| p[0].0)
        .collect()
}

/// Values of a series drawn in the window (points and bars).
fn visible_values(s: &Series, (from, to): (f64, f64)) -> Vec<f64> {
    s.values
        .iter()
        .enumerate()
        .filter(|(i, _)| {
            let t = *i as f64;
            match s.style {
                SeriesStyle::Bars => t + 1.0 > from && t < to,
                _ => t >= from && t <= to,
            }
        })
        .map(|(_, v)| *v)
        .collect()
}

fn has_visible_data(s: &Series, window: (f64, f64)) -> bool {
    let (from, to) = window;
    let last = s.values.len() as f64 - 1.0;
    !s.values.is_empty() && from.max(0.0) <= to.min(last + 1.0)
}

// ---------------------------------------------------------------------------
// The charts of a run
// ---------------------------------------------------------------------------

#[test]
fn every_chart_has_a_stable_unique_id_and_can_be_found_by_it() {
    let f = fixture();
    let ids: Vec<&str> = f.specs.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, CHART_IDS);
    let mut seen = HashSet::new();
    for c in f.specs.iter().chain(&f.per_node) {
        assert!(seen.insert(c.id.clone()), "duplicate id {}", c.id);
        assert!(
            !c.id.is_empty()
                && c.id
                    .chars()
                    .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '-'),
            "id {} is not a slug",
            c.id
        );
        assert_eq!(c.window, (0.0, f.duration), "{}", c.id);
        assert!(c.cursor.is_none());
        let hues: HashSet<Hue> = c.series.iter().map(|s| s.hue).collect();
        assert_eq!(
            hues.len(),
            c.series.len(),
            "{}: two series share a colour",
            c.id
        );
    }
    for (id, found) in CHART_IDS.iter().zip(&f.by_id) {
        assert_eq!(found.as_ref(), Some(&spec(id)));
    }
    assert_eq!(f.per_node.len(), 4);
    let ranges: HashSet<String> = f
        .per_node
        .iter()
        .map(|c| format!("{:?}", c.y_range))
        .collect();
    assert_eq!(ranges.len(), 1, "small multiples share one y range");
}

#[test]
fn the_charts_carry_the_incident() {
    let f = fixture();
    let er = spec("error-rate");
    assert_eq!(er.series[0].values, f.error_rate);
    assert_eq!(er.thresholds[0].value, 1.0);
    assert_eq!(er.thresholds[0].label, "1 %");
    assert!(spec("latency").log_y);
    let vpc = spec("vpc-conntrack");
    assert_eq!(vpc.thresholds[0].value, 20_000.0);
    assert_eq!(vpc.thresholds[0].label, "allowance");
    for id in [
        "syn-rate",
        "vpc-conntrack",
        "flowlog-old-ip",
        "latency",
        "dns-queries",
    ] {
        let c = spec(id);
        assert!(
            c.series[0].values.iter().any(|v| *v > 0.0),
            "{id}: nothing happened"
        );
        assert_eq!(c.series[0].values.len(), f.duration as usize, "{id}");
    }
    assert!(spec("flowlog-old-ip").title.contains("10.0."));
    // Markers: few, in time order, pod deletions grouped into waves.
    for c in &f.specs {
        assert!(!c.markers.is_empty(), "{}: no markers", c.id);
        assert!(
            c.markers.len() <= 12,
            "{}: {} markers",
            c.id,
            c.markers.len()
        );
        assert!(c.markers.windows(2).all(|w| w[0].at <= w[1].at));
    }
    let syn = spec("syn-rate");
    let waves: Vec<&Marker> = syn
        .markers
        .iter()
        .filter(|m| m.kind == MarkerKind::Pods)
        .collect();
    assert!(!waves.is_empty() && waves.len() < f.deletions, "{waves:?}");
    let grouped: usize = waves
        .iter()
        .map(|m| {
            m.label
                .split_whitespace()
                .next()
                .and_then(|n| n.parse().ok())
                .unwrap_or(1)
        })
        .sum();
    assert_eq!(grouped, f.deletions, "every deletion is in one wave");
    assert!(syn
        .markers
        .iter()
        .any(|m| m.label == "rollout" && m.at == 30.0));
    assert!(syn.markers.iter().any(|m| m.label == "first martian"));
}

#[test]
fn every_chart_draws_its_title_and_one_polyline_per_series_in_both_themes() {
    let f = fixture();
    for theme in [Theme::LIGHT, Theme::DARK] {
        for c in f.specs.iter().chain(&f.per_node) {
            let (els, geo) = render(c, &theme, 720, 260);
            let t = texts(&els);
            assert!(t.contains(&c.title.as_str()), "{}: no title in {t:?}", c.id);
            assert!(t.contains(&c.y_label.as_str()), "{}: no y label", c.id);
            assert_eq!(
                els.iter()
                    .find(|e| e.tag == "rect")
                    .map(|e| e.attr("fill").to_string()),
                Some(css(theme.background)),
                "{}: background first",
                c.id
            );
            if c.series.len() > 1 {
                for s in &c.series {
                    assert!(
                        t.contains(&s.name.as_str()),
                        "{}: no legend {}",
                        c.id,
                        s.name
                    );
                }
            }
            // Time labels along the x axis.
            assert!(t.contains(&"0:00"), "{}: {t:?}", c.id);
            assert!(t.contains(&"2:00"), "{}: {t:?}", c.id);
            for s in &c.series {
                let colour = theme.colour(s.hue);
                let lines = polylines(&els, colour);
                assert_eq!(lines.len(), 1, "{} / {}: polylines", c.id, s.name);
                let filled = polygons(&els, colour).len();
                let want = usize::from(s.style != SeriesStyle::Line);
                assert_eq!(filled, want, "{} / {}: polygons", c.id, s.name);
                // The whole line is inside the plot: the y range covers the data.
                for (x, y) in lines[0].points() {
                    assert!(
                        geo.contains(f64::from(x), f64::from(y)),
                        "{} / {}: ({x},{y}) outside {geo:?}",
                        c.id,
                        s.name
                    );
                }
                let vals = visible_values(s, geo.window);
                let max = vals.iter().copied().fold(0.0, f64::max);
                let min = vals.iter().copied().fold(f64::INFINITY, f64::min);
                assert!(geo.y_range.1 >= max, "{}: {max} above {geo:?}", c.id);
                if !c.log_y {
                    assert!(geo.y_range.0 <= min, "{}: {min} below {geo:?}", c.id);
                } else {
                    let top = lines[0].points().iter().map(|p| p.1).min().unwrap();
                    assert!(
                        (f64::from(top) - geo.y_of(max)).abs() <= 1.0,
                        "{}: the log line's peak is not at its value",
                        c.id
                    );
                }
            }
            // Thresholds that must fit are drawn, with their label.
            for th in &c.thresholds {
                let drawn = t.contains(&th.label.as_str());
                if th.fit {
                    assert!(drawn, "{}: threshold {} missing", c.id, th.label);
                    assert!(geo.y_range.1 >= th.value && geo.y_range.0 <= th.value);
                }
                if drawn {
                    assert!(!polylines(&els, theme.threshold).is_empty());
                }
            }
            // Markers in the window, each with its dashed line.
            let inside: Vec<&Marker> = c
                .markers
                .iter()
                .filter(|m| m.at >= geo.window.0 && m.at <= geo.window.1)
                .collect();
            // Labels that fit are drawn (crowded ones are left out).
            let labels: HashSet<&str> = inside.iter().map(|m| m.label.as_str()).collect();
            let drawn = t.iter().filter(|s| labels.contains(*s)).count();
            assert!(drawn > 0 || inside.is_empty(), "{}: no marker label", c.id);
            assert_eq!(
                marker_columns(&els, theme.marker).len(),
                inside
                    .iter()
                    .map(|m| geo.x_of(m.at).round() as i32)
                    .collect::<HashSet<_>>()
                    .len(),
                "{}: one dashed line per marker",
                c.id
            );
            assert_eq!(
                !polylines(&els, theme.marker).is_empty(),
                !inside.is_empty(),
                "{}",
                c.id
            );
            // No cursor unless asked.
            assert!(polylines(&els, theme.cursor).is_empty(), "{}", c.id);
        }
    }
}

#[test]
fn nf_conntrack_max_is_drawn_only_when_the_data_reaches_it() {
    let mut c = spec("linux-conntrack");
    let (els, _) = render(&c, &Theme::LIGHT, 640, 240);
    assert!(!texts(&els).contains(&"nf_conntrack_max"));
    let max = c.thresholds[0].value;
    c.series[0].values[100] = max * 0.99;
    let (els, geo) = render(&c, &Theme::LIGHT, 640, 240);
    assert!(texts(&els).contains(&"nf_conntrack_max"));
    assert!(geo.y_range.1 >= max);
}

#[test]
fn the_cursor_is_drawn_where_the_geometry_says_and_maps_back() {
    let f = fixture();
    for c in &f.specs {
        for (window, cursor) in [((0.0, f.duration), 100.5), ((40.0, 100.0), 77.3)] {
            let c = c
                .clone()
                .with_window(window.0, window.1)
                .with_cursor(Some(cursor));
            let (els, geo) = render(&c, &Theme::DARK, 800, 300);
            let cur = polylines(&els, Theme::DARK.cursor);
            assert_eq!(cur.len(), 1, "{}: one cursor", c.id);
            assert_eq!(cur[0].attr("stroke-width"), "2");
            let pts = cur[0].points();
            assert_eq!(pts.len(), 2);
            assert_eq!(pts[0].0, pts[1].0, "vertical");
            assert_eq!((pts[0].1, pts[1].1), (geo.top, geo.bottom));
            let back = geo.time_at(f64::from(pts[0].0));
            assert!(
                (back - cursor).abs() <= geo.seconds_per_pixel(),
                "{}: cursor {cursor} drawn at {} which maps to {back}",
                c.id,
                pts[0].0
            );
        }
    }
    // Outside the window: not drawn.
    let c = spec("syn-rate")
        .with_window(0.0, 60.0)
        .with_cursor(Some(90.0));
    let (els, _) = render(&c, &Theme::LIGHT, 640, 240);
    assert!(polylines(&els, Theme::LIGHT.cursor).is_empty());
}

#[test]
fn mouse_x_maps_to_time_and_back_within_a_pixel() {
    let c = spec("error-rate");
    for (w, window) in [
        (640, (0.0, 240.0)),
        (333, (30.5, 95.25)),
        (1200, (100.0, 101.0)),
    ] {
        let c = c.clone().with_window(window.0, window.1);
        let (els, geo) = render(&c, &Theme::LIGHT, w, 220);
        assert_eq!(geo.window, window);
        assert!(geo.left > 0 && geo.right < w as i32 && geo.right - geo.left > 100);
        assert_eq!(geo.time_at(f64::from(geo.left)), window.0);
        assert!((geo.time_at(f64::from(geo.right)) - window.1).abs() < 1e-9);
        for x in geo.left..=geo.right {
            let t = geo.time_at(f64::from(x));
            assert!((geo.x_of(t) - f64::from(x)).abs() < 1e-6);
        }
        for k in 0..=100 {
            let t = window.0 + (window.1 - window.0) * f64::from(k) / 100.0;
            let x = geo.x_of(t).round();
            assert!((geo.time_at(x) - t).abs() <= geo.seconds_per_pixel() / 2.0 + 1e-9);
        }
        assert_eq!(geo.second_at(f64::from(geo.left) - 1.0), None);
        assert_eq!(
            geo.second_at(f64::from(geo.right)),
            Some(window.1.floor() as usize)
        );
        // Drawn time ticks sit where the mapping puts their time.
        let grid = css(Theme::LIGHT.grid);
        let ticks: Vec<i32> = els
            .iter()
            .filter(|e| e.tag == "polyline" && e.attr("stroke") == grid)
            .map(|e| e.points())
            .filter(|p| p.len() == 2 && p[0].0 == p[1].0)
            .map(|p| p[0].0)
            .collect();
        assert!(!ticks.is_empty());
        for x in ticks {
            // Ticks are on whole seconds, or half seconds when zoomed in.
            let t = geo.time_at(f64::from(x));
            let nearest = (t * 2.0).round() / 2.0;
            let label = incident_sim::format::sim_time(nearest);
            assert!(
                (t - nearest).abs() <= geo.seconds_per_pixel(),
                "tick at {x} is {t}"
            );
            assert!(texts(&els).contains(&label.as_str()), "no label {label}");
        }
    }
}

#[test]
fn geometry_is_in_backend_pixels_when_drawn_in_a_sub_area() {
    let c = spec("syn-rate").with_cursor(Some(120.0));
    let mut buf = String::new();
    let (geo_top, geo_bottom) = {
        let root = SVGBackend::with_string(&mut buf, (700, 500)).into_drawing_area();
        let (upper, lower) = root.split_vertically(250);
        let lower = lower.margin(0, 0, 50, 0);
        let a = draw(&upper, &spec("error-rate"), &Theme::LIGHT).expect("upper");
        let b = draw(&lower, &c, &Theme::LIGHT).expect("lower");
        root.present().expect("present");
        (a, b)
    };
    assert!(geo_top.bottom < 250 && geo_bottom.top > 250 && geo_bottom.left > 50);
    let els = parse(&buf);
    let cur = polylines(&els, Theme::LIGHT.cursor);
    assert_eq!(cur.len(), 1);
    let (x, y) = cur[0].points()[0];
    assert!(geo_bottom.contains(f64::from(x), f64::from(y)));
    assert!((geo_bottom.time_at(f64::from(x)) - 120.0).abs() <= geo_bottom.seconds_per_pixel());
    assert!(!geo_top.contains(f64::from(x), f64::from(y)));
}

#[test]
fn zooming_keeps_lines_inside_and_reaching_the_window_edges() {
    let c = spec("syn-rate").with_window(60.5, 120.5);
    let (els, geo) = render(&c, &Theme::LIGHT, 640, 240);
    let line = polylines(&els, Theme::LIGHT.colour(c.series[0].hue));
    let pts = line[0].points();
    assert_eq!(pts.first().unwrap().0, geo.left);
    assert_eq!(pts.last().unwrap().0, geo.right);
    assert_eq!(
        pts.len(),
        2 + 60,
        "two interpolated edges and 60 whole seconds"
    );
    // The y range follows the visible data, not the whole run.
    let (_, whole) = render(&spec("syn-rate"), &Theme::LIGHT, 640, 240);
    let (_, early) = render(
        &spec("syn-rate").with_window(0.0, 25.0),
        &Theme::LIGHT,
        640,
        240,
    );
    assert!(early.y_range.1 < whole.y_range.1);
}

#[test]
fn latency_uses_a_log_axis_in_decades() {
    let c = spec("latency");
    let (els, geo) = render(&c, &Theme::LIGHT, 640, 260);
    assert!(geo.log_y);
    for v in [geo.y_range.0, geo.y_range.1] {
        let e = v.log10();
        assert!((e - e.round()).abs() < 1e-9, "{v} is not a power of ten");
    }
    assert!(geo.y_range.1 / geo.y_range.0 >= 10.0);
    let t = texts(&els);
    assert!(
        t.iter()
            .filter(|s| ["1", "10", "100", "1000", "10k", "100k"].contains(s))
            .count()
            >= 2,
        "{t:?}"
    );
    // A fixed range off the decades: labels only on the decades inside it,
    // each at its value's height.
    let mut fixed = c.clone();
    fixed.y_range = Some((3.0, 3000.0));
    let (els, geo) = render(&fixed, &Theme::LIGHT, 640, 260);
    assert_eq!(geo.y_range, (3.0, 3000.0));
    let t = texts(&els);
    assert!(!t.contains(&"1") && !t.contains(&"10k"), "{t:?}");
    for (label, v) in [("10", 10.0), ("100", 100.0), ("1000", 1000.0)] {
        let el = els
            .iter()
            .find(|e| e.tag == "text" && e.text == label)
            .unwrap_or_else(|| panic!("no {label} in {t:?}"));
        let y: f64 = el.attr("y").parse().unwrap();
        assert!((y - geo.y_of(v)).abs() <= 1.0, "{label} at {y}");
    }
}

#[test]
fn zero_and_empty_series_and_odd_windows_draw_without_failing() {
    let mut c = ChartSpec::new("t", "Degenerate", "things/s", "things/s").with_window(0.0, 60.0);
    c.series.push(Series::new(
        "zero",
        Hue::Blue,
        SeriesStyle::Line,
        vec![0.0; 60],
    ));
    c.series.push(Series::new(
        "empty",
        Hue::Vermillion,
        SeriesStyle::Area,
        vec![],
    ));
    c.series.push(Series::new(
        "zero bars",
        Hue::Green,
        SeriesStyle::Bars,
        vec![0.0; 60],
    ));
    c.series.push(Series::new(
        "empty bars",
        Hue::Purple,
        SeriesStyle::Bars,
        vec![],
    ));
    c.series.push(Series::new(
        "not a number",
        Hue::Orange,
        SeriesStyle::Line,
        vec![f64::NAN, f64::INFINITY, 1.0],
    ));
    for log in [false, true] {
        c.log_y = log;
        for theme in [Theme::LIGHT, Theme::DARK] {
            let (els, geo) = render(&c, &theme, 480, 200);
            assert!(geo.y_range.1 > geo.y_range.0 && geo.y_range.1.is_finite());
            assert!(texts(&els).contains(&"Degenerate"));
            for s in &c.series {
                let n = polylines(&els, theme.colour(s.hue)).len();
                assert_eq!(n, usize::from(!s.values.is_empty()), "{} log={log}", s.name);
                if has_visible_data(s, geo.window) {
                    for (x, y) in polylines(&els, theme.colour(s.hue))[0].points() {
                        assert!(geo.contains(f64::from(x), f64::from(y)));
                    }
                }
            }
        }
    }
    c.log_y = false;
    // No series at all, thresholds and markers only.
    let mut bare = ChartSpec::new("bare", "Bare", "", "");
    bare.thresholds.push(Threshold {
        value: 5.0,
        label: "five".into(),
        fit: true,
    });
    bare.markers.push(Marker {
        at: 0.5,
        label: "half".into(),
        kind: MarkerKind::Rollout,
    });
    let (els, geo) = render(&bare, &Theme::LIGHT, 300, 150);
    assert!(geo.y_range.1 >= 5.0);
    assert!(texts(&els).contains(&"five") && texts(&els).contains(&"half"));
    // Odd windows: empty, reversed, not finite, beyond the data.
    for (a, b) in [
        (10.0, 10.0),
        (50.0, 20.0),
        (f64::NAN, f64::INFINITY),
        (500.0, 900.0),
        (-30.0, 5.0),
    ] {
        let (_, geo) = render(&c.clone().with_window(a, b), &Theme::LIGHT, 400, 180);
        assert!(geo.window.1 > geo.window.0, "{a}..{b}");
        assert!(geo.window.0.is_finite() && geo.window.1.is_finite());
    }
    // A fixed y range below the data pins the line to the top, inside.
    let mut fixed = c.clone();
    fixed.series[0].values[10] = 1e9;
    fixed.y_range = Some((0.0, 10.0));
    let (els, geo) = render(&fixed, &Theme::LIGHT, 400, 180);
    assert_eq!(geo.y_range, (0.0, 10.0));
    for (x, y) in polylines(&els, Theme::LIGHT.colour(Hue::Blue))[0].points() {
        assert!(geo.contains(f64::from(x), f64::from(y)));
    }
    // Too small to hold a plot: an error, not a panic.
    let mut buf = String::new();
    let root = SVGBackend::with_string(&mut buf, (40, 30)).into_drawing_area();
    assert!(draw(&root, &c, &Theme::LIGHT).is_err());
}

#[test]
fn hover_read_outs_give_each_series_value_at_a_second() {
    let mut c = ChartSpec::new("t", "T", "", "");
    c.series.push(Series::new(
        "a",
        Hue::Blue,
        SeriesStyle::Line,
        vec![1.0, 2.0, 3.0],
    ));
    c.series
        .push(Series::new("b", Hue::Green, SeriesStyle::Bars, vec![10.0]));
    assert_eq!(series_at(&c, 0.0), vec![("a", 1.0), ("b", 10.0)]);
    assert_eq!(series_at(&c, 1.99), vec![("a", 2.0)]);
    assert_eq!(series_at(&c, 2.0), vec![("a", 3.0)]);
    assert!(series_at(&c, 3.0).is_empty());
    assert!(series_at(&c, -0.5).is_empty());
    assert!(series_at(&c, f64::NAN).is_empty());
    let er = spec("error-rate");
    let at = series_at(&er, 100.7);
    assert_eq!(at, vec![("error rate", fixture().error_rate[100])]);
}

/// Checks that `svg` is one well-formed `<svg>` document: every element
/// opened is closed in order, attributes are quoted, nothing follows the root.
fn well_formed(svg: &str) -> Result<(), String> {
    let body = svg.trim();
    let body = match body.strip_prefix("<?xml") {
        Some(rest) => &rest[rest.find("?>").ok_or("unterminated <?xml")? + 2..],
        None => body,
    }
    .trim_start();
    if !body.starts_with("<svg") {
        return Err(format!(
            "does not start with <svg: {:?}",
            &body[..body.len().min(40)]
        ));
    }
    let mut open: Vec<&str> = Vec::new();
    let mut rest = body;
    let mut closed_root = false;
    while let Some(i) = rest.find('<') {
        if closed_root && !rest[..i].trim().is_empty() {
            return Err("text after </svg>".into());
        }
        let end = rest[i..].find('>').ok_or("unterminated tag")? + i;
        let tag = &rest[i + 1..end];
        if closed_root {
            return Err(format!("<{tag}> after </svg>"));
        }
        if let Some(name) = tag.strip_prefix('/') {
            match open.pop() {
                Some(o) if o == name.trim() => {}
                other => return Err(format!("</{name}> closes {other:?}")),
            }
            closed_root = open.is_empty();
        } else if !tag.starts_with('!') && !tag.starts_with('?') {
            if tag.matches('"').count() % 2 != 0 {
                return Err(format!("unbalanced quotes in <{tag}>"));
            }
            let name = tag
                .split_whitespace()
                .next()
                .unwrap_or("")
                .trim_end_matches('/');
            if name.is_empty()
                || !name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == ':')
            {
                return Err(format!("bad element name in <{tag}>"));
            }
            if !tag.ends_with('/') {
                open.push(name);
            }
        }
        rest = &rest[end + 1..];
    }
    if !open.is_empty() {
        return Err(format!("unclosed elements {open:?}"));
    }
    if !closed_root {
        return Err("no </svg>".into());
    }
    if !rest.trim().is_empty() {
        return Err("text after </svg>".into());
    }
    Ok(())
}

/// Writes every chart (light and dark, cursor at 75 s) as SVG files, reads
/// them back and checks each: non-empty, well-formed, its title and the
/// cursor drawn. The files go to a fresh directory under the system's temp
/// directory, removed afterwards; to keep them and look at them, set
/// `CHARTS_SVG_DIR`: `CHARTS_SVG_DIR=/tmp/charts cargo test --test charts
/// writes`. With `CHARTS_PRESET=incident` too, the charts are those of that
/// preset's run instead of the small one.
#[test]
fn writes_the_charts_as_well_formed_svg_files() {
    let keep = std::env::var_os("CHARTS_SVG_DIR").map(std::path::PathBuf::from);
    let dir = keep.clone().unwrap_or_else(|| {
        std::env::temp_dir().join(format!("incident-sim-charts-{}", std::process::id()))
    });
    std::fs::create_dir_all(&dir).expect("dir");
    let (specs, per_node) = match std::env::var("CHARTS_PRESET") {
        Ok(name) => {
            let p = Scenario::preset(&name).params().expect("preset");
            let mut sim = Sim::new(&p, 1);
            sim.run_to_end();
            (chart_specs(&sim), dns_per_node_specs(&sim))
        }
        Err(_) => (fixture().specs.clone(), fixture().per_node.clone()),
    };
    let mut written = Vec::new();
    for theme in [Theme::LIGHT, Theme::DARK] {
        for c in specs.iter().chain(&per_node) {
            let c = c.clone().with_cursor(Some(75.0));
            let mut buf = String::new();
            {
                let root = SVGBackend::with_string(&mut buf, (720, 260)).into_drawing_area();
                draw(&root, &c, &theme).expect("draw");
                root.present().expect("present");
            }
            let path = dir.join(format!("{}-{}.svg", c.id, theme.name));
            std::fs::write(&path, buf).expect("write");
            written.push((path, c, theme));
        }
    }
    assert_eq!(written.len(), 2 * (CHART_IDS.len() + per_node.len()));
    for (path, c, theme) in &written {
        let svg = std::fs::read_to_string(path).expect("read back");
        let name = path.display();
        assert!(svg.len() > 1000, "{name}: only {} bytes", svg.len());
        if let Err(e) = well_formed(&svg) {
            panic!("{name} is not well-formed SVG: {e}");
        }
        let els = parse(&svg);
        assert_eq!(els.first().map(|e| e.tag.as_str()), Some("svg"), "{name}");
        assert_eq!(els[0].attr("width"), "720", "{name}");
        assert_eq!(els[0].attr("height"), "260", "{name}");
        assert!(texts(&els).contains(&c.title.as_str()), "{name}: no title");
        assert!(
            !polylines(&els, theme.cursor).is_empty(),
            "{name}: no cursor at 75 s"
        );
    }
    if keep.is_none() {
        std::fs::remove_dir_all(&dir).expect("remove the temp dir");
    }
}

#[test]
fn the_svg_check_rejects_what_is_not_well_formed() {
    assert!(well_formed(r#"<svg width="1"><g><text x="1">a</text></g></svg>"#).is_ok());
    assert!(well_formed("<?xml version=\"1.0\"?>\n<svg><rect/></svg>\n").is_ok());
    for bad in [
        "",
        "<g></g>",
        "<svg><g></svg>",
        "<svg><g></text></g></svg>",
        r#"<svg width="1><rect/></svg>"#,
        "<svg><rect/>",
        "<svg></svg><svg></svg>",
        "<svg></svg>junk",
    ] {
        assert!(well_formed(bad).is_err(), "accepted {bad:?}");
    }
}

#[test]
fn markers_are_labelled_when_there_is_room_and_found_by_hover_when_not() {
    let mut c = ChartSpec::new("m", "Markers", "", "").with_window(0.0, 100.0);
    c.series.push(Series::new(
        "x",
        Hue::Blue,
        SeriesStyle::Line,
        vec![1.0; 100],
    ));
    for (at, label) in [(70.0, "c"), (10.0, "a"), (40.0, "b"), (99.5, "at the end")] {
        c.markers.push(Marker {
            at,
            label: label.into(),
            kind: MarkerKind::Rollout,
        });
    }
    let (els, geo) = render(&c, &Theme::LIGHT, 600, 200);
    let t = texts(&els);
    for l in ["a", "b", "c", "at the end"] {
        assert!(t.contains(&l), "{l}");
    }
    // The last label is turned to the left of its line to stay inside.
    let end = els
        .iter()
        .find(|e| e.tag == "text" && e.text == "at the end")
        .unwrap();
    let x: i32 = end.attr("x").parse().unwrap();
    assert!(x < geo.x_of(99.5).round() as i32 && x > geo.left);
    assert_eq!(marker_columns(&els, Theme::LIGHT.marker).len(), 4);
    // Ten markers in two seconds: every line, at most three labels.
    let mut crowded = c.clone();
    crowded.markers = (0..10)
        .map(|i| Marker {
            at: 50.0 + f64::from(i) * 0.2,
            label: format!("crowded {i}"),
            kind: MarkerKind::Pods,
        })
        .collect();
    let (els, geo) = render(&crowded, &Theme::LIGHT, 600, 200);
    let n = texts(&els)
        .iter()
        .filter(|s| s.starts_with("crowded"))
        .count();
    assert!((1..=3).contains(&n), "{n} labels");
    let near = markers_near(&crowded, &geo, geo.x_of(50.9), 3.0);
    assert!(!near.is_empty() && near.len() < 10);
    assert_eq!(near[0].label, "crowded 4");
    assert!(markers_near(&crowded, &geo, geo.x_of(20.0), 3.0).is_empty());
}

#[test]
fn a_compared_run_is_overlaid_dashed_cut_at_the_same_time() {
    let mut other = Sim::new(&small(), 8);
    other.run_to_end();
    let upto = 100;
    let mut c = spec("syn-rate");
    let own = c.series.len();
    let theirs = chart_spec(&other, "syn-rate").expect("syn-rate");
    overlay(&mut c, &theirs, "seed 8", upto);
    assert_eq!(c.series.len(), own + theirs.series.len());
    for (s, t) in c.series[own..].iter().zip(&theirs.series) {
        assert_eq!(s.style, SeriesStyle::Dashed);
        assert_eq!(s.hue, t.hue, "same colour as its counterpart");
        assert_eq!(s.values[..], t.values[..upto], "cut at {upto} s");
        assert_eq!(s.name, format!("{} · seed 8", t.name));
    }
    let theme = Theme::LIGHT;
    let (els, geo) = render(&c, &theme, 720, 260);
    let t = texts(&els);
    assert!(
        t.contains(&"dashed: seed 8"),
        "one legend entry for the overlay: {t:?}"
    );
    assert!(
        !t.iter().any(|x| x.ends_with("· seed 8")),
        "overlaid series are not listed one by one: {t:?}"
    );
    // The dashed line is drawn as many short pieces, none past the cut
    // (the longest polyline in that colour is the run's own, solid line).
    let colour = theme.colour(theirs.series[0].hue);
    let mut pieces = polylines(&els, colour);
    pieces.sort_by_key(|p| p.points().len());
    let solid = pieces.pop().expect("the solid line");
    assert!(
        solid.points().len() > 100,
        "solid line: {} points",
        solid.points().len()
    );
    assert!(pieces.len() > 10, "dashes: {}", pieces.len());
    let right = pieces
        .iter()
        .flat_map(|p| p.points())
        .map(|p| p.0)
        .max()
        .unwrap();
    assert!(
        f64::from(right) <= geo.x_of(upto as f64) + 1.0,
        "dashes reach x={right}, past the cut at x={}",
        geo.x_of(upto as f64)
    );
    assert!(
        f64::from(right) >= geo.x_of(upto as f64 - 10.0),
        "dashes stop early at x={right}"
    );
}

/// A title longer than the chart is wide wraps at spaces onto more rows (a
/// phone's charts are narrower than the longer titles), every word kept;
/// a wide chart keeps it on one line.
#[test]
fn a_long_title_wraps_to_the_charts_width() {
    let f = fixture();
    let spec = f
        .specs
        .iter()
        .find(|c| c.id == "throughput")
        .expect("the throughput chart");
    // The header's texts that are pieces of the title (y ticks and units are
    // not; none is that short a piece of it).
    let title_lines = |els: &[El]| -> Vec<String> {
        texts(els)
            .into_iter()
            .filter(|t| t.len() > 3 && spec.title.contains(*t))
            .map(str::to_string)
            .collect()
    };
    let (wide, geo_wide) = render(spec, &Theme::LIGHT, 1200, 260);
    assert_eq!(
        title_lines(&wide),
        std::slice::from_ref(&spec.title),
        "{:?}",
        texts(&wide)
    );
    let (narrow, geo_narrow) = render(spec, &Theme::LIGHT, 340, 260);
    let lines = title_lines(&narrow);
    assert!(
        lines.len() >= 2,
        "the title on {} line(s): {lines:?}",
        lines.len()
    );
    assert_eq!(lines.join(" "), spec.title, "every word, in order");
    // The plot starts lower: the header grew by the title's extra rows.
    assert!(
        geo_narrow.top > geo_wide.top,
        "{} vs {}",
        geo_narrow.top,
        geo_wide.top
    );
}
