//! `leasehold leases …`: inspect, export, back up, restore, migrate and copy the lease store, a
//! SQLite file or a PostgreSQL database.
//!
//! A thin layer over `leasehold_store::{export, backup, postgres::copy}`. Every read opens the
//! store read-only (SQLite without the writer lock), so it works while servers run; `restore`
//! takes the writer lock and so refuses while a server has the file open.
//!
//! Which store: `--db FILE` (SQLite, default `leasehold.db`), `--store FILE|URL` (a
//! `postgres://` or `postgresql://` URL is PostgreSQL, anything else a SQLite file), or
//! `--config FILE` (the `[store]` section of a server configuration). The PostgreSQL password
//! comes from the URL, from `--password-file` or from the configuration's `password_file`;
//! messages show the database without it. What the commands write on PostgreSQL is recorded as
//! server `leasehold-cli`.
//!
//! ```text
//! leasehold leases [STORE] list    [--format table|json|csv]
//! leasehold leases [STORE] show    <ADDR|CLIENT-KEY|MAC> [--history N] [--format …]
//! leasehold leases [STORE] history [--addr ADDR | --client KEY] [--limit N] [--format …]
//! leasehold leases [STORE] export  [--format json|csv|table] [--output FILE]
//! leasehold leases [STORE] verify
//! leasehold leases [STORE] migrate
//! leasehold leases [--db FILE] backup  DEST                  (SQLite only)
//! leasehold leases [--db FILE] restore BACKUP                (SQLite only)
//! leasehold leases [--password-file FILE] copy --from FILE|URL --to FILE|URL [--force]
//!
//! STORE: --db FILE | --store FILE|URL [--password-file FILE] | --config FILE [--password-file FILE]
//! ```
//!
//! On PostgreSQL the JSON of `list` and `export` also names the server that wrote each record
//! (`"server"`); `backup` and `restore` are refused (use `pg_dump`/`pg_restore`, or `copy` to a
//! SQLite file).

use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand, ValueEnum};
use leasehold_engine::config::{StoreBackend, StoreConfig};
use leasehold_engine::{ClientKey, Lease};
use leasehold_store::backup::{self, BackupReport};
use leasehold_store::export::{self, Format, Lookup};
use leasehold_store::postgres::copy::{self as store_copy, AnyStore};
use leasehold_store::{HistoryFilter, PgSettings, PgStore, SqliteStore, StoreError};
use serde_json::Value;
use std::io::Write;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Where the lease database lives unless `--db` says otherwise (`serve` and `leases` agree).
pub const DEFAULT_DB: &str = "leasehold.db";

/// The server id the `leases` commands write under on PostgreSQL.
pub const CLI_SERVER_ID: &str = "leasehold-cli";

/// Records per commit of `leases copy`.
const COPY_CHUNK: usize = 1000;

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

