//! The services' configuration as plain data; the server crate fills these from its config
//! file (`[tftp]` and `[http_boot]`, see the project's boot configuration notes).

use crate::error::BootFilesError;
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::path::PathBuf;
use std::time::Duration;

/// The TFTP service (`[tftp]`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TftpSettings {
    /// Files are served read-only from beneath this directory.
    pub root: PathBuf,
    /// Listening address; default `0.0.0.0:69`.
    pub listen: SocketAddr,
    /// When not empty, answer only on these interfaces (one socket each, SO_BINDTODEVICE).
    pub interfaces: Vec<String>,
    /// When set, write requests create new files beneath this directory; else they are refused.
    pub upload_dir: Option<PathBuf>,
    /// Largest upload accepted, in bytes.
    pub max_upload_size: u64,
    /// Concurrent transfers in total (default 64).
    pub max_transfers: usize,
    /// Concurrent transfers per client IP address (default 4).
    pub max_transfers_per_client: usize,
    /// Time before a retransmission unless the client asks for another (default 2 s).
    pub timeout: Duration,
    /// Retransmissions before a transfer is given up (default 5).
    pub retries: u32,
    /// Largest block size granted (default 1468, at most 65464).
    pub max_blksize: u16,
    /// Largest window granted (default 16, at most 64).
    pub max_windowsize: u16,
}

/// Default `[tftp] listen`.
pub const DEFAULT_TFTP_LISTEN: SocketAddr =
    SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 69));
/// Default upload size cap: 64 MiB.
pub const DEFAULT_MAX_UPLOAD_SIZE: u64 = 64 << 20;
/// Upper bound of `max_windowsize`.
pub const WINDOWSIZE_LIMIT: u16 = 64;

impl TftpSettings {
    /// Settings with every default and this root.
    pub fn new(root: impl Into<PathBuf>) -> TftpSettings {
        TftpSettings {
            root: root.into(),
            listen: DEFAULT_TFTP_LISTEN,
            interfaces: Vec::new(),
            upload_dir: None,
            max_upload_size: DEFAULT_MAX_UPLOAD_SIZE,
            max_transfers: 64,
            max_transfers_per_client: 4,
            timeout: Duration::from_secs(2),
            retries: 5,
            max_blksize: 1468,
            max_windowsize: 16,
        }
    }

    /// Checks the ranges: timeout 1..=255 s, retries <= 255, max_blksize 8..=65464,
    /// max_windowsize 1..=64, max_transfers and max_transfers_per_client at least 1.
    /// [`crate::tftp::TftpServer::bind`] calls it.
    pub fn validate(&self) -> Result<(), BootFilesError> {
        let bad = |what: String| Err(BootFilesError::Invalid(what));
        if self.timeout < Duration::from_secs(1) || self.timeout > Duration::from_secs(255) {
            return bad(format!(
                "timeout {:?} is not within 1..=255 s",
                self.timeout
            ));
        }
        if self.retries > 255 {
            return bad(format!("retries {} is above 255", self.retries));
        }
        if !(8..=65464).contains(&self.max_blksize) {
            return bad(format!(
                "max_blksize {} is not within 8..=65464",
                self.max_blksize
            ));
        }
        if !(1..=WINDOWSIZE_LIMIT).contains(&self.max_windowsize) {
            return bad(format!(
                "max_windowsize {} is not within 1..={WINDOWSIZE_LIMIT}",
                self.max_windowsize
            ));
        }
        if self.max_transfers == 0 || self.max_transfers_per_client == 0 {
            return bad("max_transfers and max_transfers_per_client must be at least 1".into());
        }
        Ok(())
    }
}

/// The HTTP boot service (`[http_boot]`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpBootSettings {
    /// Files are served read-only from beneath this directory (default: the TFTP root).
    pub root: PathBuf,
    /// Listening address (required).
    pub listen: SocketAddr,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_ranges_checked() {
        let ok = TftpSettings::new("/srv/tftp");
        assert!(ok.validate().is_ok());
        assert_eq!(ok.listen.to_string(), "0.0.0.0:69");
        let cases: [fn(&mut TftpSettings); 6] = [
            |s| s.timeout = Duration::from_millis(500),
            |s| s.timeout = Duration::from_secs(256),
            |s| s.max_blksize = 7,
            |s| s.max_windowsize = 65,
            |s| s.max_transfers = 0,
            |s| s.max_transfers_per_client = 0,
        ];
        for change in cases {
            let mut s = ok.clone();
            change(&mut s);
            assert!(
                matches!(s.validate(), Err(BootFilesError::Invalid(_))),
                "{s:?}"
            );
        }
    }
}
