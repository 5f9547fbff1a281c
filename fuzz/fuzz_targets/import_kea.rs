//! Any Kea configuration and lease file (the input split at its first NUL byte): the importer
//! must not panic; it either refuses the input with a `FILE:LINE` error or returns a
//! configuration that Leasehold's own parser accepts (what `leasehold import` writes).
#![no_main]

use leasehold_engine::Config;
use leasehold_migrate::MemFiles;
use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let (conf, leases) = match data.iter().position(|b| *b == 0) {
        Some(i) => (&data[..i], Some(&data[i + 1..])),
        None => (data, None),
    };
    let mut files = MemFiles::new().with("kea-dhcp4.conf", String::from_utf8_lossy(conf));
    if let Some(l) = leases {
        files = files.with("kea-leases4.csv", String::from_utf8_lossy(l));
    }
    let leases_path = leases.map(|_| Path::new("kea-leases4.csv"));
    let Ok(imported) =
        leasehold_migrate::kea::import(&files, Path::new("kea-dhcp4.conf"), leases_path, 1_800_000_000)
    else {
        return;
    };
    let text = imported.config.to_toml();
    if let Err(e) = Config::from_toml(&text, Path::new("imported.toml")) {
        panic!("the imported configuration does not pass check-config: {e}\n{text}");
    }
    let pct = imported.report.carried_percent();
    assert!((0.0..=100.0).contains(&pct), "carried share {pct}");
});
