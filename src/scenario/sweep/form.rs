//! The page's form for a sweep's axis (parameter, range, steps, log or
//! linear; or listed values) and its round trip to the axis syntax, so the
//! page's form and `--vary` can never disagree: the form only writes text
//! that [`Axis::parse`] then checks.

use super::axis::{Scale, Values};
use super::{Axis, SEED};
use crate::scenario::catalog::{self, Kind, PARAMS};

/// How an axis's values are given in the form.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// `A..B:log:N`.
    Log,
    /// `A..B:lin:N`.
    Lin,
    /// `A..B`: every integer.
    Each,
    /// `V1,V2,...`.
    List,
}

impl Mode {
    /// Every mode, in the form's order.
    pub const ALL: [Mode; 4] = [Mode::Log, Mode::Lin, Mode::Each, Mode::List];

    /// Its name in the form.
    pub fn name(self) -> &'static str {
        match self {
            Mode::Log => "log",
            Mode::Lin => "lin",
            Mode::Each => "each",
            Mode::List => "list",
        }
    }

    /// The mode named `name` (the form's select), `List` if unknown.
    pub fn parse(name: &str) -> Mode {
        Mode::ALL
            .into_iter()
            .find(|m| m.name() == name)
            .unwrap_or(Mode::List)
    }

    /// What the form shows for it.
    pub fn label(self) -> &'static str {
        match self {
            Mode::Log => "log range",
            Mode::Lin => "linear range",
            Mode::Each => "every integer",
            Mode::List => "listed values",
        }
    }
}

/// One axis as the form holds it (all text, as typed).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AxisForm {
    /// A catalog key or `seed`.
    pub key: String,
    /// How the values are given.
    pub mode: Mode,
    /// Range start.
    pub from: String,
    /// Range end.
    pub to: String,
    /// Points of a lin/log range.
    pub steps: String,
    /// Listed values, comma-separated.
    pub list: String,
}

/// Keys the form offers: the seed, then every catalog parameter.
pub fn keys() -> Vec<&'static str> {
    std::iter::once(SEED)
        .chain(PARAMS.iter().map(|p| p.key))
        .collect()
}

/// True if `key` takes integers (ranges make sense).
pub fn numeric(key: &str) -> bool {
    key == SEED || catalog::spec(key).is_some_and(|s| matches!(s.kind, Kind::Int { .. }))
}

impl AxisForm {
    /// A first guess for `key`: seeds 1 to 8; an integer parameter over
    /// its range in 8 steps (log when the range spans two decades or more);
    /// otherwise every listed value.
    pub fn suggest(key: &str) -> AxisForm {
        let mut f = AxisForm {
            key: key.to_string(),
            mode: Mode::List,
            from: String::new(),
            to: String::new(),
            steps: "8".into(),
            list: String::new(),
        };
        if key == SEED {
            f.mode = Mode::Each;
            f.from = "1".into();
            f.to = "8".into();
            return f;
        }
        match catalog::spec(key).map(|s| s.kind) {
            Some(Kind::Int { min, max }) => {
                let lo = min.max(1);
                f.mode = if max >= lo.saturating_mul(100) {
                    Mode::Log
                } else {
                    Mode::Lin
                };
                f.from = lo.min(max).to_string();
                f.to = max.to_string();
                if max - lo < 8 {
                    f.mode = Mode::Each;
                }
            }
            Some(Kind::Bool) => f.list = "true,false".into(),
            Some(Kind::Enum(opts)) => f.list = opts.join(","),
            None => {}
        }
        f
    }

    /// The form showing `axis`.
    pub fn of(axis: &Axis) -> AxisForm {
        let mut f = AxisForm::suggest(&axis.key);
        match &axis.values {
            Values::Range {
                from,
                to,
                scale,
                count,
            } => {
                f.mode = match scale {
                    Scale::Lin => Mode::Lin,
                    Scale::Log => Mode::Log,
                };
                f.from = from.to_string();
                f.to = to.to_string();
                f.steps = count.to_string();
            }
            Values::Each { from, to } => {
                f.mode = Mode::Each;
                f.from = from.to_string();
                f.to = to.to_string();
            }
            Values::List(v) => {
                f.mode = Mode::List;
                f.list = v.join(",");
            }
        }
        f
    }

    /// The axis as `key:values` (what a link carries); [`Axis::parse`]
    /// checks it.
    pub fn text(&self) -> String {
        let (a, b, n) = (self.from.trim(), self.to.trim(), self.steps.trim());
        let values = match self.mode {
            Mode::Log => format!("{a}..{b}:log:{n}"),
            Mode::Lin => format!("{a}..{b}:lin:{n}"),
            Mode::Each => format!("{a}..{b}"),
            Mode::List => self.list.split_whitespace().collect::<String>(),
        };
        format!("{}:{values}", self.key)
    }

    /// The axis, or the catalog's message.
    pub fn axis(&self) -> Result<Axis, String> {
        Axis::parse(&self.text())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_axis_form_round_trips_through_the_axis_syntax() {
        for text in [
            "max_delay_ms:100..120000:log:12",
            "conntrack_allowance:50000..250000:lin:5",
            "seed:1..20",
            "lb_policy:round_robin,pick_first",
        ] {
            let a = Axis::parse(text).unwrap();
            let f = AxisForm::of(&a);
            assert_eq!(f.text(), text);
            assert_eq!(f.axis().unwrap(), a);
        }
    }

    #[test]
    fn suggestions_are_valid_axes_for_every_key() {
        for k in keys() {
            let f = AxisForm::suggest(k);
            let a = f.axis();
            // A suggestion may fail only where the key has a single value.
            if let Err(e) = &a {
                assert!(e.contains("at least two"), "{k}: {e}");
            }
            assert_eq!(numeric(k), f.mode != Mode::List, "{k}");
        }
        assert_eq!(AxisForm::suggest("seed").text(), "seed:1..8");
        let e = AxisForm {
            from: "0".into(),
            ..AxisForm::suggest("max_delay_ms")
        }
        .axis()
        .unwrap_err();
        assert!(e.contains("max_delay_ms"), "{e}");
    }
}
