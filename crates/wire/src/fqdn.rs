//! The Client FQDN option, option 81 (RFC 4702).
//!
//! ```text
//!  code  len  flags  rcode1  rcode2  domain name ...
//!   81    n   0000NEOS  (255 from servers)
//! ```
//!
//! - Flags (RFC 4702 §2.1): S (0x01) the server should do the A update; O (0x02, servers only)
//!   the server overrode the client's S; E (0x04) the name is in canonical DNS wire format;
//!   N (0x08) the server should do no update at all. The other four bits must be zero and are
//!   dropped on parse.
//! - RCODE1/RCODE2 (§2.2) are obsolete: clients send 0, servers send 255.
//! - The name (§2.3): with E=1 a sequence of length-prefixed labels, uncompressed; a terminating
//!   zero-length label makes it fully qualified, without one it is a partial name the server may
//!   qualify. With E=0 (deprecated, §2.3.1) ASCII text: labels separated by '.', a trailing dot
//!   marks it fully qualified. An empty name asks the server to choose one.
//!
//! [`ClientFqdn::parse`] never panics. Label bytes are kept as sent (any byte, printable or not):
//! making a host name out of them is the server's policy, not the codec's. Trailing NUL bytes of
//! an ASCII-form name are dropped (some old clients terminate the text with one, as they do in
//! option 12).

use thiserror::Error;

/// Longest label, in octets (RFC 1035 §2.3.4).
pub const MAX_LABEL: usize = 63;
/// Longest name in wire format, length octets and the root label included (RFC 1035 §2.3.4).
pub const MAX_NAME: usize = 255;

/// The flags octet of option 81 (only the four defined bits are ever kept).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct FqdnFlags(u8);

impl FqdnFlags {
    /// S: the server should perform (client) / performs (server) the A RR update.
    pub const S: u8 = 0x01;
    /// O: the server overrode the client's S bit (set only by servers).
    pub const O: u8 = 0x02;
    /// E: the name is in canonical DNS wire format.
    pub const E: u8 = 0x04;
    /// N: the server should perform (client) / performs (server) no DNS update at all.
    pub const N: u8 = 0x08;
    /// The defined bits; the rest "MBZ" (must be zero) and are dropped.
    pub const DEFINED: u8 = 0x0f;

    /// Flags from an octet; undefined bits are dropped.
    pub fn from_bits(bits: u8) -> Self {
        FqdnFlags(bits & Self::DEFINED)
    }

    /// The octet.
    pub fn bits(self) -> u8 {
        self.0
    }

    fn has(self, bit: u8) -> bool {
        self.0 & bit != 0
    }

    /// Sets or clears `bit` (one of the constants).
    pub fn with(self, bit: u8, on: bool) -> Self {
        if on {
            FqdnFlags::from_bits(self.0 | bit)
        } else {
            FqdnFlags::from_bits(self.0 & !bit)
        }
    }

    /// The S bit.
    pub fn s(self) -> bool {
        self.has(Self::S)
    }

    /// The O bit.
    pub fn o(self) -> bool {
        self.has(Self::O)
    }

    /// The E bit.
    pub fn e(self) -> bool {
        self.has(Self::E)
    }

    /// The N bit.
    pub fn n(self) -> bool {
        self.has(Self::N)
    }
}

/// A domain name as carried in option 81: its labels (bytes as sent) and whether it is fully
/// qualified (ends in the root label) or partial.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct FqdnName {
    /// The labels, leftmost first, without the root label. Each is 1..=63 octets after a
    /// successful parse.
    pub labels: Vec<Vec<u8>>,
    /// True when the name ends in the root (zero-length) label, or a trailing dot in ASCII form.
    pub fully_qualified: bool,
}

