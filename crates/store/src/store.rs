//! The [`LeaseStore`] trait and lease history types.

use crate::error::StoreError;
use leasehold_engine::{ClientKey, Lease, Timestamp};
use std::net::Ipv4Addr;

/// Checks that `lease` is storable by every backend: `starts` and a finite `expires` must fit in
/// an `i64` (SQL integers); `expires` may be [`leasehold_engine::lease::INFINITE`].
pub fn validate(lease: &Lease) -> Result<(), StoreError> {
    if i64::try_from(lease.starts).is_err() {
        return Err(StoreError::OutOfRange {
            what: "starts",
            value: lease.starts,
        });
    }
    if lease.expires != leasehold_engine::lease::INFINITE && i64::try_from(lease.expires).is_err() {
        return Err(StoreError::OutOfRange {
            what: "expires",
            value: lease.expires,
        });
    }
    Ok(())
}

/// Which history entries to return.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HistoryFilter {
    /// Every entry.
    All,
    /// Entries for one address.
    Addr(Ipv4Addr),
    /// Entries for one client.
    Client(ClientKey),
}

impl HistoryFilter {
    /// True when `lease` passes this filter.
    pub fn matches(&self, lease: &Lease) -> bool {
        match self {
            HistoryFilter::All => true,
            HistoryFilter::Addr(a) => lease.addr == *a,
            HistoryFilter::Client(c) => lease.client.as_ref() == Some(c),
        }
    }
}

/// One committed version of a lease record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HistoryEntry {
    /// Sequence number, increasing with every recorded change.
    pub id: u64,
    /// The `now` of the commit that wrote it.
    pub recorded: Timestamp,
    /// The record as committed.
    pub lease: Lease,
}

/// A record [`LeaseStore::commit_claims`] did not write: the address belongs to another client in
/// the store (another server bound it first).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rejected {
    /// The record that was not written.
    pub wanted: Lease,
    /// What the store holds for that address now (`None` if the record vanished meanwhile).
    pub current: Option<Lease>,
}

/// A durable home for lease records: one current record per address, plus a history of every
/// committed version.
///
/// Every backend must pass the shared battery in `tests/battery.rs`.
pub trait LeaseStore: Send {
    /// Every current record, one per address, in ascending address order.
    fn load_all(&mut self) -> Result<Vec<Lease>, StoreError>;

    /// The current record of `addr`, if any.
    fn get(&self, addr: Ipv4Addr) -> Result<Option<Lease>, StoreError>;

    /// Current records held (or last held) by `client`, in ascending address order.
    fn by_client(&self, client: &ClientKey) -> Result<Vec<Lease>, StoreError>;

    /// Inserts or replaces every record of `batch` (later entries win for the same address) and
    /// appends each to the history stamped `now`, all in one transaction. When this returns
    /// `Ok`, the whole batch is on stable storage; on `Err`, none of it is applied.
    fn commit(&mut self, batch: &[Lease], now: Timestamp) -> Result<(), StoreError>;

    /// Like [`commit`](LeaseStore::commit), for a store that several servers write: a record is
    /// written only where it does not take the address from another client; the others are left
    /// as they are and returned as [`Rejected`], with the record the store holds instead.
    /// Everything written is committed atomically, as by `commit`.
    ///
    /// The claim rule: a record is written when any of these holds for the stored one:
    /// 1. there is none, or it holds nothing now (not `bound` or `declined`, or past its expiry);
    /// 2. it is the same client's and the new record is not an expiry (the client itself is
    ///    talking: a renewal, release or decline);
    /// 3. the new record is a decline (no client) by the holder's hardware address, or a bound
    ///    record for the holder's hardware address (a reservation following its host);
    /// 4. the new record frees the address for nobody (`expired` without a client: an
    ///    administrator's delete or the end of a probation).
    ///
    /// So an expiry never overwrites a renewal another server committed, and no server binds an
    /// address another server has bound to another client.
    ///
    /// A store that only one server writes (SQLite, memory) has nothing to race with: the
    /// default writes everything and rejects nothing.
    fn commit_claims(
        &mut self,
        batch: &[Lease],
        now: Timestamp,
    ) -> Result<Vec<Rejected>, StoreError> {
        self.commit(batch, now).map(|()| Vec::new())
    }

    /// Checks that the store can be reached (reconnecting if it must), for a server that has no
    /// commit to make but wants to know whether an outage is over. The default has nothing to
    /// reach.
    fn ping(&mut self) -> Result<(), StoreError> {
        Ok(())
    }

    /// Removes the current record of `addr` (an administrative action; history is kept).
    /// Returns whether there was one.
    fn delete(&mut self, addr: Ipv4Addr) -> Result<bool, StoreError>;

    /// History entries passing `filter`, newest first, at most `limit` of them.
    fn history(
        &self,
        filter: &HistoryFilter,
        limit: usize,
    ) -> Result<Vec<HistoryEntry>, StoreError>;

    /// Deletes history entries recorded before `older_than` (the caller computes it from its
    /// `history_retention`), the oldest first and at most `limit` of them per call, and returns
    /// how many it removed: fewer than `limit` means none is left. Current records are never
    /// pruned. The limit keeps each call short: the lease writer runs it between commits, and
    /// ACKs wait meanwhile.
    ///
    /// Precisely: deletes the entries older (by `id`) than the oldest entry recorded at or after
    /// `older_than`, or all of them when there is none. `recorded` grows with `id` as long as the
    /// wall clock does, so this is the same; after the clock stepped backwards, entries committed
    /// after the step are kept until the newest entry committed before it ages out (at most the
    /// size of the step longer than the retention). This lets a backend delete a range of ids
    /// instead of searching by time, and read only about `limit` entries per call.
    fn prune_history(&mut self, older_than: Timestamp, limit: usize) -> Result<u64, StoreError>;
}

impl<S: LeaseStore + ?Sized> LeaseStore for Box<S> {
    fn load_all(&mut self) -> Result<Vec<Lease>, StoreError> {
        (**self).load_all()
    }
    fn get(&self, addr: Ipv4Addr) -> Result<Option<Lease>, StoreError> {
        (**self).get(addr)
    }
    fn by_client(&self, client: &ClientKey) -> Result<Vec<Lease>, StoreError> {
        (**self).by_client(client)
    }
    fn commit(&mut self, batch: &[Lease], now: Timestamp) -> Result<(), StoreError> {
        (**self).commit(batch, now)
    }
    fn commit_claims(
        &mut self,
        batch: &[Lease],
        now: Timestamp,
    ) -> Result<Vec<Rejected>, StoreError> {
        (**self).commit_claims(batch, now)
    }
    fn ping(&mut self) -> Result<(), StoreError> {
        (**self).ping()
    }
    fn delete(&mut self, addr: Ipv4Addr) -> Result<bool, StoreError> {
        (**self).delete(addr)
    }
    fn history(
        &self,
        filter: &HistoryFilter,
        limit: usize,
    ) -> Result<Vec<HistoryEntry>, StoreError> {
        (**self).history(filter, limit)
    }
    fn prune_history(&mut self, older_than: Timestamp, limit: usize) -> Result<u64, StoreError> {
        (**self).prune_history(older_than, limit)
    }
}
