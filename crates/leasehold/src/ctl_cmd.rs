//! `leasehold ctl`: a thin command-line client of the control API. Prints the JSON answers.
//!
//! ```text
//! leasehold ctl --url http://127.0.0.1:8067 leases list --state bound
//! leasehold ctl --token-file /etc/leasehold/api.token leases add 127.0.0.150 --mac 52:54:00:00:00:99
//! leasehold ctl config reload
//! leasehold ctl --url https://127.0.0.1:8067 --ca /etc/leasehold/api-cert.pem --token-file F health
//! ```
//!
//! An `https://` URL is checked against `--ca` (PEM certificates to trust, e.g. the server's own
//! self-signed certificate) or, without it, against the public web PKI roots compiled in.

use anyhow::Context;
use clap::{Args, Subcommand};
use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

/// Arguments of `ctl`.
#[derive(Debug, Args)]
pub struct CtlArgs {
    /// Base URL of the control API.
    #[arg(long, default_value = "http://127.0.0.1:8067")]
    pub url: String,
    /// File holding the bearer token (needed for writes, and for every request to a listener
    /// that is not on loopback).
    #[arg(long)]
    pub token_file: Option<PathBuf>,
    /// PEM file of the certificate(s) to trust for an https:// URL (e.g. the server's
    /// self-signed `tls_cert`); without it the public web PKI roots are used.
    #[arg(long, value_name = "FILE")]
    pub ca: Option<PathBuf>,
    /// What to do.
    #[command(subcommand)]
    pub command: CtlCommand,
}

/// `ctl` sub-commands.
#[derive(Debug, Subcommand)]
pub enum CtlCommand {
    /// Is the server answering?
    Health,
    /// Server version.
    Version,
    /// Configuration: show (secrets redacted), test a file, reload from disk.
    #[command(subcommand)]
    Config(ConfigCmd),
    /// Leases.
    #[command(subcommand)]
    Leases(LeasesCmd),
    /// Pool usage.
    Pools,
    /// Pressure state and counters of every link (the starvation defence).
    Pressure,
    /// Configured reservations.
    Reservations,
    /// Lease history of an address or a client.
    History {
        /// Address.
        #[arg(long, conflicts_with = "client")]
        address: Option<String>,
        /// Client key (hw:1:.., id:..) or MAC.
        #[arg(long)]
        client: Option<String>,
        /// Entries.
        #[arg(long)]
        limit: Option<usize>,
    },
    /// Counters and statistics.
    Stats,
    /// Active alerts and recent events.
    Alerts,
    /// Raise the log level of a subnet (info, debug, trace).
    LogLevel {
        /// Subnet id.
        subnet: u32,
        /// Level.
        level: String,
    },
}

/// `ctl config ...`.
#[derive(Debug, Subcommand)]
pub enum ConfigCmd {
    /// The configuration in force.
    Show,
    /// Validate a TOML file on the server without applying it.
    Test {
        /// The file.
        file: PathBuf,
    },
    /// Re-read the server's configuration file and apply it.
    Reload,
}

/// `ctl leases ...`.
#[derive(Debug, Subcommand)]
pub enum LeasesCmd {
    /// List leases.
    List {
        /// Subnet id or CIDR.
        #[arg(long)]
        subnet: Option<String>,
        /// Hardware address.
        #[arg(long)]
        mac: Option<String>,
        /// Client identifier (hex).
        #[arg(long)]
        client_id: Option<String>,
        /// Host name substring.
        #[arg(long)]
        hostname: Option<String>,
        /// bound, released, expired, declined.
        #[arg(long)]
        state: Option<String>,
        /// Leases to skip.
        #[arg(long)]
        offset: Option<usize>,
        /// Page size.
        #[arg(long)]
        limit: Option<usize>,
    },
    /// The lease of one address.
    Show {
        /// Address.
        address: String,
    },
    /// Add a bound lease.
    Add {
        /// Address.
        address: String,
        /// Hardware address.
        #[arg(long)]
        mac: Option<String>,
        /// Client identifier (hex).
        #[arg(long)]
        client_id: Option<String>,
        /// Host name.
        #[arg(long)]
        hostname: Option<String>,
        /// Lease time in seconds.
        #[arg(long)]
        lease_time: Option<u32>,
    },
    /// Free an address.
    Delete {
        /// Address.
        address: String,
    },
    /// Reclaim expired leases now.
    Reclaim,
}

fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn query(pairs: &[(&str, Option<String>)]) -> String {
    let q: Vec<String> = pairs
        .iter()
        .filter_map(|(k, v)| v.as_ref().map(|v| format!("{k}={}", enc(v))))
        .collect();
    if q.is_empty() {
        String::new()
    } else {
        format!("?{}", q.join("&"))
    }
}

/// A TLS configuration that trusts exactly the PEM certificates in `file`.
fn tls_trusting(file: &std::path::Path) -> anyhow::Result<ureq::tls::TlsConfig> {
    use ureq::tls::{PemItem, RootCerts, TlsConfig};
    let pem = std::fs::read(file)
        .with_context(|| format!("cannot read the CA file {}", file.display()))?;
    let mut certs = Vec::new();
    for item in ureq::tls::parse_pem(&pem) {
        match item.with_context(|| format!("the CA file {} is not valid PEM", file.display()))? {
            PemItem::Certificate(c) => certs.push(c),
            _ => continue,
        }
    }
    if certs.is_empty() {
        anyhow::bail!(
            "the CA file {} holds no PEM CERTIFICATE block",
            file.display()
        );
    }
    Ok(TlsConfig::builder()
        .root_certs(RootCerts::new_with_certs(&certs))
        .build())
}

