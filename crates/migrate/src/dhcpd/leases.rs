//! `dhcpd.leases`: a log of `lease ADDRESS { ... }` declarations where the last one of an
//! address wins.
//!
//! Times are `starts`/`ends` as `W YYYY/MM/DD HH:MM:SS` (UTC), `epoch N` or `never`. States:
//! `active` → bound (expired when `ends` has passed); `free`, `expired`, `backup` (failover's
//! free pool) and `reset` → expired, kept only when they name a client (so Leasehold prefers
//! giving that client its old address again); `released` → released; `abandoned` (a DECLINE or
//! a ping conflict) → declined, in probation until `ends`, owned by nobody.
//!
//! The client is the `uid` (the client identifier the client sent, type byte included) when
//! there is one, else the `hardware` address: what Leasehold computes from the client's next
//! request, so its renewal is ACKed.
//!
//! State that is no configuration is skipped without a finding: inside a lease `tstp`, `tsfp`,
//! `atsfp`, `cltt`, `next binding state`, `rewind binding state`, `set` variables (DDNS names,
//! `vendor-class-identifier`), `on` statements and flags; at the top `authoring-byte-order`,
//! `server-duid` and failover `peer state` blocks (dhcpd's own failover bookkeeping). Dynamic
//! `host` declarations (made through OMAPI), `class`/`subclass` declarations and DHCPv6
//! `ia-*` blocks are reported: they are configuration or leases Leasehold cannot take from
//! here.

use super::lexer::{lex, Tok, Token};
use super::options::colon_hex;
use super::tree::{parse, Stmt};
use crate::{ImportError, Report};
use leasehold_engine::{ClientKey, Lease, LeaseState, Timestamp, INFINITE};
use leasehold_wire::HwAddr;
use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use std::path::Path;

/// One current lease and its line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    /// The lease.
    pub lease: Lease,
    /// The line of its `lease` declaration.
    pub line: u32,
}

/// Reads the lease file: the current record of every address that has a client (or is
/// declined), in address order.
pub fn read(
    text: &str,
    file: &Path,
    now: Timestamp,
    report: &mut Report,
) -> Result<Vec<Row>, ImportError> {
    let (tokens, holding) = lex(text, file)?;
    let stmts = parse(tokens, file)?;
    report.count_lines(file, holding);
    let mut current: BTreeMap<Ipv4Addr, Option<Row>> = BTreeMap::new();
    for s in &stmts {
        match (s.keyword(), &s.block) {
            ("lease", Some(body)) => {
                let addr: Ipv4Addr = s.word(1).and_then(|w| w.parse().ok()).ok_or_else(|| {
                    ImportError::syntax(file, s.line, format!("`{}`: not an IPv4 lease", s.text()))
                })?;
                let row = lease(addr, body, s.line, now, file, report)?;
                current.insert(addr, row);
            }
            ("authoring-byte-order" | "server-duid", None) => {}
            ("failover", Some(_)) if s.word(3) == Some("state") => {}
            ("host", Some(_)) => report.not_carried(
                file,
                s.line,
                format!(
                    "`{}` (a host made through OMAPI) not carried over: add it to dhcpd.conf \
                     or as a [[subnet.reservation]]",
                    s.text()
                ),
            ),
            ("class" | "subclass", _) => report.not_carried(
                file,
                s.line,
                format!(
                    "`{}` not carried over: Leasehold has no subclasses",
                    s.text()
                ),
            ),
            ("ia-na" | "ia-ta" | "ia-pd", _) => report.not_carried(
                file,
                s.line,
                "DHCPv6 lease not carried over: Leasehold serves DHCPv4 only",
            ),
            _ => {
                return Err(ImportError::syntax(
                    file,
                    s.line,
                    format!("`{}` is not a dhcpd.leases declaration", s.text()),
                ))
            }
        }
    }
    Ok(current.into_values().flatten().collect())
}

