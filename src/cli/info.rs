//! `incident-sim presets` and `incident-sim params`.

use crate::scenario::catalog::PARAMS;
use crate::scenario::presets::PRESETS;
use crate::sim::params::Params;

pub(super) fn presets() -> i32 {
    for p in PRESETS {
        println!("{:<26} {}", p.name, p.description);
    }
    0
}

pub(super) fn params() -> i32 {
    let d = Params::default();
    println!(
        "{:<32} {:<12} {:<14} {:<34} source",
        "key", "unit", "default", "allowed"
    );
    for s in PARAMS {
        println!(
            "{:<32} {:<12} {:<14} {:<34} {}",
            s.key,
            s.unit,
            (s.get)(&d),
            s.range_text(),
            s.source
        );
    }
    0
}
