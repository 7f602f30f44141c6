//! The kernel step-through's what-if toggles, as a link carries them: the
//! reader's changes to a copy of the node's namespace (`explain::kernel`
//! applies them; here so that `scenario::url` can encode them).

use super::quoted;
use serde::{Deserialize, Serialize};

/// Kernel what-ifs a reader applies to a copy of the node's namespace
/// (`None`: as simulated).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Toggles {
    /// `net.ipv4.conf.all.rp_filter`.
    pub rp_all: Option<i32>,
    /// `net.ipv4.conf.ens6.rp_filter`.
    pub rp_ens6: Option<i32>,
    /// An IPv4 address on ens6.
    pub ens6_addr: Option<bool>,
    /// `unreachable <pod IP>/32` in the main table (Cilium's later fix).
    pub unreachable: Option<bool>,
}

impl Toggles {
    /// True when nothing is changed.
    pub fn is_default(&self) -> bool {
        *self == Toggles::default()
    }

    /// A compact form for URLs: `a1,e2,addr1,unr0` (only what is set).
    pub fn encode(&self) -> String {
        let mut out = Vec::new();
        if let Some(v) = self.rp_all {
            out.push(format!("a{v}"));
        }
        if let Some(v) = self.rp_ens6 {
            out.push(format!("e{v}"));
        }
        if let Some(v) = self.ens6_addr {
            out.push(format!("addr{}", u8::from(v)));
        }
        if let Some(v) = self.unreachable {
            out.push(format!("unr{}", u8::from(v)));
        }
        out.join(",")
    }

    /// Parses [`Toggles::encode`]'s form; `Err` names the bad piece.
    pub fn decode(s: &str) -> Result<Toggles, String> {
        let mut t = Toggles::default();
        for piece in s.split(',').filter(|p| !p.is_empty()) {
            let rp = |v: &str| -> Result<i32, String> {
                match v {
                    "0" => Ok(0),
                    "1" => Ok(1),
                    "2" => Ok(2),
                    _ => Err(format!(
                        "kernel toggle {}: rp_filter is 0, 1 or 2",
                        quoted(piece)
                    )),
                }
            };
            let flag = |v: &str| -> Result<bool, String> {
                match v {
                    "0" => Ok(false),
                    "1" => Ok(true),
                    _ => Err(format!("kernel toggle {}: 0 or 1", quoted(piece))),
                }
            };
            if let Some(v) = piece.strip_prefix("addr") {
                t.ens6_addr = Some(flag(v)?);
            } else if let Some(v) = piece.strip_prefix("unr") {
                t.unreachable = Some(flag(v)?);
            } else if let Some(v) = piece.strip_prefix('a') {
                t.rp_all = Some(rp(v)?);
            } else if let Some(v) = piece.strip_prefix('e') {
                t.rp_ens6 = Some(rp(v)?);
            } else {
                return Err(format!(
                    "kernel toggle {}: expected aN, eN, addrN or unrN",
                    quoted(piece)
                ));
            }
        }
        Ok(t)
    }
}
