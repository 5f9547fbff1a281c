//! [`PgStore`]: the PostgreSQL backend, for several servers sharing one lease database.
//!
//! The lease writer ([`crate::GroupCommitter`]) owns one `PgStore` on its thread, a blocking
//! client (the `postgres` crate, tokio-postgres underneath). Each group commit is one statement
//! (see the `sql` module): one round trip and one WAL flush for the whole batch, durable when it returns as
//! far as the server's `synchronous_commit` makes it (on by default; [`PgStore::synchronous_commit`]
//! lets the caller warn when it is off).
//!
//! Several servers: [`crate::LeaseStore::commit_claims`] writes with the claim rule (a
//! conditional upsert keyed on the address), so two servers never bind one address to two
//! clients; each commit NOTIFYs [`settings::CHANNEL`], and [`feed::PgFeed`] brings the other
//! servers' commits into a server's memory.
//!
//! The client blocks: use a `PgStore` on a plain thread (the lease writer's) or in
//! `spawn_blocking`, never on a thread that runs async tasks.
//!
//! A lost connection is re-established by the next operation (the URL may list several hosts;
//! with `target_session_attrs=read-write` the new primary is found after a failover). An
//! operation that fails returns the error; a commit that fails is not acknowledged by anyone.

pub mod codec;
pub mod copy;
pub mod feed;
pub mod reader;
pub mod schema;
pub mod settings;
mod sql;

use crate::error::StoreError;
use crate::store::{HistoryEntry, HistoryFilter, LeaseStore, Rejected};
use codec::{client_text, decode, ts, Columns};
use leasehold_engine::{ClientKey, Lease, Timestamp};
use postgres::Client;
use schema::{known_objects, APPLICATION, MIGRATIONS, MIGRATION_LOCK, SCHEMA_VERSION};
use settings::PgSettings;
use std::cell::{Cell, RefCell, RefMut};
use std::collections::HashSet;
use std::net::Ipv4Addr;
use std::time::{SystemTime, UNIX_EPOCH};

pub use feed::PgFeed;
pub use reader::PgReader;

/// A lease store in a PostgreSQL database. See the module documentation.
pub struct PgStore {
    settings: PgSettings,
    config: postgres::Config,
    tls: tokio_postgres_rustls::MakeRustlsConnect,
    target: String,
    /// The connection; a cell because the trait reads through `&self`.
    client: RefCell<Option<Client>>,
    read_only: bool,
    /// The last history id this server wrote.
    last_id: Cell<i64>,
    /// The commit statements prepared on the current connection (claims, all).
    prepared: RefCell<[Option<postgres::Statement>; 2]>,
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgStore")
            .field("target", &self.target)
            .field("server_id", &self.settings.server_id)
            .field("connected", &self.client.borrow().is_some())
            .finish_non_exhaustive()
    }
}

impl Drop for PgStore {
    /// Closes the connection. The blocking client may not be closed on a thread that runs
    /// async tasks (it would start a runtime inside one), so there it is closed on a thread of
    /// its own.
    fn drop(&mut self) {
        if let Some(client) = self.client.get_mut().take() {
            if tokio::runtime::Handle::try_current().is_ok() {
                let _ = std::thread::Builder::new()
                    .name("pg-close".into())
                    .spawn(move || drop(client));
            }
        }
    }
}

/// What [`inspect`] found in a database.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Inspection {
    /// No tables: safe to initialise.
    Fresh,
    /// A Leasehold database at this version.
    Version(u32),
}

impl PgStore {
    /// Connects for reading and writing: refuses a database of another program or of a newer
    /// Leasehold (leaving it untouched), creates or migrates the schema of an empty or older one
    /// (under an advisory lock, so servers starting together do it once).
    pub fn open(settings: PgSettings) -> Result<PgStore, StoreError> {
        let store = PgStore::unconnected(settings, false)?;
        drop(store.client()?);
        Ok(store)
    }

    /// Connects for reading only: refuses what [`PgStore::open`] refuses, and a database whose
    /// schema is missing or older (start a server, or `leasehold leases migrate`, first).
    pub fn open_read_only(settings: PgSettings) -> Result<PgStore, StoreError> {
        let store = PgStore::unconnected(settings, true)?;
        drop(store.client()?);
        Ok(store)
    }

