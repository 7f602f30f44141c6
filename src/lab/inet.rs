//! iproute2's address and prefix parsing (`lib/utils.c` of iproute2 6.1:
//! `get_addr_ipv4`, `get_addr_1`, `get_prefix_1`, `get_netmask`), which is
//! laxer than Rust's: `10.1.2` is 10.1.2.0, octets may be hex (`0x0a`) or
//! octal (`012`), a prefix length may be a dotted mask.

use std::net::Ipv4Addr;

/// `inet_prefix` as iproute2 fills it for IPv4.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct InetPrefix {
    /// The address (0.0.0.0 for `default`/`all`/`any`).
    pub addr: Ipv4Addr,
    /// Prefix length (32 for a bare address, 0 for `default`/`all`/`any`).
    pub bitlen: u8,
    /// Bytes sent as the attribute: 4, or 0 for `all`/`any` (and for
    /// `default` while the family is still unknown).
    pub bytelen: u8,
    /// A `/N` was given (or the word `default`).
    pub len_given: bool,
}

/// `strtoul(s, &end, 0)`: the value and the rest of the string.
fn strtoul0(s: &str) -> Option<(u64, &str)> {
    let (radix, digits) = if let Some(h) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        (16, h)
    } else if s.len() > 1 && s.starts_with('0') {
        (8, &s[1..])
    } else {
        (10, s)
    };
    let end = digits
        .char_indices()
        .find(|(_, c)| !c.is_digit(radix))
        .map(|(i, _)| i)
        .unwrap_or(digits.len());
    if end == 0 {
        // "0x" alone parses as 0 followed by "x"; a lone "0" is handled as octal "".
        return if radix == 8 || radix == 16 {
            Some((0, &s[1..]))
        } else {
            None
        };
    }
    let v = u64::from_str_radix(&digits[..end], radix).unwrap_or(u64::MAX);
    Some((v, &digits[end..]))
}

/// `get_addr_ipv4`: one to four parts separated by dots, missing trailing
/// parts are zero.
pub(super) fn parse_ipv4(s: &str) -> Option<Ipv4Addr> {
    let mut o = [0u8; 4];
    let mut cp = s;
    for (i, slot) in o.iter_mut().enumerate() {
        let (n, rest) = strtoul0(cp)?;
        if n > 255 {
            return None;
        }
        *slot = n as u8;
        if rest.is_empty() {
            return Some(Ipv4Addr::from(o));
        }
        if i == 3 || !rest.starts_with('.') {
            return None;
        }
        cp = &rest[1..];
    }
    None
}

/// `get_unsigned(.., 0)`.
pub(super) fn parse_unsigned(s: &str) -> Option<u32> {
    let (v, rest) = strtoul0(s)?;
    if !rest.is_empty() || v > u32::MAX as u64 {
        return None;
    }
    Some(v as u32)
}

/// `get_netmask`: a number, or a dotted contiguous mask.
fn parse_netmask(s: &str) -> Option<u32> {
    if let Some(v) = parse_unsigned(s) {
        return Some(v);
    }
    let m = u32::from(parse_ipv4(s)?);
    let bits = m.leading_ones();
    (m.checked_shl(bits).unwrap_or(0) == 0).then_some(bits)
}

/// `get_prefix_1` for IPv4; `None` where iproute2 prints "... prefix is
/// expected rather than ...". `family_known` is whether the request's family
/// was already set to inet by an earlier address.
pub(super) fn parse_prefix(s: &str, family_known: bool) -> Option<InetPrefix> {
    let (a, len) = match s.split_once('/') {
        Some((a, l)) => (a, Some(l)),
        None => (s, None),
    };
    let word = |bytelen: u8, len_given: bool| InetPrefix {
        addr: Ipv4Addr::UNSPECIFIED,
        bitlen: 0,
        bytelen,
        len_given,
    };
    match a {
        "default" if len.is_none() => {
            return Some(word(if family_known { 4 } else { 0 }, true));
        }
        "all" | "any" if len.is_none() => return Some(word(0, false)),
        "default" | "all" | "any" => return None,
        _ => {}
    }
    if a.contains(':') {
        return None;
    }
    let addr = parse_ipv4(a)?;
    let bitlen = match len {
        None => 32,
        Some(l) => {
            let n = parse_netmask(l)?;
            if n > 32 {
                return None;
            }
            n as u8
        }
    };
    Some(InetPrefix {
        addr,
        bitlen,
        bytelen: 4,
        len_given: len.is_some(),
    })
}

/// The "Error: ... prefix is expected" text (`get_prefix`).
pub(super) fn prefix_error(s: &str, family_known: bool) -> String {
    format!(
        "Error: {} prefix is expected rather than \"{s}\".",
        if family_known { "inet" } else { "any valid" }
    )
}

/// The "Error: ... address is expected" text (`get_addr`).
pub(super) fn addr_error(s: &str, family_known: bool) -> String {
    format!(
        "Error: {} address is expected rather than \"{s}\".",
        if family_known { "inet" } else { "any valid" }
    )
}

/// `get_addr_1` for IPv4 (no `/N`).
pub(super) fn parse_addr(s: &str) -> Option<Ipv4Addr> {
    if s.contains('/') || s.contains(':') {
        return None;
    }
    match s {
        "default" | "all" | "any" => Some(Ipv4Addr::UNSPECIFIED),
        _ => parse_ipv4(s),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iproute2_accepts_short_hex_and_octal_addresses() {
        assert_eq!(parse_ipv4("10.1.2"), Some(Ipv4Addr::new(10, 1, 2, 0)));
        assert_eq!(parse_ipv4("0x0a.010.0.1"), Some(Ipv4Addr::new(10, 8, 0, 1)));
        assert_eq!(parse_ipv4("10.0.0.300"), None);
        assert_eq!(parse_ipv4("10.0.0.x"), None);
        assert_eq!(parse_ipv4("10.0.0.1.2"), None);
        assert_eq!(parse_ipv4(""), None);
        assert_eq!(parse_ipv4("0"), Some(Ipv4Addr::UNSPECIFIED));
    }

    #[test]
    fn prefixes_with_lengths_and_masks() {
        let p = parse_prefix("10.0.64.0/255.255.192.0", true).unwrap();
        assert_eq!((p.addr, p.bitlen), (Ipv4Addr::new(10, 0, 64, 0), 18));
        assert!(parse_prefix("10.0.64.0/33", true).is_none());
        assert!(parse_prefix("10.0.64.0/255.0.255.0", true).is_none());
        assert_eq!(parse_prefix("default", false).unwrap().bytelen, 0);
        assert_eq!(parse_prefix("default", true).unwrap().bytelen, 4);
        assert_eq!(parse_prefix("10.0.0.1", false).unwrap().bitlen, 32);
    }
}
