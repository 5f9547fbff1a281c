//! [`MemoryStore`]: a non-durable backend for tests.

use crate::error::StoreError;
use crate::store::{validate, HistoryEntry, HistoryFilter, LeaseStore};
use leasehold_engine::{ClientKey, Lease, Timestamp};
use std::collections::BTreeMap;
use std::net::Ipv4Addr;

/// Keeps everything in memory; "durable" only for the life of the value. For tests.
#[derive(Clone, Debug, Default)]
pub struct MemoryStore {
    leases: BTreeMap<Ipv4Addr, Lease>,
    history: Vec<HistoryEntry>,
    next_id: u64,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> MemoryStore {
        MemoryStore::default()
    }
}

impl LeaseStore for MemoryStore {
    fn load_all(&mut self) -> Result<Vec<Lease>, StoreError> {
        Ok(self.leases.values().cloned().collect())
    }

    fn get(&self, addr: Ipv4Addr) -> Result<Option<Lease>, StoreError> {
        Ok(self.leases.get(&addr).cloned())
    }

    fn by_client(&self, client: &ClientKey) -> Result<Vec<Lease>, StoreError> {
        Ok(self
            .leases
            .values()
            .filter(|l| l.client.as_ref() == Some(client))
            .cloned()
            .collect())
    }

    fn commit(&mut self, batch: &[Lease], now: Timestamp) -> Result<(), StoreError> {
        // Same contract as the SQL backends: all or nothing, and `now` must fit an i64.
        if i64::try_from(now).is_err() {
            return Err(StoreError::OutOfRange {
                what: "now",
                value: now,
            });
        }
        batch.iter().try_for_each(validate)?;
        for lease in batch {
            self.next_id += 1;
            self.history.push(HistoryEntry {
                id: self.next_id,
                recorded: now,
                lease: lease.clone(),
            });
            self.leases.insert(lease.addr, lease.clone());
        }
        Ok(())
    }

    fn delete(&mut self, addr: Ipv4Addr) -> Result<bool, StoreError> {
        Ok(self.leases.remove(&addr).is_some())
    }

    fn history(
        &self,
        filter: &HistoryFilter,
        limit: usize,
    ) -> Result<Vec<HistoryEntry>, StoreError> {
        Ok(self
            .history
            .iter()
            .rev()
            .filter(|e| filter.matches(&e.lease))
            .take(limit)
            .cloned()
            .collect())
    }

    fn prune_history(&mut self, older_than: Timestamp, limit: usize) -> Result<u64, StoreError> {
        // The same rule as the SQL backends: everything before the first entry (in id order)
        // recorded at or after `older_than`, at most `limit` of them.
        let window = self.history.len().min(limit);
        let keep_from = self
            .history
            .iter()
            .take(window)
            .position(|e| e.recorded >= older_than)
            .unwrap_or(window);
        self.history.drain(..keep_from);
        Ok(keep_from as u64)
    }
}