    fn unconnected(settings: PgSettings, read_only: bool) -> Result<PgStore, StoreError> {
        let config = settings.config()?;
        let target = settings.target();
        let tls = settings.tls()?;
        Ok(PgStore {
            settings,
            config: postgres::Config::from(config),
            tls,
            target,
            client: RefCell::new(None),
            read_only,
            last_id: Cell::new(0),
            prepared: RefCell::new([None, None]),
        })
    }

    /// The database as logs show it (no password).
    pub fn target(&self) -> &str {
        &self.target
    }

    /// This server's id in the database.
    pub fn server_id(&self) -> &str {
        &self.settings.server_id
    }

    /// The server's `synchronous_commit` setting (`on` unless the operator changed it; with
    /// `off` a commit may be acknowledged before it is on disk).
    pub fn synchronous_commit(&self) -> Result<String, StoreError> {
        self.with(|client, target| {
            let row = client
                .query_one("SHOW synchronous_commit", &[])
                .map_err(pg_err(target))?;
            Ok(row.get(0))
        })
    }

    fn pg(&self) -> impl Fn(postgres::Error) -> StoreError + Copy + '_ {
        pg_err(&self.target)
    }

    /// The connection, (re)connecting and checking the schema first when there is none or it
    /// was lost.
    fn client(&self) -> Result<RefMut<'_, Client>, StoreError> {
        let mut slot = self.client.borrow_mut();
        if slot.as_ref().is_some_and(Client::is_closed) {
            *slot = None;
        }
        if slot.is_none() {
            *slot = Some(self.connect()?);
            *self.prepared.borrow_mut() = [None, None];
        }
        RefMut::filter_map(slot, Option::as_mut).map_err(|_| StoreError::WriterGone)
    }

    fn connect(&self) -> Result<Client, StoreError> {
        let mut client = self.config.connect(self.tls.clone()).map_err(self.pg())?;
        if self.read_only {
            let found = match inspect(&mut client, &self.target)? {
                Inspection::Version(v) if v == SCHEMA_VERSION => return Ok(client),
                Inspection::Version(v) => v,
                Inspection::Fresh => {
                    return Err(StoreError::NoSchema {
                        target: self.target.clone(),
                    })
                }
            };
            return Err(StoreError::OlderSchema {
                path: self.target.clone().into(),
                found,
                supported: SCHEMA_VERSION,
            });
        }
        migrate(&mut client, &self.target)?;
        let row = client
            .query_one(sql::LAST_ID, &[&self.settings.server_id])
            .map_err(self.pg())?;
        let last: Option<i64> = row.get(0);
        self.last_id.set(self.last_id.get().max(last.unwrap_or(0)));
        Ok(client)
    }

    /// True when the last operation lost the connection (it was dropped; the next reconnects).
    fn lost(&self) -> bool {
        self.client.borrow().is_none()
    }

    /// Runs `f` on the connection; a failure that lost the connection drops it, so the next
    /// call reconnects.
    fn with<T>(
        &self,
        f: impl FnOnce(&mut Client, &str) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut client = self.client()?;
        let result = f(&mut client, &self.target);
        let lost = match &result {
            Err(e) => client.is_closed() || ends_session(e),
            Ok(_) => false,
        };
        if lost {
            drop(client);
            *self.client.borrow_mut() = None;
        }
        result
    }

    /// The next `n` history ids after the last one: they grow with the wall clock (µs × 1024)
    /// and never repeat for this server, so servers need no shared sequence.
    fn take_ids(&self, n: usize) -> i64 {
        let micros = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_micros())
            .unwrap_or(0);
        let clock = i64::try_from(micros.saturating_mul(1024)).unwrap_or(i64::MAX / 2);
        let base = clock.max(self.last_id.get());
        self.last_id
            .set(base.saturating_add(i64::try_from(n).unwrap_or(i64::MAX / 4)));
        base
    }

    fn write(
        &mut self,
        batch: &[Lease],
        now: Timestamp,
        claims: bool,
    ) -> Result<Vec<Rejected>, StoreError> {
        if self.read_only {
            return Err(StoreError::Settings(format!(
                "{}: opened read-only",
                self.target
            )));
        }
        let now = ts("now", now)?;
        let cols = Columns::of(batch)?;
        if batch.is_empty() {
            return Ok(Vec::new());
        }
        let base = self.take_ids(batch.len());
        let len = i64::try_from(batch.len()).unwrap_or(i64::MAX);
        let server = self.settings.server_id.clone();
        let (statement, slot) = if claims {
            (sql::COMMIT_CLAIMS, 0)
        } else {
            (sql::COMMIT_ALL, 1)
        };
        let prepared = &self.prepared;
        let run = |client: &mut Client, target: &str| -> Result<Vec<i64>, StoreError> {
            let pg = pg_err(target);
            // Prepared once per connection: a commit is then one round trip.
            let cached = prepared.borrow()[slot].clone();
            let stmt = match cached {
                Some(stmt) => stmt,
                None => {
                    let stmt = client.prepare(statement).map_err(pg)?;
                    prepared.borrow_mut()[slot] = Some(stmt.clone());
                    stmt
                }
            };
            let row = client
                .query_one(
                    &stmt,
                    &[
                        &cols.addr,
                        &cols.client,
                        &cols.htype,
                        &cols.hwaddr,
                        &cols.state,
                        &cols.starts,
                        &cols.expires,
                        &cols.hostname,
                        &server,
                        &now,
                        &base,
                        &len,
                    ],
                )
                .map_err(pg)?;
            row.try_get(0).map_err(pg)
        };
        // A connection the database ended (a restart, a failover) is only noticed when used:
        // then reconnect and try once more. Repeating a commit that did reach the database
        // rewrites the same records, which the claim rule accepts (same client).
        let written = match self.with(run) {
            Err(StoreError::Postgres { error, .. }) if error.is_closed() || self.lost() => {
                self.with(run)?
            }
            other => other?,
        };
        if written.len() == cols.addr.len() || !claims {
            return Ok(Vec::new());
        }
        let written: HashSet<i64> = written.into_iter().collect();
        let mut lost: Vec<i64> = Vec::new();
        for a in &cols.addr {
            if !written.contains(a) && !lost.contains(a) {
                lost.push(*a);
            }
        }
        let current = self.with(|client, target| {
            let rows = client
                .query(sql::GET_MANY, &[&lost])
                .map_err(pg_err(target))?;
            rows.iter()
                .map(|r| decode(r, 0, target))
                .collect::<Result<Vec<_>, _>>()
        })?;
        // The last entry of the batch per lost address is the record that was not written.
        let mut rejected: Vec<Rejected> = Vec::new();
        for l in batch.iter().rev() {
            let a = i64::from(u32::from(l.addr));
            if lost.contains(&a) && !rejected.iter().any(|r| r.wanted.addr == l.addr) {
                rejected.push(Rejected {
                    wanted: l.clone(),
                    current: current.iter().find(|c| c.addr == l.addr).cloned(),
                });
            }
        }
        rejected.reverse();
        Ok(rejected)
    }

    /// Every current record with the id of the server that wrote it.
    pub fn load_all_with_server(&self) -> Result<Vec<(Lease, String)>, StoreError> {
        self.with(|client, target| {
            let rows = client
                .query(sql::LOAD_ALL_WITH_SERVER, &[])
                .map_err(pg_err(target))?;
            rows.iter()
                .map(|r| Ok((decode(r, 0, target)?, r.get::<_, String>(8))))
                .collect()
        })
    }

    /// Runs one query returning leases at `offset` (used by the trait's reads).
    fn leases(
        &self,
        query: &str,
        params: &[&(dyn postgres::types::ToSql + Sync)],
    ) -> Result<Vec<Lease>, StoreError> {
        self.with(|client, target| {
            let rows = client.query(query, params).map_err(pg_err(target))?;
            rows.iter().map(|r| decode(r, 0, target)).collect()
        })
    }
}

