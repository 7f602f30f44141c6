//! `--set KEY=VALUE` values: every catalog key with arbitrary text, through
//! `scenario::apply` (the catalog's check) and `validate`: no panic; a
//! value the check accepts is in range and reads back as checked.
#![no_main]
use incident_sim::scenario::catalog::{Kind, PARAMS};
use incident_sim::scenario::{apply, validate};
use incident_sim::sim::params::Params;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&k, rest)) = data.split_first() else {
        return;
    };
    let Ok(value) = std::str::from_utf8(rest) else {
        return;
    };
    let spec = &PARAMS[usize::from(k) % PARAMS.len()];
    let mut p = Params::default();
    match apply(&mut p, spec.key, value) {
        Ok(()) => {
            let shown = (spec.get)(&p);
            assert_eq!(spec.check(&shown).as_deref(), Ok(shown.as_str()), "{}", spec.key);
            if let Kind::Int { min, max } = spec.kind {
                let n: i64 = shown.parse().expect("an integer");
                assert!((min..=max).contains(&n), "{} = {n}", spec.key);
            }
            if validate(&p).is_ok() {
                let c = incident_sim::scenario::cost::estimate(&p);
                assert!(c.wall_s.is_finite(), "{c:?}");
            }
        }
        Err(e) => {
            assert!(!e.0.contains('\n'), "{e}");
            assert!(e.0.len() < 1_000, "{} bytes", e.0.len());
        }
    }
    // Unknown keys are refused by name.
    if let Err(e) = apply(&mut p, value, "1") {
        assert!(e.0.len() < 1_000, "{} bytes", e.0.len());
    }
});
