//! Kea's memfile lease file (`kea-leases4.csv`): a log of lease records under a header line
//! naming the columns (Kea 2.2: `address,hwaddr,client_id,valid_lifetime,expire,subnet_id,
//! fqdn_fwd,fqdn_rev,hostname,state,user_context`; newer versions add `pool_id`).
//!
//! The last line of an address wins; a line with `valid_lifetime` 0 is Kea's record of a
//! deleted lease and forgets the address. States: 0 (default) → bound, or expired when
//! `expire` has passed; 1 (declined) → [`LeaseState::Declined`], kept in probation until
//! `expire`; 2 (expired-reclaimed) → expired; 3 (released) → released. `starts` is Kea's cltt,
//! `expire - valid_lifetime`. The client is its `client_id` when there is one, else its
//! Ethernet hardware address: what Leasehold computes from the client's next request.

use crate::{ImportError, Report};
use leasehold_engine::{ClientKey, Lease, LeaseState, Timestamp, INFINITE};
use leasehold_wire::HwAddr;
use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};

/// The columns Kea 2.2 writes, in its order.
pub const KEA_2_2_COLUMNS: &[&str] = &[
    "address",
    "hwaddr",
    "client_id",
    "valid_lifetime",
    "expire",
    "subnet_id",
    "fqdn_fwd",
    "fqdn_rev",
    "hostname",
    "state",
    "user_context",
];

/// Kea's infinite valid lifetime.
const KEA_INFINITE: u64 = 0xffff_ffff;

/// One lease line, with the file and line it is on and the subnet id Kea recorded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    /// The lease.
    pub lease: Lease,
    /// `subnet_id`.
    pub subnet_id: u32,
    /// The lease file it is in.
    pub file: PathBuf,
    /// Line in the file (1-based).
    pub line: u32,
}

/// The current record of every address, as the lease files read so far say.
pub type Current = BTreeMap<Ipv4Addr, Row>;

/// Reads the lease file: the current record of every address, in address order. Counts the
/// file's lines in `report`; a line that is not a lease record is an error.
pub fn read(
    text: &str,
    file: &Path,
    now: Timestamp,
    report: &mut Report,
) -> Result<Vec<Row>, ImportError> {
    let mut current = Current::new();
    read_into(text, file, now, report, &mut current)?;
    Ok(current.into_values().collect())
}

/// Reads one lease file over the records of the files read before it (Kea reads
/// `kea-leases4.csv.2`, `.1`, then the file itself: a later line of an address wins, also
/// across files).
pub fn read_into(
    text: &str,
    file: &Path,
    now: Timestamp,
    report: &mut Report,
    current: &mut Current,
) -> Result<(), ImportError> {
    let mut lines = text.split('\n').enumerate().map(|(i, l)| {
        let n = u32::try_from(i + 1).unwrap_or(u32::MAX);
        (n, l.strip_suffix('\r').unwrap_or(l))
    });
    let Some((header_line, header)) = lines.find(|(_, l)| !l.trim().is_empty()) else {
        report.count_lines(file, 0);
        return Ok(());
    };
    let cols = Columns::of(header).map_err(|m| ImportError::syntax(file, header_line, m))?;
    let mut holding = 1u32;
    for (n, l) in lines {
        if l.trim().is_empty() {
            continue;
        }
        holding = holding.saturating_add(1);
        let f: Vec<&str> = l.split(',').collect();
        if f.len() != cols.count {
            return Err(ImportError::syntax(
                file,
                n,
                format!(
                    "{} fields where the header names {} (a truncated or damaged line)",
                    f.len(),
                    cols.count
                ),
            ));
        }
        let row = cols
            .row(&f, file, n, now)
            .map_err(|m| ImportError::syntax(file, n, m))?;
        match row {
            Parsed::Lease(r) => {
                current.insert(r.lease.addr, *r);
            }
            Parsed::Deleted(addr) => {
                current.remove(&addr);
            }
            Parsed::Skipped(addr, why) => {
                current.remove(&addr);
                report.not_carried(file, n, why);
            }
        }
    }
    report.count_lines(file, holding);
    Ok(())
}

/// What one line says.
enum Parsed {
    /// The current record of its address.
    Lease(Box<Row>),
    /// `valid_lifetime` 0: Kea's record of a deleted lease.
    Deleted(Ipv4Addr),
    /// A lease Leasehold cannot hold, and why.
    Skipped(Ipv4Addr, String),
}

/// Where each column is.
struct Columns {
    count: usize,
    address: usize,
    hwaddr: usize,
    client_id: usize,
    valid: usize,
    expire: usize,
    subnet_id: usize,
    hostname: Option<usize>,
    state: Option<usize>,
}

