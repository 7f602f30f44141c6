//! The incident told in chapters (`?story`) and the guided investigation,
//! read from a data file (`story/incident.json`, documented in
//! `docs/story.md`) so that a postmortem author can copy it and rewrite it
//! for their own incident without touching the code.
//!
//! Each scene is bound to a moment of the run, written relative to the
//! scenario (seconds after the start, the rollout's start or the first pod
//! deletion), so it stays right when the parameters move those. This module
//! parses and checks the file, places the scenes in time and says which
//! chapter a moment (or a reading position) belongs to; `ui` only draws.

use super::presets;
use crate::sim::params::Params;
use crate::sim::time::SimTime;
use serde::Deserialize;
use std::sync::OnceLock;

/// The chapters file built into the page.
pub const INCIDENT_FILE: &str = "story/incident.json";
const INCIDENT_JSON: &str = include_str!("../../story/incident.json");

/// Panels a scene may show (besides `chart:ID`, one chart alone).
pub const SCENE_PANELS: &[&str] = &[
    "topology",
    "timeline",
    "controls",
    "kernel",
    "inspector",
    "log",
    "charts",
    "lab",
    "assumptions",
];

/// Panels of the whole page the guided investigation can scroll to.
pub const PAGE_PANELS: &[&str] = &[
    "topology",
    "controls",
    "kernel",
    "inspector",
    "log",
    "charts",
    "lab",
    "assumptions",
];

/// A whole story: its chapters (in time order) and the guided
/// investigation (in the order the responders learned things, which is not
/// time order: that is why it is a list of its own).
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Story {
    /// The story's heading.
    pub title: String,
    /// A line above the first chapter.
    #[serde(default)]
    pub intro: Option<String>,
    /// Story mode's chapters, in time order.
    pub chapters: Vec<Scene>,
    /// The guided investigation's steps.
    #[serde(default)]
    pub investigation: Vec<Scene>,
}

/// What a moment is counted from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Anchor {
    /// The run's start.
    Start,
    /// The rollout's start (`rollout_start_s`).
    RolloutStart,
    /// The first pods' deletion (the rollout's start plus `graceful_timeout_s`).
    FirstDeletion,
}

/// A packet a scene selects: the latest of its kind at the scene's moment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Pick {
    /// A SYN to a deleted pod dropped by rp_filter before the moment.
    RpFilterDrop,
    /// A SYN to a deleted pod that reached the node's kernel, at or before
    /// the moment (else the first of the run).
    SynToDeletedPod,
}

/// One chapter or investigation step: text and the state of the simulation
/// it is about.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scene {
    /// Unique within its list; the page's anchor (`chapter-ID`).
    pub id: String,
    /// Heading.
    pub title: String,
    /// Paragraphs; text between backticks is shown as code.
    pub text: Vec<String>,
    /// What `seconds` counts from.
    pub after: Anchor,
    /// Seconds after `after` (may be negative).
    #[serde(default)]
    pub seconds: f64,
    /// The panel shown: one of [`SCENE_PANELS`] or `chart:ID`.
    pub panel: String,
    /// What to look at in the panel, shown above it.
    #[serde(default)]
    pub look: Option<String>,
    /// A packet to select.
    #[serde(default)]
    pub select: Option<Pick>,
    /// A preset run beside the scenario (`Compare with…`).
    #[serde(default)]
    pub compare: Option<String>,
    /// The vantage point the step is seen through (`application`,
    /// `node-local-dns`, `ena`, …: [`super::lens::Lens`]); investigation
    /// steps only. None: the ground truth.
    #[serde(default)]
    pub lens: Option<String>,
}

impl Scene {
    /// The scene's moment in a run of `p`, within the run.
    pub fn at(&self, p: &Params) -> SimTime {
        let base = match self.after {
            Anchor::Start => 0.0,
            Anchor::RolloutStart => p.rollout_start_s as f64,
            Anchor::FirstDeletion => (p.rollout_start_s + p.graceful_timeout_s) as f64,
        };
        let s = (base + self.seconds).clamp(0.0, p.duration_s as f64);
        SimTime((s * 1e6).round() as u64)
    }
}

impl Story {
    /// Parses and checks a story file; `name` names it in messages, which
    /// say where and what is wrong.
    pub fn parse(name: &str, json: &str) -> Result<Story, String> {
        let story: Story = serde_json::from_str(json).map_err(|e| {
            let what = e.to_string();
            let what = what.split(" at line ").next().unwrap_or(&what).to_string();
            format!("{name}, line {}, column {}: {what}", e.line(), e.column())
        })?;
        story.check().map_err(|e| format!("{name}: {e}"))?;
        Ok(story)
    }