/// Says whether the database behind `client` is ours, without modifying it.
fn inspect(client: &mut Client, target: &str) -> Result<Inspection, StoreError> {
    let pg = pg_err(target);
    let rows = client
        .query(
            "SELECT table_name::text FROM information_schema.tables
             WHERE table_schema = current_schema() ORDER BY 1",
            &[],
        )
        .map_err(pg)?;
    let tables: Vec<String> = rows.iter().map(|r| r.get(0)).collect();
    if tables.is_empty() {
        return Ok(Inspection::Fresh);
    }
    if !tables.iter().any(|t| t == "meta") {
        return Err(StoreError::ForeignDatabase {
            target: target.to_string(),
            detail: format!(
                "it holds tables {} and no Leasehold meta",
                tables.join(", ")
            ),
        });
    }
    let meta = client
        .query("SELECT key::text, value::text FROM meta", &[])
        .map_err(|_| StoreError::ForeignDatabase {
            target: target.to_string(),
            detail: "its meta table is not Leasehold's".to_string(),
        })?;
    let value = |key: &str| {
        meta.iter()
            .find(|r| r.get::<_, String>(0) == key)
            .map(|r| r.get::<_, String>(1))
    };
    if value("application").as_deref() != Some(APPLICATION) {
        return Err(StoreError::ForeignDatabase {
            target: target.to_string(),
            detail: format!(
                "meta names application {:?}",
                value("application").unwrap_or_default()
            ),
        });
    }
    let version = schema_version(value("schema_version").as_deref(), target)?;
    let known = known_objects(version);
    let unknown: Vec<String> = tables
        .into_iter()
        .filter(|t| !known.contains(&t.as_str()))
        .collect();
    if !unknown.is_empty() {
        return Err(StoreError::UnknownTables {
            path: target.into(),
            tables: unknown,
        });
    }
    Ok(Inspection::Version(version))
}

