//! The page's scenario JSON import (`Scenario` from JSON, then validated):
//! no panic; a valid one has a finite cost estimate.
#![no_main]
use incident_sim::scenario::Scenario;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(sc) = serde_json::from_slice::<Scenario>(data) else {
        return;
    };
    match sc.params() {
        Ok(p) => {
            let c = incident_sim::scenario::cost::estimate(&p);
            assert!(c.wall_s.is_finite() && c.wall_s >= 0.0, "{c:?}");
            assert!(!c.drivers.is_empty());
        }
        Err(e) => {
            assert!(!e.0.contains('\n'), "{e}");
            assert!(e.0.len() < 1_000, "{} bytes", e.0.len());
        }
    }
});
