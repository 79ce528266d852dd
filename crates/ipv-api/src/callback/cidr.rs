//! Networks in CIDR notation (`203.0.113.0/24`, `2001:db8::/32`), for the callback
//! server's allow-list.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

/// A network: an address and a prefix length. Parse `a.b.c.d/n`, `v6addr/n`, or a
/// bare address (a network of one). Bits past the prefix are cleared.
///
/// ```
/// use ipv_api::callback::Cidr;
///
/// let net: Cidr = "203.0.113.0/24".parse().unwrap();
/// assert!(net.contains("203.0.113.77".parse().unwrap()));
/// assert!(!net.contains("203.0.114.1".parse().unwrap()));
/// // An IPv4 network also holds the IPv4-mapped IPv6 form of its addresses.
/// assert!(net.contains("::ffff:203.0.113.9".parse().unwrap()));
/// assert!("2001:db8::/32".parse::<Cidr>().unwrap().contains("2001:db8:5::1".parse().unwrap()));
/// assert!("10.0.0.0/33".parse::<Cidr>().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Cidr {
    addr: IpAddr,
    prefix: u8,
}

/// Why a text is not a network.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CidrParseError(String);

impl fmt::Display for CidrParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for CidrParseError {}

fn mask(addr: IpAddr, prefix: u8) -> IpAddr {
    match addr {
        IpAddr::V4(v4) => {
            let bits = u32::from(v4);
            let kept = bits.checked_shr(32 - u32::from(prefix)).unwrap_or(0);
            IpAddr::V4(kept.checked_shl(32 - u32::from(prefix)).unwrap_or(0).into())
        }
        IpAddr::V6(v6) => {
            let bits = u128::from(v6);
            let kept = bits.checked_shr(128 - u32::from(prefix)).unwrap_or(0);
            IpAddr::V6(
                kept.checked_shl(128 - u32::from(prefix))
                    .unwrap_or(0)
                    .into(),
            )
        }
    }
}

impl Cidr {
    /// The network of `addr` with `prefix` bits (at most 32 for IPv4, 128 for IPv6).
    ///
    /// # Errors
    /// A prefix longer than the address.
    pub fn new(addr: IpAddr, prefix: u8) -> Result<Self, CidrParseError> {
        let max = if addr.is_ipv4() { 32 } else { 128 };
        if prefix > max {
            return Err(CidrParseError(format!(
                "prefix /{prefix} is longer than the address ({max} bits)"
            )));
        }
        Ok(Self {
            addr: mask(addr, prefix),
            prefix,
        })
    }

    /// The network's first address.
    #[must_use]
    pub fn addr(&self) -> IpAddr {
        self.addr
    }

    /// The prefix length.
    #[must_use]
    pub fn prefix(&self) -> u8 {
        self.prefix
    }

    /// Whether `ip` is in the network (an IPv4-mapped IPv6 address counts as IPv4).
    #[must_use]
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        ip.is_ipv4() == self.addr.is_ipv4() && mask(ip, self.prefix) == self.addr
    }
}

impl FromStr for Cidr {
    type Err = CidrParseError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let shown: String = text.chars().take(64).collect();
        let bad = || {
            CidrParseError(format!(
                "`{}` is not a network (expected e.g. 203.0.113.0/24 or 2001:db8::/32)",
                ipv_types::text::for_terminal(&shown)
            ))
        };
        let (addr, prefix) = match text.split_once('/') {
            Some((addr, prefix)) => {
                let digits = !prefix.is_empty() && prefix.bytes().all(|b| b.is_ascii_digit());
                let prefix: u8 = prefix.parse().ok().filter(|_| digits).ok_or_else(bad)?;
                (addr, Some(prefix))
            }
            None => (text, None),
        };
        let addr: IpAddr = addr.parse().map_err(|_| bad())?;
        let prefix = prefix.unwrap_or(if addr.is_ipv4() { 32 } else { 128 });
        Self::new(addr, prefix)
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn parses_and_matches() {
        let net: Cidr = "192.168.1.77/24".parse().unwrap();
        assert_eq!(net.to_string(), "192.168.1.0/24");
        assert!(net.contains(ip("192.168.1.1")));
        assert!(!net.contains(ip("192.168.2.1")));
        assert!(!net.contains(ip("::1")));
        let all: Cidr = "0.0.0.0/0".parse().unwrap();
        assert!(all.contains(ip("8.8.8.8")));
        assert!(!all.contains(ip("2001:db8::1")));
        let one: Cidr = "127.0.0.1".parse().unwrap();
        assert_eq!(one.prefix(), 32);
        assert!(one.contains(ip("127.0.0.1")) && !one.contains(ip("127.0.0.2")));
        let v6: Cidr = "2001:db8:abcd::/48".parse().unwrap();
        assert!(v6.contains(ip("2001:db8:abcd:12::1")));
        assert!(!v6.contains(ip("2001:db8:abce::1")));
        let v6all: Cidr = "::/0".parse().unwrap();
        assert!(v6all.contains(ip("2001:db8::1")));
        let host6: Cidr = "::1/128".parse().unwrap();
        assert!(host6.contains(ip("::1")));
    }

    #[test]
    fn refuses_what_is_not_a_network() {
        for text in [
            "",
            "/24",
            "10.0.0.0/",
            "10.0.0.0/33",
            "10.0.0.0/+8",
            "10.0.0.0/-1",
            "10.0.0/8",
            "::/129",
            "example.com/8",
            "10.0.0.0/8/8",
            "10.0.0.0 /8",
        ] {
            assert!(text.parse::<Cidr>().is_err(), "{text}");
        }
        let err = "\u{1b}[2J/8".parse::<Cidr>().unwrap_err().to_string();
        assert!(!err.contains('\u{1b}'), "{err}");
    }
}