impl Columns {
    fn of(header: &str) -> Result<Columns, String> {
        let names: Vec<&str> = header.split(',').map(str::trim).collect();
        let at = |n: &str| names.iter().position(|c| *c == n);
        let need = |n: &str| {
            at(n).ok_or_else(|| {
                format!("not a Kea lease file: the header has no `{n}` column (got {header:?})")
            })
        };
        Ok(Columns {
            count: names.len(),
            address: need("address")?,
            hwaddr: need("hwaddr")?,
            client_id: need("client_id")?,
            valid: need("valid_lifetime")?,
            expire: need("expire")?,
            subnet_id: need("subnet_id")?,
            hostname: at("hostname"),
            state: at("state"),
        })
    }

    /// The lease of one line; `None` for a deleted lease (valid lifetime 0).
    fn row(&self, f: &[&str], file: &Path, line: u32, now: Timestamp) -> Result<Parsed, String> {
        let field = |i: usize| f.get(i).copied().unwrap_or_default().trim();
        let addr: Ipv4Addr = field(self.address)
            .parse()
            .map_err(|_| format!("address {:?} is not an IPv4 address", field(self.address)))?;
        let valid = number(field(self.valid), "valid_lifetime")?;
        let expire = number(field(self.expire), "expire")?;
        let subnet_id = u32::try_from(number(field(self.subnet_id), "subnet_id")?)
            .map_err(|_| "subnet_id is too large".to_string())?;
        if valid > KEA_INFINITE {
            return Err(format!("valid_lifetime {valid} is too large"));
        }
        if valid == 0 {
            return Ok(Parsed::Deleted(addr));
        }
        let mut long_hw = false;
        let hwaddr = match field(self.hwaddr) {
            "" => None,
            h => {
                let b = leasehold_wire::hex::decode(h)
                    .ok_or_else(|| format!("hwaddr {h:?} is not hex bytes"))?;
                match b.len() {
                    0 => None,
                    // Kea keeps up to 20 bytes (e.g. InfiniBand); DHCPv4's chaddr holds 16.
                    17..=20 => {
                        long_hw = true;
                        None
                    }
                    _ => Some(
                        HwAddr::new(1, &b)
                            .map_err(|_| format!("hwaddr {h:?} is longer than 20 bytes"))?,
                    ),
                }
            }
        };
        let client_id = match field(self.client_id) {
            "" => None,
            c => Some(
                leasehold_wire::hex::decode(c)
                    .filter(|b| !b.is_empty())
                    .ok_or_else(|| format!("client_id {c:?} is not hex bytes"))?,
            ),
        };
        let state_no = match self.state {
            Some(i) if !field(i).is_empty() => number(field(i), "state")?,
            _ => 0,
        };
        let starts = expire.saturating_sub(valid);
        let expires = if valid == KEA_INFINITE {
            INFINITE
        } else {
            expire
        };
        let state = match state_no {
            0 if expires <= now => LeaseState::Expired,
            0 => LeaseState::Bound,
            1 => LeaseState::Declined,
            2 => LeaseState::Expired,
            3 => LeaseState::Released,
            s => return Err(format!("state {s} is not a Kea DHCPv4 lease state (0-3)")),
        };
        let client = match (client_id, &hwaddr) {
            (Some(id), _) => Some(ClientKey::ClientId(id)),
            (None, Some(h)) => Some(ClientKey::HwAddr(*h)),
            (None, None) if state == LeaseState::Declined => None,
            (None, None) if long_hw => {
                return Ok(Parsed::Skipped(
                    addr,
                    format!(
                        "lease of {addr} not carried over: its hardware address is longer than \
                         the 16 bytes of a DHCPv4 chaddr and it has no client_id"
                    ),
                ))
            }
            (None, None) => {
                return Err(format!(
                    "lease of {addr} has neither hwaddr nor client_id (only declined leases may)"
                ))
            }
        };
        let hostname = self
            .hostname
            .map(|i| unescape(field(i)))
            .transpose()?
            .filter(|h| !h.is_empty());
        Ok(Parsed::Lease(Box::new(Row {
            lease: Lease {
                addr,
                client,
                hwaddr,
                state,
                starts,
                expires,
                hostname,
            },
            subnet_id,
            file: file.to_path_buf(),
            line,
        })))
    }
}

fn number(s: &str, what: &str) -> Result<u64, String> {
    s.parse()
        .map_err(|_| format!("{what} {s:?} is not a number"))
}

/// Kea's CSV escaping: `&#xHH` stands for the byte HH (commas and `&` are written so).
pub fn unescape(s: &str) -> Result<String, String> {
    if !s.contains("&#x") {
        return Ok(s.to_string());
    }
    let mut out = Vec::with_capacity(s.len());
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i..].starts_with(b"&#x") {
            let hex = s
                .get(i + 3..i + 5)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| format!("bad escape in {s:?}"))?;
            out.push(hex);
            i += 5;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| format!("{s:?} is not text once unescaped"))
}

