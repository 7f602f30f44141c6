//! Comparing two runs: what the second one runs, how the page labels the
//! two columns, and the first second where they part.

use crate::scenario::Scenario;

/// The scenario a comparison with `preset` runs: the preset as it is, with
/// the reader's seed (so the two differ only by what the preset changes
/// from the reader's own settings).
pub fn partner(main: &Scenario, preset: &str) -> Scenario {
    Scenario {
        preset: preset.to_string(),
        set: Vec::new(),
        seed: main.seed,
    }
}

/// The column label of the reader's run: the preset's name when unchanged,
/// "your run (PRESET changed)" otherwise.
pub fn main_label(main: &Scenario) -> String {
    if main.set.is_empty() {
        main.preset.clone()
    } else {
        format!("your run ({} + {} change(s))", main.preset, main.set.len())
    }
}

/// The column label of the compared run.
pub fn partner_label(partner: &Scenario) -> String {
    if partner.preset == "incident" {
        "the incident".to_string()
    } else {
        format!("{} applied alone", partner.preset)
    }
}

/// One sentence on what is compared.
pub fn heading(main: &Scenario, partner: &Scenario) -> String {
    let a = if main.set.is_empty() {
        main.preset.clone()
    } else {
        "your run".to_string()
    };
    format!("{a} vs {}, seed {}", partner_label(partner), partner.seed)
}

/// The first second in which two series differ, comparing the first
/// `upto` seconds (`None`: identical there).
pub fn first_divergence(a: &[f64], b: &[f64], upto: usize) -> Option<usize> {
    (0..upto).find(|&i| a.get(i) != b.get(i))
}
