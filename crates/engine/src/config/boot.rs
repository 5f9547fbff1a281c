//! `[tftp]` and `[http_boot]`: the boot file services, parsed and validated as plain data.
//!
//! The engine never reads these; the runtime starts the TFTP and HTTP boot services from them.
//! They are validated here so that a bad value is reported with its file and line like every
//! other key. Validation never touches the filesystem: whether `root` exists is the service's
//! concern when it starts.

use super::error::SpanError;
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::PathBuf;
use toml::Spanned;

/// Default `[tftp] listen`: every address, the TFTP port.
pub const DEFAULT_TFTP_LISTEN: &str = "0.0.0.0:69";
/// Default `[tftp] max_transfers`.
pub const DEFAULT_MAX_TRANSFERS: usize = 64;
/// Default `[tftp] max_transfers_per_client`.
pub const DEFAULT_MAX_TRANSFERS_PER_CLIENT: usize = 4;
/// Default `[tftp] timeout`, seconds.
pub const DEFAULT_TFTP_TIMEOUT: u8 = 2;
/// Default `[tftp] retries`.
pub const DEFAULT_TFTP_RETRIES: u32 = 5;
/// Default `[tftp] max_blksize` (fits an Ethernet frame: 1500 − IP − UDP − TFTP headers).
pub const DEFAULT_MAX_BLKSIZE: u16 = 1468;
/// Largest `[tftp] max_blksize` (RFC 2348).
pub const MAX_BLKSIZE: u16 = 65464;
/// Default `[tftp] max_windowsize`.
pub const DEFAULT_MAX_WINDOWSIZE: u16 = 16;
/// Largest accepted `[tftp] max_windowsize`.
pub const MAX_WINDOWSIZE: u16 = 64;

/// `[tftp]` as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawTftp {
    pub root: Option<Spanned<String>>,
    pub listen: Option<Spanned<String>>,
    pub interfaces: Option<Vec<Spanned<String>>>,
    pub upload_dir: Option<Spanned<String>>,
    pub max_transfers: Option<Spanned<i64>>,
    pub max_transfers_per_client: Option<Spanned<i64>>,
    pub timeout: Option<Spanned<i64>>,
    pub retries: Option<Spanned<i64>>,
    pub max_blksize: Option<Spanned<i64>>,
    pub max_windowsize: Option<Spanned<i64>>,
}

/// `[http_boot]` as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawHttpBoot {
    pub root: Option<Spanned<String>>,
    pub listen: Option<Spanned<String>>,
}

/// The TFTP service: `[tftp]`. Present only when the file has a `[tftp]` table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TftpConfig {
    /// Directory files are served from, read-only, never above it (key `root`, required).
    pub root: PathBuf,
    /// Address and port to listen on (key `listen`, default `0.0.0.0:69`).
    pub listen: SocketAddr,
    /// Answer only on these interfaces (key `interfaces`; empty: every interface).
    pub interfaces: Vec<String>,
    /// Directory write requests store into; `None` refuses every write (key `upload_dir`).
    pub upload_dir: Option<PathBuf>,
    /// Concurrent transfers in total (key `max_transfers`, default 64).
    pub max_transfers: usize,
    /// Concurrent transfers per client address (key `max_transfers_per_client`, default 4).
    pub max_transfers_per_client: usize,
    /// Seconds before a retransmission (key `timeout`, 1–255, default 2; a client may ask for
    /// another value in 1–255 with the timeout option).
    pub timeout: u8,
    /// Retransmissions of one packet before the transfer is abandoned (key `retries`, 0–100,
    /// default 5).
    pub retries: u32,
    /// Largest block size granted to a client's `blksize` option (key `max_blksize`, 8–65464,
    /// default 1468).
    pub max_blksize: u16,
    /// Largest window granted to a client's `windowsize` option (key `max_windowsize`, 1–64,
    /// default 16).
    pub max_windowsize: u16,
}

/// The HTTP boot file service: `[http_boot]`. Present only when the file has the table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpBootConfig {
    /// Directory files are served from (key `root`, default the `[tftp]` root).
    pub root: PathBuf,
    /// Address and port to listen on (key `listen`, required).
    pub listen: SocketAddr,
}

/// A directory key: a non-empty path string (absolute or relative to the working directory).
fn dir(v: &Spanned<String>, name: &str) -> Result<PathBuf, SpanError> {
    let p = v.get_ref().trim();
    if p.is_empty() {
        return Err(SpanError::new(
            v.span().start,
            format!("{name} must name a directory"),
        ));
    }
    if p.contains('\0') {
        return Err(SpanError::new(
            v.span().start,
            format!("{name} must not contain a NUL byte"),
        ));
    }
    Ok(PathBuf::from(p))
}

