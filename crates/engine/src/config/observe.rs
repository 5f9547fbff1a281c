//! `[control]` (the HTTP control API, metrics and dashboard listener) and `[alerts]` (thresholds
//! and the optional webhook): raw tables, validated model and their checks.
//!
//! The engine never reads these; they are validated here so that a bad value is reported with
//! its file and line like every other key, and so that a reload validates them too.

use super::error::SpanError;
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::PathBuf;
use toml::Spanned;

/// Default control listener: loopback only.
pub const DEFAULT_CONTROL_LISTEN: &str = "127.0.0.1:8067";

/// `[control]` as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawControl {
    pub enabled: Option<bool>,
    pub listen: Option<Spanned<String>>,
    pub token_file: Option<Spanned<String>>,
    pub tls_cert: Option<Spanned<String>>,
    pub tls_key: Option<Spanned<String>>,
}

/// `[alerts]` as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawAlerts {
    pub pool_utilization_percent: Option<Spanned<f64>>,
    pub nak_rate: Option<Spanned<f64>>,
    pub decline_rate: Option<Spanned<f64>>,
    pub drop_rate: Option<Spanned<f64>>,
    pub rogue_servers: Option<bool>,
    pub window: Option<Spanned<u32>>,
    pub webhook: Option<Spanned<String>>,
}

/// The control API listener: `[control]`. Present only when the file has a `[control]` table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ControlConfig {
    /// Serve the API (key `enabled`, default true when the table is present).
    pub enabled: bool,
    /// Address and port of the listener (key `listen`, default `127.0.0.1:8067`). A
    /// non-loopback address is accepted only with both [`ControlConfig::tls`] and
    /// [`ControlConfig::token_file`], and then every request needs the token
    /// ([`ControlConfig::reads_need_token`]).
    pub listen: SocketAddr,
    /// File holding the bearer token required for every write (key `token_file`). Without it
    /// the API is read-only.
    pub token_file: Option<PathBuf>,
    /// Serve HTTPS with this certificate and key (keys `tls_cert` and `tls_key`, both or
    /// neither); `None` serves plain HTTP.
    pub tls: Option<ControlTls>,
}

/// The PEM files of the control listener's TLS identity. They are read when the listener
/// starts, not when the configuration is validated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ControlTls {
    /// Certificate chain, leaf first (key `tls_cert`).
    pub cert: PathBuf,
    /// Private key of the leaf certificate: PKCS#8, PKCS#1 (RSA) or SEC1 (EC) (key `tls_key`).
    pub key: PathBuf,
}

impl ControlConfig {
    /// Whether reads (GET, HEAD, OPTIONS) need the bearer token too: on a non-loopback
    /// listener every request does; on loopback only writes do.
    pub fn reads_need_token(&self) -> bool {
        !self.listen.ip().is_loopback()
    }
}

/// Alert thresholds: `[alerts]`. Every threshold is optional; an absent one never raises.
#[derive(Clone, Debug, PartialEq)]
pub struct AlertsConfig {
    /// Raise when a pool's utilisation reaches this percentage (key
    /// `pool_utilization_percent`, 0–100).
    pub pool_utilization_percent: Option<f64>,
    /// Raise when NAKs per second over `window` reach this (key `nak_rate`).
    pub nak_rate: Option<f64>,
    /// Raise when DECLINEs per second over `window` reach this (key `decline_rate`).
    pub decline_rate: Option<f64>,
    /// Raise when dropped packets per second over `window` reach this (key `drop_rate`).
    pub drop_rate: Option<f64>,
    /// Raise when another DHCP server's OFFER is seen (key `rogue_servers`, default true).
    pub rogue_servers: bool,
    /// Seconds the rates are measured over, and how long a rogue sighting keeps its alert
    /// raised (key `window`, default 60).
    pub window: u32,
    /// `http://` URL that receives a JSON POST on every raise and clear (key `webhook`).
    pub webhook: Option<String>,
}

impl Default for AlertsConfig {
    fn default() -> Self {
        AlertsConfig {
            pool_utilization_percent: None,
            nak_rate: None,
            decline_rate: None,
            drop_rate: None,
            rogue_servers: true,
            window: 60,
            webhook: None,
        }
    }
}

// Thresholds are validated finite (never NaN), so equality is reflexive.
impl Eq for AlertsConfig {}

