//! `leasehold import dhcpd|kea|dnsmasq`: another server's configuration and lease file become a
//! Leasehold configuration file and lease database, and every construct that could not be
//! carried over is named as `FILE:LINE: what and why`.
//!
//! Nothing is written when the import fails, when `--strict` meets anything not carried over,
//! or when an output file exists and `--force` is not given. The written configuration is
//! checked with the same parser as `check-config` before anything is written.

use anyhow::{bail, Context};
use clap::{Args, Subcommand};
use leasehold_engine::Config;
use leasehold_migrate::{FsFiles, ImportError, Imported};
use leasehold_store::{LeaseStore, SqliteStore};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Arguments of `leasehold import`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The server to import from.
    #[command(subcommand)]
    pub source: Source,
}

/// The servers Leasehold imports from.
#[derive(Debug, Subcommand)]
pub enum Source {
    /// ISC dhcpd: dhcpd.conf (with its includes) and dhcpd.leases.
    Dhcpd(SourceArgs),
    /// Kea: kea-dhcp4.conf (JSON with comments and includes) and the memfile lease CSV.
    Kea(SourceArgs),
    /// dnsmasq: dnsmasq.conf (with conf-file) and its lease file.
    Dnsmasq(SourceArgs),
}

/// What every importer reads and writes.
#[derive(Debug, Args)]
pub struct SourceArgs {
    /// The source server's configuration file.
    #[arg(long, value_name = "FILE")]
    pub config: PathBuf,
    /// The source server's lease file (leave out to import the configuration only).
    #[arg(long, value_name = "FILE")]
    pub leases: Option<PathBuf>,
    /// The Leasehold configuration file to write.
    #[arg(long, value_name = "FILE", default_value = "leasehold.toml")]
    pub out: PathBuf,
    /// The Leasehold lease database (SQLite) to write the leases to.
    #[arg(long, value_name = "FILE", default_value = "leasehold.db")]
    pub db: PathBuf,
    /// Replace the output files if they exist.
    #[arg(long)]
    pub force: bool,
    /// Fail (writing nothing) if anything could not be carried over.
    #[arg(long)]
    pub strict: bool,
}

/// Runs `leasehold import`; findings and the summary go to `err`.
pub fn run(args: &ImportArgs, err: &mut dyn Write) -> anyhow::Result<()> {
    let now = unix_now();
    let (name, a, imported) = match &args.source {
        Source::Dhcpd(a) => (
            "ISC dhcpd",
            a,
            import(a, leasehold_migrate::dhcpd::import, now),
        ),
        Source::Kea(a) => ("Kea", a, import(a, leasehold_migrate::kea::import, now)),
        Source::Dnsmasq(a) => (
            "dnsmasq",
            a,
            import(a, leasehold_migrate::dnsmasq::import, now),
        ),
    };
    let imported = imported?;
    let report = &imported.report;
    for f in &report.findings {
        writeln!(err, "{f}")?;
    }
    writeln!(
        err,
        "{name}: {} of {} configuration line(s) carried over ({:.1} %), {} not; {} subnet(s), {} reservation(s), {} class(es), {} lease(s)",
        report.total_lines() - report.lines_not_carried().min(report.total_lines()),
        report.total_lines(),
        report.carried_percent(),
        report.lines_not_carried(),
        imported.config.subnets.len(),
        imported
            .config
            .subnets
            .iter()
            .map(|s| s.reservations.len())
            .sum::<usize>(),
        imported.config.classes.len(),
        imported.leases.len(),
    )?;
    if a.strict && !report.findings.is_empty() {
        bail!(
            "--strict: {} construct(s) not carried over (listed above); nothing written",
            report.findings.len()
        );
    }
    write_outputs(a, &imported)?;
    writeln!(
        err,
        "wrote {} and {}; check with `leasehold check-config {}`",
        a.out.display(),
        a.db.display(),
        a.out.display()
    )?;
    Ok(())
}

type Importer = fn(
    &dyn leasehold_migrate::SourceFiles,
    &Path,
    Option<&Path>,
    leasehold_engine::Timestamp,
) -> Result<Imported, ImportError>;

fn import(a: &SourceArgs, f: Importer, now: u64) -> anyhow::Result<Imported> {
    Ok(f(&FsFiles, &a.config, a.leases.as_deref(), now)?)
}

/// Checks the configuration, then writes it and the lease database (each only if absent or
/// `--force`).
fn write_outputs(a: &SourceArgs, imported: &Imported) -> anyhow::Result<()> {
    let text = imported.config.to_toml();
    Config::from_toml(&text, &a.out).context(
        "the imported configuration does not pass check-config (a bug in the importer; \
         nothing written)",
    )?;
    for path in [&a.out, &a.db] {
        if path.exists() && !a.force {
            bail!(
                "{} exists; nothing written (use --force to replace it)",
                path.display()
            );
        }
    }
    if a.force {
        for suffix in ["", "-wal", "-shm"] {
            let mut p = a.db.clone().into_os_string();
            p.push(suffix);
            match std::fs::remove_file(&p) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => {
                    return Err(e).with_context(|| format!("cannot replace {}", a.db.display()))
                }
            }
        }
    }
    let mut store = SqliteStore::open(&a.db)
        .with_context(|| format!("cannot create the lease database {}", a.db.display()))?;
    store
        .commit(&imported.leases, unix_now())
        .with_context(|| format!("cannot write the leases to {}", a.db.display()))?;
    std::fs::write(&a.out, text).with_context(|| format!("cannot write {}", a.out.display()))?;
    Ok(())
}

/// Seconds since the Unix epoch (0 if the clock is before it).
fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}
