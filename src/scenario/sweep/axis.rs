//! One axis of a sweep: a parameter (or the seed) and the values it takes,
//! written `KEY=VALUES` on the command line and `KEY:VALUES` in a URL (as
//! `set=` writes `key:value`). VALUES is one of
//!
//! - `A..B:lin:N` or `A..B:log:N`: N integers from A to B, evenly spaced or
//!   on a log scale, each rounded to the nearest integer (repeats after
//!   rounding are dropped: a log axis over small integers has fewer cells);
//! - `A..B`: every integer from A to B (`seed=1..20`);
//! - `V1,V2,...`: listed values of any parameter (`lb_policy=round_robin,pick_first`).
//!
//! Every value is checked by the parameter catalog, so an out-of-range one
//! is refused with the catalog's message naming the key and its range.

use crate::scenario::catalog::{self, Kind};
use crate::scenario::quoted;
use std::fmt;

/// The most values one axis (and the whole grid) may have: each is a run.
pub const MAX_CELLS: usize = 400;

/// The key of the seed axis (not a catalog parameter: the run's root seed).
pub const SEED: &str = "seed";

/// How a range is spaced.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scale {
    /// Evenly.
    Lin,
    /// Evenly in the logarithm (both ends must be at least 1).
    Log,
}

/// What values an axis takes, as written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Values {
    /// `A..B:lin|log:N`.
    Range {
        /// First value.
        from: i64,
        /// Last value.
        to: i64,
        /// Spacing.
        scale: Scale,
        /// How many points before rounding drops repeats.
        count: usize,
    },
    /// `A..B`: every integer.
    Each {
        /// First value.
        from: i64,
        /// Last value.
        to: i64,
    },
    /// Listed values, canonical (as the catalog prints them).
    List(Vec<String>),
}

/// One axis: a key and its values.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Axis {
    /// A catalog key, or [`SEED`].
    pub key: String,
    /// As written (canonical).
    pub values: Values,
}

impl Axis {
    /// Parses `KEY=VALUES` or `KEY:VALUES`.
    pub fn parse(text: &str) -> Result<Axis, String> {
        let cut = text.find(['=', ':']).ok_or_else(|| {
            format!(
                "axis {}: expected KEY=VALUES (A..B:lin|log:N, A..B or V1,V2,...)",
                quoted(text)
            )
        })?;
        let key = text[..cut].trim();
        let spec = text[cut + 1..].trim();
        let kind = if key == SEED {
            Kind::Int {
                min: 0,
                max: i64::MAX,
            }
        } else {
            catalog::spec(key)
                .ok_or_else(|| {
                    format!(
                        "unknown parameter {} (see `incident-sim params`)",
                        quoted(key)
                    )
                })?
                .kind
        };
        let values = parse_values(key, kind, spec)?;
        let axis = Axis {
            key: key.to_string(),
            values,
        };
        let n = axis.points().len();
        if n < 2 {
            return Err(format!(
                "{key}: an axis needs at least two distinct values, {} has {n}",
                quoted(spec)
            ));
        }
        if n > MAX_CELLS {
            return Err(format!(
                "{key}: {n} values, more than the {MAX_CELLS} a sweep may run"
            ));
        }
        Ok(axis)
    }

    /// The values as text, in order, repeats after rounding dropped.
    pub fn points(&self) -> Vec<String> {
        match &self.values {
            Values::List(v) => v.clone(),
            Values::Each { from, to } => {
                // Bounded before it is built: a huge range is refused by count.
                let n = to.saturating_sub(*from).saturating_add(1);
                if n > MAX_CELLS as i64 {
                    return (0..=MAX_CELLS as i64)
                        .map(|i| (from + i).to_string())
                        .collect();
                }
                (*from..=*to).map(|v| v.to_string()).collect()
            }
            Values::Range {
                from,
                to,
                scale,
                count,
            } => {
                let mut out: Vec<String> = Vec::with_capacity(*count);
                for i in 0..*count {
                    let v = point(*from, *to, *scale, i, *count).to_string();
                    if out.last() != Some(&v) {
                        out.push(v);
                    }
                }
                out
            }
        }
    }

