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
use std::path::{Path, PathBuf};

/// Imports `config` and, when given, the lease file `leases`, as of `now`.
///
/// The lease file is read as Kea reads it: with the `.2`/`.1` (or `.completed`) files of its
/// lease file cleanup when they exist. Leases whose address lies outside every imported subnet
/// are not carried over (a finding at their line); declined leases are kept as declined
/// (probation until Kea's `expire`).
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
        let mut current = csv::Current::new();
        for (file, text) in lease_files(files, path)? {
            csv::read_into(&text, &file, now, &mut report, &mut current)?;
        }
        for row in current.into_values() {
            if plan.assigns(row.lease.addr) {
                out.push(row.lease);
            } else {
                report.lease_outside_subnets(&row.file, row.line, row.lease.addr);
            }
        }
    }
    Ok(Imported {
        config: plan,
        leases: out,
        report,
    })
}

/// The lease files Kea itself loads for `path`, in its order (its `loadLeasesFromFiles`):
/// `path.completed` when a lease file cleanup finished but was not yet moved into place, else
/// `path.2` and `path.1` (older records the cleanup set aside), each when it exists, then
/// `path` itself. Without the first ones, leases not renewed since the last cleanup (every
/// `lfc-interval`) would be lost.
fn lease_files(
    files: &dyn SourceFiles,
    path: &Path,
) -> Result<Vec<(PathBuf, String)>, ImportError> {
    let with = |suffix: &str| {
        let mut p = path.as_os_str().to_owned();
        p.push(suffix);
        PathBuf::from(p)
    };
    let optional = |p: PathBuf| -> Result<Option<(PathBuf, String)>, ImportError> {
        match files.read(&p) {
            Ok(text) => Ok(Some((p, text))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(ImportError::Read { path: p, source }),
        }
    };
    let mut out = Vec::new();
    match optional(with(".completed"))? {
        Some(done) => out.push(done),
        None => {
            out.extend(optional(with(".2"))?);
            out.extend(optional(with(".1"))?);
        }
    }
    let text = files.read(path).map_err(|source| ImportError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    out.push((path.to_path_buf(), text));
    Ok(out)
}
