//! [`PgReader`]: pooled, async reads for the control API and the dashboard (tokio-postgres with a
//! deadpool pool), never on the lease writer's connection.

use super::settings::PgSettings;
use super::{codec::client_text, codec::decode, history_entry, sql};
use crate::error::StoreError;
use crate::store::{HistoryEntry, HistoryFilter};
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use leasehold_engine::Lease;
use std::time::{Duration, Instant};

/// Connections the reader keeps at most.
const POOL_SIZE: usize = 4;

/// Async read access to the PostgreSQL lease database.
#[derive(Clone)]
pub struct PgReader {
    pool: Pool,
    target: String,
}

impl std::fmt::Debug for PgReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgReader")
            .field("target", &self.target)
            .finish_non_exhaustive()
    }
}

impl PgReader {
    /// A reader for the database of `settings` (connects on first use).
    pub fn new(settings: &PgSettings) -> Result<PgReader, StoreError> {
        let manager = Manager::from_config(
            settings.config()?,
            settings.tls()?,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(POOL_SIZE)
            .build()
            .map_err(|e| StoreError::Settings(format!("connection pool: {e}")))?;
        Ok(PgReader {
            pool,
            target: settings.target(),
        })
    }

    fn pg(&self) -> impl Fn(tokio_postgres::Error) -> StoreError + '_ {
        move |source| StoreError::Postgres {
            target: self.target.clone(),
            error: source,
        }
    }

    async fn client(&self) -> Result<deadpool_postgres::Client, StoreError> {
        self.pool.get().await.map_err(|e| match e {
            deadpool_postgres::PoolError::Backend(source) => StoreError::Postgres {
                target: self.target.clone(),
                error: source,
            },
            other => StoreError::Settings(format!("{}: {other}", self.target)),
        })
    }

    /// Every current record with the server that wrote it, in address order.
    pub async fn leases_with_server(&self) -> Result<Vec<(Lease, String)>, StoreError> {
        let client = self.client().await?;
        let rows = client
            .query(sql::LOAD_ALL_WITH_SERVER, &[])
            .await
            .map_err(self.pg())?;
        rows.iter()
            .map(|r| Ok((decode(r, 0, &self.target)?, r.get::<_, String>(8))))
            .collect()
    }

    /// History entries passing `filter`, newest first, at most `limit`.
    pub async fn history(
        &self,
        filter: &HistoryFilter,
        limit: usize,
    ) -> Result<Vec<HistoryEntry>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let client = self.client().await?;
        let rows = match filter {
            HistoryFilter::All => client.query(sql::HISTORY_ALL, &[&limit]).await,
            HistoryFilter::Addr(a) => {
                let a = i64::from(u32::from(*a));
                client.query(sql::HISTORY_ADDR, &[&limit, &a]).await
            }
            HistoryFilter::Client(c) => {
                let text = client_text(c);
                client.query(sql::HISTORY_CLIENT, &[&limit, &text]).await
            }
        }
        .map_err(self.pg())?;
        rows.iter()
            .map(|r| history_entry(r, &self.target))
            .collect()
    }

    /// One round trip to the database: its latency, or why it failed.
    pub async fn ping(&self) -> Result<Duration, StoreError> {
        let started = Instant::now();
        let client = self.client().await?;
        client.simple_query("SELECT 1").await.map_err(self.pg())?;
        Ok(started.elapsed())
    }
}
