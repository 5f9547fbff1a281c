//! Lease and history listings as a human table, JSON or CSV, and lookups by address or client.
//!
//! JSON and CSV carry times as Unix seconds, with `expires` null (JSON) or empty (CSV) for
//! never; the table shows UTC times and `never`.

use crate::error::StoreError;
use crate::store::{HistoryEntry, HistoryFilter, LeaseStore};
use leasehold_engine::lease::INFINITE;
use leasehold_engine::{ClientKey, Lease, Timestamp};
use leasehold_wire::HwAddr;
use serde_json::{json, Value};
use std::fmt;
use std::io::Write;
use std::net::Ipv4Addr;
use std::str::FromStr;

/// An output format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Format {
    /// Aligned columns for people.
    #[default]
    Table,
    /// A JSON array of objects.
    Json,
    /// RFC 4180 CSV with a header row.
    Csv,
}

impl FromStr for Format {
    type Err = String;
    /// Parses `table`, `json` or `csv`.
    fn from_str(s: &str) -> Result<Format, String> {
        match s {
            "table" => Ok(Format::Table),
            "json" => Ok(Format::Json),
            "csv" => Ok(Format::Csv),
            other => Err(format!(
                "unknown format {other:?} (expected table, json or csv)"
            )),
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Format::Table => "table",
            Format::Json => "json",
            Format::Csv => "csv",
        })
    }
}

/// What `leases show` looks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Lookup {
    /// One address.
    Addr(Ipv4Addr),
    /// A client key in its text form (`id:<hex>` or `hw:<htype>:<mac>`).
    Client(ClientKey),
    /// A hardware address, whatever the client key.
    HwAddr(HwAddr),
}

impl FromStr for Lookup {
    type Err = String;
    /// An IPv4 address, a client key text (`id:…`, `hw:…`), or a MAC address (`aa:bb:…`).
    fn from_str(s: &str) -> Result<Lookup, String> {
        if let Ok(a) = s.parse::<Ipv4Addr>() {
            return Ok(Lookup::Addr(a));
        }
        if let Some(c) = ClientKey::from_text(s) {
            return Ok(Lookup::Client(c));
        }
        if let Ok(h) = s.parse::<HwAddr>() {
            return Ok(Lookup::HwAddr(h));
        }
        Err(format!("{s:?} is not an IPv4 address, a client key (id:<hex>, hw:<htype>:<mac>) or a MAC address"))
    }
}

impl Lookup {
    /// The current records matching this lookup.
    pub fn find(&self, store: &mut dyn LeaseStore) -> Result<Vec<Lease>, StoreError> {
        match self {
            Lookup::Addr(a) => Ok(store.get(*a)?.into_iter().collect()),
            Lookup::Client(c) => store.by_client(c),
            Lookup::HwAddr(h) => Ok(store
                .load_all()?
                .into_iter()
                .filter(|l| l.hwaddr.is_some_and(|x| x.as_bytes() == h.as_bytes()))
                .collect()),
        }
    }

    /// History entries for this lookup, newest first (a MAC lookup matches on the history's
    /// hardware address).
    pub fn history(
        &self,
        store: &dyn LeaseStore,
        limit: usize,
    ) -> Result<Vec<HistoryEntry>, StoreError> {
        match self {
            Lookup::Addr(a) => store.history(&HistoryFilter::Addr(*a), limit),
            Lookup::Client(c) => store.history(&HistoryFilter::Client(c.clone()), limit),
            Lookup::HwAddr(h) => Ok(store
                .history(&HistoryFilter::All, usize::MAX)?
                .into_iter()
                .filter(|e| e.lease.hwaddr.is_some_and(|x| x.as_bytes() == h.as_bytes()))
                .take(limit)
                .collect()),
        }
    }
}

