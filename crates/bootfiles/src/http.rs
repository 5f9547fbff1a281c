//! The HTTP boot service: the same root over HTTP/1.1 for iPXE and UEFI HTTP boot.
//!
//! GET and HEAD of regular files with `Content-Length`; a single `Range` (`bytes=a-b`,
//! `bytes=a-`, `bytes=-n`) gets 206 with `Content-Range`, an unsatisfiable one 416; other range
//! forms (several ranges, bad syntax) are ignored and the whole file is sent, as RFC 9110 allows.
//! Missing files and directories are 404, refused names (traversal, absolute, backslash, NUL,
//! symlinks out of the root) 403; files are opened only through [`BootRoot`], so the kernel
//! keeps every request beneath the root. No directory listings. One log line per request.

use crate::error::BootFilesError;
use crate::root::{BootRoot, PathError};
use crate::settings::HttpBootSettings;
use axum::body::Body;
use axum::extract::{ConnectInfo, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::Response;
use axum::Router;
use std::io::SeekFrom;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncSeekExt};
use tokio::net::TcpListener;
use tokio_util::io::ReaderStream;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

/// Which part of a file a request gets, from its `Range` header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RangeDecision {
    /// No (usable) range: the whole file, 200.
    Full,
    /// Bytes `start..=end`, 206.
    Partial {
        /// First byte.
        start: u64,
        /// Last byte (inclusive).
        end: u64,
    },
    /// A valid range outside the file, 416.
    Unsatisfiable,
}

