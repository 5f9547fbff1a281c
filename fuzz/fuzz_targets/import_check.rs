//! What every import fuzz target checks (included by import_dhcpd.rs, import_kea.rs and
//! import_dnsmasq.rs): the input split at its first NUL byte is a configuration and a lease file;
//! the importer must not panic; it either refuses the input with a `FILE:LINE` error or returns a
//! configuration that Leasehold's own parser accepts (what `leasehold import` writes), with a
//! carried-over share between 0 and 100 %.

use leasehold_engine::Config;
use leasehold_migrate::{ImportError, Imported, MemFiles, SourceFiles};
use std::path::Path;

/// An importer's entry point.
pub type Importer = fn(&dyn SourceFiles, &Path, Option<&Path>, u64) -> Result<Imported, ImportError>;

/// Runs `import` on `data` with the configuration named `conf` and the lease file `leases`.
pub fn check(data: &[u8], conf: &str, leases: &str, import: Importer) {
    let (conf_text, lease_text) = match data.iter().position(|b| *b == 0) {
        Some(i) => (&data[..i], Some(&data[i + 1..])),
        None => (data, None),
    };
    let mut files = MemFiles::new().with(conf, String::from_utf8_lossy(conf_text));
    if let Some(l) = lease_text {
        files = files.with(leases, String::from_utf8_lossy(l));
    }
    let leases_path = lease_text.map(|_| Path::new(leases));
    let Ok(imported) = import(&files, Path::new(conf), leases_path, 1_800_000_000) else {
        return;
    };
    let text = imported.config.to_toml();
    if let Err(e) = Config::from_toml(&text, Path::new("imported.toml")) {
        panic!("the imported configuration does not pass check-config: {e}\n{text}");
    }
    let pct = imported.report.carried_percent();
    assert!((0.0..=100.0).contains(&pct), "carried share {pct}");
}