/// The schema version `meta` records, refusing a missing or unreadable one and one newer than
/// this build.
fn schema_version(value: Option<&str>, target: &str) -> Result<u32, StoreError> {
    let version: u32 =
        value
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| StoreError::ForeignDatabase {
                target: target.to_string(),
                detail: "meta has no valid schema_version".to_string(),
            })?;
    if version > SCHEMA_VERSION {
        return Err(StoreError::NewerSchema {
            path: target.into(),
            found: version,
            supported: SCHEMA_VERSION,
        });
    }
    Ok(version)
}

/// The error of a failed PostgreSQL operation on `target`.
pub(crate) fn pg_err(target: &str) -> impl Fn(postgres::Error) -> StoreError + Copy + '_ {
    move |error| StoreError::Postgres {
        target: target.to_string(),
        error,
    }
}

/// Creates or migrates the schema in one transaction under [`MIGRATION_LOCK`]; refuses what
/// [`inspect`] refuses.
fn migrate(client: &mut Client, target: &str) -> Result<(), StoreError> {
    let pg = pg_err(target);
    // A quick look without the lock: most starts find the schema current.
    if inspect(client, target)? == Inspection::Version(SCHEMA_VERSION) {
        return Ok(());
    }
    let mut tx = client.transaction().map_err(pg)?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .map_err(pg)?;
    let from = match inspect_tx(&mut tx, target)? {
        Inspection::Fresh => 0,
        Inspection::Version(v) => v,
    };
    for step in MIGRATIONS.iter().skip(from as usize) {
        tx.batch_execute(step).map_err(pg)?;
    }
    if from < SCHEMA_VERSION {
        tx.execute(
            "UPDATE meta SET value = $1 WHERE key = 'schema_version'",
            &[&SCHEMA_VERSION.to_string()],
        )
        .map_err(pg)?;
    }
    tx.commit().map_err(pg)
}

/// [`inspect`] inside a transaction.
fn inspect_tx(tx: &mut postgres::Transaction<'_>, target: &str) -> Result<Inspection, StoreError> {
    // A transaction derefs to nothing usable by `inspect`; run the same queries through it.
    let pg = pg_err(target);
    let rows = tx
        .query(
            "SELECT table_name::text FROM information_schema.tables
             WHERE table_schema = current_schema() AND table_name = 'meta'",
            &[],
        )
        .map_err(pg)?;
    if rows.is_empty() {
        let any = tx
            .query(
                "SELECT 1 FROM information_schema.tables WHERE table_schema = current_schema()",
                &[],
            )
            .map_err(pg)?;
        if any.is_empty() {
            return Ok(Inspection::Fresh);
        }
        return Err(StoreError::ForeignDatabase {
            target: target.to_string(),
            detail: "tables appeared while migrating".to_string(),
        });
    }
    let row = tx
        .query_one("SELECT value FROM meta WHERE key = 'schema_version'", &[])
        .map_err(pg)?;
    // A newer server may have migrated since the first look.
    schema_version(Some(&row.get::<_, String>(0)), target).map(Inspection::Version)
}

impl LeaseStore for PgStore {
    fn load_all(&mut self) -> Result<Vec<Lease>, StoreError> {
        self.leases(sql::LOAD_ALL, &[])
    }

