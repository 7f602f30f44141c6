//! `scenario::url::decode` on any query string: no panic, every message
//! one short line, and what it keeps is a valid scenario that encodes and
//! decodes to itself.
#![no_main]
use incident_sim::scenario::url::{decode, encode};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(query) = std::str::from_utf8(data) else {
        return;
    };
    let (view, errors) = decode(query);
    for e in &errors {
        assert!(!e.contains('\n'), "{e:?}");
        assert!(e.len() < 1_000, "{} bytes", e.len());
    }
    let params = view.scenario.params().expect("decode keeps a valid scenario");
    let _ = incident_sim::scenario::cost::estimate(&params);
    let again = decode(&encode(&view));
    assert_eq!(again.0.scenario, view.scenario, "round trip");
});