/// A `listen` key: `address:port`.
fn listen(v: &Spanned<String>, example: &str) -> Result<SocketAddr, SpanError> {
    v.get_ref().trim().parse().map_err(|_| {
        SpanError::new(
            v.span().start,
            format!(
                "listen {:?} is not an address:port such as \"{example}\"",
                v.get_ref()
            ),
        )
    })
}

/// An integer key within `min..=max`, or `default` when absent.
fn ranged<T: TryFrom<i64> + Copy>(
    v: &Option<Spanned<i64>>,
    name: &str,
    min: i64,
    max: i64,
    default: T,
) -> Result<T, SpanError> {
    let Some(s) = v else { return Ok(default) };
    let n = *s.get_ref();
    if n < min || n > max {
        return Err(SpanError::new(
            s.span().start,
            format!("{name} must be between {min} and {max}"),
        ));
    }
    T::try_from(n).map_err(|_| {
        SpanError::new(
            s.span().start,
            format!("{name} must be between {min} and {max}"),
        )
    })
}

/// Validates `[tftp]`; `table_at` locates the table for errors about missing keys.
pub(crate) fn tftp(raw: &RawTftp, table_at: usize) -> Result<TftpConfig, SpanError> {
    let root = match &raw.root {
        Some(r) => dir(r, "root")?,
        None => {
            return Err(SpanError::new(
                table_at,
                "[tftp] needs root = \"/srv/tftp\" (the directory files are served from)",
            ))
        }
    };
    let listen = match &raw.listen {
        Some(l) => listen(l, "0.0.0.0:69")?,
        None => DEFAULT_TFTP_LISTEN
            .parse()
            .map_err(|_| SpanError::new(table_at, "bad default [tftp] listen address"))?,
    };
    let mut interfaces = Vec::new();
    for i in raw.interfaces.iter().flatten() {
        let name = i.get_ref().trim();
        if name.is_empty() || name.len() > 15 || name.contains(['/', ' ', '\0']) {
            return Err(SpanError::new(
                i.span().start,
                format!("interfaces: {:?} is not an interface name", i.get_ref()),
            ));
        }
        interfaces.push(name.to_string());
    }
    let upload_dir = raw
        .upload_dir
        .as_ref()
        .map(|u| dir(u, "upload_dir"))
        .transpose()?;
    let max_transfers = ranged(
        &raw.max_transfers,
        "max_transfers",
        1,
        65535,
        DEFAULT_MAX_TRANSFERS,
    )?;
    let max_transfers_per_client = ranged(
        &raw.max_transfers_per_client,
        "max_transfers_per_client",
        1,
        65535,
        DEFAULT_MAX_TRANSFERS_PER_CLIENT,
    )?;
    Ok(TftpConfig {
        root,
        listen,
        interfaces,
        upload_dir,
        max_transfers,
        max_transfers_per_client,
        timeout: ranged(&raw.timeout, "timeout", 1, 255, DEFAULT_TFTP_TIMEOUT)?,
        retries: ranged(&raw.retries, "retries", 0, 100, DEFAULT_TFTP_RETRIES)?,
        max_blksize: ranged(
            &raw.max_blksize,
            "max_blksize",
            8,
            i64::from(MAX_BLKSIZE),
            DEFAULT_MAX_BLKSIZE,
        )?,
        max_windowsize: ranged(
            &raw.max_windowsize,
            "max_windowsize",
            1,
            i64::from(MAX_WINDOWSIZE),
            DEFAULT_MAX_WINDOWSIZE,
        )?,
    })
}

/// Validates `[http_boot]`; `tftp` is the validated `[tftp]`, whose root is the default.
pub(crate) fn http_boot(
    raw: &RawHttpBoot,
    table_at: usize,
    tftp: Option<&TftpConfig>,
) -> Result<HttpBootConfig, SpanError> {
    let root =
        match (&raw.root, tftp) {
            (Some(r), _) => dir(r, "root")?,
            (None, Some(t)) => t.root.clone(),
            (None, None) => return Err(SpanError::new(
                table_at,
                "[http_boot] needs root = \"/srv/tftp\" (or a [tftp] table whose root it shares)",
            )),
        };
    let listen = match &raw.listen {
        Some(l) => listen(l, "0.0.0.0:8080")?,
        None => {
            return Err(SpanError::new(
                table_at,
                "[http_boot] needs listen = \"0.0.0.0:8080\"",
            ))
        }
    };
    Ok(HttpBootConfig { root, listen })
}
