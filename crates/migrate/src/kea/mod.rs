//! Kea: `kea-dhcp4.conf` JSON (comments, `<?include?>`) and the memfile lease CSV.
//!
//! Modules: `jsonc` (comments and includes out, line origins kept), `json` (values with their
//! lines), `conf` (`Dhcp4` → [`ConfigPlan`](crate::ConfigPlan)), `options` (`option-data` and
//! `option-def`), `classes` (`client-classes` and their `test` expressions) and `csv` (the
//! lease file).

mod classes;
mod conf;
pub mod csv;
mod json;
mod jsonc;
mod options;

use crate::{ImportError, Imported, Report, SourceFiles};
use leasehold_engine::Timestamp;
use std::path::Path;

/// Imports `config` and, when given, the lease file `leases`, as of `now`.
///
/// Leases whose address lies outside every imported subnet are not carried over (a finding at
/// their line); declined leases are kept as declined (probation until Kea's `expire`).
pub fn import(
    files: &dyn SourceFiles,
    config: &Path,
    leases: Option<&Path>,
    now: Timestamp,
) -> Result<Imported, ImportError> {
    let mut report = Report::default();
    let joined = jsonc::load(files, config, &mut report)?;
    let doc = json::Doc::parse(joined)?;
    let plan = conf::read(&doc, &mut report, format!("Kea: {}", config.display()))?;
    let mut out = Vec::new();
    if let Some(path) = leases {
        let text = files.read(path).map_err(|source| ImportError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        for row in csv::read(&text, path, now, &mut report)? {
            if plan.subnets.iter().any(|s| s.net.contains(&row.lease.addr)) {
                out.push(row.lease);
            } else {
                report.not_carried(
                    path,
                    row.line,
                    format!(
                        "lease of {} not carried over: the address is in no imported subnet",
                        row.lease.addr
                    ),
                );
            }
        }
    }
    Ok(Imported {
        config: plan,
        leases: out,
        report,
    })
}