/// Output format of `leases export`: Leasehold's own, or another server's lease file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    /// Aligned columns, UTC times.
    Table,
    /// JSON, Unix-second times, `expires: null` for never.
    Json,
    /// CSV with a header row, Unix-second times, empty `expires` for never.
    Csv,
    /// Kea 2.2's memfile lease file (kea-leases4.csv); needs the subnet ids (`--subnets-from`).
    KeaCsv,
    /// ISC dhcpd's lease file (dhcpd.leases).
    Dhcpd,
    /// dnsmasq's lease file (bound leases that have not expired).
    Dnsmasq,
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
    /// The lease database, a SQLite file.
    #[arg(long, global = true, default_value = DEFAULT_DB, value_name = "FILE")]
    pub db: PathBuf,
    /// The lease store: a PostgreSQL URL (`postgres://` or `postgresql://`; several hosts and
    /// `target_session_attrs=read-write` as for `[store] url`) or a SQLite file.
    #[arg(
        long,
        global = true,
        value_name = "FILE|URL",
        conflicts_with_all = ["db", "config"]
    )]
    pub store: Option<String>,
    /// The lease store of this server configuration (its `[store]` section).
    #[arg(long, global = true, value_name = "FILE", conflicts_with = "db")]
    pub config: Option<PathBuf>,
    /// A file whose first line is the PostgreSQL password (instead of one in the URL).
    #[arg(long, global = true, value_name = "FILE")]
    pub password_file: Option<PathBuf>,
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
    /// Export every current record (JSON by default), or write the lease file of another
    /// server (`kea-csv`, `dhcpd`, `dnsmasq`) to move to it.
    Export {
        /// Output format.
        #[arg(long, value_enum, default_value_t = ExportFormat::Json)]
        format: ExportFormat,
        /// For `kea-csv`: the Leasehold configuration whose `[[subnet]]` ids name Kea's subnets
        /// (default: the `--config` file). Leases outside its subnets are left out.
        #[arg(long, value_name = "FILE")]
        subnets_from: Option<PathBuf>,
        /// Write here instead of standard output.
        #[arg(long, short, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Write a consistent copy of the SQLite database (safe while the server runs). For
    /// PostgreSQL use pg_dump, or `copy` to a SQLite file.
    Backup {
        /// The backup file; replaced only if it is itself a lease database.
        dest: PathBuf,
    },
    /// Replace the SQLite database with a verified backup (refused while the server runs). For
    /// PostgreSQL use pg_restore, or `copy` from a SQLite file.
    Restore {
        /// The backup file.
        backup: PathBuf,
    },
    /// Check the store: every record and history entry must decode (SQLite: also
    /// `PRAGMA integrity_check`); prints the counts.
    Verify,
    /// Create or migrate the store's schema (opens it read-write) and print its version.
    Migrate,
    /// Copy every current record and the whole history from one store to another, e.g. a
    /// SQLite file into PostgreSQL when moving to several servers.
    ///
    /// The source is read as one consistent snapshot. The history is written oldest first,
    /// one commit per second of history (at most 1000 records each), with its recorded times;
    /// the destination numbers the entries anew (on PostgreSQL under server id leasehold-cli).
    /// The destination's current records are the source's afterwards. A destination that
    /// already holds records or history is refused unless --force. If the copy fails, the
    /// destination holds part of it: start again with an empty destination.
    /// `--password-file` applies to both ends.
    Copy {
        /// The store to read: a SQLite file or a PostgreSQL URL.
        #[arg(long, value_name = "FILE|URL")]
        from: String,
        /// The store to write (a SQLite file is created; a PostgreSQL schema is created in an
        /// empty database).
        #[arg(long, value_name = "FILE|URL")]
        to: String,
        /// Copy into a destination that is not empty: the source's records replace the
        /// destination's at the same addresses, its history is appended to the destination's.
        #[arg(long)]
        force: bool,
    },
}

/// A lease store as named on the command line.
#[derive(Clone, Debug)]
pub enum Location {
    /// A SQLite file.
    Sqlite(PathBuf),
    /// A PostgreSQL database.
    Postgres(PgSettings),
}

impl Location {
    /// `spec` as a store: a `postgres://`/`postgresql://` URL (with `password_file`, if any) or
    /// a SQLite file.
    pub fn parse(spec: &str, password_file: Option<&Path>) -> Result<Location> {
        if PgSettings::is_url(spec) {
            let mut settings = PgSettings::new(spec, CLI_SERVER_ID);
            settings.password_file = password_file.map(Path::to_path_buf);
            Ok(Location::Postgres(settings))
        } else {
            no_password_file(password_file)?;
            Ok(Location::Sqlite(PathBuf::from(spec)))
        }
    }

    /// The store of a server configuration's `[store]` section.
    pub fn from_config(store: &StoreConfig, password_file: Option<&Path>) -> Result<Location> {
        match store.backend {
            StoreBackend::Sqlite => {
                no_password_file(password_file)?;
                Ok(Location::Sqlite(
                    store
                        .path
                        .clone()
                        .unwrap_or_else(|| PathBuf::from(DEFAULT_DB)),
                ))
            }
            StoreBackend::Postgres => {
                let url = store
                    .url
                    .clone()
                    .context("[store] backend = \"postgres\" needs url")?;
                Ok(Location::Postgres(PgSettings {
                    url,
                    password_file: password_file
                        .map(Path::to_path_buf)
                        .or_else(|| store.password_file.clone()),
                    ca_file: store.ca_file.clone(),
                    server_id: CLI_SERVER_ID.to_string(),
                    connect_timeout: Duration::from_secs(u64::from(store.connect_timeout.max(1))),
                }))
            }
        }
    }

