//! Command-line interface.

use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// Leasehold: a DHCPv4/BOOTP server.
#[derive(Debug, Parser)]
#[command(name = "leasehold", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Log line format.
#[derive(Debug, Clone, Copy, ValueEnum, Default)]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object per line.
    Json,
}

/// Arguments of `serve`.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Configuration file (TOML).
    #[arg(short, long)]
    pub config: PathBuf,
    /// Lease database file (SQLite); created when missing. Default: `[store] path`, else
    /// `leasehold.db`. With `[store] backend = "postgres"` the database is the configured URL.
    #[arg(long)]
    pub db: Option<PathBuf>,
    /// Log format.
    #[arg(long, value_enum, default_value_t)]
    pub log_format: LogFormat,
}

/// Sub-commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the DHCP server.
    Serve(ServeArgs),
    /// Validate a configuration file and exit (non-zero with file:line: reason when invalid).
    CheckConfig {
        /// Configuration file (TOML).
        config: PathBuf,
    },
    /// Run as a DHCP relay agent (RFC 1542 / RFC 3046): forward client broadcasts to servers.
    Relay(crate::relay_cmd::RelayArgs),
    /// Inspect, export, verify, migrate and copy the lease store (SQLite or PostgreSQL); back up
    /// and restore a SQLite one.
    Leases(crate::leases_cmd::LeasesArgs),
    /// Talk to a running server's control API (leases, pools, config reload, statistics).
    Ctl(crate::ctl_cmd::CtlArgs),
    /// List every DHCP server answering on an interface (one DISCOVER, never a REQUEST).
    Probe(crate::probe_cmd::ProbeArgs),
    /// Switch from ISC dhcpd, Kea or dnsmasq: write a Leasehold configuration and lease database
    /// from their configuration and lease file, and list what could not be carried over.
    Import(crate::import_cmd::ImportArgs),
    /// Write the man pages or a shell's completion script (for packages).
    Generate(crate::generate_cmd::GenerateArgs),
}