/// Kea's CSV escaping of a field: `,` and `&` as `&#xHH`.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            ',' => out.push_str("&#x2c"),
            '&' => out.push_str("&#x26"),
            '\n' => out.push_str("&#x0a"),
            '\r' => out.push_str("&#x0d"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: u64 = 1_800_000_000;

    #[test]
    fn states_last_line_wins_and_deletions() {
        let text = "address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,hostname,state,user_context\n\
198.18.0.10,52:54:00:00:00:01,01:52:54:00:00:00:01,3600,1800001000,1,0,0,a&#x2cb,0,\n\
198.18.0.11,52:54:00:00:00:02,,3600,1799999000,1,0,0,,0,\n\
198.18.0.12,,,3600,1800003600,1,0,0,,1,\n\
198.18.0.13,52:54:00:00:00:03,,3600,1800001000,1,0,0,,3,\n\
198.18.0.14,52:54:00:00:00:04,,3600,1800001000,1,0,0,,0,\n\
198.18.0.14,52:54:00:00:00:04,,0,1800001000,1,0,0,,0,\n\
198.18.0.10,52:54:00:00:00:01,01:52:54:00:00:00:01,7200,1800005000,1,0,0,host,2,\n";
        let mut report = Report::default();
        let rows = read(text, Path::new("l.csv"), NOW, &mut report).expect("read");
        assert_eq!(report.total_lines(), 8);
        let by = |a: u8| {
            rows.iter()
                .find(|r| r.lease.addr == Ipv4Addr::new(198, 18, 0, a))
        };
        let a = by(10).expect("10");
        assert_eq!(a.lease.state, LeaseState::Expired);
        assert_eq!(
            (a.lease.starts, a.lease.expires),
            (1_799_997_800, 1_800_005_000)
        );
        assert_eq!(a.lease.hostname.as_deref(), Some("host"));
        assert!(matches!(a.lease.client, Some(ClientKey::ClientId(ref id)) if id.len() == 7));
        assert_eq!(by(11).map(|r| r.lease.state), Some(LeaseState::Expired));
        let d = by(12).expect("12");
        assert_eq!(
            (d.lease.state, d.lease.client.clone()),
            (LeaseState::Declined, None)
        );
        assert_eq!(by(13).map(|r| r.lease.state), Some(LeaseState::Released));
        assert!(by(14).is_none());
        assert_eq!(rows.len(), 4);
        assert_eq!(unescape("a&#x2cb").as_deref(), Ok("a,b"));
        // InfiniBand's 20-byte hardware addresses do not fit chaddr.
        let ib = "01:02:03:04:05:06:07:08:09:0a:0b:0c:0d:0e:0f:10:11:12:13:14";
        let text = format!(
            "address,hwaddr,client_id,valid_lifetime,expire,subnet_id\n\
             198.18.0.20,{ib},,3600,1800003600,1\n198.18.0.21,{ib},ff:00:01,3600,1800003600,1\n"
        );
        let mut report = Report::default();
        let rows = read(&text, Path::new("l.csv"), NOW, &mut report).expect("read");
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].lease.hwaddr, None);
        assert_eq!(report.findings.len(), 1);
        assert_eq!(report.findings[0].line, 2);
        assert_eq!(escape("a,b&c"), "a&#x2cb&#x26c");
    }

    #[test]
    fn damaged_files_are_errors_at_their_line() {
        let h = "address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,hostname,state,user_context\n";
        for (body, line) in [
            ("198.18.0.10,52:54:00:00:00:01,,3600,18000", 2),
            (
                "198.18.0.10,52:54:00:00:00:01,,3600,1800001000,1,0,0,,0,\nxx,,,,,,,,,,\n",
                3,
            ),
            ("198.18.0.10,zz,,3600,1800001000,1,0,0,,0,\n", 2),
            ("198.18.0.10,,,3600,1800001000,1,0,0,,0,\n", 2),
            (
                "198.18.0.10,52:54:00:00:00:01,,3600,1800001000,1,0,0,,9,\n",
                2,
            ),
        ] {
            let e = read(
                &format!("{h}{body}"),
                Path::new("l.csv"),
                NOW,
                &mut Report::default(),
            )
            .expect_err(body);
            assert!(e.to_string().starts_with(&format!("l.csv:{line}:")), "{e}");
        }
        let e = read(
            "\u{7f}ELF\0\0",
            Path::new("l.csv"),
            NOW,
            &mut Report::default(),
        )
        .expect_err("binary");
        assert!(e.to_string().starts_with("l.csv:1:"), "{e}");
    }
}
