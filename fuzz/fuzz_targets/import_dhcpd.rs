//! Any ISC dhcpd configuration and lease file (the input split at its first NUL byte): see
//! import_check.rs for what must hold.
#![no_main]

#[path = "import_check.rs"]
mod import_check;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    import_check::check(data, "dhcpd.conf", "dhcpd.leases", leasehold_migrate::dhcpd::import);
});