impl FqdnName {
    /// True when there is no label (the client asks the server to choose a name).
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// The name from presentation text (`"host.example.test."`; a trailing dot makes it fully
    /// qualified). Empty labels are skipped; no length check (see [`ClientFqdn::encode`]).
    pub fn from_text(text: &str) -> FqdnName {
        FqdnName {
            labels: text
                .split('.')
                .filter(|l| !l.is_empty())
                .map(|l| l.as_bytes().to_vec())
                .collect(),
            fully_qualified: text.ends_with('.'),
        }
    }

    /// Octets this name takes in wire format.
    pub fn wire_len(&self) -> usize {
        self.labels.iter().map(|l| l.len() + 1).sum::<usize>() + usize::from(self.fully_qualified)
    }
}

/// Why an option 81 value is malformed.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum FqdnError {
    /// Fewer than the 3 octets of flags and rcodes.
    #[error("client FQDN option of {0} bytes is shorter than 3")]
    TooShort(usize),
    /// A compression pointer (top bits 11), which RFC 4702 §2.3 forbids.
    #[error("compressed name in the client FQDN option")]
    Compressed,
    /// A label type 01 (extended, RFC 6891 §5) or 10 (reserved): top bits of a length octet.
    #[error("reserved label type in the client FQDN option")]
    ReservedLabelType,
    /// A label whose length runs past the end of the option.
    #[error("label overruns the client FQDN option")]
    LabelOverrun,
    /// A label longer than 63 octets (ASCII form).
    #[error("label longer than 63 octets in the client FQDN option")]
    LabelTooLong,
    /// An empty label inside an ASCII-form name (`"a..b"`, `".a"`).
    #[error("empty label in the client FQDN option")]
    EmptyLabel,
    /// The name takes more than 255 octets in wire format.
    #[error("name longer than 255 octets in the client FQDN option")]
    NameTooLong,
    /// Bytes after the root label of a wire-format name.
    #[error("bytes after the end of the name in the client FQDN option")]
    TrailingBytes,
}

/// Option 81: flags, the two obsolete rcodes and the name.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct ClientFqdn {
    /// The flags (S, O, E, N).
    pub flags: FqdnFlags,
    /// RCODE1 (obsolete: 0 from clients, 255 from servers).
    pub rcode1: u8,
    /// RCODE2 (obsolete: 0 from clients, 255 from servers).
    pub rcode2: u8,
    /// The domain name; empty when the client leaves the choice to the server.
    pub name: FqdnName,
}

impl ClientFqdn {
    /// A server's option 81: `flags` (undefined bits dropped), both rcodes 255 (RFC 4702 §4.1)
    /// and `name`. Encoded in wire format when `flags` has E, else in ASCII.
    pub fn reply(flags: FqdnFlags, name: FqdnName) -> ClientFqdn {
        ClientFqdn {
            flags,
            rcode1: 255,
            rcode2: 255,
            name,
        }
    }

    /// Parses the value of option 81 (without code and length).
    pub fn parse(value: &[u8]) -> Result<ClientFqdn, FqdnError> {
        let [flags, rcode1, rcode2, name @ ..] = value else {
            return Err(FqdnError::TooShort(value.len()));
        };
        let flags = FqdnFlags::from_bits(*flags);
        let name = if flags.e() {
            parse_wire(name)?
        } else {
            parse_ascii(name)?
        };
        Ok(ClientFqdn {
            flags,
            rcode1: *rcode1,
            rcode2: *rcode2,
            name,
        })
    }

    /// The option 81 value: flags, rcodes and the name in wire format when E is set, else in
    /// ASCII (labels joined by '.', a trailing '.' when fully qualified).
    ///
    /// Always yields a value [`ClientFqdn::parse`] accepts for a name that came from it. For a
    /// name built by hand, labels are cut to 63 octets, empty labels are skipped and labels that
    /// would take the name past 255 octets are left out.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = vec![self.flags.bits(), self.rcode1, self.rcode2];
        let mut used = usize::from(self.name.fully_qualified);
        let mut first = true;
        for label in &self.name.labels {
            let label = label.get(..MAX_LABEL).unwrap_or(label);
            if label.is_empty() || used + label.len() + 1 > MAX_NAME {
                continue;
            }
            used += label.len() + 1;
            if self.flags.e() {
                // At most 63, so it fits in the 6 length bits.
                out.push(label.len() as u8);
            } else if !first {
                out.push(b'.');
            }
            first = false;
            out.extend_from_slice(label);
        }
        if self.name.fully_qualified {
            out.push(if self.flags.e() { 0 } else { b'.' });
        }
        out
    }
}

