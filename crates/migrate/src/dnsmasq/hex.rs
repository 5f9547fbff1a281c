//! dnsmasq's hex forms: hardware addresses with an optional `TYPE-` prefix and `*` wildcard
//! bytes (`06-00:20:e0:3b:13:*`), and colon-separated bytes where a group may have one digit
//! (`1:2:a0`), as its `parse_hex` reads them.

/// A hardware address pattern.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MacPattern {
    /// The ARP hardware type before `-`, if given (dnsmasq: any type when absent).
    pub htype: Option<u8>,
    /// The bytes; `None` is a `*` wildcard.
    pub bytes: Vec<Option<u8>>,
}

impl MacPattern {
    /// The bytes when none is a wildcard.
    pub fn exact(&self) -> Option<Vec<u8>> {
        self.bytes.iter().copied().collect()
    }

    /// The fixed bytes before trailing wildcards (`52:54:00:*:*:*` → `52:54:00`), when the
    /// wildcards are all at the end and at least one byte is fixed.
    pub fn prefix(&self) -> Option<Vec<u8>> {
        let fixed: Vec<u8> = self.bytes.iter().map_while(|b| *b).collect();
        let rest_wild = self.bytes[fixed.len()..].iter().all(Option::is_none);
        (rest_wild && !fixed.is_empty()).then_some(fixed)
    }

    /// Whether the type is Ethernet (1) or unspecified.
    pub fn is_ethernet(&self) -> bool {
        matches!(self.htype, None | Some(1))
    }
}

/// Parses a hardware address pattern; `None` when it is not one.
pub fn mac_pattern(s: &str) -> Option<MacPattern> {
    let (htype, rest) = match s.split_once('-') {
        Some((t, rest)) if !t.is_empty() && t.len() <= 2 && !t.contains(':') => {
            (Some(u8::from_str_radix(t, 16).ok()?), rest)
        }
        _ => (None, s),
    };
    let mut bytes = Vec::new();
    for group in rest.split([':', '-']) {
        if group == "*" {
            bytes.push(None);
        } else {
            bytes.extend(group_bytes(group)?.into_iter().map(Some));
        }
    }
    if bytes.is_empty() || bytes.len() > 16 {
        return None;
    }
    Some(MacPattern { htype, bytes })
}

/// Colon-separated hex bytes (groups of one or more digits, two digits per byte); `None` when
/// it is not that.
pub fn bytes(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    for group in s.split([':', '-', ' ']) {
        out.extend(group_bytes(group)?);
    }
    (!out.is_empty()).then_some(out)
}

/// One group: `a` → 0x0a, `ab` → 0xab, `abcd` → 0xab 0xcd (dnsmasq reads pairs from the left).
fn group_bytes(group: &str) -> Option<Vec<u8>> {
    if group.is_empty() || !group.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    group
        .as_bytes()
        .chunks(2)
        .map(|pair| {
            let text = std::str::from_utf8(pair).ok()?;
            u8::from_str_radix(text, 16).ok()
        })
        .collect()
}

/// Lower-case colon-separated hex.
pub fn colon(bytes: &[u8]) -> String {
    leasehold_wire::hex::encode(bytes, Some(':'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hardware_addresses_types_and_wildcards() {
        let m = mac_pattern("00:20:e0:3b:13:af").expect("mac");
        assert_eq!(m.htype, None);
        assert_eq!(m.exact(), Some(vec![0, 0x20, 0xe0, 0x3b, 0x13, 0xaf]));
        let m = mac_pattern("06-00:20:e0:3b:13:af").expect("typed");
        assert_eq!(m.htype, Some(6));
        assert!(!m.is_ethernet());
        let m = mac_pattern("52:54:00:*:*:*").expect("wild");
        assert_eq!(m.exact(), None);
        assert_eq!(m.prefix(), Some(vec![0x52, 0x54, 0]));
        assert_eq!(mac_pattern("52:*:00:*:*:*").expect("wild").prefix(), None);
        assert!(mac_pattern("laptop").is_none());
        assert!(mac_pattern("zz:00").is_none());
    }

    #[test]
    fn bytes_like_parse_hex() {
        assert_eq!(bytes("01:02:a0"), Some(vec![1, 2, 0xa0]));
        assert_eq!(bytes("1:2:a"), Some(vec![1, 2, 0x0a]));
        assert_eq!(bytes("0102"), Some(vec![1, 2]));
        assert_eq!(bytes("nope"), None);
        assert_eq!(bytes(""), None);
    }
}