/// UTC `YYYY-MM-DDTHH:MM:SSZ` for `ts`, or `never` for [`INFINITE`].
pub fn format_time(ts: Timestamp) -> String {
    if ts == INFINITE {
        return "never".to_string();
    }
    let days = ts / 86_400;
    let secs = ts % 86_400;
    // Howard Hinnant's civil_from_days, for days since 1970-01-01 (non-negative here).
    let z = days as i128 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i128::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

/// The JSON object of one lease.
pub fn lease_json(l: &Lease) -> Value {
    json!({
        "addr": l.addr.to_string(),
        "client": l.client.as_ref().map(ClientKey::to_text),
        "htype": l.hwaddr.map(|h| h.htype()),
        "hwaddr": l.hwaddr.map(|h| h.to_string()),
        "state": l.state.as_str(),
        "starts": l.starts,
        "expires": (l.expires != INFINITE).then_some(l.expires),
        "hostname": l.hostname,
    })
}

/// The JSON object of one history entry: the lease's fields plus `id` and `recorded`.
pub fn history_json(e: &HistoryEntry) -> Value {
    let mut v = lease_json(&e.lease);
    if let Value::Object(m) = &mut v {
        m.insert("id".into(), json!(e.id));
        m.insert("recorded".into(), json!(e.recorded));
    }
    v
}

const HEADER: [&str; 8] = [
    "addr", "client", "htype", "hwaddr", "state", "starts", "expires", "hostname",
];

fn machine_fields(l: &Lease) -> [String; 8] {
    [
        l.addr.to_string(),
        l.client
            .as_ref()
            .map(ClientKey::to_text)
            .unwrap_or_default(),
        l.hwaddr.map(|h| h.htype().to_string()).unwrap_or_default(),
        l.hwaddr.map(|h| h.to_string()).unwrap_or_default(),
        l.state.as_str().to_string(),
        l.starts.to_string(),
        if l.expires == INFINITE {
            String::new()
        } else {
            l.expires.to_string()
        },
        l.hostname.clone().unwrap_or_default(),
    ]
}

fn human_fields(l: &Lease) -> [String; 8] {
    let dash = || "-".to_string();
    [
        l.addr.to_string(),
        l.client
            .as_ref()
            .map(ClientKey::to_text)
            .unwrap_or_else(dash),
        l.hwaddr.map(|h| h.htype().to_string()).unwrap_or_else(dash),
        l.hwaddr.map(|h| h.to_string()).unwrap_or_else(dash),
        l.state.as_str().to_string(),
        format_time(l.starts),
        format_time(l.expires),
        l.hostname.as_deref().map(sanitize).unwrap_or_else(dash),
    ]
}

/// Replaces control characters (a hostile hostname could carry terminal escapes).
fn sanitize(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}

/// One CSV field, quoted when needed (RFC 4180). Fields starting with a formula character are
/// prefixed with `'` so spreadsheets do not evaluate client-supplied hostnames.
pub fn csv_field(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@']) {
        format!("'{s}")
    } else {
        s.to_string()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

fn write_rows(
    out: &mut dyn Write,
    format: Format,
    header: &[&str],
    rows: &[Vec<String>],
    json: Vec<Value>,
) -> Result<(), StoreError> {
    let w = |r: std::io::Result<()>| r.map_err(StoreError::Output);
    match format {
        Format::Json => {
            w(serde_json::to_writer_pretty(&mut *out, &Value::Array(json))
                .map_err(std::io::Error::other))?;
            w(writeln!(out))
        }
        Format::Csv => {
            w(writeln!(out, "{}", header.join(",")))?;
            for row in rows {
                let line: Vec<String> = row.iter().map(|f| csv_field(f)).collect();
                w(writeln!(out, "{}", line.join(",")))?;
            }
            Ok(())
        }
        Format::Table => {
            let mut widths: Vec<usize> = header.iter().map(|h| h.len()).collect();
            for row in rows {
                for (w, f) in widths.iter_mut().zip(row) {
                    *w = (*w).max(f.chars().count());
                }
            }
            let line = |cells: &mut dyn Iterator<Item = &str>| {
                let parts: Vec<String> = cells
                    .zip(&widths)
                    .map(|(c, w)| format!("{c:<w$}", w = *w))
                    .collect();
                parts.join("  ").trim_end().to_string()
            };
            let upper: Vec<String> = header.iter().map(|h| h.to_uppercase()).collect();
            w(writeln!(
                out,
                "{}",
                line(&mut upper.iter().map(String::as_str))
            ))?;
            for row in rows {
                w(writeln!(
                    out,
                    "{}",
                    line(&mut row.iter().map(String::as_str))
                ))?;
            }
            Ok(())
        }
    }
}

/// Writes `leases` to `out` in `format`.
pub fn write_leases(
    leases: &[Lease],
    format: Format,
    out: &mut dyn Write,
) -> Result<(), StoreError> {
    let rows: Vec<Vec<String>> = leases
        .iter()
        .map(|l| {
            if format == Format::Table {
                human_fields(l).to_vec()
            } else {
                machine_fields(l).to_vec()
            }
        })
        .collect();
    write_rows(
        out,
        format,
        &HEADER,
        &rows,
        leases.iter().map(lease_json).collect(),
    )
}

/// Writes history `entries` to `out` in `format` (columns `id`, `recorded`, then the lease's).
pub fn write_history(
    entries: &[HistoryEntry],
    format: Format,
    out: &mut dyn Write,
) -> Result<(), StoreError> {
    let mut header = vec!["id", "recorded"];
    header.extend(HEADER);
    let rows: Vec<Vec<String>> = entries
        .iter()
        .map(|e| {
            let (recorded, fields) = if format == Format::Table {
                (format_time(e.recorded), human_fields(&e.lease))
            } else {
                (e.recorded.to_string(), machine_fields(&e.lease))
            };
            let mut row = vec![e.id.to_string(), recorded];
            row.extend(fields);
            row
        })
        .collect();
    write_rows(
        out,
        format,
        &header,
        &rows,
        entries.iter().map(history_json).collect(),
    )
}

/// Writes what `leases show` prints: the matching current records and their recent history.
/// JSON is one object `{"leases": [...], "history": [...]}`; CSV is the leases, a blank line, the
/// history; the table has a heading before each part.
pub fn write_show(
    leases: &[Lease],
    history: &[HistoryEntry],
    format: Format,
    out: &mut dyn Write,
) -> Result<(), StoreError> {
    match format {
        Format::Json => {
            let hist: Vec<Value> = history.iter().map(history_json).collect();
            let doc = json!({ "leases": leases.iter().map(lease_json).collect::<Vec<_>>(), "history": hist });
            serde_json::to_writer_pretty(&mut *out, &doc)
                .map_err(|e| StoreError::Output(e.into()))?;
            writeln!(out).map_err(StoreError::Output)
        }
        Format::Csv => {
            write_leases(leases, format, out)?;
            writeln!(out).map_err(StoreError::Output)?;
            write_history(history, format, out)
        }
        Format::Table => {
            writeln!(
                out,
                "Current record{}:",
                if leases.len() == 1 { "" } else { "s" }
            )
            .map_err(StoreError::Output)?;
            if leases.is_empty() {
                writeln!(out, "  (none)").map_err(StoreError::Output)?;
            } else {
                write_leases(leases, format, out)?;
            }
            writeln!(out, "\nHistory (newest first):").map_err(StoreError::Output)?;
            if history.is_empty() {
                writeln!(out, "  (none)").map_err(StoreError::Output)
            } else {
                write_history(history, format, out)
            }
        }
    }
}
