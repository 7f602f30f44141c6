//! Wall-clock times for simulated instants.
//!
//! A run has no date; the exports place simulated time 0 at
//! **2021-09-14T14:00:00Z**, an afternoon in the week of the incident
//! (Datadog's post-mortem describes September 2021), so captures and logs
//! read like the real ones. Calendar arithmetic is done here on integers
//! (no clock, no time-zone data: every time is UTC).

use crate::sim::time::SimTime;

/// Unix time (seconds) of simulated time 0: 2021-09-14T14:00:00Z.
pub const EPOCH_UNIX: u64 = 1_631_628_000;

/// Microseconds since the Unix epoch of a simulated instant.
pub fn unix_micros(t: SimTime) -> u64 {
    EPOCH_UNIX * 1_000_000 + t.micros()
}

/// Whole seconds since the Unix epoch of a simulated instant.
pub fn unix_secs(t: SimTime) -> u64 {
    EPOCH_UNIX + t.secs()
}

/// A UTC calendar time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Civil {
    /// Year.
    pub year: i64,
    /// Month, 1–12.
    pub month: u32,
    /// Day of the month, 1–31.
    pub day: u32,
    /// Hour, 0–23.
    pub hour: u32,
    /// Minute.
    pub minute: u32,
    /// Second.
    pub second: u32,
}

impl Civil {
    /// The UTC calendar time of a Unix time in seconds.
    ///
    /// Days to date with Howard Hinnant's `civil_from_days` algorithm
    /// (proleptic Gregorian calendar, exact for every `i64` day count used here).
    pub fn from_unix(secs: u64) -> Civil {
        let days = (secs / 86_400) as i64;
        let rem = secs % 86_400;
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        let year = yoe + era * 400 + i64::from(month <= 2);
        Civil {
            year,
            month,
            day,
            hour: (rem / 3_600) as u32,
            minute: (rem / 60 % 60) as u32,
            second: (rem % 60) as u32,
        }
    }

    /// The calendar time of a simulated instant.
    pub fn of(t: SimTime) -> Civil {
        Civil::from_unix(unix_secs(t))
    }

    /// `Mmm dd hh:mm:ss`, the BSD syslog TIMESTAMP (RFC 3164 §4.1.2: a day
    /// below 10 is padded with a space, not a zero).
    pub fn syslog(&self) -> String {
        const MONTHS: [&str; 12] = [
            "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
        ];
        format!(
            "{} {:>2} {:02}:{:02}:{:02}",
            MONTHS[(self.month - 1) as usize],
            self.day,
            self.hour,
            self.minute,
            self.second
        )
    }
}

/// RFC 3339 UTC time with microseconds, e.g. `2021-09-14T14:03:12.250000Z`.
pub fn rfc3339(t: SimTime) -> String {
    let c = Civil::of(t);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
        c.year,
        c.month,
        c.day,
        c.hour,
        c.minute,
        c.second,
        t.micros() % 1_000_000
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epoch_is_the_documented_afternoon() {
        let c = Civil::from_unix(EPOCH_UNIX);
        assert_eq!(
            (c.year, c.month, c.day, c.hour, c.minute, c.second),
            (2021, 9, 14, 14, 0, 0)
        );
        assert_eq!(
            Civil::from_unix(0),
            Civil {
                year: 1970,
                month: 1,
                day: 1,
                hour: 0,
                minute: 0,
                second: 0
            }
        );
        // 2000-03-01 (after a leap day in a century leap year) = 951868800.
        assert_eq!(
            (
                Civil::from_unix(951_868_800).month,
                Civil::from_unix(951_868_800).day
            ),
            (3, 1)
        );
        assert_eq!(Civil::from_unix(951_868_799).day, 29);
    }

    #[test]
    fn syslog_and_rfc3339_formats() {
        let t = SimTime(192_250_000); // 3 min 12.25 s
        assert_eq!(Civil::of(t).syslog(), "Sep 14 14:03:12");
        assert_eq!(rfc3339(t), "2021-09-14T14:03:12.250000Z");
        // Past midnight the date moves on; single-digit days are space-padded.
        let next = SimTime::from_secs(10 * 3_600 + 17 * 86_400);
        assert_eq!(Civil::of(next).syslog(), "Oct  2 00:00:00");
    }
}
