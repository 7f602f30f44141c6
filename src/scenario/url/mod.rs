//! The page's whole state in a URL query string, so a link (or an embedded
//! panel in a postmortem) reopens exactly the same scenario, moment and view.
//!
//! `?preset=incident&seed=1&set=base_delay_ms:1000,rp_filter_ens6:1&t=312.5&pkt=4711&panel=kernel&embed=kernel&speed=2`
//! and what the reader set in the panels: the kernel step-through's what-ifs
//! and step (`kt=a0,addr1&step=3`), the event log's search and filters
//! (`q=rp_filter&log=syn,drops`), and the lens the page is seen through
//! (`lens=kernel`, [`super::lens`]).
//!
//! A sweep (`scenario::sweep`) is its axes and its figure:
//! `&sweep=max_delay_ms:100..120000:log:12*lb_policy:round_robin,pick_first&metric=error_rate_peak`
//! (axes written `key:values` as `set=` writes `key:value`, joined by `*`,
//! read "×"; `metric` omitted when it is the first of [`Metric::ALL`]).
//!
//! Decoding never fails: each bad piece is dropped with a message saying
//! what was wrong, and the rest is used.

use super::lens::Lens;
use super::toggles::Toggles;
use super::{catalog, presets, Scenario};
use crate::scenario::sweep::{axes_text, Axis, Metric, Sweep};

/// The event log's filters: which rows it lists.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LogFilter {
    /// Notable events.
    pub events: bool,
    /// SYNs.
    pub syn: bool,
    /// Every other packet.
    pub replies: bool,
    /// Only dropped packets.
    pub drops_only: bool,
}

impl Default for LogFilter {
    fn default() -> Self {
        LogFilter {
            events: true,
            syn: true,
            replies: true,
            drops_only: false,
        }
    }
}

/// The names of [`LogFilter`]'s switches in a URL (`log=events,syn`).
const LOG_FILTERS: &[&str] = &["events", "syn", "replies", "drops"];

impl LogFilter {
    fn switch(&mut self, name: &str) -> Option<&mut bool> {
        match name {
            "events" => Some(&mut self.events),
            "syn" => Some(&mut self.syn),
            "replies" => Some(&mut self.replies),
            "drops" => Some(&mut self.drops_only),
            _ => None,
        }
    }

    /// The switches that are on, by name (`none` if none is).
    fn encode(&self) -> String {
        let mut f = *self;
        let on: Vec<&str> = LOG_FILTERS
            .iter()
            .copied()
            .filter(|n| f.switch(n).is_some_and(|v| *v))
            .collect();
        if on.is_empty() {
            "none".into()
        } else {
            on.join(",")
        }
    }
}

/// Everything a URL can carry.
#[derive(Clone, Debug, PartialEq)]
pub struct ViewState {
    /// The scenario.
    pub scenario: Scenario,
    /// Simulated time, seconds.
    pub t: f64,
    /// Selected sampled packet.
    pub packet: Option<u32>,
    /// Focused panel.
    pub panel: Option<String>,
    /// Show only this panel (embed mode).
    pub embed: Option<String>,
    /// Playback speed.
    pub speed: f64,
    /// Guided-tour step.
    pub tour: Option<usize>,
    /// Compare against this preset, side by side.
    pub compare: Option<String>,
    /// The kernel step-through's what-if toggles.
    pub toggles: Toggles,
    /// How many steps of the kernel step-through are shown (all if `None`).
    pub step: Option<usize>,
    /// The event log's search text.
    pub log_query: String,
    /// The event log's filters.
    pub log_filter: LogFilter,
    /// A sweep over the scenario.
    pub sweep: Option<SweepView>,
    /// The vantage point the page is seen through (`lens=kernel`).
    pub lens: Lens,
    /// Story mode: the incident in chapters beside the simulation.
    pub story: bool,
}

/// A sweep as a link carries it (the scenario is the link's).
#[derive(Clone, Debug, PartialEq)]
pub struct SweepView {
    /// One or two axes: columns, then rows.
    pub axes: Vec<Axis>,
    /// The figure drawn.
    pub metric: Metric,
}

impl Default for ViewState {
    fn default() -> Self {
        ViewState {
            scenario: Scenario::default(),
            t: 0.0,
            packet: None,
            panel: None,
            embed: None,
            speed: 1.0,
            tour: None,
            compare: None,
            sweep: None,
            toggles: Toggles::default(),
            step: None,
            log_query: String::new(),
            log_filter: LogFilter::default(),
            lens: Lens::Truth,
            story: false,
        }
    }
}

/// Panel ids a URL may name.
pub const PANELS: &[&str] = &[
    "topology",
    "timeline",
    "controls",
    "kernel",
    "inspector",
    "log",
    "charts",
    "lab",
    "tour",
    "assumptions",
    "compare",
    "sweep",
    "story",
];

/// Chart ids are also embeddable (`embed=chart:error-rate`).
fn valid_panel(p: &str) -> bool {
    PANELS.contains(&p) || (p.starts_with("chart:") && p.len() > 6 && p.len() < 64)
}

