//! `[store]`: where leases are kept. The engine never reads it; it is validated here so a bad
//! value gets its file and line like every other key.
//!
//! ```toml
//! [store]
//! backend = "postgres"            # "sqlite" (default) or "postgres"
//! url = "postgresql://leasehold@db1,db2/leasehold?target_session_attrs=read-write"
//! password_file = "/etc/leasehold/db-password"   # optional
//! ca_file = "/etc/leasehold/db-ca.pem"           # optional, for sslmode=require
//! server_id = "dhcp-a"            # this server's name in the database (default: host name)
//! affinity = "1/2"                # server 1 of 2: prefers its half of the never-used addresses
//! ```

use super::error::SpanError;
use serde::Deserialize;
use std::path::PathBuf;
use toml::Spanned;

/// `[store]` as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawStore {
    pub backend: Option<Spanned<String>>,
    pub path: Option<Spanned<String>>,
    pub url: Option<Spanned<String>>,
    pub password_file: Option<Spanned<String>>,
    pub ca_file: Option<Spanned<String>>,
    pub server_id: Option<Spanned<String>>,
    pub connect_timeout: Option<Spanned<u32>>,
    pub affinity: Option<Spanned<String>>,
}

/// Which lease store backend.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum StoreBackend {
    /// One SQLite file (the default): one server.
    #[default]
    Sqlite,
    /// A PostgreSQL database any number of servers share.
    Postgres,
}

/// `[store]`: the lease store.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StoreConfig {
    /// Key `backend`: `sqlite` (default) or `postgres`.
    pub backend: StoreBackend,
    /// Key `path` (SQLite): the database file; `serve --db` overrides it, and without either
    /// it is `leasehold.db`.
    pub path: Option<PathBuf>,
    /// Key `url` (PostgreSQL, required there): a libpq URL; several hosts and
    /// `target_session_attrs=read-write` let a reconnect find a promoted replica.
    pub url: Option<String>,
    /// Key `password_file`: a file whose first line is the database password.
    pub password_file: Option<PathBuf>,
    /// Key `ca_file`: PEM CA certificates to trust for TLS to the database.
    pub ca_file: Option<PathBuf>,
    /// Key `server_id`: this server's name in the shared database, unique among the servers
    /// (1-63 letters, digits, `.`, `_`, `-`); default: the host name.
    pub server_id: Option<String>,
    /// Key `connect_timeout`: seconds allowed per connection attempt (default 3).
    pub connect_timeout: u32,
    /// Key `affinity = "K/N"`: this is server K of N sharing the pools; it hands out first the
    /// never-used addresses of the K-th of N equal blocks of each pool, so servers rarely offer
    /// the same address at once (like dhcpd's failover `split`). Others are used when its block
    /// runs out.
    /// `None` (default): no preference.
    pub affinity: Option<Affinity>,
}

/// A server's share of the never-used addresses: block `class` of `count` equal blocks of each
/// pool. Contiguous blocks rather than every N-th address: a server that has not yet heard of the
/// others' latest leases still finds its own block unfragmented, so it never has to scan past
/// their addresses (with interleaved shares its free set fragmented at once, and it fell back to
/// the others' addresses under load).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Affinity {
    /// 0-based class of this server.
    pub class: u32,
    /// Number of servers.
    pub count: u32,
}

impl Affinity {
    /// This server's block of the range `first..=last`: the `class`-th of `count` equal parts
    /// (the last ones one address longer when the range does not divide evenly).
    pub fn block(&self, first: u32, last: u32) -> (u32, u32) {
        let size = u64::from(last.saturating_sub(first)) + 1;
        let count = u64::from(self.count.max(1));
        let class = u64::from(self.class.min(self.count.saturating_sub(1)));
        let at = |k: u64| u64::from(first) + size * k / count;
        let lo = at(class);
        let hi = at(class + 1).saturating_sub(1);
        // Both lie within first..=last, so they fit in u32.
        (
            u32::try_from(lo).unwrap_or(last),
            u32::try_from(hi).unwrap_or(last),
        )
    }
}

/// Default `connect_timeout`, seconds.
pub const DEFAULT_CONNECT_TIMEOUT: u32 = 3;

