//! `incident-sim presets` and `incident-sim params`.

use super::write_out;
use crate::scenario::catalog::PARAMS;
use crate::scenario::presets::PRESETS;
use crate::sim::params::Params;

pub(super) fn presets() -> i32 {
    let mut out = String::new();
    for p in PRESETS {
        out += &format!("{:<26} {}\n", p.name, p.description);
    }
    write_out("presets", out.as_bytes()).map_or_else(|c| c, |()| 0)
}

pub(super) fn params() -> i32 {
    let d = Params::default();
    let mut out = format!(
        "{:<32} {:<12} {:<14} {:<34} source\n",
        "key", "unit", "default", "allowed"
    );
    for s in PARAMS {
        out += &format!(
            "{:<32} {:<12} {:<14} {:<34} {}\n",
            s.key,
            s.unit,
            (s.get)(&d),
            s.range_text(),
            s.source
        );
    }
    write_out("params", out.as_bytes()).map_or_else(|c| c, |()| 0)
}
