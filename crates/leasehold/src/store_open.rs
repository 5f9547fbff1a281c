//! Opening the lease store `serve` runs on: the `[store]` section (or `--db`), and for
//! PostgreSQL the start-up retries, the durability check and the change feed.

use anyhow::{bail, Context, Result};
use leasehold_engine::config::{StoreBackend, StoreConfig};
use leasehold_engine::Config;
use leasehold_server::control::LeaseSource;
use leasehold_server::ServeOptions;
use leasehold_store::postgres::{PgFeed, PgReader};
use leasehold_store::{LeaseStore, PgSettings, PgStore, StoreError};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tracing::{error, info, warn};

/// Longest wait between two connection attempts at start-up.
const MAX_RETRY_WAIT: Duration = Duration::from_secs(30);

/// The PostgreSQL settings of `store` (which must name backend `postgres`).
pub fn pg_settings(store: &StoreConfig) -> Result<PgSettings> {
    let url = store
        .url
        .clone()
        .context("[store] backend = \"postgres\" needs url")?;
    let server_id = match &store.server_id {
        Some(id) => id.clone(),
        None => default_server_id(),
    };
    Ok(PgSettings {
        url,
        password_file: store.password_file.clone(),
        ca_file: store.ca_file.clone(),
        server_id,
        connect_timeout: Duration::from_secs(u64::from(store.connect_timeout)),
    })
}

/// The host name, reduced to the characters a server id may hold (`leasehold` if none is left).
fn default_server_id() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
    let id: String = host
        .trim()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        .take(63)
        .collect();
    if id.is_empty() {
        "leasehold".to_string()
    } else {
        id
    }
}

/// The SQLite file: `--db`, else `[store] path`, else [`crate::leases_cmd::DEFAULT_DB`].
pub fn sqlite_path(db: Option<&Path>, store: &StoreConfig) -> PathBuf {
    db.map(Path::to_path_buf)
        .or_else(|| store.path.clone())
        .unwrap_or_else(|| PathBuf::from(crate::leases_cmd::DEFAULT_DB))
}

/// True for errors that waiting cannot fix: the database is someone else's or too new, the
/// settings are wrong, or the server refused the credentials.
fn permanent(e: &StoreError) -> bool {
    match e {
        StoreError::Postgres { error, .. } => error.code().is_some_and(|c| {
            let c = c.code();
            // 28xxx: invalid authorization; 3D000: no such database; 42501: no privilege.
            c.starts_with("28") || c == "3D000" || c == "42501"
        }),
        StoreError::ConnectionLost { .. } => false,
        StoreError::Io { .. } => false,
        _ => true,
    }
}

/// Opens the store `config` names and fills in `options` (API reads, change feed). For
/// PostgreSQL, waits for the database while it is unreachable (one error line per attempt, with
/// growing waits), and gives up at once, with one clear line, on what waiting cannot fix.
pub async fn open(
    config: &Config,
    db: Option<&Path>,
    config_path: PathBuf,
) -> Result<(Box<dyn LeaseStore>, ServeOptions)> {
    let arc = Arc::new(config.clone());
    match config.store.backend {
        StoreBackend::Sqlite => {
            let path = sqlite_path(db, &config.store);
            let store = leasehold_store::SqliteStore::open(&path)
                .with_context(|| format!("cannot open the lease database {}", path.display()))?;
            Ok((
                Box::new(store),
                ServeOptions::new(arc, config_path, Some(path)),
            ))
        }
        StoreBackend::Postgres => {
            if db.is_some() {
                bail!("--db is for SQLite; this configuration's [store] uses PostgreSQL");
            }
            let settings = pg_settings(&config.store)?;
            let store = connect(&settings).await?;
            let feed = PgFeed::new(settings.clone())?;
            let reader = PgReader::new(&settings)?;
            let mut options = ServeOptions::new(arc, config_path, None);
            options.store_label = format!("{} as {}", settings.target(), settings.server_id);
            options.leases = Some(LeaseSource::Postgres(reader));
            options.feed = Some(Box::new(feed));
            Ok((Box::new(store), options))
        }
    }
}

/// Connects the lease writer's store, retrying while the database is unreachable.
async fn connect(settings: &PgSettings) -> Result<PgStore> {
    let mut wait = Duration::from_secs(1);
    loop {
        let s = settings.clone();
        let attempt = tokio::task::spawn_blocking(move || {
            let store = PgStore::open(s)?;
            let sync = store.synchronous_commit()?;
            Ok::<_, StoreError>((store, sync))
        })
        .await
        .context("the database connection task failed")?;
        match attempt {
            Ok((store, sync)) => {
                if sync == "off" {
                    warn!(
                        synchronous_commit = %sync,
                        "PostgreSQL synchronous_commit is off: an acknowledged lease may be lost if the database crashes"
                    );
                } else {
                    info!(synchronous_commit = %sync, "PostgreSQL lease database ready");
                }
                return Ok(store);
            }
            Err(e) if permanent(&e) => {
                return Err(e).context("cannot use the PostgreSQL lease database")
            }
            Err(e) => {
                error!(
                    retry_in_s = wait.as_secs(),
                    "cannot reach the lease database: {e}"
                );
                tokio::select! {
                    () = tokio::time::sleep(wait) => {}
                    () = leasehold_server::serve::shutdown_signal() => {
                        bail!("stopped while waiting for the lease database")
                    }
                }
                wait = (wait * 2).min(MAX_RETRY_WAIT);
            }
        }
    }
}
