//! Lease files of other servers, from Leasehold's records.

pub mod dhcpd;
pub mod dnsmasq;
pub mod kea_csv;
