//! Lease files of other servers, from Leasehold's records.

pub mod dnsmasq;
pub mod kea_csv;
