//! [`PgSettings`]: where the PostgreSQL lease database is and how to reach it.
//!
//! The URL is libpq's (`postgresql://user[:password]@host[:port][,host2[:port2]]/db?...`, or the
//! `key=value` form), parsed by tokio-postgres: several hosts and `target_session_attrs=read-write`
//! make a reconnect find the new primary after a failover. The password comes from the URL or
//! from a file; it never appears in [`PgSettings::target`], which is what logs and errors show.
//! TLS (when the URL says `sslmode=require` or `sslmode=prefer`; without `sslmode` it is off)
//! goes through rustls, trusting the system's roots and, when given, a CA file; rustls always
//! checks the certificate and the server's name against it.

use crate::error::StoreError;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;
use tokio_postgres::config::Host;
use tokio_postgres_rustls::MakeRustlsConnect;

/// Default time allowed for one connection attempt (per host).
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(3);

/// The NOTIFY channel on which every commit announces itself (see [`super::feed`]).
pub const CHANNEL: &str = "leasehold_leases";

/// How to reach the PostgreSQL lease database, and who this server is in it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PgSettings {
    /// libpq-style connection URL (may hold the password).
    pub url: String,
    /// A file whose first line is the password (instead of one in the URL).
    pub password_file: Option<PathBuf>,
    /// PEM file of extra CA certificates to trust for TLS.
    pub ca_file: Option<PathBuf>,
    /// This server's name, recorded with every lease it writes: letters, digits, `.`, `_`, `-`,
    /// at most 63 characters, unique among the servers sharing the database.
    pub server_id: String,
    /// Time allowed for one connection attempt per host.
    pub connect_timeout: Duration,
}

impl PgSettings {
    /// Settings for `url` as server `server_id`, with no password file or CA file.
    pub fn new(url: impl Into<String>, server_id: impl Into<String>) -> PgSettings {
        PgSettings {
            url: url.into(),
            password_file: None,
            ca_file: None,
            server_id: server_id.into(),
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
        }
    }

    /// True when `s` looks like a PostgreSQL URL rather than a file path.
    pub fn is_url(s: &str) -> bool {
        s.starts_with("postgres://") || s.starts_with("postgresql://")
    }

    /// The connection configuration: the URL, the password file, and defaults for what the URL
    /// leaves out (connect timeout, TCP keepalives so a dead primary is noticed, the application
    /// name `leasehold/<server_id>`).
    pub fn config(&self) -> Result<tokio_postgres::Config, StoreError> {
        valid_server_id(&self.server_id)?;
        // The parser's message never contains the URL (so never the password).
        let mut config = tokio_postgres::Config::from_str(&self.url)
            .map_err(|e| StoreError::Settings(format!("bad PostgreSQL URL: {e}")))?;
        if let Some(file) = &self.password_file {
            let text = std::fs::read_to_string(file).map_err(|e| {
                StoreError::Settings(format!("password file {}: {e}", file.display()))
            })?;
            let password = text.lines().next().unwrap_or("").trim_end_matches('\r');
            config.password(password);
        }
        // libpq's default `prefer` takes any certificate; rustls verifies every one, so an
        // unverifiable certificate would fail a connection psql makes. TLS is therefore on when
        // the URL asks for it (`sslmode=prefer` or `require`), and then always verified.
        if !self.url.contains("sslmode") {
            config.ssl_mode(tokio_postgres::config::SslMode::Disable);
        }
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(self.connect_timeout);
        }
        if config.get_application_name().is_none() {
            config.application_name(format!("leasehold/{}", self.server_id));
        }
        config.keepalives(true);
        config.keepalives_idle(Duration::from_secs(10));
        config.keepalives_interval(Duration::from_secs(2));
        config.keepalives_retries(3);
        config.tcp_user_timeout(Duration::from_secs(10));
        Ok(config)
    }

    /// The database as logs and errors show it: `postgresql://user@host:port,…/dbname`, never
    /// the password. Falls back to `(invalid PostgreSQL URL)`.
    pub fn target(&self) -> String {
        match tokio_postgres::Config::from_str(&self.url) {
            Ok(c) => target_of(&c),
            Err(_) => "(invalid PostgreSQL URL)".to_string(),
        }
    }

    /// The TLS connector: the system's root certificates plus [`PgSettings::ca_file`].
    pub fn tls(&self) -> Result<MakeRustlsConnect, StoreError> {
        let mut roots = rustls::RootCertStore::empty();
        for cert in rustls_native_certs::load_native_certs().certs {
            // A system certificate rustls cannot use is skipped, as browsers do.
            let _ = roots.add(cert);
        }
        if let Some(file) = &self.ca_file {
            let certs = CertificateDer::pem_file_iter(file)
                .and_then(|it| it.collect::<Result<Vec<_>, _>>())
                .map_err(|e| StoreError::Settings(format!("CA file {}: {e}", file.display())))?;
            if certs.is_empty() {
                return Err(StoreError::Settings(format!(
                    "CA file {}: no certificate in it",
                    file.display()
                )));
            }
            for cert in certs {
                roots.add(cert).map_err(|e| {
                    StoreError::Settings(format!("CA file {}: {e}", file.display()))
                })?;
            }
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| StoreError::Settings(format!("TLS: {e}")))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        Ok(MakeRustlsConnect::new(config))
    }
}