    fn get(&self, addr: Ipv4Addr) -> Result<Option<Lease>, StoreError> {
        let a = i64::from(u32::from(addr));
        Ok(self.leases(sql::GET, &[&a])?.into_iter().next())
    }

    fn by_client(&self, client: &ClientKey) -> Result<Vec<Lease>, StoreError> {
        let text = client_text(client);
        self.leases(sql::BY_CLIENT, &[&text])
    }

    fn commit(&mut self, batch: &[Lease], now: Timestamp) -> Result<(), StoreError> {
        self.write(batch, now, false).map(|_| ())
    }

    fn commit_claims(
        &mut self,
        batch: &[Lease],
        now: Timestamp,
    ) -> Result<Vec<Rejected>, StoreError> {
        self.write(batch, now, true)
    }

    fn ping(&mut self) -> Result<(), StoreError> {
        self.with(|client, target| {
            client
                .simple_query("SELECT 1")
                .map(|_| ())
                .map_err(pg_err(target))
        })
    }

    fn delete(&mut self, addr: Ipv4Addr) -> Result<bool, StoreError> {
        let a = i64::from(u32::from(addr));
        self.with(|client, target| {
            client
                .execute(sql::DELETE, &[&a])
                .map(|n| n > 0)
                .map_err(pg_err(target))
        })
    }

    fn history(
        &self,
        filter: &HistoryFilter,
        limit: usize,
    ) -> Result<Vec<HistoryEntry>, StoreError> {
        self.history_entries(filter, limit)
    }

    fn prune_history(&mut self, older_than: Timestamp, limit: usize) -> Result<u64, StoreError> {
        let older_than = i64::try_from(older_than).unwrap_or(i64::MAX);
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        if limit == 0 {
            return Ok(0);
        }
        self.with(|client, target| {
            let pg = pg_err(target);
            let cut: i64 = client
                .query_opt(sql::FIRST_KEPT, &[&older_than])
                .map_err(pg)?
                .map_or(i64::MAX, |r| r.get(0));
            client
                .execute(sql::PRUNE_BEFORE, &[&cut, &limit])
                .map_err(pg)
        })
    }
}

impl PgStore {
    /// History entries passing `filter`, newest first, at most `limit`.
    pub fn history_entries(
        &self,
        filter: &HistoryFilter,
        limit: usize,
    ) -> Result<Vec<HistoryEntry>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let filter = filter.clone();
        self.with(|client, target| {
            let pg = pg_err(target);
            let rows = match &filter {
                HistoryFilter::All => client.query(sql::HISTORY_ALL, &[&limit]),
                HistoryFilter::Addr(a) => {
                    let a = i64::from(u32::from(*a));
                    client.query(sql::HISTORY_ADDR, &[&limit, &a])
                }
                HistoryFilter::Client(c) => {
                    let text = client_text(c);
                    client.query(sql::HISTORY_CLIENT, &[&limit, &text])
                }
            }
            .map_err(pg)?;
            rows.iter().map(|r| history_entry(r, target)).collect()
        })
    }
}

/// A history row (`id, recorded, lease columns…`) as an entry.
pub(crate) fn history_entry(
    r: &tokio_postgres::Row,
    target: &str,
) -> Result<HistoryEntry, StoreError> {
    let id: i64 = r.try_get(0).map_err(pg_err(target))?;
    let recorded: i64 = r.try_get(1).map_err(pg_err(target))?;
    Ok(HistoryEntry {
        id: u64::try_from(id).unwrap_or(0),
        recorded: u64::try_from(recorded).unwrap_or(0),
        lease: decode(r, 2, target)?,
    })
}

/// True when `e` is the database ending this session: a FATAL from an administrator or a
/// shutdown (SQLSTATE class 57P: `pg_terminate_backend`, a restart, a failover) or a connection
/// exception (class 08). The server closes the socket right after such an answer, but the
/// client may not have seen the close yet when the error comes back; the connection is dropped
/// either way, so the next call reconnects.
fn ends_session(e: &StoreError) -> bool {
    let StoreError::Postgres { error, .. } = e else {
        return false;
    };
    error.is_closed()
        || error
            .code()
            .is_some_and(|c| c.code().starts_with("57P") || c.code().starts_with("08"))
}
