//! Series values as they cross to the page: most are counts or gauges of
//! whole numbers (93 % over a run at the ranges' extremes), which as an
//! integer take one or two bytes in the worker's variable-length encoding
//! (`run::wire`) where an `f64` takes eight. Any other value (a fraction,
//! -0, a NaN, beyond 2^53) crosses as the `f64` itself, so every value
//! comes back bit for bit.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// One value on the wire.
#[derive(Serialize, Deserialize)]
enum Num {
    Int(i64),
    Float(f64),
}

/// Largest magnitude below which every whole `f64` is an exact `i64`.
const EXACT: f64 = (1u64 << 53) as f64;

impl Num {
    fn of(v: f64) -> Num {
        let whole = v.fract() == 0.0 && v.abs() < EXACT && !(v == 0.0 && v.is_sign_negative());
        if whole {
            Num::Int(v as i64)
        } else {
            Num::Float(v)
        }
    }

    fn value(self) -> f64 {
        match self {
            Num::Int(i) => i as f64,
            Num::Float(f) => f,
        }
    }
}

/// A series as a sequence of [`Num`]s.
struct Values<'a>(&'a [f64]);

impl Serialize for Values<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.iter().map(|v| Num::of(*v)))
    }
}

fn read(nums: Vec<Num>) -> Vec<f64> {
    nums.into_iter().map(Num::value).collect()
}

/// `#[serde(with)]` for `Vec<Vec<f64>>`.
pub mod series {
    use super::*;

    pub fn serialize<S: Serializer>(v: &[Vec<f64>], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(v.iter().map(|x| Values(x)))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Vec<f64>>, D::Error> {
        let raw: Vec<Vec<Num>> = Vec::deserialize(d)?;
        Ok(raw.into_iter().map(read).collect())
    }
}

/// `#[serde(with)]` for `Vec<Vec<Vec<f64>>>`.
pub mod per_node {
    use super::*;

    struct Node<'a>(&'a [Vec<f64>]);

    impl Serialize for Node<'_> {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            s.collect_seq(self.0.iter().map(|x| Values(x)))
        }
    }

    pub fn serialize<S: Serializer>(v: &[Vec<Vec<f64>>], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(v.iter().map(|n| Node(n)))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Vec<Vec<f64>>>, D::Error> {
        let raw: Vec<Vec<Vec<Num>>> = Vec::deserialize(d)?;
        Ok(raw
            .into_iter()
            .map(|n| n.into_iter().map(read).collect())
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::metrics::SeriesTail;

    /// Whole numbers, fractions, signed zeros, infinities, NaN and values
    /// past 2^53 all come back bit for bit, and whole numbers take fewer
    /// bytes than `f64`s.
    #[test]
    fn every_value_comes_back_bit_for_bit() {
        let values = vec![
            0.0,
            -0.0,
            1.0,
            -3.0,
            0.5,
            1e-300,
            f64::MAX,
            f64::MIN_POSITIVE,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
            EXACT - 1.0,
            EXACT,
            -EXACT,
            123_456_789.0,
        ];
        let tail = SeriesTail {
            from: 7,
            global: vec![values.clone(), vec![]],
            node: vec![vec![values.clone()], vec![]],
        };
        let bytes = crate::run::wire::encode(&tail).expect("encodes");
        let back: SeriesTail = crate::run::wire::decode(&bytes).expect("decodes");
        assert_eq!(back.from, 7);
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&back.global[0]), bits(&values));
        assert_eq!(bits(&back.node[0][0]), bits(&values));
        assert!(back.global[1].is_empty() && back.node[1].is_empty());

        let counts = SeriesTail {
            from: 0,
            global: vec![(0..1000).map(|i| f64::from(i % 200)).collect()],
            node: vec![],
        };
        let n = crate::run::wire::encode(&counts).expect("encodes").len();
        assert!(n < 3 * 1000, "{n} bytes for 1,000 small counts");
    }
}
