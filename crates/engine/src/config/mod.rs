//! Configuration: the TOML file format, its validation, and the model the engine reads.
//!
//! - `raw`: the file as written, with spans (unknown keys are errors).
//! - [`model`]: the validated `Config`.
//! - `validate`: raw → model, reporting `FILE:LINE:COL: reason`.
//! - [`error`]: the error type, `ConfigError`.
//! - [`class`]: `[[class]]` (client classes: match keys and what members get).
//! - [`boot`]: `[tftp]` and `[http_boot]` (the boot file services).
//! - [`ddns`]: `[ddns]`, `[[ddns.key]]`, `[[ddns.zone]]`, `[subnet.ddns]` (dynamic DNS updates).
//! - [`observe`]: `[control]` (control API listener) and `[alerts]` (alert thresholds).
//! - [`security`]: `[security]` (admission limits, pool reserve, rogue-server detection).
//!
//! A minimal file:
//! ```toml
//! [server]
//! lease_time = 3600
//! [server.options]
//! domain-name-servers = ["198.18.0.1"]
//!
//! [[subnet]]
//! subnet = "198.18.0.0/24"
//! [subnet.options]
//! routers = "198.18.0.1"
//! [[subnet.pool]]
//! range = "198.18.0.100-198.18.0.200"
//! ```

pub mod boot;
pub mod class;
pub mod ddns;
pub mod error;
pub mod model;
pub mod observe;
pub(crate) mod raw;
pub mod security;
pub mod store;
mod validate;

pub use boot::{HttpBootConfig, TftpConfig};
pub use class::{ClassMatch, ClientClass};
pub use ddns::{
    ConflictResolution, DdnsConfig, DdnsKey, DdnsPolicy, DdnsUpdate, DdnsZone, ReplaceClientName,
    SubnetDdns, TsigAlgorithm,
};
pub use error::ConfigError;
pub use model::{
    CircuitOptions, Config, LeasePolicy, OptionSet, Pool, RelayId, Reservation, ReservationKey,
    ServerConfig, Subnet,
};
pub use observe::{AlertsConfig, ControlConfig};
pub use security::{PressureConfig, Rate, SecurityConfig};
pub use store::{Affinity, StoreBackend, StoreConfig};

use std::path::Path;

impl Config {
    /// Parses and validates configuration `text`; errors name `file` and the line and column.
    pub fn from_toml(text: &str, file: &Path) -> Result<Config, ConfigError> {
        let invalid = |at: usize, reason: String| {
            let (line, col) = error::line_col(text, at);
            ConfigError::Invalid {
                file: file.to_path_buf(),
                line,
                col,
                reason,
            }
        };
        let raw: raw::RawConfig = toml::from_str(text).map_err(|e| {
            let at = e.span().map(|s| s.start).unwrap_or(0);
            invalid(at, e.message().trim().to_string())
        })?;
        validate::build(raw).map_err(|e| invalid(e.at, e.reason))
    }

    /// Reads and validates the configuration file at `path`.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Io {
            file: path.to_path_buf(),
            source,
        })?;
        Config::from_toml(&text, path)
    }
}
