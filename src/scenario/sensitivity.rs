//! Which conclusions rest on assumptions: the calibration table rerun with
//! each assumption ([`super::assumptions::ASSUMPTIONS`]) at both ends of its
//! plausible range, over the same seeds, against the table at the defaults.
//! A row whose verdict changes "flips"; the report says from what value to
//! what, and the assumption's reasoning.
//!
//! The runs are independent, so they are spread over the machine's cores
//! ([`super::calibration::run_all`]); one assumption at both ends is twice
//! the table's runs.

use super::assumptions::{Assumption, ASSUMPTIONS};
use super::calibration::{table_with, Row};
use super::catalog::{self, Kind};

/// How a sensitivity run is set up.
#[derive(Clone, Debug)]
pub struct Setup {
    /// First seed.
    pub seed: u64,
    /// Seeds per figure (each row is the median over them).
    pub seeds: u64,
    /// Simulated span (0: the presets' own).
    pub duration_s: u64,
    /// The assumptions to vary (keys); empty: all of them.
    pub only: Vec<String>,
}

impl Default for Setup {
    fn default() -> Self {
        Setup {
            seed: 1,
            seeds: super::calibration::SEEDS,
            duration_s: 0,
            only: Vec::new(),
        }
    }
}

/// One end of one assumption.
#[derive(Clone, Debug)]
pub struct Variant {
    /// The assumption.
    pub assumption: &'static Assumption,
    /// The value used.
    pub value: &'static str,
    /// The table with it.
    pub rows: Vec<Row>,
}

impl Variant {
    /// Rows whose verdict differs from `base`'s: (base row, this row).
    pub fn flips<'a>(&'a self, base: &'a [Row]) -> Vec<(&'a Row, &'a Row)> {
        base.iter()
            .zip(&self.rows)
            .filter(|(b, r)| b.holds != r.holds)
            .collect()
    }
}

/// The report: the table at the defaults and at each end of each assumption.
#[derive(Clone, Debug)]
pub struct Report {
    /// The setup.
    pub setup: Setup,
    /// At the defaults.
    pub base: Vec<Row>,
    /// At the ends.
    pub variants: Vec<Variant>,
}

/// The overrides that put `key` at `value` in a run of `preset`, whose own
/// overrides are `own`. A preset that sets the key itself keeps its own
/// value, except an integer it sets relative to the default (larger-instance's
/// doubled allowance), which is scaled the same way.
fn overrides_for(key: &str, value: &str, own: &[(&str, &str)]) -> Vec<(String, String)> {
    let Some((_, theirs)) = own.iter().find(|(k, _)| *k == key) else {
        return vec![(key.to_string(), value.to_string())];
    };
    let spec = catalog::spec(key).expect("assumptions name parameters");
    let default = (spec.get)(&crate::sim::params::Params::default());
    match (
        spec.kind,
        default.parse::<u64>(),
        theirs.parse::<u64>(),
        value.parse::<u64>(),
    ) {
        (Kind::Int { .. }, Ok(d), Ok(t), Ok(v)) if d > 0 => {
            vec![(key.to_string(), (v * t / d).to_string())]
        }
        _ => Vec::new(),
    }
}

/// Runs the analysis.
pub fn run(setup: &Setup) -> Report {
    let chosen: Vec<&'static Assumption> = ASSUMPTIONS
        .iter()
        .filter(|a| setup.only.is_empty() || setup.only.iter().any(|k| k == a.key))
        .collect();
    let base = table_with(
        setup.seed,
        setup.seeds,
        &|_, _| Vec::new(),
        setup.duration_s,
    );
    let mut variants = Vec::new();
    for a in chosen {
        for value in [a.low, a.high] {
            let rows = table_with(
                setup.seed,
                setup.seeds,
                &|_, own| overrides_for(a.key, value, own),
                setup.duration_s,
            );
            variants.push(Variant {
                assumption: a,
                value,
                rows,
            });
        }
    }
    Report {
        setup: setup.clone(),
        base,
        variants,
    }
}

fn value_text(r: &Row) -> String {
    if r.simulated != 0.0 && r.simulated.abs() < 0.001 {
        // A trace of errors is not none: show it.
        format!("{:.1e} {}", r.simulated, r.unit)
    } else if r.simulated.abs() >= 100.0 || r.simulated.fract() == 0.0 {
        format!("{:.0} {}", r.simulated, r.unit)
    } else {
        format!("{:.3} {}", r.simulated, r.unit)
    }
}

fn verdict(holds: bool) -> &'static str {
    if holds {
        "holds"
    } else {
        "does not hold"
    }
}

impl Report {
    /// Plain text: per assumption and end, the conclusions that flip (with
    /// the values on both sides) and how many hold as at the defaults.
    pub fn text(&self) -> String {
        let mut s = String::new();
        let seeds = format!(
            "seeds {}-{}",
            self.setup.seed,
            self.setup.seed + self.setup.seeds.saturating_sub(1)
        );
        let held = self.base.iter().filter(|r| r.holds).count();
        s.push_str(&format!(
            "At the defaults ({seeds}): {held} of {} rows hold.\n",
            self.base.len()
        ));
        for v in &self.variants {
            let a = v.assumption;
            let flips = v.flips(&self.base);
            s.push_str(&format!(
                "\n{} = {} (default {}; plausible {}..{}: {})\n",
                a.key,
                v.value,
                a.default_value(),
                a.low,
                a.high,
                a.reasoning
            ));
            let same = v.rows.len() - flips.len();
            s.push_str(&format!(
                "  {same} of {} rows as at the defaults ({} hold)\n",
                v.rows.len(),
                v.rows.iter().filter(|r| r.holds).count()
            ));
            if flips.is_empty() {
                s.push_str("  every conclusion stays as at the defaults\n");
            }
            for (b, r) in flips {
                s.push_str(&format!(
                    "  FLIPS {}: {} -> {} ({} -> {}, tolerance {})\n",
                    r.id,
                    verdict(b.holds),
                    verdict(r.holds),
                    value_text(b),
                    value_text(r),
                    r.tolerance
                ));
            }
        }
        s
    }

    /// Markdown (docs/model.md): one row per assumption and end.
    pub fn markdown(&self) -> String {
        let mut s = String::from(
            "| assumption | value (default) | conclusions that flip (at the defaults → here) |\n|---|---|---|\n",
        );
        for v in &self.variants {
            let flips: Vec<String> = v
                .flips(&self.base)
                .into_iter()
                .map(|(b, r)| {
                    format!(
                        "{}: {} → {} ({} → {})",
                        r.id,
                        if b.holds { "holds" } else { "no" },
                        if r.holds { "holds" } else { "no" },
                        value_text(b),
                        value_text(r)
                    )
                })
                .collect();
            s.push_str(&format!(
                "| `{}` | {} ({}) | {} |\n",
                v.assumption.key,
                v.value,
                v.assumption.default_value(),
                if flips.is_empty() {
                    "none".to_string()
                } else {
                    flips.join("; ")
                }
            ));
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_preset_keeps_its_own_value_or_scales_it() {
        assert_eq!(
            overrides_for("vpc_sweep_ms", "0", &[]),
            vec![("vpc_sweep_ms".to_string(), "0".to_string())]
        );
        // larger-instance doubles whichever allowance is assumed.
        assert_eq!(
            overrides_for(
                "conntrack_allowance",
                "68406",
                &[("conntrack_allowance", "273624")]
            ),
            vec![("conntrack_allowance".to_string(), "136812".to_string())]
        );
        assert!(
            overrides_for("lb_policy", "round_robin", &[("lb_policy", "pick_first")]).is_empty()
        );
    }
}