/// Interprets a `Range` header value for a file of `len` bytes (RFC 9110 §14.1.2).
pub fn parse_range(value: &str, len: u64) -> RangeDecision {
    let Some(spec) = value.trim().strip_prefix("bytes=") else {
        return RangeDecision::Full;
    };
    let spec = spec.trim();
    if spec.contains(',') {
        return RangeDecision::Full; // several ranges: serve the whole file instead
    }
    let Some((first, last)) = spec.split_once('-') else {
        return RangeDecision::Full;
    };
    let number = |s: &str| -> Option<u64> {
        let s = s.trim();
        (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
    match (first.trim().is_empty(), last.trim().is_empty()) {
        (true, true) => RangeDecision::Full,
        (true, false) => match number(last) {
            None => RangeDecision::Full,
            Some(0) => RangeDecision::Unsatisfiable,
            Some(_) if len == 0 => RangeDecision::Unsatisfiable,
            Some(n) => RangeDecision::Partial {
                start: len.saturating_sub(n),
                end: len - 1,
            },
        },
        (false, open_end) => {
            let Some(start) = number(first) else {
                return RangeDecision::Full;
            };
            let end = if open_end {
                u64::MAX
            } else {
                match number(last) {
                    Some(end) if end >= start => end,
                    _ => return RangeDecision::Full,
                }
            };
            if start >= len {
                RangeDecision::Unsatisfiable
            } else {
                RangeDecision::Partial {
                    start,
                    end: end.min(len - 1),
                }
            }
        }
    }
}

/// Counters of the HTTP boot service; updated through `&self`, so one `Arc` is shared.
#[derive(Debug, Default)]
pub struct HttpStats {
    requests: AtomicU64,
    ok: AtomicU64,
    partial: AtomicU64,
    not_found: AtomicU64,
    forbidden: AtomicU64,
    range_not_satisfiable: AtomicU64,
    method_not_allowed: AtomicU64,
    errors: AtomicU64,
    bytes_sent: AtomicU64,
}

/// A copy of the HTTP counters at one moment.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HttpStatsSnapshot {
    /// Requests answered.
    pub requests: u64,
    /// 200 answers.
    pub ok: u64,
    /// 206 answers.
    pub partial: u64,
    /// 404 answers (missing file, directory, not a regular file).
    pub not_found: u64,
    /// 403 answers (refused names: traversal and the like, or file-system permissions).
    pub forbidden: u64,
    /// 416 answers.
    pub range_not_satisfiable: u64,
    /// 405 answers (not GET or HEAD).
    pub method_not_allowed: u64,
    /// 500 answers (the file could not be opened or read).
    pub errors: u64,
    /// Body bytes announced for GET answers (Content-Length of 200/206).
    pub bytes_sent: u64,
}

impl HttpStats {
    /// Copies every counter.
    pub fn snapshot(&self) -> HttpStatsSnapshot {
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        HttpStatsSnapshot {
            requests: get(&self.requests),
            ok: get(&self.ok),
            partial: get(&self.partial),
            not_found: get(&self.not_found),
            forbidden: get(&self.forbidden),
            range_not_satisfiable: get(&self.range_not_satisfiable),
            method_not_allowed: get(&self.method_not_allowed),
            errors: get(&self.errors),
            bytes_sent: get(&self.bytes_sent),
        }
    }

    fn count(&self, status: StatusCode, body_bytes: u64) {
        self.requests.fetch_add(1, Ordering::Relaxed);
        let counter = match status {
            StatusCode::OK => &self.ok,
            StatusCode::PARTIAL_CONTENT => &self.partial,
            StatusCode::NOT_FOUND => &self.not_found,
            StatusCode::FORBIDDEN => &self.forbidden,
            StatusCode::RANGE_NOT_SATISFIABLE => &self.range_not_satisfiable,
            StatusCode::METHOD_NOT_ALLOWED => &self.method_not_allowed,
            _ => &self.errors,
        };
        counter.fetch_add(1, Ordering::Relaxed);
        self.bytes_sent.fetch_add(body_bytes, Ordering::Relaxed);
    }
}

#[derive(Debug)]
struct AppState {
    root: BootRoot,
    stats: Arc<HttpStats>,
}

/// Binds the HTTP boot service and serves until `shutdown` is cancelled.
pub async fn serve(
    settings: HttpBootSettings,
    stats: Arc<HttpStats>,
    shutdown: CancellationToken,
) -> Result<(), BootFilesError> {
    HttpBootServer::bind(settings, stats)
        .await?
        .serve(shutdown)
        .await
}

/// A bound HTTP boot service: root opened, listening socket bound.
#[derive(Debug)]
pub struct HttpBootServer {
    listener: TcpListener,
    addr: SocketAddr,
    state: Arc<AppState>,
}

impl HttpBootServer {
    /// Opens the root and binds the listening socket.
    pub async fn bind(
        settings: HttpBootSettings,
        stats: Arc<HttpStats>,
    ) -> Result<HttpBootServer, BootFilesError> {
        let root = BootRoot::open(&settings.root)?;
        let listener =
            TcpListener::bind(settings.listen)
                .await
                .map_err(|source| BootFilesError::Bind {
                    addr: settings.listen,
                    source,
                })?;
        let addr = listener
            .local_addr()
            .map_err(|source| BootFilesError::Bind {
                addr: settings.listen,
                source,
            })?;
        Ok(HttpBootServer {
            listener,
            addr,
            state: Arc::new(AppState { root, stats }),
        })
    }

    /// The bound address (with the port the OS chose for port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Serves until `shutdown` is cancelled; then stops accepting and returns when the requests
    /// in progress have been answered.
    pub async fn serve(self, shutdown: CancellationToken) -> Result<(), BootFilesError> {
        info!(listen = %self.addr, root = %self.state.root.path().display(), "http boot service started");
        let app = Router::new().fallback(handle).with_state(self.state);
        let result = axum::serve(
            self.listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async move { shutdown.cancelled().await })
        .await
        .map_err(|source| BootFilesError::Listener {
            addr: self.addr,
            source,
        });
        info!("http boot service stopped");
        result
    }
}

/// The file name a request path asks for: without the leading `/`, percent-decoded.
fn requested_name(uri: &Uri) -> Vec<u8> {
    let path = uri.path();
    let path = path.strip_prefix('/').unwrap_or(path);
    percent_encoding::percent_decode_str(path).collect()
}

fn status_for(e: &PathError) -> StatusCode {
    match e {
        PathError::Empty | PathError::NotFound | PathError::NotRegular => StatusCode::NOT_FOUND,
        PathError::Io(_) => StatusCode::INTERNAL_SERVER_ERROR,
        _ => StatusCode::FORBIDDEN,
    }
}

fn plain(status: StatusCode, headers: &[(header::HeaderName, String)]) -> Response {
    let text = format!("{status}\n");
    let mut response = Response::new(Body::from(text));
    *response.status_mut() = status;
    for (name, value) in headers {
        if let Ok(v) = HeaderValue::from_str(value) {
            response.headers_mut().insert(name.clone(), v);
        }
    }
    response
}

async fn handle(
    State(state): State<Arc<AppState>>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let name = requested_name(&uri);
    let shown = String::from_utf8_lossy(&name).escape_debug().to_string();
    let (response, body_bytes, reason) = respond(&state, &method, &name, &headers).await;
    let status = response.status();
    state.stats.count(status, body_bytes);
    info!(
        client = %client,
        method = %method,
        path = %shown,
        status = status.as_u16(),
        bytes = body_bytes,
        reason = %reason,
        "http boot request"
    );
    response
}

/// Builds the answer: the response, the body bytes it carries, and a reason for the log.
async fn respond(
    state: &AppState,
    method: &Method,
    name: &[u8],
    headers: &HeaderMap,
) -> (Response, u64, String) {
    if method != Method::GET && method != Method::HEAD {
        let allow = [(header::ALLOW, "GET, HEAD".to_string())];
        return (
            plain(StatusCode::METHOD_NOT_ALLOWED, &allow),
            0,
            String::new(),
        );
    }
    let opened = match state.root.open_file(name) {
        Ok(f) => f,
        Err(e) => return (plain(status_for(&e), &[]), 0, e.to_string()),
    };
    let len = opened.len;
    let range = headers
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok())
        .map_or(RangeDecision::Full, |v| parse_range(v, len));
    let (status, start, count) = match range {
        RangeDecision::Full => (StatusCode::OK, 0, len),
        RangeDecision::Partial { start, end } => {
            (StatusCode::PARTIAL_CONTENT, start, end - start + 1)
        }
        RangeDecision::Unsatisfiable => {
            let cr = [(header::CONTENT_RANGE, format!("bytes */{len}"))];
            return (
                plain(StatusCode::RANGE_NOT_SATISFIABLE, &cr),
                0,
                "range not satisfiable".into(),
            );
        }
    };
    let body = if method == Method::HEAD {
        Body::empty()
    } else {
        let mut file = tokio::fs::File::from_std(opened.file);
        if let Err(e) = file.seek(SeekFrom::Start(start)).await {
            warn!(error = %e, "http boot: seek failed");
            return (
                plain(StatusCode::INTERNAL_SERVER_ERROR, &[]),
                0,
                e.to_string(),
            );
        }
        Body::from_stream(ReaderStream::with_capacity(file.take(count), 64 * 1024))
    };
    let mut response = Response::new(body);
    *response.status_mut() = status;
    let h = response.headers_mut();
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(count));
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    if status == StatusCode::PARTIAL_CONTENT {
        let end = start + count - 1;
        if let Ok(v) = HeaderValue::from_str(&format!("bytes {start}-{end}/{len}")) {
            h.insert(header::CONTENT_RANGE, v);
        }
    }
    let sent = if method == Method::HEAD { 0 } else { count };
    (response, sent, String::new())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        use RangeDecision::*;
        assert_eq!(
            parse_range("bytes=0-99", 1000),
            Partial { start: 0, end: 99 }
        );
        assert_eq!(
            parse_range("bytes=900-", 1000),
            Partial {
                start: 900,
                end: 999
            }
        );
        assert_eq!(
            parse_range("bytes=-100", 1000),
            Partial {
                start: 900,
                end: 999
            }
        );
        assert_eq!(
            parse_range("bytes=-5000", 1000),
            Partial { start: 0, end: 999 }
        );
        assert_eq!(
            parse_range("bytes=990-5000", 1000),
            Partial {
                start: 990,
                end: 999
            }
        );
        assert_eq!(parse_range("bytes=1000-", 1000), Unsatisfiable);
        assert_eq!(parse_range("bytes=1000-2000", 1000), Unsatisfiable);
        assert_eq!(parse_range("bytes=-0", 1000), Unsatisfiable);
        assert_eq!(parse_range("bytes=0-", 0), Unsatisfiable);
        assert_eq!(parse_range("bytes=-1", 0), Unsatisfiable);
        // Ignored: several ranges, bad syntax, other units.
        assert_eq!(parse_range("bytes=0-1,5-6", 1000), Full);
        assert_eq!(parse_range("bytes=5-1", 1000), Full);
        assert_eq!(parse_range("bytes=a-b", 1000), Full);
        assert_eq!(parse_range("bytes=-", 1000), Full);
        assert_eq!(parse_range("items=0-1", 1000), Full);
        assert_eq!(parse_range("bytes=+1-2", 1000), Full);
    }

    #[test]
    fn request_names_are_decoded() {
        let uri: Uri = "/boot%2eipxe".parse().unwrap();
        assert_eq!(requested_name(&uri), b"boot.ipxe");
        let uri: Uri = "/%2e%2e/etc/passwd".parse().unwrap();
        assert_eq!(requested_name(&uri), b"../etc/passwd");
        let uri: Uri = "/a%00b".parse().unwrap();
        assert_eq!(requested_name(&uri), b"a\0b");
    }
}