    /// The file, or the database without its password.
    pub fn describe(&self) -> String {
        match self {
            Location::Sqlite(p) => p.display().to_string(),
            Location::Postgres(s) => s.target(),
        }
    }
}

fn no_password_file(password_file: Option<&Path>) -> Result<()> {
    if password_file.is_some() {
        bail!("--password-file is for a PostgreSQL store; this one is a SQLite file");
    }
    Ok(())
}

/// The store `args` name: `--store`, else `--config`'s `[store]`, else `--db`.
pub fn location(args: &LeasesArgs) -> Result<Location> {
    let pw = args.password_file.as_deref();
    if let Some(spec) = &args.store {
        return Location::parse(spec, pw);
    }
    if let Some(file) = &args.config {
        let config = leasehold_engine::Config::load(file)?;
        return Location::from_config(&config.store, pw);
    }
    no_password_file(pw)?;
    Ok(Location::Sqlite(args.db.clone()))
}

/// `e` for the operator: one line naming the store (never the password). A store error's text
/// already carries its cause (the file system's, SQLite's or the PostgreSQL server's message),
/// so the cause chain is not repeated after it.
fn store_error(e: StoreError, what: &str) -> anyhow::Error {
    anyhow::anyhow!("{what}: {e}")
}

/// Opens `loc` for reading only.
pub fn open_read_only(loc: &Location) -> Result<AnyStore> {
    const WHAT: &str = "cannot open the lease database";
    match loc {
        Location::Sqlite(p) => SqliteStore::open_read_only(p)
            .map(AnyStore::Sqlite)
            .map_err(|e| store_error(e, WHAT)),
        Location::Postgres(s) => PgStore::open_read_only(s.clone())
            .map(|s| AnyStore::Postgres(Box::new(s)))
            .map_err(|e| match e {
                StoreError::NoSchema { .. } => anyhow::anyhow!(
                    "{WHAT}: {}: no Leasehold schema yet; run `leasehold leases migrate` on it (or start a server on it)",
                    s.target()
                ),
                StoreError::OlderSchema { found, .. } => {
                    let has = if found == 0 {
                        "no Leasehold schema yet".to_string()
                    } else {
                        format!("schema version {found} needs migrating")
                    };
                    anyhow::anyhow!(
                        "{WHAT}: {}: {has}; run `leasehold leases migrate` on it (or start a \
                         server on it)",
                        s.target()
                    )
                }
                e => store_error(e, WHAT),
            }),
    }
}

/// Opens `loc` for reading and writing (creating or migrating its schema).
pub fn open_read_write(loc: &Location) -> Result<AnyStore> {
    const WHAT: &str = "cannot open the lease database for writing";
    match loc {
        Location::Sqlite(p) => SqliteStore::open(p)
            .map(AnyStore::Sqlite)
            .map_err(|e| store_error(e, WHAT)),
        Location::Postgres(s) => PgStore::open(s.clone())
            .map(|s| AnyStore::Postgres(Box::new(s)))
            .map_err(|e| store_error(e, WHAT)),
    }
}