    /// The text after `KEY=`/`KEY:`.
    pub fn values_text(&self) -> String {
        match &self.values {
            Values::Range {
                from,
                to,
                scale,
                count,
            } => {
                let s = match scale {
                    Scale::Lin => "lin",
                    Scale::Log => "log",
                };
                format!("{from}..{to}:{s}:{count}")
            }
            Values::Each { from, to } => format!("{from}..{to}"),
            Values::List(v) => v.join(","),
        }
    }
}

/// `KEY=VALUES`, as `--vary` takes it.
impl fmt::Display for Axis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}={}", self.key, self.values_text())
    }
}

/// Point `i` of `count` from `from` to `to`, rounded to the nearest
/// integer. Linear points are exact integer arithmetic; log points use
/// `libm` so that the page (wasm) and the command line get the same ones.
fn point(from: i64, to: i64, scale: Scale, i: usize, count: usize) -> i64 {
    let last = count - 1;
    if i == 0 {
        return from;
    }
    if i == last {
        return to;
    }
    match scale {
        Scale::Lin => {
            let span = i128::from(to) - i128::from(from);
            let num = span * i as i128;
            let d = last as i128;
            // Round half away from zero.
            let q = (2 * num + num.signum() * d) / (2 * d);
            (i128::from(from) + q) as i64
        }
        Scale::Log => {
            let (a, b) = (libm::log(from as f64), libm::log(to as f64));
            let v = libm::exp(a + (b - a) * i as f64 / last as f64);
            libm::round(v) as i64
        }
    }
}

/// Checks one value against the key's kind; the catalog's message on error.
fn check(key: &str, value: &str) -> Result<String, String> {
    if key == SEED {
        return value
            .trim()
            .parse::<u64>()
            .map(|v| v.to_string())
            .map_err(|_| {
                format!(
                    "seed: {} is not an integer (allowed 0..={})",
                    quoted(value),
                    u64::MAX
                )
            });
    }
    catalog::spec(key).expect("known key").check(value)
}

fn parse_int(key: &str, value: &str) -> Result<i64, String> {
    let v = check(key, value)?;
    v.parse::<i64>()
        .map_err(|_| format!("{key}: {} is beyond a sweep's range", quoted(value)))
}