/// `postgresql://user@host:port,…/dbname` of `c` (no password).
pub(crate) fn target_of(c: &tokio_postgres::Config) -> String {
    let ports = c.get_ports();
    let hosts: Vec<String> = c
        .get_hosts()
        .iter()
        .enumerate()
        .map(|(i, h)| {
            let host = match h {
                Host::Tcp(name) => name.clone(),
                Host::Unix(path) => path.display().to_string(),
            };
            match ports.get(i).or(ports.first()) {
                Some(p) => format!("{host}:{p}"),
                None => host,
            }
        })
        .collect();
    format!(
        "postgresql://{}@{}/{}",
        c.get_user().unwrap_or(""),
        hosts.join(","),
        c.get_dbname().unwrap_or("")
    )
}

/// Refuses a server id that is empty, too long or has characters other than letters, digits,
/// `.`, `_` and `-` (it is written into NOTIFY payloads and shown on the dashboard).
pub fn valid_server_id(id: &str) -> Result<(), StoreError> {
    let ok = !id.is_empty()
        && id.len() <= 63
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if ok {
        Ok(())
    } else {
        Err(StoreError::Settings(format!(
            "server_id {id:?}: use 1-63 letters, digits, '.', '_' or '-'"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn target_never_shows_the_password() {
        let s = PgSettings::new(
            "postgresql://lh:s3cret@db1:5433,db2:5434/leases?target_session_attrs=read-write",
            "a",
        );
        let t = s.target();
        assert_eq!(t, "postgresql://lh@db1:5433,db2:5434/leases");
        assert!(!t.contains("s3cret"));
        let kv = PgSettings::new(
            "host=/run/pg port=5432 user=lh password=s3cret dbname=x",
            "a",
        );
        assert_eq!(kv.target(), "postgresql://lh@/run/pg:5432/x");
    }

    #[test]
    fn bad_url_error_has_no_password() {
        let s = PgSettings::new("postgresql://lh:s3cret@db1:notaport/x", "a");
        let e = s.config().expect_err("bad port").to_string();
        assert!(e.contains("bad PostgreSQL URL"), "{e}");
        assert!(!e.contains("s3cret"), "{e}");
    }

    #[test]
    fn password_file_first_line() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("pw");
        std::fs::write(&file, "from-file\nignored\n").expect("write");
        let mut s = PgSettings::new("postgresql://lh@db/x", "a");
        s.password_file = Some(file);
        let c = s.config().expect("config");
        assert_eq!(c.get_password(), Some(&b"from-file"[..]));
        s.password_file = Some(dir.path().join("missing"));
        assert!(s.config().is_err());
    }

    #[test]
    fn server_ids() {
        assert!(valid_server_id("dhcp-a.site_1").is_ok());
        for bad in ["", "a b", "a\nb", &"x".repeat(64)] {
            assert!(valid_server_id(bad).is_err(), "{bad:?}");
        }
    }
}