/// Runs `leasehold leases …`, writing results to `out`.
pub fn run(args: &LeasesArgs, out: &mut dyn Write) -> Result<()> {
    if let LeasesCommand::Copy { from, to, force } = &args.command {
        if args.store.is_some() || args.config.is_some() || args.db != Path::new(DEFAULT_DB) {
            bail!("copy names its stores with --from and --to, not --db, --store or --config");
        }
        // The password file is for whichever end is PostgreSQL.
        let pw = args.password_file.as_deref();
        if pw.is_some() && !PgSettings::is_url(from) && !PgSettings::is_url(to) {
            no_password_file(pw)?;
        }
        let pw_for = |spec: &str| pw.filter(|_| PgSettings::is_url(spec));
        return run_copy(
            &Location::parse(from, pw_for(from))?,
            &Location::parse(to, pw_for(to))?,
            *force,
            out,
        );
    }
    let loc = location(args)?;
    match &args.command {
        LeasesCommand::List { format } => match &loc {
            Location::Sqlite(db) => run_list(db, *format, out),
            Location::Postgres(_) => list(&mut open_read_only(&loc)?, *format, out),
        },
        LeasesCommand::Show {
            key,
            history,
            format,
        } => match &loc {
            Location::Sqlite(db) => run_show(db, key, *history, *format, out),
            Location::Postgres(_) => show(&mut open_read_only(&loc)?, key, *history, *format, out),
        },
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
            match &loc {
                Location::Sqlite(db) => run_history(db, &filter, *limit, *format, out),
                Location::Postgres(_) => {
                    history(&open_read_only(&loc)?, &filter, *limit, *format, out)
                }
            }
        }
        LeasesCommand::Export {
            format,
            output,
            subnets_from,
        } => {
            let subnets = subnets_from.as_deref().or(args.config.as_deref());
            let target = ExportTarget {
                format: *format,
                output: output.as_deref(),
                subnets,
            };
            match &loc {
                Location::Sqlite(db) => export(&mut open(db)?, &target, out),
                Location::Postgres(_) => export(&mut open_read_only(&loc)?, &target, out),
            }
        }
        LeasesCommand::Backup { dest } => run_backup(sqlite_only(&loc, "backup")?, dest, out),
        LeasesCommand::Restore { backup } => {
            run_restore(backup, sqlite_only(&loc, "restore")?, out)
        }
        LeasesCommand::Verify => match &loc {
            Location::Sqlite(db) => run_verify(db, out),
            Location::Postgres(_) => verify_postgres(&open_read_only(&loc)?, out),
        },
        LeasesCommand::Migrate => run_migrate(&loc, out),
        LeasesCommand::Copy { .. } => unreachable!("handled above"),
    }
}

/// The SQLite file of `loc`, or a refusal naming what to use on PostgreSQL instead.
fn sqlite_only<'a>(loc: &'a Location, command: &str) -> Result<&'a Path> {
    match loc {
        Location::Sqlite(p) => Ok(p),
        Location::Postgres(s) => bail!(
            "{command} works on SQLite files; for the PostgreSQL database {} use pg_dump/pg_restore, \
             or `leasehold leases copy` to or from a SQLite file",
            s.target()
        ),
    }
}

fn open(db: &Path) -> Result<AnyStore> {
    open_read_only(&Location::Sqlite(db.to_path_buf()))
}

/// `leases list` of the SQLite file `db`: every current record.
pub fn run_list(db: &Path, format: OutputFormat, out: &mut dyn Write) -> Result<()> {
    list(&mut open(db)?, format, out)
}

/// Every current record, with the server that wrote it on PostgreSQL.
fn leases_with_server(store: &mut AnyStore) -> Result<(Vec<Lease>, Option<Vec<String>>)> {
    match store {
        AnyStore::Postgres(pg) => {
            let (leases, servers) = pg
                .load_all_with_server()
                .map_err(|e| store_error(e, "cannot read the leases"))?
                .into_iter()
                .unzip();
            Ok((leases, Some(servers)))
        }
        AnyStore::Sqlite(_) => Ok((store.store().load_all()?, None)),
    }
}

/// Writes `leases` in `format`; in JSON with a `server` field each when `servers` is given.
fn write_leases(
    leases: &[Lease],
    servers: Option<&[String]>,
    format: OutputFormat,
    out: &mut dyn Write,
) -> Result<()> {
    match (format, servers) {
        (OutputFormat::Json, Some(servers)) => {
            let docs: Vec<Value> = leases
                .iter()
                .zip(servers)
                .map(|(l, s)| {
                    let mut v = export::lease_json(l);
                    if let Value::Object(m) = &mut v {
                        m.insert("server".into(), Value::String(s.clone()));
                    }
                    v
                })
                .collect();
            serde_json::to_writer_pretty(&mut *out, &Value::Array(docs))?;
            writeln!(out)?;
        }
        _ => export::write_leases(leases, format.into(), out)?,
    }
    Ok(())
}

fn list(store: &mut AnyStore, format: OutputFormat, out: &mut dyn Write) -> Result<()> {
    let (leases, servers) = leases_with_server(store)?;
    write_leases(&leases, servers.as_deref(), format, out)
}

/// `leases show KEY` on the SQLite file `db`: matching records and their history.
pub fn run_show(
    db: &Path,
    key: &str,
    history: usize,
    format: OutputFormat,
    out: &mut dyn Write,
) -> Result<()> {
    show(&mut open(db)?, key, history, format, out)
}