/// A name in canonical wire format (RFC 1035 §3.1), uncompressed.
fn parse_wire(mut rest: &[u8]) -> Result<FqdnName, FqdnError> {
    let mut labels = Vec::new();
    let mut used = 0usize;
    while let Some((&len, after)) = rest.split_first() {
        match len & 0xc0 {
            0xc0 => return Err(FqdnError::Compressed),
            0x40 | 0x80 => return Err(FqdnError::ReservedLabelType),
            _ => {}
        }
        used += usize::from(len) + 1;
        if used > MAX_NAME {
            return Err(FqdnError::NameTooLong);
        }
        if len == 0 {
            if !after.is_empty() {
                return Err(FqdnError::TrailingBytes);
            }
            return Ok(FqdnName {
                labels,
                fully_qualified: true,
            });
        }
        let (label, next) = after
            .split_at_checked(usize::from(len))
            .ok_or(FqdnError::LabelOverrun)?;
        labels.push(label.to_vec());
        rest = next;
    }
    Ok(FqdnName {
        labels,
        fully_qualified: false,
    })
}

/// A name in the deprecated ASCII form (RFC 4702 §2.3.1).
fn parse_ascii(text: &[u8]) -> Result<FqdnName, FqdnError> {
    let end = text.iter().rposition(|b| *b != 0).map_or(0, |i| i + 1);
    let text = text.get(..end).unwrap_or_default();
    if text.is_empty() {
        return Ok(FqdnName::default());
    }
    if text == b"." {
        return Ok(FqdnName {
            labels: Vec::new(),
            fully_qualified: true,
        });
    }
    let (body, fully_qualified) = match text.strip_suffix(b".") {
        Some(b) => (b, true),
        None => (text, false),
    };
    let mut labels = Vec::new();
    let mut used = usize::from(fully_qualified);
    for label in body.split(|b| *b == b'.') {
        if label.is_empty() {
            return Err(FqdnError::EmptyLabel);
        }
        if label.len() > MAX_LABEL {
            return Err(FqdnError::LabelTooLong);
        }
        used += label.len() + 1;
        if used > MAX_NAME {
            return Err(FqdnError::NameTooLong);
        }
        labels.push(label.to_vec());
    }
    Ok(FqdnName {
        labels,
        fully_qualified,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn name(labels: &[&str], fq: bool) -> FqdnName {
        FqdnName {
            labels: labels.iter().map(|l| l.as_bytes().to_vec()).collect(),
            fully_qualified: fq,
        }
    }

    #[test]
    fn wire_fully_qualified() {
        let v = b"\x05\x00\x00\x06laptop\x07example\x04test\x00";
        let f = ClientFqdn::parse(v).unwrap();
        assert!(f.flags.s() && f.flags.e() && !f.flags.n() && !f.flags.o());
        assert_eq!(f.name, name(&["laptop", "example", "test"], true));
        assert_eq!(f.encode(), v.to_vec());
    }

    #[test]
    fn wire_partial() {
        let v = b"\x04\x00\x00\x06laptop";
        let f = ClientFqdn::parse(v).unwrap();
        assert_eq!(f.name, name(&["laptop"], false));
        assert_eq!(f.encode(), v.to_vec());
    }

    #[test]
    fn wire_empty_and_root() {
        let f = ClientFqdn::parse(&[0x04, 0, 0]).unwrap();
        assert!(f.name.is_empty() && !f.name.fully_qualified);
        assert_eq!(f.encode(), vec![0x04, 0, 0]);
        let f = ClientFqdn::parse(&[0x04, 0, 0, 0]).unwrap();
        assert!(f.name.is_empty() && f.name.fully_qualified);
        assert_eq!(f.encode(), vec![0x04, 0, 0, 0]);
    }

    #[test]
    fn ascii_forms() {
        let f = ClientFqdn::parse(b"\x01\x00\x00laptop.example.test.").unwrap();
        assert!(!f.flags.e());
        assert_eq!(f.name, name(&["laptop", "example", "test"], true));
        assert_eq!(f.encode(), b"\x01\x00\x00laptop.example.test.".to_vec());
        let f = ClientFqdn::parse(b"\x00\x00\x00laptop").unwrap();
        assert_eq!(f.name, name(&["laptop"], false));
        // Trailing NULs are dropped.
        let f = ClientFqdn::parse(b"\x00\x00\x00laptop\x00\x00").unwrap();
        assert_eq!(f.name, name(&["laptop"], false));
        let f = ClientFqdn::parse(b"\x00\x00\x00").unwrap();
        assert!(f.name.is_empty());
        let f = ClientFqdn::parse(b"\x00\x00\x00.").unwrap();
        assert!(f.name.is_empty() && f.name.fully_qualified);
        assert_eq!(f.encode(), b"\x00\x00\x00.".to_vec());
    }

    #[test]
    fn unknown_flag_bits_are_dropped() {
        let f = ClientFqdn::parse(&[0xf5, 0, 0]).unwrap();
        assert_eq!(f.flags.bits(), 0x05);
        assert_eq!(f.encode(), vec![0x05, 0, 0]);
    }

    #[test]
    fn non_printable_label_bytes_are_kept() {
        let f = ClientFqdn::parse(b"\x04\x00\x00\x03a\xffb\x02 _").unwrap();
        assert_eq!(f.name.labels, vec![b"a\xffb".to_vec(), b" _".to_vec()]);
    }

    #[test]
    fn malformed() {
        use FqdnError::*;
        let cases: &[(&[u8], FqdnError)] = &[
            (b"", TooShort(0)),
            (b"\x04\x00", TooShort(2)),
            (b"\x04\x00\x00\xc0\x0c", Compressed),
            (b"\x04\x00\x00\x01a\xc0\x0c", Compressed),
            (b"\x04\x00\x00\x41a", ReservedLabelType),
            (b"\x04\x00\x00\x81a", ReservedLabelType),
            (b"\x04\x00\x00\x05abc", LabelOverrun),
            (b"\x04\x00\x00\x01a\x00x", TrailingBytes),
            (b"\x04\x00\x00\x00\x00", TrailingBytes),
            (b"\x00\x00\x00a..b", EmptyLabel),
            (b"\x00\x00\x00.a", EmptyLabel),
            (b"\x00\x00\x00a..", EmptyLabel),
        ];
        for (v, e) in cases {
            assert_eq!(ClientFqdn::parse(v).as_ref(), Err(e), "{v:?}");
        }
        let mut long = b"\x00\x00\x00".to_vec();
        long.extend(std::iter::repeat_n(b'a', 64));
        assert_eq!(ClientFqdn::parse(&long), Err(LabelTooLong));
    }

    #[test]
    fn length_limits() {
        // 4 labels of 63 = 256 octets with length bytes, + root: too long.
        let mut v = vec![0x04, 0, 0];
        for _ in 0..4 {
            v.push(63);
            v.extend(std::iter::repeat_n(b'a', 63));
        }
        v.push(0);
        assert_eq!(ClientFqdn::parse(&v), Err(FqdnError::NameTooLong));
        // 3 × 63 + one of 61 + root = 255: the longest name.
        let mut v = vec![0x04, 0, 0];
        for _ in 0..3 {
            v.push(63);
            v.extend(std::iter::repeat_n(b'a', 63));
        }
        v.push(61);
        v.extend(std::iter::repeat_n(b'b', 61));
        v.push(0);
        let f = ClientFqdn::parse(&v).unwrap();
        assert_eq!(f.name.wire_len(), 255);
        assert_eq!(f.encode(), v);
        // The same in ASCII.
        let text = [
            "a".repeat(63),
            "a".repeat(63),
            "a".repeat(63),
            "b".repeat(61),
        ]
        .join(".")
            + ".";
        let mut v = vec![0, 0, 0];
        v.extend(text.as_bytes());
        assert_eq!(ClientFqdn::parse(&v).unwrap().name.wire_len(), 255);
        v.splice(3..3, *b"c.");
        assert_eq!(ClientFqdn::parse(&v), Err(FqdnError::NameTooLong));
    }

    #[test]
    fn reply_sets_rcodes_and_encodes_by_e() {
        let n = name(&["laptop", "example", "test"], true);
        let r = ClientFqdn::reply(
            FqdnFlags::default()
                .with(FqdnFlags::S, true)
                .with(FqdnFlags::E, true),
            n.clone(),
        );
        assert_eq!(
            r.encode(),
            b"\x05\xff\xff\x06laptop\x07example\x04test\x00".to_vec()
        );
        let r = ClientFqdn::reply(FqdnFlags::from_bits(FqdnFlags::N), n);
        assert_eq!(r.encode(), b"\x08\xff\xfflaptop.example.test.".to_vec());
    }

    #[test]
    fn encode_repairs_hand_built_names() {
        let f = ClientFqdn::reply(
            FqdnFlags::from_bits(FqdnFlags::E),
            FqdnName {
                labels: vec![vec![b'a'; 70], Vec::new(), vec![b'b'; 63], vec![b'c'; 63]]
                    .into_iter()
                    .chain(std::iter::repeat_n(vec![b'd'; 63], 3))
                    .collect(),
                fully_qualified: true,
            },
        );
        let back = ClientFqdn::parse(&f.encode()).unwrap();
        assert!(back.name.wire_len() <= MAX_NAME);
        assert!(back.name.labels.iter().all(|l| l.len() <= MAX_LABEL));
        assert_eq!(back.name.labels.first().map(Vec::len), Some(63));
    }

    #[test]
    fn from_text() {
        assert_eq!(FqdnName::from_text("a.b."), name(&["a", "b"], true));
        assert_eq!(FqdnName::from_text("a"), name(&["a"], false));
        assert_eq!(FqdnName::from_text(""), name(&[], false));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4000))]

        #[test]
        fn parse_never_panics_and_reencodes(v in prop::collection::vec(any::<u8>(), 0..300)) {
            if let Ok(f) = ClientFqdn::parse(&v) {
                prop_assert!(f.name.wire_len() <= MAX_NAME);
                prop_assert!(f.name.labels.iter().all(|l| !l.is_empty() && l.len() <= MAX_LABEL));
                let again = ClientFqdn::parse(&f.encode());
                prop_assert_eq!(again, Ok(f));
            }
        }

        #[test]
        fn wire_names_round_trip(
            flags in any::<u8>(),
            labels in prop::collection::vec(prop::collection::vec(any::<u8>(), 1..=63), 0..4),
            fq in any::<bool>(),
        ) {
            let f = ClientFqdn {
                flags: FqdnFlags::from_bits(flags | FqdnFlags::E),
                rcode1: 0,
                rcode2: 0,
                name: FqdnName { labels, fully_qualified: fq },
            };
            prop_assert_eq!(ClientFqdn::parse(&f.encode()), Ok(f));
        }

        #[test]
        fn ascii_names_round_trip(
            labels in prop::collection::vec("[a-z0-9-]{1,63}", 0..4),
            fq in any::<bool>(),
        ) {
            let f = ClientFqdn {
                flags: FqdnFlags::from_bits(FqdnFlags::S),
                rcode1: 0,
                rcode2: 0,
                name: FqdnName {
                    labels: labels.iter().map(|l| l.as_bytes().to_vec()).collect(),
                    fully_qualified: fq,
                },
            };
            prop_assert_eq!(ClientFqdn::parse(&f.encode()), Ok(f));
        }
    }
}
