//! Option negotiation (RFC 2347): which of the requested options the server accepts and with
//! what values — blksize (RFC 2348), timeout and tsize (RFC 2349), windowsize (RFC 7440).
//!
//! Unknown options and options with values out of their RFC range are ignored (left out of the
//! OACK), as RFC 2347 allows. When no option is accepted there is no OACK and the transfer starts
//! as plain RFC 1350.

use super::packet::Mode;
use std::time::Duration;

/// RFC 1350 block size, used when blksize is not negotiated.
pub const DEFAULT_BLKSIZE: u16 = 512;
/// Largest block size RFC 2348 allows.
pub const MAX_BLKSIZE: u16 = 65464;
/// Smallest block size RFC 2348 allows.
pub const MIN_BLKSIZE: u16 = 8;
/// Largest window RFC 7440 allows; the server's own limit is lower.
pub const MAX_WINDOWSIZE: u16 = 65535;

/// The server's limits and defaults for negotiation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Largest block size granted.
    pub max_blksize: u16,
    /// Largest window granted.
    pub max_windowsize: u16,
    /// Retransmission timeout when the client does not ask for one.
    pub default_timeout: Duration,
}

/// Which way the file goes, and what the server knows about it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// A read request; `file_size` answers tsize (octet mode, non-empty files only).
    Read {
        /// Size of the file in bytes.
        file_size: u64,
    },
    /// A write request; a tsize from the client announces the upload size.
    Write,
}

/// The result of negotiation: the transfer parameters and the OACK to send (empty: none).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Negotiated {
    /// Block size in bytes.
    pub blksize: u16,
    /// Blocks sent before waiting for an ACK (1 without RFC 7440).
    pub windowsize: u16,
    /// Retransmission timeout.
    pub timeout: Duration,
    /// For a write request, the size the client announced with tsize.
    pub announced_size: Option<u64>,
    /// Accepted options with the values to put in the OACK, in request order.
    pub oack: Vec<(String, String)>,
}

/// Parses a decimal option value: ASCII digits only, no sign, no spaces.
fn number(value: &str) -> Option<u64> {
    if value.is_empty() || value.len() > 20 || !value.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    value.parse().ok()
}

/// Decides the transfer parameters from the requested options.
pub fn negotiate(
    direction: Direction,
    mode: Mode,
    requested: &[(&str, &str)],
    limits: Limits,
) -> Negotiated {
    let mut out = Negotiated {
        blksize: DEFAULT_BLKSIZE,
        windowsize: 1,
        timeout: limits.default_timeout,
        announced_size: None,
        oack: Vec::new(),
    };
    for (name, value) in requested {
        let name = name.to_ascii_lowercase();
        let Some(n) = number(value) else { continue };
        let granted = match name.as_str() {
            "blksize" if (u64::from(MIN_BLKSIZE)..=u64::from(MAX_BLKSIZE)).contains(&n) => {
                let cap = limits.max_blksize.clamp(MIN_BLKSIZE, MAX_BLKSIZE);
                out.blksize = u16::try_from(n).unwrap_or(cap).min(cap);
                out.blksize.to_string()
            }
            "windowsize" if (1..=u64::from(MAX_WINDOWSIZE)).contains(&n) => {
                let cap = limits.max_windowsize.max(1);
                out.windowsize = u16::try_from(n).unwrap_or(cap).min(cap);
                out.windowsize.to_string()
            }
            "timeout" if (1..=255).contains(&n) => {
                out.timeout = Duration::from_secs(n);
                n.to_string()
            }
            "tsize" => match direction {
                // tsize 0 is left out: curl (at least up to 8.x) rejects "tsize 0" in an OACK
                // as illegal, and a client learns nothing from it that the empty DATA block
                // does not tell.
                Direction::Read { file_size } if mode == Mode::Octet && file_size > 0 => {
                    file_size.to_string()
                }
                Direction::Read { .. } => continue,
                Direction::Write => {
                    out.announced_size = Some(n);
                    n.to_string()
                }
            },
            _ => continue,
        };
        out.oack.push((name, granted));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: Limits = Limits {
        max_blksize: 1468,
        max_windowsize: 16,
        default_timeout: Duration::from_secs(2),
    };

    fn read(opts: &[(&str, &str)], mode: Mode) -> Negotiated {
        negotiate(Direction::Read { file_size: 1000 }, mode, opts, LIMITS)
    }

    #[test]
    fn no_options_means_rfc1350() {
        let n = read(&[], Mode::Octet);
        assert_eq!(n.blksize, 512);
        assert_eq!(n.windowsize, 1);
        assert_eq!(n.timeout, Duration::from_secs(2));
        assert!(n.oack.is_empty());
    }

    #[test]
    fn grants_within_limits_and_clamps_above() {
        let n = read(
            &[
                ("BLKSIZE", "9000"),
                ("windowsize", "64"),
                ("timeout", "1"),
                ("tsize", "0"),
            ],
            Mode::Octet,
        );
        assert_eq!(n.blksize, 1468);
        assert_eq!(n.windowsize, 16);
        assert_eq!(n.timeout, Duration::from_secs(1));
        assert_eq!(
            n.oack,
            vec![
                ("blksize".to_string(), "1468".to_string()),
                ("windowsize".to_string(), "16".to_string()),
                ("timeout".to_string(), "1".to_string()),
                ("tsize".to_string(), "1000".to_string()),
            ]
        );
        let small = read(&[("blksize", "1024")], Mode::Octet);
        assert_eq!(small.blksize, 1024);
    }

    #[test]
    fn ignores_out_of_range_and_unknown_options() {
        let n = read(
            &[
                ("blksize", "7"),
                ("blksize2", "1024"),
                ("timeout", "0"),
                ("timeout", "256"),
                ("windowsize", "0"),
                ("windowsize", "-1"),
                ("tsize", " 0"),
                ("multicast", ""),
            ],
            Mode::Octet,
        );
        assert_eq!(n.blksize, 512);
        assert_eq!(n.windowsize, 1);
        assert!(n.oack.is_empty(), "{:?}", n.oack);
        let huge = read(&[("blksize", "99999999999999999999999")], Mode::Octet);
        assert!(huge.oack.is_empty());
    }

    #[test]
    fn tsize_only_for_octet_reads_and_echoed_for_writes() {
        let n = read(&[("tsize", "0"), ("blksize", "1024")], Mode::Netascii);
        assert_eq!(n.oack, vec![("blksize".to_string(), "1024".to_string())]);
        let empty = negotiate(
            Direction::Read { file_size: 0 },
            Mode::Octet,
            &[("tsize", "0")],
            LIMITS,
        );
        assert!(
            empty.oack.is_empty(),
            "no tsize 0 in an OACK (curl refuses it)"
        );
        let w = negotiate(Direction::Write, Mode::Octet, &[("tsize", "4096")], LIMITS);
        assert_eq!(w.announced_size, Some(4096));
        assert_eq!(w.oack, vec![("tsize".to_string(), "4096".to_string())]);
    }
}