fn parse_values(key: &str, kind: Kind, spec: &str) -> Result<Values, String> {
    let Some((from, rest)) = spec.split_once("..") else {
        let mut list: Vec<String> = Vec::new();
        for v in spec.split(',') {
            let c = check(key, v)?;
            if list.contains(&c) {
                return Err(format!("{key}: {} is listed twice", quoted(&c)));
            }
            list.push(c);
        }
        return Ok(Values::List(list));
    };
    if !matches!(kind, Kind::Int { .. }) {
        return Err(format!(
            "{key}: a range needs an integer parameter; list the values instead ({})",
            catalog::spec(key).map_or(String::new(), |s| s.range_text().replace('|', ","))
        ));
    }
    let mut parts = rest.split(':');
    let to = parts.next().unwrap_or_default();
    let (from, to) = (parse_int(key, from)?, parse_int(key, to)?);
    if from >= to {
        return Err(format!(
            "{key}: the range {from}..{to} does not rise (write the smaller end first)"
        ));
    }
    let scale = match parts.next() {
        None => return Ok(Values::Each { from, to }),
        Some("lin") => Scale::Lin,
        Some("log") => Scale::Log,
        Some(other) => return Err(format!("{key}: scale {} is not lin or log", quoted(other))),
    };
    let count = match (parts.next(), parts.next()) {
        (Some(n), None) => n
            .trim()
            .parse::<usize>()
            .ok()
            .filter(|n| (2..=MAX_CELLS).contains(n)),
        _ => None,
    }
    .ok_or_else(|| {
        format!(
            "{key}: {} should end :lin:N or :log:N with N in 2..={MAX_CELLS}",
            quoted(spec)
        )
    })?;
    if scale == Scale::Log && from < 1 {
        return Err(format!(
            "{key}: a log range starts at 1 or more, not {from}"
        ));
    }
    Ok(Values::Range {
        from,
        to,
        scale,
        count,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pts(s: &str) -> Vec<String> {
        Axis::parse(s)
            .unwrap_or_else(|e| panic!("{s}: {e}"))
            .points()
    }

    #[test]
    fn ranges_lists_and_seeds_give_their_points() {
        assert_eq!(
            pts("max_delay_ms=100..120000:log:4"),
            ["100", "1063", "11292", "120000"]
        );
        assert_eq!(pts("replicas=10..20:lin:3"), ["10", "15", "20"]);
        assert_eq!(pts("seed=1..3"), ["1", "2", "3"]);
        assert_eq!(
            pts("lb_policy=round_robin,pick_first"),
            ["round_robin", "pick_first"]
        );
        assert_eq!(pts("rollout=on,off"), ["true", "false"]);
        // Integers on a log scale: repeats dropped, ends kept.
        assert_eq!(pts("rp_filter_ens6=1..2:log:5"), ["1", "2"]);
        assert_eq!(pts("replicas:1..8:log:4"), ["1", "2", "4", "8"]);
    }

    #[test]
    fn the_printed_form_parses_back_to_the_same_axis() {
        for s in [
            "max_delay_ms=100..120000:log:12",
            "conntrack_allowance=20000..200000:lin:10",
            "seed=1..20",
            "lb_policy=round_robin,pick_first",
            "kernel=5.10,6.18",
            "grpc_semantics=go-1.40,deadline-paced",
            "max_delay_ms=1_000..2_000:lin:3",
        ] {
            let a = Axis::parse(s).unwrap();
            let printed = a.to_string();
            assert_eq!(Axis::parse(&printed).unwrap(), a, "{s} → {printed}");
            let url = format!("{}:{}", a.key, a.values_text());
            assert_eq!(Axis::parse(&url).unwrap(), a, "{url}");
        }
        assert_eq!(
            Axis::parse("grpc_semantics=go-1.40,spec")
                .unwrap()
                .to_string(),
            "grpc_semantics=reconnect-on-disconnect,deadline-paced"
        );
    }

    #[test]
    fn bad_axes_are_refused_naming_what_is_wrong() {
        for (s, needle) in [
            (
                "max_delay_ms=0..100:log:3",
                "out of range (allowed 1..=600000 ms)",
            ),
            (
                "max_delay_ms=1..9999999:lin:3",
                "max_delay_ms: 9999999 is out of range",
            ),
            ("frob=1..2", "unknown parameter \"frob\""),
            ("lb_policy=round_robin,random", "round_robin|pick_first"),
            ("lb_policy=round_robin,round_robin", "listed twice"),
            ("lb_policy=a..b", "integer parameter"),
            ("replicas=20..10", "does not rise"),
            ("replicas=1..20:cubic:3", "not lin or log"),
            ("replicas=1..20:lin:1", "N in 2..=400"),
            ("replicas=1..20:lin", "N in 2..=400"),
            ("replicas=1..20:lin:x", "N in 2..=400"),
            ("replicas", "expected KEY=VALUES"),
            ("replicas=7", "at least two"),
            ("seed=1..1000", "more than the 400"),
            ("seed=0..9223372036854775807", "more than the 400"),
            ("seed=-1..3", "seed: \"-1\" is not an integer"),
            ("conntrack_allowance=1000..2000:log:600", "N in 2..=400"),
        ] {
            let e = Axis::parse(s).expect_err(s);
            assert!(e.contains(needle), "{s}: {e}");
        }
    }
}
