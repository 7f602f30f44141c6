//! Numbers and simulated times as the page and the CLI print them, one way
//! everywhere: the transport's clock, the charts' axes and read-outs, the
//! event log, the inspector and the comparison all call these.
//!
//! Simulated time is minutes and seconds since the run's start, `m:ss`
//! (`h:mm:ss` from an hour), never rounded up: the clock at 199.96 s reads
//! `3:19.9`, the second a chart's read-out and a click on it call `3:19`.

use crate::sim::time::SimTime;

/// A simulated time (seconds since the run's start) as `m:ss`, with tenths
/// when it is not a whole number of tenths' worth of seconds: `0:00`, `1:35`,
/// `0:30.5`, `1:02:05`. Tenths are cut, not rounded, so a time never reads
/// as a second it has not reached.
pub fn sim_time(t: f64) -> String {
    // A hair over, so that a tick at 0.3 × 10 (2.9999…) still reads 0:03.
    let tenths = (t.abs() * 10.0 + 1e-6).floor() as u64;
    let mut out = clock_digits(tenths / 10);
    if tenths % 10 != 0 {
        out.push_str(&format!(".{}", tenths % 10));
    }
    if t < 0.0 && tenths != 0 {
        out.insert(0, '-');
    }
    out
}

/// An instant of the engine's integer clock as [`sim_time`] prints it.
pub fn sim_time_at(t: SimTime) -> String {
    let tenths = t.micros() / 100_000;
    let mut out = clock_digits(tenths / 10);
    if tenths % 10 != 0 {
        out.push_str(&format!(".{}", tenths % 10));
    }
    out
}

/// An instant with exactly `decimals` (at most 6) decimals of a second, cut
/// like [`sim_time`]'s: a packet's time to the microsecond, `1:20.123456`.
pub fn sim_time_exact(t: SimTime, decimals: u32) -> String {
    let decimals = decimals.min(6);
    let unit = 10u64.pow(6 - decimals);
    let scaled = t.micros() / unit;
    let per_s = 10u64.pow(decimals);
    let mut out = clock_digits(scaled / per_s);
    if decimals > 0 {
        out.push_str(&format!(
            ".{:0width$}",
            scaled % per_s,
            width = decimals as usize
        ));
    }
    out
}

/// The transport's clock read-out.
pub fn clock(t: SimTime) -> String {
    format!("t = {}", sim_time_at(t))
}

/// Whole seconds as `m:ss`, or `h:mm:ss` from an hour.
fn clock_digits(whole: u64) -> String {
    let (h, m, s) = (whole / 3600, (whole / 60) % 60, whole % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m}:{s:02}")
    }
}

/// A number with thousands separators and `decimals` decimals (the CLI's
/// summary).
pub fn grouped(v: f64, decimals: usize) -> String {
    let s = format!("{:.*}", decimals, v.abs());
    let (int, frac) = s.split_once('.').unwrap_or((s.as_str(), ""));
    let mut out = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if !frac.is_empty() {
        out.push('.');
        out.push_str(frac);
    }
    // No "-0.0": a sign only for what shows as non-zero.
    if v < 0.0 && out.bytes().any(|b| (b'1'..=b'9').contains(&b)) {
        out.insert(0, '-');
    }
    out
}

/// A number for a read-out, three significant digits at most: `0.5`, `250`,
/// `1.23`, `12.5k`, `137k`, `4.4M`.
pub fn number(v: f64) -> String {
    let (div, suffix) = scale_of(v);
    let a = (v / div).abs();
    let decimals = if a >= 100.0 {
        0
    } else if a >= 10.0 {
        1
    } else {
        2
    };
    finish(format!("{:.*}", decimals, v / div), suffix)
}

/// Divisor and suffix for a value: k from 10,000, M from a million.
pub(crate) fn scale_of(v: f64) -> (f64, &'static str) {
    let a = v.abs();
    if a >= 1e6 {
        (1e6, "M")
    } else if a >= 1e4 {
        (1e3, "k")
    } else {
        (1.0, "")
    }
}

/// Trims trailing zeros of a decimal and appends the suffix.
pub(crate) fn finish(s: String, suffix: &str) -> String {
    let s = if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    };
    if s == "0" || s == "-0" {
        return "0".to_string();
    }
    format!("{s}{suffix}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simulated_times() {
        assert_eq!(sim_time(0.0), "0:00");
        assert_eq!(sim_time(95.0), "1:35");
        assert_eq!(sim_time(30.5), "0:30.5");
        assert_eq!(sim_time(3725.0), "1:02:05");
        assert_eq!(sim_time(199.96), "3:19.9", "cut, not rounded up");
        assert_eq!(sim_time(0.1 + 0.2), "0:00.3");
        assert_eq!(sim_time(-30.5), "-0:30.5");
        assert_eq!(sim_time(-0.01), "0:00");
    }

    #[test]
    fn the_clock_and_the_charts_print_a_moment_alike() {
        // Every tenth of the first hour and a bit: the clock (integer
        // microseconds) and a chart (seconds as f64) print the same text.
        for tenths in 0..40_000u64 {
            let t = SimTime(tenths * 100_000);
            assert_eq!(
                sim_time_at(t),
                sim_time(t.as_secs_f64()),
                "at {tenths} tenths"
            );
            assert_eq!(clock(t), format!("t = {}", sim_time(tenths as f64 / 10.0)));
        }
        // Between tenths the clock shows the tenth reached.
        assert_eq!(clock(SimTime(199_960_000)), "t = 3:19.9");
        assert_eq!(sim_time_at(SimTime(200_000_000)), "3:20");
        assert_eq!(sim_time_at(SimTime(3_725_000_000)), "1:02:05");
    }

    #[test]
    fn exact_times() {
        let t = SimTime(80_123_456);
        assert_eq!(sim_time_exact(t, 6), "1:20.123456");
        assert_eq!(sim_time_exact(t, 3), "1:20.123");
        assert_eq!(sim_time_exact(t, 0), "1:20");
        assert_eq!(sim_time_exact(SimTime(5_000), 3), "0:00.005");
        assert_eq!(sim_time_exact(t, 9), "1:20.123456");
    }

    #[test]
    fn numbers() {
        assert_eq!(number(136_812.0), "137k");
        assert_eq!(number(12_500.0), "12.5k");
        assert_eq!(number(1.2345), "1.23");
        assert_eq!(number(0.5), "0.5");
        assert_eq!(grouped(0.0, 0), "0");
        assert_eq!(grouped(999.0, 0), "999");
        assert_eq!(grouped(1_000.0, 0), "1,000");
        assert_eq!(grouped(4_412_181.0, 0), "4,412,181");
        assert_eq!(grouped(1_234_567.891, 2), "1,234,567.89");
        assert_eq!(grouped(-12_345.0, 0), "-12,345");
        assert_eq!(grouped(-0.01, 1), "0.0");
    }
}