    fn check(&self) -> Result<(), String> {
        if self.title.trim().is_empty() {
            return Err("the story's title is empty".into());
        }
        if self.chapters.is_empty() {
            return Err("there are no chapters".into());
        }
        for (list, scenes, panels) in [
            ("chapter", &self.chapters, SCENE_PANELS),
            ("investigation step", &self.investigation, PAGE_PANELS),
        ] {
            for (i, s) in scenes.iter().enumerate() {
                let at = format!("{list} {} ({:?})", i + 1, s.id);
                s.check(panels, list == "chapter")
                    .map_err(|e| format!("{at}: {e}"))?;
                if scenes[..i].iter().any(|o| o.id == s.id) {
                    return Err(format!("{at}: the id is used twice"));
                }
            }
        }
        // With the story's own scenario (the incident) every chapter has a
        // moment of its own, later than the one before it.
        let p = super::Scenario::default()
            .params()
            .map_err(|e| e.to_string())?;
        let starts = self.starts(&p);
        for i in 1..starts.len() {
            if starts[i] <= starts[i - 1] {
                return Err(format!(
                    "chapter {} ({:?}) is at {} s, not after chapter {} ({:?}) at {} s: chapters go in time order",
                    i + 1,
                    self.chapters[i].id,
                    starts[i].as_secs_f64(),
                    i,
                    self.chapters[i - 1].id,
                    starts[i - 1].as_secs_f64()
                ));
            }
        }
        Ok(())
    }

    /// Each chapter's moment in a run of `p`.
    pub fn starts(&self, p: &Params) -> Vec<SimTime> {
        self.chapters.iter().map(|c| c.at(p)).collect()
    }
}

impl Scene {
    fn check(&self, panels: &[&str], chart_ok: bool) -> Result<(), String> {
        let id_ok = !self.id.is_empty()
            && self
                .id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !id_ok {
            return Err("the id must be lowercase letters, digits and '-'".into());
        }
        if self.title.trim().is_empty() {
            return Err("the title is empty".into());
        }
        if self.text.is_empty() || self.text.iter().any(|t| t.trim().is_empty()) {
            return Err("the text needs at least one paragraph, none empty".into());
        }
        if let Some(t) = self.text.iter().find(|t| t.matches('`').count() % 2 == 1) {
            return Err(format!(
                "a paragraph has an unclosed ` (code): {}",
                super::quoted(t)
            ));
        }
        if !self.seconds.is_finite() || self.seconds.abs() > 86_400.0 {
            return Err(format!(
                "seconds {} is not a number of seconds within a day",
                self.seconds
            ));
        }
        let chart = self
            .panel
            .strip_prefix("chart:")
            .filter(|c| chart_ok && !c.is_empty());
        if chart.is_none() && !panels.contains(&self.panel.as_str()) {
            return Err(format!(
                "unknown panel {:?}; panels: {}{}",
                self.panel,
                panels.join(", "),
                if chart_ok { ", or chart:ID" } else { "" }
            ));
        }
        if let Some(c) = &self.compare {
            if presets::preset(c).is_none() {
                return Err(format!("compare: unknown preset {c:?}"));
            }
        }
        if let Some(l) = &self.lens {
            if chart_ok {
                return Err("lens: only investigation steps set a lens".into());
            }
            let lens = super::lens::Lens::parse(l).map_err(|e| format!("lens: {e}"))?;
            if !lens.shows_panel(&self.panel) {
                return Err(format!(
                    "lens: {l:?} fades the step's panel {:?}",
                    self.panel
                ));
            }
        }
        Ok(())
    }

    /// The lens the scene is seen through (the ground truth when it names
    /// none; [`Story::parse`] has checked the name).
    pub fn lens(&self) -> super::lens::Lens {
        self.lens
            .as_deref()
            .and_then(|l| super::lens::Lens::parse(l).ok())
            .unwrap_or(super::lens::Lens::Truth)
    }
}

/// The index of the last of `starts` at or before `x` (0 before the first):
/// the chapter a moment belongs to, given the chapters' moments, or the
/// chapter under the reading line, given the chapters' tops on screen. Equal
/// starts go to the later one.
pub fn last_at_or_before<T: PartialOrd + Copy>(starts: &[T], x: T) -> usize {
    starts.iter().rposition(|s| *s <= x).unwrap_or(0)
}

/// The chapter the clock at `t` belongs to.
pub fn chapter_at(starts: &[SimTime], t: SimTime) -> usize {
    last_at_or_before(starts, t)
}

/// The chapter to show when the clock is at `t` and `shown` is shown: the
/// clock's chapter, or `None` if that is `shown` (or shares its moment: a
/// chapter the reader scrolled to stays shown).
pub fn follow_clock(starts: &[SimTime], shown: usize, t: SimTime) -> Option<usize> {
    let k = chapter_at(starts, t);
    let same = k == shown || starts.get(k).is_some_and(|s| starts.get(shown) == Some(s));
    (!same).then_some(k)
}

/// A paragraph in pieces: `(is_code, text)`, code between backticks.
pub fn spans(text: &str) -> Vec<(bool, &str)> {
    text.split('`')
        .enumerate()
        .filter(|(_, s)| !s.is_empty())
        .map(|(i, s)| (i % 2 == 1, s))
        .collect()
}

/// The story built into the page (or why its file is wrong).
pub fn incident() -> Result<&'static Story, &'static str> {
    static STORY: OnceLock<Result<Story, String>> = OnceLock::new();
    STORY
        .get_or_init(|| Story::parse(INCIDENT_FILE, INCIDENT_JSON))
        .as_ref()
        .map_err(String::as_str)
}

#[cfg(test)]
mod tests;