enum Body {
    None,
    Json(serde_json::Value),
    Text(String),
}

/// Runs `ctl`, writing the answer to `out`. An HTTP error status is an error (non-zero exit).
pub fn run(args: &CtlArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    use CtlCommand as C;
    let (method, path, body) = match &args.command {
        C::Health => ("GET", "/api/health".to_string(), Body::None),
        C::Version => ("GET", "/api/version".to_string(), Body::None),
        C::Config(ConfigCmd::Show) => ("GET", "/api/config".to_string(), Body::None),
        C::Config(ConfigCmd::Test { file }) => {
            let text = std::fs::read_to_string(file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            ("POST", "/api/config/test".to_string(), Body::Text(text))
        }
        C::Config(ConfigCmd::Reload) => ("POST", "/api/config/reload".to_string(), Body::None),
        C::Leases(LeasesCmd::List {
            subnet,
            mac,
            client_id,
            hostname,
            state,
            offset,
            limit,
        }) => (
            "GET",
            format!(
                "/api/leases{}",
                query(&[
                    ("subnet", subnet.clone()),
                    ("mac", mac.clone()),
                    ("client_id", client_id.clone()),
                    ("hostname", hostname.clone()),
                    ("state", state.clone()),
                    ("offset", offset.map(|v| v.to_string())),
                    ("limit", limit.map(|v| v.to_string())),
                ])
            ),
            Body::None,
        ),
        C::Leases(LeasesCmd::Show { address }) => {
            ("GET", format!("/api/leases/{}", enc(address)), Body::None)
        }
        C::Leases(LeasesCmd::Add {
            address,
            mac,
            client_id,
            hostname,
            lease_time,
        }) => (
            "POST",
            "/api/leases".to_string(),
            Body::Json(serde_json::json!({
                "address": address, "mac": mac, "client_id": client_id,
                "hostname": hostname, "lease_time": lease_time,
            })),
        ),
        C::Leases(LeasesCmd::Delete { address }) => (
            "DELETE",
            format!("/api/leases/{}", enc(address)),
            Body::None,
        ),
        C::Leases(LeasesCmd::Reclaim) => ("POST", "/api/leases/reclaim".to_string(), Body::None),
        C::Pools => ("GET", "/api/pools".to_string(), Body::None),
        C::Pressure => ("GET", "/api/pressure".to_string(), Body::None),
        C::Reservations => ("GET", "/api/reservations".to_string(), Body::None),
        C::History {
            address,
            client,
            limit,
        } => (
            "GET",
            format!(
                "/api/history{}",
                query(&[
                    ("address", address.clone()),
                    ("client", client.clone()),
                    ("limit", limit.map(|v| v.to_string())),
                ])
            ),
            Body::None,
        ),
        C::Stats => ("GET", "/api/statistics".to_string(), Body::None),
        C::Alerts => ("GET", "/api/alerts".to_string(), Body::None),
        C::LogLevel { subnet, level } => (
            "POST",
            "/api/log-level".to_string(),
            Body::Json(serde_json::json!({ "subnet": subnet, "level": level })),
        ),
    };
    let token = match &args.token_file {
        Some(f) => Some(
            std::fs::read_to_string(f)
                .with_context(|| format!("cannot read the token file {}", f.display()))?
                .trim()
                .to_string(),
        ),
        None => None,
    };
    let url = format!("{}{path}", args.url.trim_end_matches('/'));
    let mut config = ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(30)))
        .http_status_as_error(false);
    if let Some(ca) = &args.ca {
        config = config.tls_config(tls_trusting(ca)?);
    }
    let agent: ureq::Agent = config.build().into();
    let auth = token.map(|t| format!("Bearer {t}"));
    let response = match (method, body) {
        ("GET", _) => {
            let mut r = agent.get(&url);
            if let Some(a) = &auth {
                r = r.header("Authorization", a);
            }
            r.call()
        }
        ("DELETE", _) => {
            let mut r = agent.delete(&url);
            if let Some(a) = &auth {
                r = r.header("Authorization", a);
            }
            r.call()
        }
        (_, body) => {
            let mut r = agent.post(&url);
            if let Some(a) = &auth {
                r = r.header("Authorization", a);
            }
            match body {
                Body::None => r.send_empty(),
                Body::Json(v) => r
                    .content_type("application/json")
                    .send(v.to_string().as_str()),
                Body::Text(t) => r.content_type("application/toml").send(t.as_str()),
            }
        }
    }
    .with_context(|| format!("cannot reach the control API at {url}"))?;
    let status = response.status();
    let text = response
        .into_body()
        .read_to_string()
        .context("cannot read the answer")?;
    let pretty = serde_json::from_str::<serde_json::Value>(&text)
        .ok()
        .and_then(|v| serde_json::to_string_pretty(&v).ok())
        .unwrap_or(text);
    writeln!(out, "{pretty}")?;
    if !status.is_success() {
        anyhow::bail!("{method} {path}: HTTP {status}");
    }
    Ok(())
}
