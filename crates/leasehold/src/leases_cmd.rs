//! `leasehold leases …`: inspect, export, back up and restore the lease database.
//!
//! A thin layer over `leasehold_store::{export, backup}`. Every read opens the database
//! read-only without the writer lock, so it works while the server runs; `restore` takes the
//! writer lock and so refuses while a server has the database open.
//!
//! ```text
//! leasehold leases [--db FILE] list    [--format table|json|csv]
//! leasehold leases [--db FILE] show    <ADDR|CLIENT-KEY|MAC> [--history N] [--format …]
//! leasehold leases [--db FILE] history [--addr ADDR | --client KEY] [--limit N] [--format …]
//! leasehold leases [--db FILE] export  [--format json|csv|table] [--output FILE]
//! leasehold leases [--db FILE] backup  DEST
//! leasehold leases [--db FILE] restore BACKUP
//! leasehold leases [--db FILE] verify
//! ```

use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand, ValueEnum};
use leasehold_engine::ClientKey;
use leasehold_store::backup::{self, BackupReport};
use leasehold_store::export::{self, Format, Lookup};
use leasehold_store::{HistoryFilter, LeaseStore, SqliteStore};
use std::io::Write;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};

/// Where the lease database lives unless `--db` says otherwise (`serve` and `leases` agree).
pub const DEFAULT_DB: &str = "leasehold.db";

/// Output format of listings.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// Aligned columns, UTC times.
    Table,
    /// JSON, Unix-second times, `expires: null` for never.
    Json,
    /// CSV with a header row, Unix-second times, empty `expires` for never.
    Csv,
}

impl From<OutputFormat> for Format {
    fn from(f: OutputFormat) -> Format {
        match f {
            OutputFormat::Table => Format::Table,
            OutputFormat::Json => Format::Json,
            OutputFormat::Csv => Format::Csv,
        }
    }
}

/// `leasehold leases`: arguments shared by every subcommand, and the subcommand.
#[derive(Debug, Args)]
pub struct LeasesArgs {
    /// The lease database.
    #[arg(long, global = true, default_value = DEFAULT_DB, value_name = "FILE")]
    pub db: PathBuf,
    /// What to do.
    #[command(subcommand)]
    pub command: LeasesCommand,
}

