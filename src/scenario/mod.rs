//! Scenarios: a preset, parameter overrides and a seed, validated into
//! engine parameters; encoded to and from URLs and JSON.

pub mod assumptions;
pub mod calibration;
pub mod catalog;
pub mod cost;
pub mod lens;
pub mod presets;
pub mod sensitivity;
pub mod story;
pub mod sweep;
pub mod toggles;
pub mod url;

use crate::sim::params::Params;
use serde::{Deserialize, Serialize};
use std::fmt;

/// The default root seed.
pub const DEFAULT_SEED: u64 = 1;

/// A scenario as a reader sets it up.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scenario {
    /// Preset name.
    pub preset: String,
    /// Overrides on top of the preset, in the order given (later wins).
    #[serde(default)]
    pub set: Vec<(String, String)>,
    /// Root seed.
    #[serde(default = "default_seed")]
    pub seed: u64,
}

fn default_seed() -> u64 {
    DEFAULT_SEED
}

impl Default for Scenario {
    fn default() -> Self {
        Scenario {
            preset: "incident".into(),
            set: Vec::new(),
            seed: DEFAULT_SEED,
        }
    }
}

/// Text from the user as a message quotes it: `{:?}` when short; when
/// the quoted form is longer than [`QUOTE_MAX`] characters (control
/// characters count as their escapes, `\u{15}` six), its start, an
/// ellipsis and its length in bytes, so that a 100 KB argument is named,
/// not repeated.
pub fn quoted(s: &str) -> String {
    let escaped = format!("{s:?}");
    if escaped.chars().count() <= QUOTE_MAX + 2 {
        return escaped;
    }
    // The opening quote and QUOTE_MAX characters.
    let cut = escaped
        .char_indices()
        .nth(QUOTE_MAX + 1)
        .map_or(escaped.len(), |(i, _)| i);
    format!("{}\"… ({} bytes)", &escaped[..cut], s.len())
}

/// The most characters of user text a message repeats (see [`quoted`]).
pub const QUOTE_MAX: usize = 64;

/// Why a scenario is not usable; the text is one line naming what is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScenarioError(pub String);

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ScenarioError {}

impl Scenario {
    /// A scenario of a preset.
    pub fn preset(name: &str) -> Scenario {
        Scenario {
            preset: name.into(),
            ..Scenario::default()
        }
    }

    /// Builds and validates the engine parameters.
    pub fn params(&self) -> Result<Params, ScenarioError> {
        let preset = presets::preset(&self.preset).ok_or_else(|| {
            let names: Vec<&str> = presets::PRESETS.iter().map(|p| p.name).collect();
            ScenarioError(format!(
                "unknown preset {} (presets: {})",
                quoted(&self.preset),
                names.join(", ")
            ))
        })?;
        let mut p = Params::default();
        for (k, v) in preset
            .overrides
            .iter()
            .map(|(k, v)| (*k, *v))
            .chain(self.set.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        {
            apply(&mut p, k, v)?;
        }
        validate(&p)?;
        Ok(p)
    }

    /// Keys whose value differs from the incident's configuration.
    pub fn differences(&self) -> Vec<&'static str> {
        let Ok(p) = self.params() else {
            return Vec::new();
        };
        let d = Params::default();
        catalog::PARAMS
            .iter()
            .filter(|s| (s.get)(&p) != (s.get)(&d))
            .map(|s| s.key)
            .collect()
    }
}

/// Sets one parameter from text, checking key and range.
pub fn apply(p: &mut Params, key: &str, value: &str) -> Result<(), ScenarioError> {
    let spec = catalog::spec(key).ok_or_else(|| {
        ScenarioError(format!(
            "unknown parameter {} (see `incident-sim params`)",
            quoted(key)
        ))
    })?;
    let v = spec.check(value).map_err(ScenarioError)?;
    (spec.set)(p, &v);
    Ok(())
}

/// Checks what single ranges cannot: pod IPs per node, time spans.
pub fn validate(p: &Params) -> Result<(), ScenarioError> {
    let per_node = p.replicas.div_ceil(p.service_nodes.max(1));
    // Old and new pods (plus surge) must fit the node's ENI slots (.10-.249).
    if per_node * 3 > 240 {
        return Err(ScenarioError(format!(
            "replicas: {} over {} nodes is {per_node} pods per node; at most 80 per node fit an ENI's addresses (raise service_nodes)",
            p.replicas, p.service_nodes
        )));
    }
    if p.rollout && p.rollout_start_s >= p.duration_s {
        return Err(ScenarioError(format!(
            "rollout_start_s: {} is not before the end of the run (duration_s {})",
            p.rollout_start_s, p.duration_s
        )));
    }
    if u64::from(p.clients) * u64::from(p.replicas) > 400_000 {
        return Err(ScenarioError(format!(
            "clients × replicas = {} subchannels exceeds 400000 (memory bound); lower clients or replicas",
            u64::from(p.clients) * u64::from(p.replicas)
        )));
    }
    Ok(())
}