fn decode_component(s: &str) -> String {
    let mut out = Vec::with_capacity(s.len());
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => {
                let hex = std::str::from_utf8(&b[i + 1..i + 3])
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(v) => {
                        out.push(v);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn encode_component(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.bytes() {
        if c.is_ascii_alphanumeric() || b"-_.:,~*".contains(&c) {
            out.push(c as char);
        } else {
            out.push_str(&format!("%{c:02X}"));
        }
    }
    out
}

/// Decodes a query string (with or without the leading `?`).
pub fn decode(query: &str) -> (ViewState, Vec<String>) {
    let mut v = ViewState::default();
    let mut errors = Vec::new();
    let q = query.strip_prefix('?').unwrap_or(query);
    // The sweep is checked once the scenario it sweeps is known.
    let mut sweep_text: Option<String> = None;
    let mut metric: Option<Metric> = None;
    if q.len() > 8_192 {
        errors
            .push("the link's state is too long (over 8 KB); using the incident's defaults".into());
        return (v, errors);
    }
    for pair in q.split('&').filter(|p| !p.is_empty()) {
        let (k, raw) = pair.split_once('=').unwrap_or((pair, ""));
        let val = decode_component(raw);
        // How messages name the value: a long one is shortened.
        let val_q = super::quoted(&val);
        match k {
            "preset" => {
                if presets::preset(&val).is_some() {
                    v.scenario.preset = val;
                } else {
                    errors.push(format!("unknown preset {val_q}; using \"incident\""));
                }
            }
            "seed" => match val.parse::<u64>() {
                Ok(s) => v.scenario.seed = s,
                Err(_) => errors.push(format!(
                    "seed {val_q} is not a whole number; using {}",
                    v.scenario.seed
                )),
            },
            "set" => {
                for kv in val.split(',').filter(|x| !x.is_empty()) {
                    let Some((key, value)) = kv.split_once(':') else {
                        errors.push(format!(
                            "setting {} is not key:value; ignored",
                            super::quoted(kv)
                        ));
                        continue;
                    };
                    match catalog::spec(key) {
                        None => errors
                            .push(format!("unknown parameter {}; ignored", super::quoted(key))),
                        Some(spec) => match spec.check(value) {
                            Ok(ok) => v.scenario.set.push((key.to_string(), ok)),
                            Err(e) => errors.push(format!("{e}; ignored")),
                        },
                    }
                }
            }
            "t" => match val.parse::<f64>() {
                Ok(t) if t.is_finite() && t >= 0.0 => v.t = t,
                _ => errors.push(format!(
                    "time {val_q} is not a number of seconds; starting at 0"
                )),
            },
            "pkt" => match val.parse::<u32>() {
                Ok(p) => v.packet = Some(p),
                Err(_) => errors.push(format!("packet {val_q} is not a packet number; ignored")),
            },
            "panel" | "embed" => {
                if valid_panel(&val) {
                    if k == "panel" {
                        v.panel = Some(val);
                    } else {
                        v.embed = Some(val);
                    }
                } else {
                    errors.push(format!("unknown panel {val_q}; ignored"));
                }
            }
            "speed" => match val.parse::<f64>() {
                Ok(s) if s.is_finite() && (0.01..=100.0).contains(&s) => v.speed = s,
                _ => errors.push(format!("speed {val_q} is outside 0.01..100; using 1")),
            },
            "tour" => match val.parse::<usize>() {
                Ok(n) if n < 64 => v.tour = Some(n),
                _ => errors.push(format!("tour step {val_q} is not valid; ignored")),
            },
            "compare" => {
                if presets::preset(&val).is_some() {
                    v.compare = Some(val);
                } else {
                    errors.push(format!("unknown preset {val_q} to compare with; ignored"));
                }
            }
            "story" => match val.as_str() {
                "" | "1" | "true" => v.story = true,
                _ => errors.push(format!(
                    "story {val_q} is not a flag (write ?story); ignored"
                )),
            },
            "sweep" => sweep_text = Some(val),
            "metric" => match Metric::parse(&val) {
                Ok(m) => metric = Some(m),
                Err(e) => errors.push(format!("{e}; ignored")),
            },
            "lens" => match Lens::parse(&val) {
                Ok(l) => v.lens = l,
                Err(e) => errors.push(format!("{e}; showing the ground truth")),
            },
            "kt" => match Toggles::decode(&val) {
                Ok(t) => v.toggles = t,
                Err(e) => errors.push(format!("{e}; the kernel what-ifs were ignored")),
            },
            "step" => match val.parse::<usize>() {
                Ok(n) if (1..1000).contains(&n) => v.step = Some(n),
                _ => errors.push(format!(
                    "kernel step {val_q} is not a step number; showing every step"
                )),
            },
            "q" => {
                if val.chars().count() <= 200 {
                    v.log_query = val;
                } else {
                    errors.push("the log search is over 200 characters; ignored".into());
                }
            }
            "log" => {
                let mut f = LogFilter {
                    events: false,
                    syn: false,
                    replies: false,
                    drops_only: false,
                };
                let mut ok = val == "none";
                for name in val.split(',').filter(|x| !x.is_empty() && *x != "none") {
                    match f.switch(name) {
                        Some(on) => {
                            *on = true;
                            ok = true;
                        }
                        None => errors.push(format!(
                            "unknown log filter {}; ignored (filters: {})",
                            super::quoted(name),
                            LOG_FILTERS.join(", ")
                        )),
                    }
                }
                if ok {
                    v.log_filter = f;
                }
            }
            other => errors.push(format!(
                "unknown URL parameter {}; ignored",
                super::quoted(other)
            )),
        }
    }
    // Drop overrides that make the scenario invalid as a whole.
    if let Err(e) = v.scenario.params() {
        errors.push(format!("{e}; the link's settings were dropped"));
        v.scenario.set.clear();
    }
    if let Some(text) = sweep_text {
        let m = metric.unwrap_or(Metric::ALL[0]);
        match Sweep::parse_axes(&text).and_then(|axes| Sweep::new(v.scenario.clone(), axes, m)) {
            Ok(s) => {
                v.sweep = Some(SweepView {
                    axes: s.axes,
                    metric: m,
                })
            }
            Err(e) => errors.push(format!("sweep: {e}; the sweep was dropped")),
        }
    } else if metric.is_some() {
        errors.push("metric without a sweep; ignored".into());
    }
    // A moment past the run's end is shown as its end, and said so.
    if let Ok(p) = v.scenario.params() {
        let end = p.duration_s as f64;
        if v.t > end {
            errors.push(format!(
                "time {} s is past the end of the run ({end} s); showing its end",
                v.t
            ));
            v.t = end;
        }
    }
    (v, errors)
}

/// The query of the whole page at the same state as an embedded panel.
pub fn full_page_query(v: &ViewState) -> String {
    let mut full = v.clone();
    // An embedded story opens as the story.
    full.story |= full.embed.as_deref() == Some("story");
    full.embed = None;
    encode(&full)
}

/// The `<iframe>` a postmortem pastes to embed `panel` (a panel id or
/// `chart:ID`) at this state, `page` being the page's address without its
/// query. The size fits every panel (640×360).
pub fn embed_snippet(page: &str, v: &ViewState, panel: &str) -> String {
    let mut e = v.clone();
    e.embed = Some(panel.to_string());
    e.panel = None;
    e.tour = None;
    e.lens = Lens::Truth;
    let src = format!("{page}?{}", encode(&e))
        .replace('&', "&amp;")
        .replace('"', "&quot;");
    let title = format!(
        "{panel} of the rollout outage at t = {}",
        crate::format::sim_time(e.t)
    );
    format!(
        "<iframe src=\"{src}\" width=\"640\" height=\"360\" title=\"{}\" loading=\"lazy\"></iframe>",
        title.replace('"', "&quot;")
    )
}

/// Encodes a view as a query string (without `?`), omitting defaults.
pub fn encode(v: &ViewState) -> String {
    let mut parts = vec![format!("preset={}", encode_component(&v.scenario.preset))];
    if v.scenario.seed != super::DEFAULT_SEED {
        parts.push(format!("seed={}", v.scenario.seed));
    }
    if !v.scenario.set.is_empty() {
        let s: Vec<String> = v
            .scenario
            .set
            .iter()
            .map(|(k, x)| format!("{k}:{x}"))
            .collect();
        parts.push(format!("set={}", encode_component(&s.join(","))));
    }
    if v.t > 0.0 {
        parts.push(
            format!("t={:.3}", v.t)
                .trim_end_matches('0')
                .trim_end_matches('.')
                .to_string(),
        );
    }
    if let Some(p) = v.packet {
        parts.push(format!("pkt={p}"));
    }
    if let Some(p) = &v.panel {
        parts.push(format!("panel={}", encode_component(p)));
    }
    if let Some(p) = &v.embed {
        parts.push(format!("embed={}", encode_component(p)));
    }
    if (v.speed - 1.0).abs() > 1e-9 {
        parts.push(format!("speed={}", v.speed));
    }
    if let Some(n) = v.tour {
        parts.push(format!("tour={n}"));
    }
    if v.story {
        parts.push("story".into());
    }
    if let Some(c) = &v.compare {
        parts.push(format!("compare={}", encode_component(c)));
    }
    if let Some(sw) = &v.sweep {
        parts.push(format!("sweep={}", encode_component(&axes_text(&sw.axes))));
        if sw.metric != Metric::ALL[0] {
            parts.push(format!("metric={}", sw.metric.name()));
        }
    }
    if !v.toggles.is_default() {
        parts.push(format!("kt={}", encode_component(&v.toggles.encode())));
    }
    if let Some(n) = v.step {
        parts.push(format!("step={n}"));
    }
    if !v.log_query.is_empty() {
        parts.push(format!("q={}", encode_component(&v.log_query)));
    }
    if v.log_filter != LogFilter::default() {
        parts.push(format!("log={}", encode_component(&v.log_filter.encode())));
    }
    if v.lens != Lens::Truth {
        parts.push(format!("lens={}", v.lens.name()));
    }
    parts.join("&")
}

#[cfg(test)]
mod tests;