/// The lease of one declaration; `None` for a free address nobody held.
fn lease(
    addr: Ipv4Addr,
    body: &[Stmt],
    line: u32,
    now: Timestamp,
    file: &Path,
    report: &mut Report,
) -> Result<Option<Row>, ImportError> {
    let mut starts = None;
    let mut ends = None;
    let mut state = None;
    let mut hw: Option<HwAddr> = None;
    let mut uid: Option<Vec<u8>> = None;
    let mut hostname = None;
    for s in body {
        let err = |m: String| ImportError::syntax(file, s.line, m);
        let args = s.head.get(1..).unwrap_or_default();
        match s.keyword() {
            "starts" => starts = Some(time(args).map_err(err)?),
            "ends" => ends = Some(time(args).map_err(err)?),
            "tstp" | "tsfp" | "atsfp" | "cltt" => {
                time(args).map_err(err)?;
            }
            "binding" => {
                state = Some(binding(args).map_err(err)?);
            }
            "next"
            | "rewind"
            | "set"
            | "unset"
            | "on"
            | "bootp"
            | "reserved"
            | "abandoned"
            | "ddns-text"
            | "ddns-fwd-name"
            | "ddns-rev-name"
            | "vendor-class-identifier"
            | "option" => {}
            "hardware" => {
                let htype = match s.word(1) {
                    Some("ethernet") => 1,
                    Some("token-ring") => 6,
                    Some("fddi") => 8,
                    Some("infiniband") => 32,
                    other => {
                        return Err(err(format!(
                            "hardware type {other:?} is not one dhcpd writes"
                        )))
                    }
                };
                let bytes = s
                    .word(2)
                    .and_then(colon_hex)
                    .ok_or_else(|| err(format!("`{}`: not a hardware address", s.text())))?;
                hw = Some(
                    HwAddr::new(htype, &bytes)
                        .map_err(|_| err("hardware address longer than 16 bytes".into()))?,
                );
            }
            "uid" => {
                let bytes = match args.first().map(|t| &t.tok) {
                    Some(Tok::Str(b)) => b.clone(),
                    Some(Tok::Word(w)) => colon_hex(w)
                        .ok_or_else(|| err(format!("uid {w:?} is not a string or hex bytes")))?,
                    _ => return Err(err("`uid` without a value".into())),
                };
                if !bytes.is_empty() {
                    uid = Some(bytes);
                }
            }
            "client-hostname" => match args.first().map(|t| &t.tok) {
                Some(Tok::Str(b)) => {
                    hostname = Some(String::from_utf8_lossy(b).into_owned());
                }
                _ => return Err(err("`client-hostname` without a quoted name".into())),
            },
            other => report.not_carried(
                file,
                s.line,
                format!(
                    "`{other}` in lease {addr} not carried over: not a lease field Leasehold keeps"
                ),
            ),
        }
    }
    // dhcpd 2 wrote no binding state: an `abandoned;` flag or an active lease.
    let state = state.unwrap_or_else(|| {
        if body.iter().any(|s| s.keyword() == "abandoned") {
            Binding::Abandoned
        } else {
            Binding::Active
        }
    });
    let starts = starts.unwrap_or(Some(0)).unwrap_or(0);
    let expires = ends.unwrap_or(Some(starts)).unwrap_or(INFINITE);
    let client = match (&uid, &hw) {
        (Some(id), _) => Some(ClientKey::ClientId(id.clone())),
        (None, Some(h)) => Some(ClientKey::HwAddr(*h)),
        (None, None) => None,
    };
    let (state, client) = match state {
        Binding::Active if expires > now => (LeaseState::Bound, client),
        Binding::Active | Binding::Free => (LeaseState::Expired, client),
        Binding::Released => (LeaseState::Released, client),
        Binding::Abandoned => (LeaseState::Declined, None),
    };
    if client.is_none() && state != LeaseState::Declined {
        if state == LeaseState::Bound {
            report.not_carried(
                file,
                line,
                format!(
                    "active lease of {addr} not carried over: it names no hardware address or uid"
                ),
            );
        }
        return Ok(None);
    }
    Ok(Some(Row {
        lease: Lease {
            addr,
            client,
            hwaddr: hw,
            state,
            starts,
            expires,
            hostname,
        },
        line,
    }))
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Binding {
    Active,
    Free,
    Released,
    Abandoned,
}

fn binding(args: &[Token]) -> Result<Binding, String> {
    let words: Vec<&str> = args.iter().filter_map(Token::word).collect();
    match words.as_slice() {
        ["state", s] => Ok(match *s {
            "active" => Binding::Active,
            "free" | "expired" | "backup" | "reset" => Binding::Free,
            "released" => Binding::Released,
            "abandoned" => Binding::Abandoned,
            other => return Err(format!("binding state {other:?} is not one dhcpd writes")),
        }),
        _ => Err("expected `binding state STATE`".into()),
    }
}

/// `W YYYY/MM/DD HH:MM:SS`, `epoch N` or `never`: `None` for never.
fn time(args: &[Token]) -> Result<Option<Timestamp>, String> {
    let words: Vec<&str> = args.iter().filter_map(Token::word).collect();
    if words.len() != args.len() {
        return Err("a time is words only".into());
    }
    match words.as_slice() {
        ["never"] => Ok(None),
        ["epoch", n] => n
            .parse::<u64>()
            .map(Some)
            .map_err(|_| format!("epoch {n:?} is not a number of seconds")),
        [_weekday, date, clock] => {
            let d: Vec<&str> = date.split('/').collect();
            let c: Vec<&str> = clock.split(':').collect();
            let bad = || format!("{date} {clock} is not a time YYYY/MM/DD HH:MM:SS");
            let [y, mo, da] = d.as_slice() else {
                return Err(bad());
            };
            let [h, mi, se] = c.as_slice() else {
                return Err(bad());
            };
            let num = |s: &str, max: u64| s.parse::<u64>().ok().filter(|v| *v <= max);
            let (Some(y), Some(mo), Some(da), Some(h), Some(mi), Some(se)) = (
                num(y, 9999),
                num(mo, 12),
                num(da, 31),
                num(h, 23),
                num(mi, 59),
                num(se, 60),
            ) else {
                return Err(bad());
            };
            if y < 1970 || mo == 0 || da == 0 {
                return Err(bad());
            }
            Ok(Some(
                days_from_civil(y, mo, da) * 86_400 + h * 3600 + mi * 60 + se,
            ))
        }
        _ => Err("expected `W YYYY/MM/DD HH:MM:SS`, `epoch N` or `never`".into()),
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm), for years
/// from 1970.
pub fn days_from_civil(y: u64, m: u64, d: u64) -> u64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: u64 = 1_800_000_000; // 2027-01-15 08:00:00 UTC

    fn rows(text: &str) -> Result<(Vec<Row>, Report), ImportError> {
        let mut r = Report::default();
        let rows = read(text, Path::new("dhcpd.leases"), NOW, &mut r)?;
        Ok((rows, r))
    }

    #[test]
    fn dates_are_utc() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        let t = |s: &str| time(&lex(s, Path::new("t")).expect("lexes").0);
        assert_eq!(t("5 2027/01/15 08:00:00"), Ok(Some(NOW)));
        assert_eq!(t("epoch 1800000000"), Ok(Some(NOW)));
        assert_eq!(t("never"), Ok(None));
        assert!(t("5 2027/13/15 08:00:00").is_err());
        assert!(t("5 2027/01/15").is_err());
    }

    #[test]
    fn last_declaration_wins_and_states_map() {
        let (rows, report) = rows(
            "authoring-byte-order little-endian;\n\
             server-duid \"\\000\\001\";\n\
             lease 198.18.0.10 {\n  starts 5 2027/01/15 07:00:00;\n  ends 5 2027/01/15 09:00:00;\n  binding state active;\n  hardware ethernet 52:54:00:00:00:01;\n}\n\
             lease 198.18.0.10 {\n  starts 5 2027/01/15 07:30:00;\n  ends 5 2027/01/15 09:30:00;\n  cltt 5 2027/01/15 07:30:00;\n  binding state active;\n  next binding state free;\n  hardware ethernet 52:54:00:00:00:01;\n  uid \"\\001RT\\000\\000\\000\\001\";\n  set vendor-class-identifier = \"x\";\n  client-hostname \"a\";\n}\n\
             lease 198.18.0.11 {\n  starts epoch 1799990000; # old\n  ends epoch 1799993600;\n  binding state active;\n  hardware ethernet 52:54:00:00:00:02;\n}\n\
             lease 198.18.0.12 {\n  starts 5 2027/01/15 07:00:00;\n  ends never;\n  binding state abandoned;\n  hardware ethernet 52:54:00:00:00:03;\n}\n\
             lease 198.18.0.13 {\n  binding state free;\n}\n\
             lease 198.18.0.14 {\n  starts 5 2027/01/15 07:00:00;\n  ends 5 2027/01/15 07:10:00;\n  binding state released;\n  hardware ethernet 52:54:00:00:00:04;\n}\n\
             failover peer \"p\" state {\n  my state normal at 5 2027/01/15 07:00:00;\n}\n",
        )
        .expect("reads");
        assert!(report.findings.is_empty(), "{:?}", report.findings);
        assert_eq!(rows.len(), 4);
        let a = &rows[0].lease;
        assert_eq!(a.state, LeaseState::Bound);
        assert_eq!(
            a.client,
            Some(ClientKey::ClientId(vec![1, 0x52, 0x54, 0, 0, 0, 1]))
        );
        assert_eq!(a.starts, NOW - 1800);
        assert_eq!(a.expires, NOW + 5400);
        assert_eq!(a.hostname.as_deref(), Some("a"));
        assert_eq!(rows[0].line, 9);
        assert_eq!(rows[1].lease.state, LeaseState::Expired);
        assert_eq!(
            rows[1].lease.client,
            Some(ClientKey::HwAddr(HwAddr::ethernet([
                0x52, 0x54, 0, 0, 0, 2
            ])))
        );
        assert_eq!(rows[2].lease.state, LeaseState::Declined);
        assert_eq!(rows[2].lease.client, None);
        assert_eq!(rows[2].lease.expires, INFINITE);
        assert_eq!(rows[3].lease.state, LeaseState::Released);
    }

    #[test]
    fn garbage_and_truncation_name_the_line() {
        let e = rows("lease 198.18.0.10 {\n  starts 5 2027/01/15 07:00:00;\n  binding state act")
            .expect_err("truncated");
        assert!(e.to_string().starts_with("dhcpd.leases:"), "{e}");
        let e = rows("lease 198.18.0.10 {\n binding state bogus;\n}\n").expect_err("bad state");
        assert_eq!(
            e.to_string(),
            "dhcpd.leases:2: binding state \"bogus\" is not one dhcpd writes"
        );
        assert!(rows("hello world;").is_err());
        assert!(rows("lease fe80::1 { }").is_err());
        assert!(rows("lease 198.18.0.1 {\n hardware ethernet zz;\n}").is_err());
    }

    #[test]
    fn dynamic_hosts_are_reported() {
        let (rows, report) = rows(
            "host h { dynamic; hardware ethernet 52:54:00:00:00:09; fixed-address 198.18.0.9; }\n",
        )
        .expect("reads");
        assert!(rows.is_empty());
        assert_eq!(report.findings.len(), 1);
        assert_eq!(report.findings[0].line, 1);
    }
}