fn show(
    store: &mut AnyStore,
    key: &str,
    history: usize,
    format: OutputFormat,
    out: &mut dyn Write,
) -> Result<()> {
    let lookup: Lookup = match key.parse() {
        Ok(l) => l,
        Err(e) => bail!(e),
    };
    let leases = lookup.find(store.store())?;
    let entries = lookup.history(store.store_ref(), history)?;
    export::write_show(&leases, &entries, format.into(), out)?;
    Ok(())
}

/// `leases history` on the SQLite file `db`: history entries passing `filter`, newest first.
pub fn run_history(
    db: &Path,
    filter: &HistoryFilter,
    limit: usize,
    format: OutputFormat,
    out: &mut dyn Write,
) -> Result<()> {
    history(&open(db)?, filter, limit, format, out)
}

fn history(
    store: &AnyStore,
    filter: &HistoryFilter,
    limit: usize,
    format: OutputFormat,
    out: &mut dyn Write,
) -> Result<()> {
    let entries = store.store_ref().history(filter, limit)?;
    export::write_history(&entries, format.into(), out)?;
    Ok(())
}

/// `leases export` of the SQLite file `db` in one of Leasehold's own formats: every current
/// record, to `output` or `out`. (The binary's `run` goes through `export()` directly; the store
/// crate's tests build this module by path and call this.)
#[allow(dead_code)]
pub fn run_export(
    db: &Path,
    format: OutputFormat,
    output: Option<&Path>,
    out: &mut dyn Write,
) -> Result<()> {
    let format = match format {
        OutputFormat::Table => ExportFormat::Table,
        OutputFormat::Json => ExportFormat::Json,
        OutputFormat::Csv => ExportFormat::Csv,
    };
    let target = ExportTarget {
        format,
        output,
        subnets: None,
    };
    export(&mut open(db)?, &target, out)
}

/// What `leases export` writes, and where.
struct ExportTarget<'a> {
    format: ExportFormat,
    /// A file instead of `out`.
    output: Option<&'a Path>,
    /// The configuration naming the Kea subnet ids.
    subnets: Option<&'a Path>,
}

