//! ISC dhcpd: `dhcpd.conf` (with `include`s) and `dhcpd.leases`.

use crate::{ImportError, Imported, SourceFiles};
use leasehold_engine::Timestamp;
use std::path::Path;

/// Imports `config` and, when given, the lease file `leases`, as of `now`.
pub fn import(
    _files: &dyn SourceFiles,
    config: &Path,
    _leases: Option<&Path>,
    _now: Timestamp,
) -> Result<Imported, ImportError> {
    Err(ImportError::syntax(
        config,
        0,
        "the dhcpd importer is being written",
    ))
}
