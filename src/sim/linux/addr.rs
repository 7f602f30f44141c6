//! IPv4 prefixes (`A.B.C.D/N`) as the kernel's FIB keys them.

use std::fmt;
use std::net::Ipv4Addr;
use std::str::FromStr;

/// An IPv4 prefix. The address is stored masked, as `ip route` stores it
/// (iproute2 rejects host bits only for some commands; the kernel's FIB refuses
/// a destination with host bits set: `Error: Invalid prefix for given prefix length.`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Prefix {
    addr: u32,
    len: u8,
}

/// The netmask for a prefix length.
pub const fn mask(len: u8) -> u32 {
    if len == 0 {
        0
    } else {
        u32::MAX << (32 - len as u32)
    }
}

impl Prefix {
    /// `0.0.0.0/0`, written `default` by iproute2 and `all` in `ip rule`.
    pub const ANY: Prefix = Prefix { addr: 0, len: 0 };

    /// A prefix; `None` if `len > 32` or the address has bits beyond the mask.
    pub fn new(addr: Ipv4Addr, len: u8) -> Option<Prefix> {
        let a = u32::from(addr);
        if len > 32 || a & !mask(len) != 0 {
            return None;
        }
        Some(Prefix { addr: a, len })
    }

    /// The prefix containing `addr` with length `len`, host bits cleared.
    pub fn truncating(addr: Ipv4Addr, len: u8) -> Prefix {
        let len = len.min(32);
        Prefix {
            addr: u32::from(addr) & mask(len),
            len,
        }
    }

    /// A host route key (`/32`).
    pub fn host(addr: Ipv4Addr) -> Prefix {
        Prefix {
            addr: u32::from(addr),
            len: 32,
        }
    }

    /// The network address.
    pub fn addr(self) -> Ipv4Addr {
        Ipv4Addr::from(self.addr)
    }

    /// The prefix length.
    #[allow(clippy::len_without_is_empty)] // a prefix length, not a size
    pub fn len(self) -> u8 {
        self.len
    }

    /// True for `0.0.0.0/0`.
    pub fn is_default(self) -> bool {
        self.len == 0
    }

    /// True if `ip` falls inside this prefix.
    pub fn contains(self, ip: Ipv4Addr) -> bool {
        u32::from(ip) & mask(self.len) == self.addr
    }

    /// The directed broadcast address of the prefix.
    pub fn broadcast(self) -> Ipv4Addr {
        Ipv4Addr::from(self.addr | !mask(self.len))
    }
}

impl fmt::Display for Prefix {
    /// iproute2 style: a `/32` prints as the bare address, `0/0` as `default`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.len == 0 {
            write!(f, "default")
        } else if self.len == 32 {
            write!(f, "{}", self.addr())
        } else {
            write!(f, "{}/{}", self.addr(), self.len)
        }
    }
}

/// Why a prefix did not parse.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PrefixError {
    /// Not an address, or a bad `/N`.
    Malformed,
    /// Host bits set beyond the prefix length (only where the caller is strict).
    HostBits,
}

impl FromStr for Prefix {
    type Err = PrefixError;
    /// Parses `default`, `A.B.C.D` (a /32) or `A.B.C.D/N`, strictly.
    fn from_str(s: &str) -> Result<Prefix, PrefixError> {
        let (addr, len) = parse_loose(s)?;
        Prefix::new(addr, len).ok_or(PrefixError::HostBits)
    }
}

/// Parses `default`/`all`, `A.B.C.D` or `A.B.C.D/N` without checking host bits.
pub fn parse_loose(s: &str) -> Result<(Ipv4Addr, u8), PrefixError> {
    if s == "default" || s == "all" || s == "any" {
        return Ok((Ipv4Addr::UNSPECIFIED, 0));
    }
    let (a, l) = match s.split_once('/') {
        Some((a, l)) => (a, Some(l)),
        None => (s, None),
    };
    let addr: Ipv4Addr = a.parse().map_err(|_| PrefixError::Malformed)?;
    let len = match l {
        None => 32,
        Some(l) => match l.parse::<u8>() {
            Ok(n) if n <= 32 && !l.starts_with('+') => n,
            _ => return Err(PrefixError::Malformed),
        },
    };
    Ok((addr, len))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_like_iproute2() {
        let p: Prefix = "10.0.0.0/16".parse().unwrap();
        assert_eq!(p.to_string(), "10.0.0.0/16");
        assert_eq!(
            "10.1.2.3".parse::<Prefix>().unwrap().to_string(),
            "10.1.2.3"
        );
        assert_eq!("default".parse::<Prefix>().unwrap().to_string(), "default");
        assert_eq!("10.1.2.3/24".parse::<Prefix>(), Err(PrefixError::HostBits));
        assert_eq!("10.1.2/24".parse::<Prefix>(), Err(PrefixError::Malformed));
        assert_eq!("10.1.2.0/33".parse::<Prefix>(), Err(PrefixError::Malformed));
    }

    #[test]
    fn containment_and_broadcast() {
        let p = Prefix::truncating("10.0.1.10".parse().unwrap(), 24);
        assert!(p.contains("10.0.1.255".parse().unwrap()));
        assert!(!p.contains("10.0.2.1".parse().unwrap()));
        assert_eq!(p.broadcast(), "10.0.1.255".parse::<Ipv4Addr>().unwrap());
        assert!(Prefix::ANY.contains("192.0.2.1".parse().unwrap()));
    }
}