/// A small cluster with every mechanism in 240 simulated seconds: the
/// settings the unit tests and the integration tests (`tests/common`) run
/// most (seconds natively, in wasm too). Not part of the interface.
#[doc(hidden)]
pub const SMALL_FOR_TESTS: [(&str, &str); 8] = [
    ("duration_s", "240"),
    ("rollout_start_s", "30"),
    ("clients", "90"),
    ("replicas", "12"),
    ("service_nodes", "4"),
    ("conntrack_allowance", "20000"),
    ("dns_qps_per_node", "100"),
    ("trace_every_nth_client", "3"),
];

/// [`SMALL_FOR_TESTS`] on `preset` and `seed`: the unit tests' usual scenario.
#[cfg(test)]
pub(crate) fn small_for_tests(preset: &str, seed: u64) -> Scenario {
    let mut s = Scenario::preset(preset);
    s.seed = seed;
    for (k, v) in SMALL_FOR_TESTS {
        s.set.push((k.into(), v.into()));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_preset_builds_and_differs_only_where_it_says() {
        for pr in presets::PRESETS {
            let s = Scenario::preset(pr.name);
            s.params().unwrap_or_else(|e| panic!("{}: {e}", pr.name));
            let diff = s.differences();
            for k in &diff {
                assert!(
                    pr.overrides.iter().any(|(o, _)| o == k),
                    "{}: {k} differs but is not an override",
                    pr.name
                );
            }
        }
        assert!(Scenario::preset("incident").differences().is_empty());
    }

    #[test]
    fn unknown_presets_and_keys_are_named() {
        let e = Scenario::preset("nope").params().unwrap_err();
        assert!(e.0.contains("\"nope\"") && e.0.contains("incident"), "{e}");
        let mut s = Scenario::default();
        s.set.push(("frobs".into(), "1".into()));
        assert!(s.params().unwrap_err().0.contains("frobs"));
    }

    #[test]
    fn long_user_text_is_named_not_repeated() {
        assert_eq!(quoted("abc"), "\"abc\"");
        let long = "x".repeat(100_000);
        let q = quoted(&long);
        assert!(q.len() < 100 && q.ends_with("… (100000 bytes)"), "{q}");
        // Cut on a character boundary.
        let wide = "é".repeat(1_000);
        assert!(quoted(&wide).ends_with("… (2000 bytes)"));
        assert_eq!(quoted(&"y".repeat(64)), format!("{:?}", "y".repeat(64)));
        assert_eq!(
            quoted(&"y".repeat(65)),
            format!("{:?}… (65 bytes)", "y".repeat(64))
        );
        // Control characters escape to six or more characters each: the
        // cut counts the escapes (the URL fuzzer found a 1,048-byte message
        // from 160 of them).
        let ctl = "\u{15}".repeat(160);
        let q = quoted(&ctl);
        assert!(q.len() < 100 && q.ends_with("… (160 bytes)"), "{q}");
        let mut s = Scenario::preset(&long);
        assert!(s.params().unwrap_err().0.len() < 300);
        s = Scenario::default();
        s.set.push((long.clone(), "1".into()));
        assert!(s.params().unwrap_err().0.len() < 300);
        s = Scenario::default();
        s.set.push(("duration_s".into(), long.clone()));
        assert!(s.params().unwrap_err().0.len() < 300);
        s = Scenario::default();
        s.set.push(("rollout".into(), long.clone()));
        assert!(s.params().unwrap_err().0.len() < 300);
        s = Scenario::default();
        s.set.push(("kernel".into(), long));
        assert!(s.params().unwrap_err().0.len() < 300);
    }

    #[test]
    fn cross_field_limits_hold() {
        let mut s = Scenario::default();
        s.set.push(("replicas".into(), "200".into()));
        s.set.push(("service_nodes".into(), "1".into()));
        assert!(s.params().unwrap_err().0.contains("per node"));
    }
}