/// Validates `[control]`.
pub(crate) fn control(raw: &RawControl) -> Result<ControlConfig, SpanError> {
    let listen = match &raw.listen {
        None => DEFAULT_CONTROL_LISTEN
            .parse()
            .map_err(|_| SpanError::new(0, "bad default control listen address"))?,
        Some(s) => {
            let addr: SocketAddr = s.get_ref().trim().parse().map_err(|_| {
                SpanError::new(
                    s.span().start,
                    format!(
                        "listen {:?} is not an address:port such as \"127.0.0.1:8067\"",
                        s.get_ref()
                    ),
                )
            })?;
            addr
        }
    };
    let path = |v: &Spanned<String>, name: &str| -> Result<PathBuf, SpanError> {
        let p = v.get_ref().trim();
        if p.is_empty() {
            return Err(SpanError::new(
                v.span().start,
                format!("{name} must name a file"),
            ));
        }
        Ok(PathBuf::from(p))
    };
    let token_file = raw
        .token_file
        .as_ref()
        .map(|t| path(t, "token_file"))
        .transpose()?;
    let tls = match (&raw.tls_cert, &raw.tls_key) {
        (None, None) => None,
        (Some(cert), Some(key)) => Some(ControlTls {
            cert: path(cert, "tls_cert")?,
            key: path(key, "tls_key")?,
        }),
        (Some(cert), None) => {
            return Err(SpanError::new(
                cert.span().start,
                "tls_cert is set but tls_key is not: give both (the PEM certificate and its \
                 private key) or neither",
            ))
        }
        (None, Some(key)) => {
            return Err(SpanError::new(
                key.span().start,
                "tls_key is set but tls_cert is not: give both (the PEM certificate and its \
                 private key) or neither",
            ))
        }
    };
    if !listen.ip().is_loopback() && (tls.is_none() || token_file.is_none()) {
        let missing = match (tls.is_none(), token_file.is_none()) {
            (true, true) => "tls_cert, tls_key and token_file",
            (true, false) => "tls_cert and tls_key",
            _ => "token_file",
        };
        let at = raw.listen.as_ref().map_or(0, |l| l.span().start);
        return Err(SpanError::new(
            at,
            format!(
                "listen {listen}: a control listener that is not loopback needs TLS and a token \
                 (set {missing} in [control]), or listen on 127.0.0.1"
            ),
        ));
    }
    Ok(ControlConfig {
        enabled: raw.enabled.unwrap_or(true),
        listen,
        token_file,
        tls,
    })
}

/// Validates `[alerts]`.
pub(crate) fn alerts(raw: &RawAlerts) -> Result<AlertsConfig, SpanError> {
    let rate = |v: &Option<Spanned<f64>>, name: &str| -> Result<Option<f64>, SpanError> {
        match v {
            None => Ok(None),
            Some(s) if s.get_ref().is_finite() && *s.get_ref() >= 0.0 => Ok(Some(*s.get_ref())),
            Some(s) => Err(SpanError::new(
                s.span().start,
                format!("{name} must be a non-negative number"),
            )),
        }
    };
    let pool = rate(&raw.pool_utilization_percent, "pool_utilization_percent")?;
    if let (Some(p), Some(s)) = (pool, &raw.pool_utilization_percent) {
        if p > 100.0 {
            return Err(SpanError::new(
                s.span().start,
                "pool_utilization_percent must be between 0 and 100",
            ));
        }
    }
    let window = match &raw.window {
        None => 60,
        Some(w) if *w.get_ref() == 0 => {
            return Err(SpanError::new(w.span().start, "window must be positive"))
        }
        Some(w) => *w.get_ref(),
    };
    let webhook = match &raw.webhook {
        None => None,
        Some(w) if w.get_ref().starts_with("http://") => Some(w.get_ref().clone()),
        Some(w) => {
            return Err(SpanError::new(
                w.span().start,
                format!(
                    "webhook {:?} must be an http:// URL (https is not supported)",
                    w.get_ref()
                ),
            ))
        }
    };
    Ok(AlertsConfig {
        pool_utilization_percent: pool,
        nak_rate: rate(&raw.nak_rate, "nak_rate")?,
        decline_rate: rate(&raw.decline_rate, "decline_rate")?,
        drop_rate: rate(&raw.drop_rate, "drop_rate")?,
        rogue_servers: raw.rogue_servers.unwrap_or(true),
        window,
        webhook,
    })
}