/// The `leasehold leases` subcommands.
#[derive(Debug, Subcommand)]
pub enum LeasesCommand {
    /// List every current lease record.
    List {
        /// Output format.
        #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
        format: OutputFormat,
    },
    /// Show the records and recent history of an address, a client key (`id:<hex>`,
    /// `hw:<htype>:<mac>`) or a MAC address.
    Show {
        /// What to look up.
        key: String,
        /// How many history entries to show.
        #[arg(long, default_value_t = 20)]
        history: usize,
        /// Output format.
        #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
        format: OutputFormat,
    },
    /// List lease history, newest first.
    History {
        /// Only this address.
        #[arg(long, conflicts_with = "client")]
        addr: Option<Ipv4Addr>,
        /// Only this client key (`id:<hex>` or `hw:<htype>:<mac>`).
        #[arg(long)]
        client: Option<String>,
        /// At most this many entries.
        #[arg(long, default_value_t = 100)]
        limit: usize,
        /// Output format.
        #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
        format: OutputFormat,
    },
    /// Export every current record (JSON by default).
    Export {
        /// Output format.
        #[arg(long, value_enum, default_value_t = OutputFormat::Json)]
        format: OutputFormat,
        /// Write here instead of standard output.
        #[arg(long, short, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Write a consistent copy of the database (safe while the server runs).
    Backup {
        /// The backup file; replaced only if it is itself a lease database.
        dest: PathBuf,
    },
    /// Replace the database with a verified backup (refused while the server runs).
    Restore {
        /// The backup file.
        backup: PathBuf,
    },
    /// Check the database's integrity and print its counts.
    Verify,
}

/// Runs `leasehold leases …`, writing results to `out`.
pub fn run(args: &LeasesArgs, out: &mut dyn Write) -> Result<()> {
    let db = args.db.as_path();
    match &args.command {
        LeasesCommand::List { format } => run_list(db, *format, out),
        LeasesCommand::Show {
            key,
            history,
            format,
        } => run_show(db, key, *history, *format, out),
        LeasesCommand::History {
            addr,
            client,
            limit,
            format,
        } => {
            let filter = match (addr, client) {
                (Some(a), _) => HistoryFilter::Addr(*a),
                (None, Some(c)) => {
                    HistoryFilter::Client(ClientKey::from_text(c).with_context(|| {
                        format!("{c:?} is not a client key (id:<hex> or hw:<htype>:<mac>)")
                    })?)
                }
                (None, None) => HistoryFilter::All,
            };
            run_history(db, &filter, *limit, *format, out)
        }
        LeasesCommand::Export { format, output } => run_export(db, *format, output.as_deref(), out),
        LeasesCommand::Backup { dest } => run_backup(db, dest, out),
        LeasesCommand::Restore { backup } => run_restore(backup, db, out),
        LeasesCommand::Verify => run_verify(db, out),
    }
}

fn open(db: &Path) -> Result<SqliteStore> {
    SqliteStore::open_read_only(db).context("cannot open the lease database")
}

/// `leases list`: every current record.
pub fn run_list(db: &Path, format: OutputFormat, out: &mut dyn Write) -> Result<()> {
    let leases = open(db)?.load_all()?;
    export::write_leases(&leases, format.into(), out)?;
    Ok(())
}

/// `leases show KEY`: matching records and their history.
pub fn run_show(
    db: &Path,
    key: &str,
    history: usize,
    format: OutputFormat,
    out: &mut dyn Write,
) -> Result<()> {
    let lookup: Lookup = match key.parse() {
        Ok(l) => l,
        Err(e) => bail!(e),
    };
    let mut store = open(db)?;
    let leases = lookup.find(&mut store)?;
    let entries = lookup.history(&store, history)?;
    export::write_show(&leases, &entries, format.into(), out)?;
    Ok(())
}

/// `leases history`: history entries passing `filter`, newest first.
pub fn run_history(
    db: &Path,
    filter: &HistoryFilter,
    limit: usize,
    format: OutputFormat,
    out: &mut dyn Write,
) -> Result<()> {
    let entries = open(db)?.history(filter, limit)?;
    export::write_history(&entries, format.into(), out)?;
    Ok(())
}

/// `leases export`: every current record, to `output` or `out`.
pub fn run_export(
    db: &Path,
    format: OutputFormat,
    output: Option<&Path>,
    out: &mut dyn Write,
) -> Result<()> {
    let leases = open(db)?.load_all()?;
    match output {
        None => export::write_leases(&leases, format.into(), out)?,
        Some(path) => {
            let file = std::fs::File::create(path)
                .with_context(|| format!("cannot create {}", path.display()))?;
            let mut w = std::io::BufWriter::new(file);
            export::write_leases(&leases, format.into(), &mut w)?;
            w.flush()
                .with_context(|| format!("cannot write {}", path.display()))?;
            writeln!(
                out,
                "exported {} leases to {}",
                leases.len(),
                path.display()
            )?;
        }
    }
    Ok(())
}

fn report(out: &mut dyn Write, verb: &str, path: &Path, r: BackupReport) -> Result<()> {
    writeln!(
        out,
        "{verb} {}: {} leases, {} history entries, {} bytes",
        path.display(),
        r.leases,
        r.history,
        r.bytes
    )?;
    Ok(())
}

/// `leases backup DEST`: a consistent online copy of `db`.
pub fn run_backup(db: &Path, dest: &Path, out: &mut dyn Write) -> Result<()> {
    let r = backup::backup(db, dest).context("backup failed")?;
    report(out, "backed up to", dest, r)
}

/// `leases restore BACKUP`: replace `db` with a verified backup.
pub fn run_restore(backup_file: &Path, db: &Path, out: &mut dyn Write) -> Result<()> {
    let r = backup::restore(backup_file, db).context("restore failed")?;
    report(out, "restored", db, r)
}

/// `leases verify`: integrity check and counts.
pub fn run_verify(db: &Path, out: &mut dyn Write) -> Result<()> {
    let r = backup::verify(db).context("verification failed")?;
    report(out, "ok", db, r)
}
