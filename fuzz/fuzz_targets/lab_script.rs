//! The lab's parser and kernel model on any script (`ip`, `sysctl`
//! lines): no panic, no overflow (fuzz builds check it), no hang.
#![no_main]
use incident_sim::lab::Lab;
use incident_sim::sim::linux::KernelVersion;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&v, rest)) = data.split_first() else {
        return;
    };
    let Ok(script) = std::str::from_utf8(rest) else {
        return;
    };
    let version = if v & 1 == 0 {
        KernelVersion::V5_10
    } else {
        KernelVersion::V6_18
    };
    let mut lab = Lab::new(version, v & 2 != 0);
    for line in script.lines().take(200) {
        let _ = lab.run_line(line);
    }
});