pub(crate) fn build(raw: &RawStore) -> Result<StoreConfig, SpanError> {
    let backend = match &raw.backend {
        None => StoreBackend::Sqlite,
        Some(b) => match b.get_ref().as_str() {
            "sqlite" => StoreBackend::Sqlite,
            "postgres" | "postgresql" => StoreBackend::Postgres,
            other => {
                return Err(SpanError::new(
                    b.span().start,
                    format!("backend {other:?}: use \"sqlite\" or \"postgres\""),
                ))
            }
        },
    };
    let text = |s: &Option<Spanned<String>>| s.as_ref().map(|v| v.get_ref().clone());
    match backend {
        StoreBackend::Postgres => {
            if let Some(p) = &raw.path {
                return Err(SpanError::new(
                    p.span().start,
                    "path is for backend = \"sqlite\"; PostgreSQL takes url",
                ));
            }
            match &raw.url {
                None => {
                    let at = raw.backend.as_ref().map_or(0, |b| b.span().start);
                    return Err(SpanError::new(
                        at,
                        "backend = \"postgres\" needs url = \"postgresql://user@host/dbname\"",
                    ));
                }
                Some(u)
                    if !(u.get_ref().starts_with("postgres://")
                        || u.get_ref().starts_with("postgresql://")
                        || u.get_ref().contains('=')) =>
                {
                    return Err(SpanError::new(
                        u.span().start,
                        "url must be a PostgreSQL URL (postgresql://...) or key=value connection string",
                    ))
                }
                Some(_) => {}
            }
        }
        StoreBackend::Sqlite => {
            for (key, v) in [
                ("url", &raw.url),
                ("password_file", &raw.password_file),
                ("ca_file", &raw.ca_file),
            ] {
                if let Some(v) = v {
                    return Err(SpanError::new(
                        v.span().start,
                        format!("{key} is for backend = \"postgres\""),
                    ));
                }
            }
        }
    }
    if let Some(id) = &raw.server_id {
        let s = id.get_ref();
        let ok = !s.is_empty()
            && s.len() <= 63
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
        if !ok {
            return Err(SpanError::new(
                id.span().start,
                format!("server_id {s:?}: use 1-63 letters, digits, '.', '_' or '-'"),
            ));
        }
    }
    let connect_timeout = match &raw.connect_timeout {
        None => DEFAULT_CONNECT_TIMEOUT,
        Some(t) if *t.get_ref() == 0 => {
            return Err(SpanError::new(
                t.span().start,
                "connect_timeout must be at least 1 second",
            ))
        }
        Some(t) => *t.get_ref(),
    };
    let affinity = match &raw.affinity {
        None => None,
        Some(a) => {
            let parsed = a.get_ref().split_once('/').and_then(|(k, n)| {
                let k: u32 = k.trim().parse().ok()?;
                let n: u32 = n.trim().parse().ok()?;
                ((1..=64).contains(&n) && (1..=n).contains(&k)).then_some(Affinity {
                    class: k - 1,
                    count: n,
                })
            });
            Some(parsed.ok_or_else(|| {
                SpanError::new(
                    a.span().start,
                    format!(
                        "affinity {:?}: write \"K/N\", this server's number K of N servers (1 <= K <= N <= 64)",
                        a.get_ref()
                    ),
                )
            })?)
        }
    };
    Ok(StoreConfig {
        backend,
        path: text(&raw.path).map(PathBuf::from),
        url: text(&raw.url),
        password_file: text(&raw.password_file).map(PathBuf::from),
        ca_file: text(&raw.ca_file).map(PathBuf::from),
        server_id: text(&raw.server_id),
        connect_timeout,
        affinity,
    })
}

#[cfg(test)]
mod tests {
    use super::Affinity;

    #[test]
    fn blocks_cover_the_range_without_overlap() {
        let block = |class, count, first, last| Affinity { class, count }.block(first, last);
        assert_eq!(block(0, 2, 100, 199), (100, 149));
        assert_eq!(block(1, 2, 100, 199), (150, 199));
        assert_eq!(block(0, 3, 0, 9), (0, 2));
        assert_eq!(block(1, 3, 0, 9), (3, 5));
        assert_eq!(block(2, 3, 0, 9), (6, 9));
        assert_eq!(block(0, 1, 5, 5), (5, 5));
        let top = block(1, 2, u32::MAX - 3, u32::MAX);
        assert_eq!(top, (u32::MAX - 1, u32::MAX));
    }
}
