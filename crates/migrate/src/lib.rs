//! Switching to Leasehold from ISC dhcpd, Kea and dnsmasq, and back.
//!
//! An importer reads another server's configuration and lease file and returns an [`Imported`]:
//! a [`ConfigPlan`] (Leasehold's configuration as a model, written out as TOML by
//! [`ConfigPlan::to_toml`]), the leases to store, and a [`Report`] naming every construct that
//! was not carried over as `FILE:LINE: what and why`. Importers are pure: they read files only
//! through a [`SourceFiles`] (the binary passes [`FsFiles`], tests and fuzz targets
//! [`MemFiles`]) and take the time as an argument; writing the configuration and the lease
//! database is the caller's job (`leasehold import`).
//!
//! The exporters (`export`) turn Leasehold's lease records into the lease files of the other
//! servers, so that leaving is as easy as arriving.
#![forbid(unsafe_code)]

pub mod dhcpd;
pub mod dnsmasq;
pub mod export;
pub mod files;
pub mod kea;
pub mod plan;
pub mod report;

pub use files::{FsFiles, MemFiles, SourceFiles};
pub use plan::{
    ClassPlan, ConfigPlan, OptionPlan, OptionValue, Origin, PoolPlan, ReservationPlan, ServerPlan,
    SubnetPlan,
};
pub use report::{Finding, ImportError, Report};

use leasehold_engine::Lease;

/// What an importer read: the configuration to write, the leases to store, and what it could
/// not carry over.
#[derive(Clone, Debug, Default)]
pub struct Imported {
    /// Leasehold's configuration, as a model.
    pub config: ConfigPlan,
    /// The leases to store, one current record per address.
    pub leases: Vec<Lease>,
    /// Every construct not carried over, and the line counts behind the carried-over share.
    pub report: Report,
}
