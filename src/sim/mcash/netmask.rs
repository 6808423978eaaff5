//! A user's `netmask` ("Valid netmask IP v 4 and 6", e.g. `192.168.1.0/24`): which client
//! addresses may use the user's credentials.
//!
//! Decided here (the document gives only the example): the text is an address with an optional
//! `/prefix` (a bare address is one host); host bits set below the prefix are ignored, as
//! Python's `ip_network(strict=False)` does; an IPv4 netmask also matches IPv4-mapped IPv6
//! peers (`::ffff:127.0.0.1`), since a dual-stack listener reports IPv4 clients that way.

use std::net::IpAddr;

/// A parsed netmask.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Netmask {
    addr: IpAddr,
    prefix: u8,
}

impl Netmask {
    /// Parses `a.b.c.d/n`, `a.b.c.d`, `x::y/n` or `x::y`.
    pub fn parse(text: &str) -> Option<Netmask> {
        let text = text.trim();
        let (addr, prefix) = match text.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (text, None),
        };
        let addr: IpAddr = addr.parse().ok()?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => {
                p.parse::<u8>().ok().filter(|n| *n <= max)?
            }
            Some(_) => return None,
            None => max,
        };
        Some(Netmask { addr, prefix })
    }

    /// Whether `peer` lies inside.
    pub fn contains(&self, peer: IpAddr) -> bool {
        let peer = match peer {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
            v4 => v4,
        };
        match (self.addr, peer) {
            (IpAddr::V4(net), IpAddr::V4(p)) => same_prefix(
                u128::from(u32::from(net)),
                u128::from(u32::from(p)),
                32,
                self.prefix,
            ),
            (IpAddr::V6(net), IpAddr::V6(p)) => {
                same_prefix(u128::from(net), u128::from(p), 128, self.prefix)
            }
            _ => false,
        }
    }
}

/// Whether the top `prefix` of `bits` bits agree.
fn same_prefix(a: u128, b: u128, bits: u32, prefix: u8) -> bool {
    let prefix = u32::from(prefix);
    if prefix == 0 {
        return true;
    }
    let shift = bits - prefix;
    (a >> shift) == (b >> shift)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn ipv4_netmasks_match_their_network_only() {
        let m = Netmask::parse("127.0.0.0/8").unwrap();
        assert!(m.contains(ip("127.0.0.1")));
        assert!(m.contains(ip("127.255.1.2")));
        assert!(m.contains(ip("::ffff:127.0.0.1")));
        assert!(!m.contains(ip("128.0.0.1")));
        assert!(!m.contains(ip("::1")));
        let lan = Netmask::parse("192.168.1.0/24").unwrap();
        assert!(lan.contains(ip("192.168.1.77")));
        assert!(!lan.contains(ip("192.168.2.1")));
        let host = Netmask::parse("10.1.2.3").unwrap();
        assert!(host.contains(ip("10.1.2.3")));
        assert!(!host.contains(ip("10.1.2.4")));
        assert!(Netmask::parse("0.0.0.0/0").unwrap().contains(ip("8.8.8.8")));
        // Host bits below the prefix are ignored.
        assert!(
            Netmask::parse("10.9.9.9/8")
                .unwrap()
                .contains(ip("10.0.0.1"))
        );
    }

    #[test]
    fn ipv6_netmasks_match_their_network_only() {
        let m = Netmask::parse("2001:db8::/32").unwrap();
        assert!(m.contains(ip("2001:db8:1::5")));
        assert!(!m.contains(ip("2001:db9::5")));
        assert!(!m.contains(ip("10.0.0.1")));
        assert!(Netmask::parse("::1/128").unwrap().contains(ip("::1")));
        assert!(!Netmask::parse("::1").unwrap().contains(ip("::2")));
    }

    #[test]
    fn bad_netmasks_are_refused() {
        for bad in [
            "",
            "10.0.0.0/33",
            "10.0.0.0/",
            "10.0.0.0/-1",
            "10.0.0/8",
            "::/129",
            "host/8",
            "10.0.0.0/8/8",
        ] {
            assert_eq!(Netmask::parse(bad), None, "{bad}");
        }
    }
}