fn export(store: &mut AnyStore, target: &ExportTarget<'_>, out: &mut dyn Write) -> Result<()> {
    let (leases, servers) = leases_with_server(store)?;
    let text = foreign_lease_file(&leases, target)?;
    let write = |w: &mut dyn Write| -> Result<()> {
        match (&text, target.format) {
            (Some(t), _) => w.write_all(t.as_bytes())?,
            (None, ExportFormat::Table) => {
                write_leases(&leases, servers.as_deref(), OutputFormat::Table, w)?
            }
            (None, ExportFormat::Csv) => {
                write_leases(&leases, servers.as_deref(), OutputFormat::Csv, w)?
            }
            (None, _) => write_leases(&leases, servers.as_deref(), OutputFormat::Json, w)?,
        }
        Ok(())
    };
    match target.output {
        None => write(out)?,
        Some(path) => {
            let file = std::fs::File::create(path)
                .with_context(|| format!("cannot create {}", path.display()))?;
            let mut w = std::io::BufWriter::new(file);
            write(&mut w)?;
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

/// The lease file of another server, for the foreign formats (`None` for Leasehold's own).
fn foreign_lease_file(leases: &[Lease], target: &ExportTarget<'_>) -> Result<Option<String>> {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    use leasehold_migrate::export;
    Ok(Some(match target.format {
        ExportFormat::Table | ExportFormat::Json | ExportFormat::Csv => return Ok(None),
        ExportFormat::Dhcpd => export::dhcpd::dhcpd(leases, now),
        ExportFormat::Dnsmasq => export::dnsmasq::dnsmasq(leases, now),
        ExportFormat::KeaCsv => {
            let Some(path) = target.subnets else {
                bail!(
                    "kea-csv names the Kea subnet of every lease by id: give the Leasehold \
                     configuration whose [[subnet]] ids to use with --subnets-from FILE (or --config)"
                );
            };
            let cfg = leasehold_engine::Config::load(path)?;
            let id = |addr: Ipv4Addr| {
                cfg.subnet_for(addr)
                    .and_then(|i| cfg.subnets.get(i))
                    .map(|s| s.id)
            };
            export::kea_csv::kea_csv(leases, &id, now)
        }
    }))
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

/// `leases verify` of the SQLite file `db`: integrity check and counts.
pub fn run_verify(db: &Path, out: &mut dyn Write) -> Result<()> {
    let r = backup::verify(db).context("verification failed")?;
    report(out, "ok", db, r)
}

/// `leases verify` on PostgreSQL: reads (and so decodes) every record and history entry in one
/// snapshot and prints the counts.
fn verify_postgres(store: &AnyStore, out: &mut dyn Write) -> Result<()> {
    let snap = store
        .snapshot(store_copy::PAGE, &mut |_| Ok(()))
        .map_err(|e| store_error(e, "verification failed"))?;
    writeln!(
        out,
        "ok {}: {} leases, {} history entries",
        store.describe(),
        snap.leases.len(),
        snap.history
    )?;
    Ok(())
}

/// `leases migrate`: opens `loc` read-write (which creates or migrates the schema) and says
/// which version it had and has.
pub fn run_migrate(loc: &Location, out: &mut dyn Write) -> Result<()> {
    // The version before: a read-only open succeeds on a current schema and names an older one.
    let (before, current) = match loc {
        Location::Sqlite(p) => (
            match SqliteStore::open_read_only(p) {
                Ok(_) => Some(leasehold_store::sqlite::schema::SCHEMA_VERSION),
                Err(StoreError::OlderSchema { found, .. }) => Some(found),
                Err(_) => None,
            },
            leasehold_store::sqlite::schema::SCHEMA_VERSION,
        ),
        Location::Postgres(s) => (
            match PgStore::open_read_only(s.clone()) {
                Ok(_) => Some(leasehold_store::postgres::schema::SCHEMA_VERSION),
                Err(StoreError::NoSchema { .. }) => Some(0),
                Err(StoreError::OlderSchema { found, .. }) => Some(found),
                Err(_) => None,
            },
            leasehold_store::postgres::schema::SCHEMA_VERSION,
        ),
    };
    let store = open_read_write(loc)?;
    let what = match before {
        Some(v) if v == current => "already current".to_string(),
        Some(0) | None => "created".to_string(),
        Some(v) => format!("migrated from version {v}"),
    };
    let how = match store {
        AnyStore::Sqlite(_) => ", opened read-write",
        AnyStore::Postgres(_) => "",
    };
    writeln!(
        out,
        "{}: schema version {current} ({what}){how}",
        store.describe()
    )?;
    Ok(())
}

/// `leases copy`: every record and the history of `from` into `to`.
pub fn run_copy(from: &Location, to: &Location, force: bool, out: &mut dyn Write) -> Result<()> {
    let same = match (from, to) {
        (Location::Sqlite(a), Location::Sqlite(b)) => {
            a == b || matches!((a.canonicalize(), b.canonicalize()), (Ok(x), Ok(y)) if x == y)
        }
        (Location::Postgres(a), Location::Postgres(b)) => a.url == b.url,
        _ => false,
    };
    if same {
        bail!(
            "--from and --to name the same store ({}); nothing to copy",
            from.describe()
        );
    }
    let source = open_read_only(from).context("cannot read the source")?;
    let mut dest = open_read_write(to).context("cannot open the destination")?;
    let (leases, entries) = dest
        .counts()
        .map_err(|e| store_error(e, "cannot read the destination"))?;
    if (leases, entries) != (0, 0) && !force {
        bail!(
            "{} already holds {leases} leases and {entries} history entries; copy only fills an \
             empty store (--force merges: the source's records replace those at the same \
             addresses, its history is appended)",
            dest.describe()
        );
    }
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let r = store_copy::copy(&source, dest.store(), COPY_CHUNK, now)
        .map_err(|e| store_error(e, "copy failed (the destination holds part of it)"))?;
    writeln!(
        out,
        "copied {} leases and {} history entries from {} to {}",
        r.leases,
        r.history,
        source.describe(),
        dest.describe()
    )?;
    if r.recommitted > 0 {
        writeln!(
            out,
            "{} current records were newer than their history and were written again (one more \
             history entry each)",
            r.recommitted
        )?;
    }
    if r.deleted > 0 {
        writeln!(
            out,
            "{} addresses whose record was deleted after its history were deleted again",
            r.deleted
        )?;
    }
    Ok(())
}
