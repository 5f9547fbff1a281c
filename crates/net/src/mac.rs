//! [`MacAddr`]: a 6-byte Ethernet address, as the rogue-server detector reports it.
//!
//! Learnt from a captured frame ([`crate::capture`]) or from the neighbour table
//! ([`crate::neigh`]).

use std::fmt;
use std::str::FromStr;

/// A 6-byte Ethernet address.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct MacAddr(pub [u8; 6]);

impl fmt::Display for MacAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [a, b, c, d, e, g] = self.0;
        write!(f, "{a:02x}:{b:02x}:{c:02x}:{d:02x}:{e:02x}:{g:02x}")
    }
}

impl FromStr for MacAddr {
    type Err = ();

    /// Six colon-separated hexadecimal bytes (`02:00:5e:10:00:01`, either case).
    fn from_str(s: &str) -> Result<Self, ()> {
        let mut out = [0u8; 6];
        let mut parts = s.split(':');
        for byte in out.iter_mut() {
            let p = parts.next().ok_or(())?;
            if p.is_empty() || p.len() > 2 {
                return Err(());
            }
            *byte = u8::from_str_radix(p, 16).map_err(drop)?;
        }
        if parts.next().is_some() {
            return Err(());
        }
        Ok(MacAddr(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mac_text_round_trips() {
        let m: MacAddr = "02:0A:ff:00:10:9c".parse().expect("valid");
        assert_eq!(m.to_string(), "02:0a:ff:00:10:9c");
        for bad in [
            "",
            "02:0a:ff:00:10",
            "02:0a:ff:00:10:9c:00",
            "02:0a:ff:00:10:xx",
            "002:0a:ff:00:10:9c",
            "02::ff:00:10:9c",
        ] {
            assert!(bad.parse::<MacAddr>().is_err(), "{bad:?}");
        }
    }
}
