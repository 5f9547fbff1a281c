//! [`PgFeed`]: the other servers' commits, through LISTEN/NOTIFY.
//!
//! Every commit NOTIFYs [`CHANNEL`] with `server first last`: the server that wrote and the range
//! of history ids it wrote (see the `sql` module); the payload stays small whatever the batch size.
//! The feed LISTENs on a connection of its own; for the announcements waiting (folded into one id
//! range per server) it reads the current records of the addresses written and sends them as
//! [`FeedEvent::Changed`], skipping its own server's commits. Reading current records rather than
//! the history rows keeps the view right whatever order the servers' commits are read in. After
//! every (re)connection it first sends a [`FeedEvent::Snapshot`] of all current records, so
//! nothing missed while disconnected is lost.

use super::settings::{PgSettings, CHANNEL};
use super::{codec::decode, sql};
use crate::error::StoreError;
use crate::feed::{ChangeFeed, FeedEvent};
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;
use tokio::sync::mpsc::{self, UnboundedSender};
use tokio_postgres::AsyncMessage;

/// Longest wait between reconnection attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// The PostgreSQL change feed. See the module documentation.
pub struct PgFeed {
    settings: PgSettings,
    config: tokio_postgres::Config,
    tls: tokio_postgres_rustls::MakeRustlsConnect,
    target: String,
}

impl PgFeed {
    /// A feed for the database of `settings`, skipping the commits of `settings.server_id`.
    pub fn new(settings: PgSettings) -> Result<PgFeed, StoreError> {
        Ok(PgFeed {
            config: settings.config()?,
            tls: settings.tls()?,
            target: settings.target(),
            settings,
        })
    }

    /// One connection's life: LISTEN, snapshot, then announced ranges until the connection or
    /// `events` closes. `Ok` means `events` closed.
    async fn session(&self, events: &UnboundedSender<FeedEvent>) -> Result<(), StoreError> {
        let pg = |source| StoreError::Postgres {
            target: self.target.clone(),
            error: source,
        };
        let (client, mut connection) = self.config.connect(self.tls.clone()).await.map_err(pg)?;
        let (notes_tx, mut notes) = mpsc::unbounded_channel();
        let driver = tokio::spawn(async move {
            loop {
                match std::future::poll_fn(|cx| connection.poll_message(cx)).await {
                    Some(Ok(AsyncMessage::Notification(n))) => {
                        if notes_tx.send(n).is_err() {
                            break;
                        }
                    }
                    Some(Ok(_)) => {}
                    Some(Err(_)) | None => break,
                }
            }
        });
        let _abort = AbortOnDrop(driver);
        client
            .batch_execute(&format!("LISTEN {CHANNEL}"))
            .await
            .map_err(pg)?;
        let rows = client.query(sql::LOAD_ALL, &[]).await.map_err(pg)?;
        let all = rows
            .iter()
            .map(|r| decode(r, 0, &self.target))
            .collect::<Result<Vec<_>, _>>()?;
        if events.send(FeedEvent::Snapshot(all)).is_err() {
            return Ok(());
        }
        let current = client.prepare(sql::CURRENT_OF_RANGE).await.map_err(pg)?;
        loop {
            let note = tokio::select! {
                note = notes.recv() => note,
                () = events.closed() => return Ok(()),
            };
            let Some(note) = note else {
                // The connection ended: the caller reports it and reconnects.
                return Err(StoreError::ConnectionLost {
                    target: self.target.clone(),
                });
            };
            // Every announcement already waiting, folded into one id range per server: one
            // query per server however many commits arrived (a server's ids only grow, so the
            // range holds nothing but its own commits).
            let mut ranges: Vec<(String, i64, i64)> = Vec::new();
            let mut fold = |payload: &str| {
                let Some((server, first, last)) = parse_payload(payload) else {
                    return;
                };
                if server == self.settings.server_id {
                    return;
                }
                match ranges.iter_mut().find(|r| r.0 == server) {
                    Some(r) => {
                        r.1 = r.1.min(first);
                        r.2 = r.2.max(last);
                    }
                    None => ranges.push((server, first, last)),
                }
            };
            fold(note.payload());
            while let Ok(more) = notes.try_recv() {
                fold(more.payload());
            }
            let mut leases = Vec::new();
            for (server, first, last) in &ranges {
                let rows = client
                    .query(&current, &[server, first, last])
                    .await
                    .map_err(pg)?;
                for r in &rows {
                    leases.push(decode(r, 0, &self.target)?);
                }
            }
            if !leases.is_empty() && events.send(FeedEvent::Changed(leases)).is_err() {
                return Ok(());
            }
        }
    }
}

impl ChangeFeed for PgFeed {
    fn run(
        self: Box<Self>,
        events: UnboundedSender<FeedEvent>,
    ) -> Pin<Box<dyn Future<Output = ()> + Send>> {
        Box::pin(async move {
            let mut backoff = Duration::from_millis(250);
            loop {
                match self.session(&events).await {
                    Ok(()) => return,
                    Err(e) => {
                        if events.send(FeedEvent::Down(e.to_string())).is_err() {
                            return;
                        }
                    }
                }
                tokio::select! {
                    () = tokio::time::sleep(backoff) => {}
                    () = events.closed() => return,
                }
                backoff = (backoff * 2).min(MAX_BACKOFF);
            }
        })
    }
}

/// Aborts the connection driver when a session ends.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// `server first last` → its parts; `None` for anything else (ignored).
fn parse_payload(p: &str) -> Option<(String, i64, i64)> {
    let mut it = p.split(' ');
    let server = it.next()?.to_string();
    let first = it.next()?.parse().ok()?;
    let last = it.next()?.parse().ok()?;
    if it.next().is_some() || server.is_empty() {
        return None;
    }
    Some((server, first, last))
}

#[cfg(test)]
mod tests {
    use super::parse_payload;

    #[test]
    fn payloads() {
        assert_eq!(parse_payload("a 5 9"), Some(("a".into(), 5, 9)));
        for bad in ["", "a", "a 1", "a x 2", "a 1 2 3", " 1 2"] {
            assert_eq!(parse_payload(bad), None, "{bad:?}");
        }
    }
}
