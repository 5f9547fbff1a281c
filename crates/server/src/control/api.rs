//! The HTTP router: JSON API under `/api`, Prometheus text at `/metrics`, the dashboard at `/`.
//!
//! Every route is listed in the OpenAPI document ([`super::openapi`]); a test checks the two
//! agree. Reads are open on a loopback listener; writes, and on a non-loopback (TLS) listener
//! every request, need the bearer token ([`super::auth`]).

use super::auth::{needs_token, Denied, Token};
use super::{
    ControlContext, ControlError, ControlRequest, LeaseQuery, LeaseSource, LeaseView, NewLease,
};
use crate::metrics::SubnetLogLevel;
use crate::usage::PoolSnapshot;
use axum::extract::{Path, Query, Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use leasehold_engine::{ClientKey, Config, Lease, LinkStatus, PoolUsage};
use leasehold_store::SqliteStore;
use leasehold_store::{HistoryEntry, HistoryFilter, LeaseStore};
use leasehold_wire::HwAddr;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::net::Ipv4Addr;
use std::sync::Arc;

/// Shared state of the handlers.
#[derive(Clone)]
pub struct ApiState {
    ctx: Arc<ControlContext>,
    token: Token,
    reads_need_token: bool,
}

impl ApiState {
    /// State for the router; `reads_need_token` makes every request, not only writes, carry the
    /// bearer token (a non-loopback listener).
    pub fn new(ctx: Arc<ControlContext>, token: Token, reads_need_token: bool) -> ApiState {
        ApiState {
            ctx,
            token,
            reads_need_token,
        }
    }
}

/// An error answer: `{"error": "..."}` with a status.
#[derive(Debug)]
pub struct ApiError(StatusCode, String);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.0, Json(json!({ "error": self.1 }))).into_response()
    }
}

impl From<ControlError> for ApiError {
    fn from(e: ControlError) -> Self {
        let status = match e {
            ControlError::Invalid(_) => StatusCode::BAD_REQUEST,
            ControlError::Conflict(_) => StatusCode::CONFLICT,
            ControlError::NotFound(_) => StatusCode::NOT_FOUND,
            ControlError::Internal(_) => StatusCode::SERVICE_UNAVAILABLE,
        };
        ApiError(status, e.to_string())
    }
}

fn unavailable() -> ApiError {
    ApiError(
        StatusCode::SERVICE_UNAVAILABLE,
        "the server is shutting down".into(),
    )
}

type ApiResult<T> = Result<T, ApiError>;

/// The configuration in force, the usage of its pools and its links' pressure state now: one
/// O(pools) round trip to the packet loop, or what it last published when it does not answer.
async fn snapshot_now(ctx: &ControlContext) -> Arc<PoolSnapshot> {
    match ctx
        .handle
        .ask(|reply| ControlRequest::Pools { reply })
        .await
    {
        Ok(snap) => snap,
        Err(_) => ctx.pools.borrow().clone(),
    }
}

/// The configuration in force and the usage of its pools now (see [`snapshot_now`]).
async fn pools_now(ctx: &ControlContext) -> (Arc<Config>, Vec<PoolUsage>) {
    let snap = snapshot_now(ctx).await;
    (snap.config.clone(), snap.pools.clone())
}

/// Every current record, and the server that wrote each (PostgreSQL only): from a read-only
/// connection of its own, never the packet thread's or the lease writer's.
async fn read_leases(
    source: Option<LeaseSource>,
) -> ApiResult<(Vec<Lease>, HashMap<Ipv4Addr, String>)> {
    match source {
        None => Err(no_database()),
        Some(LeaseSource::Sqlite(db)) => {
            let leases = blocking(move || SqliteStore::open_read_only(&db)?.load_all()).await?;
            Ok((leases, HashMap::new()))
        }
        Some(LeaseSource::Postgres(reader)) => {
            let rows = reader
                .leases_with_server()
                .await
                .map_err(unavailable_store)?;
            let servers = rows.iter().map(|(l, s)| (l.addr, s.clone())).collect();
            Ok((rows.into_iter().map(|(l, _)| l).collect(), servers))
        }
    }
}

/// History entries passing `filter`, newest first, at most `limit` (see [`read_leases`]).
async fn read_history(
    source: Option<LeaseSource>,
    filter: HistoryFilter,
    limit: usize,
) -> ApiResult<Vec<HistoryEntry>> {
    match source {
        None => Err(no_database()),
        Some(LeaseSource::Sqlite(db)) => {
            blocking(move || SqliteStore::open_read_only(&db)?.history(&filter, limit)).await
        }
        Some(LeaseSource::Postgres(reader)) => reader
            .history(&filter, limit)
            .await
            .map_err(unavailable_store),
    }
}

fn no_database() -> ApiError {
    ApiError(
        StatusCode::SERVICE_UNAVAILABLE,
        "this server has no lease database".into(),
    )
}

fn unavailable_store(e: leasehold_store::StoreError) -> ApiError {
    ApiError(StatusCode::SERVICE_UNAVAILABLE, e.to_string())
}

/// Runs a blocking store read on a blocking thread.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, leasehold_store::StoreError> + Send + 'static,
) -> ApiResult<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| ApiError(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?
        .map_err(unavailable_store)
}

/// The router with every route.
pub fn router(state: ApiState) -> Router {
    Router::new()
        .route("/", get(crate::dashboard::index))
        .route("/dashboard.js", get(crate::dashboard::script))
        .route("/dashboard.css", get(crate::dashboard::style))
        .route("/metrics", get(metrics))
        .route("/api/openapi.json", get(openapi))
        .route("/api/health", get(health))
        .route("/api/version", get(version))
        .route("/api/config", get(config_current))
        .route("/api/config/test", post(config_test))
        .route("/api/config/reload", post(config_reload))
        .route("/api/leases", get(leases_list).post(lease_add))
        .route("/api/leases/reclaim", post(leases_reclaim))
        .route("/api/leases/{address}", get(lease_get).delete(lease_delete))
        .route("/api/pools", get(pools))
        .route("/api/pressure", get(pressure))
        .route("/api/reservations", get(reservations))
        .route("/api/history", get(history))
        .route("/api/statistics", get(statistics))
        .route("/api/rates", get(rates))
        .route("/api/alerts", get(alerts))
        .route("/api/log-level", get(log_level_get).post(log_level_set))
        .layer(middleware::from_fn_with_state(state.clone(), require_token))
        .with_state(state)
}

/// Refuses writes (and, off loopback, every request) without the bearer token.
async fn require_token(State(state): State<ApiState>, req: Request, next: Next) -> Response {
    if needs_token(req.method(), state.reads_need_token) {
        let header = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok());
        match state.token.check(header) {
            Ok(()) => {}
            Err(Denied::ReadOnly) => {
                return ApiError(
                    StatusCode::FORBIDDEN,
                    "the control API is read-only: set [control] token_file to allow writes".into(),
                )
                .into_response()
            }
            Err(Denied::BadToken) => {
                return (
                    StatusCode::UNAUTHORIZED,
                    [(header::WWW_AUTHENTICATE, "Bearer")],
                    Json(json!({"error": "missing or wrong bearer token"})),
                )
                    .into_response()
            }
        }
    }
    next.run(req).await
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

async fn metrics(State(s): State<ApiState>) -> Response {
    let snap = snapshot_now(&s.ctx).await;
    let store = s
        .ctx
        .committer
        .upgrade()
        .map(|c| c.stats())
        .unwrap_or_default();
    let text = s.ctx.metrics.render(
        Some(snap.config.clone()),
        snap.pools.clone(),
        snap.links.clone(),
        store,
    );
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        text,
    )
        .into_response()
}

async fn openapi() -> Json<Value> {
    Json(super::openapi::document())
}

async fn health(State(s): State<ApiState>) -> ApiResult<Json<Value>> {
    // Round trip through the serve task: healthy means it is answering.
    s.ctx
        .handle
        .ask(|reply| ControlRequest::Health { reply })
        .await
        .map_err(|_| unavailable())?;
    let store = &s.ctx.metrics.store;
    Ok(Json(json!({
        "status": "ok",
        "store": { "up": store.up(), "feed_up": store.feed_up(), "error": store.reason() },
    })))
}

async fn version() -> Json<Value> {
    Json(json!({ "name": "leasehold", "version": env!("CARGO_PKG_VERSION") }))
}

/// Keys whose values are replaced by `"<redacted>"` in `GET /api/config`.
fn is_secret(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    [
        // `url`: a database URL may carry its password.
        "token", "secret", "password", "webhook", "key_file", "private", "url",
    ]
    .iter()
    .any(|s| k.contains(s))
}

fn redact(v: &mut toml::Value) {
    match v {
        toml::Value::Table(t) => {
            for (k, v) in t.iter_mut() {
                if is_secret(k) {
                    *v = toml::Value::String("<redacted>".into());
                } else {
                    redact(v);
                }
            }
        }
        toml::Value::Array(a) => a.iter_mut().for_each(redact),
        _ => {}
    }
}

async fn config_current(State(s): State<ApiState>) -> ApiResult<Json<Value>> {
    let text = s.ctx.reloader.config_text();
    let mut value: toml::Value = toml::from_str::<toml::Table>(&text)
        .map(toml::Value::Table)
        .map_err(|e| ApiError(StatusCode::SERVICE_UNAVAILABLE, e.to_string()))?;
    redact(&mut value);
    let config = serde_json::to_value(&value)
        .map_err(|e| ApiError(StatusCode::SERVICE_UNAVAILABLE, e.to_string()))?;
    Ok(Json(json!({
        "file": s.ctx.reloader.config_path.display().to_string(),
        "config": config,
    })))
}

/// Result of validating a configuration.
#[derive(Serialize)]
struct ConfigCheck {
    valid: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    subnets: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    line: Option<usize>,
}

async fn config_test(body: String) -> Response {
    match Config::from_toml(&body, std::path::Path::new("request-body.toml")) {
        Ok(c) => Json(ConfigCheck {
            valid: true,
            subnets: Some(c.subnets.len()),
            error: None,
            line: None,
        })
        .into_response(),
        Err(e) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            Json(ConfigCheck {
                valid: false,
                subnets: None,
                line: e.line(),
                error: Some(e.to_string()),
            }),
        )
            .into_response(),
    }
}

async fn config_reload(State(s): State<ApiState>) -> Response {
    match crate::reload::reload_from_disk(&s.ctx.reloader).await {
        Ok(report) => Json(json!({
            "reloaded": true,
            "subnets": report.subnets,
            "warnings": report.warnings,
        }))
        .into_response(),
        Err(crate::reload::ReloadError::Invalid { error, line }) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            Json(json!({ "reloaded": false, "error": error, "line": line })),
        )
            .into_response(),
        Err(crate::reload::ReloadError::Unavailable) => unavailable().into_response(),
    }
}

async fn leases_list(
    State(s): State<ApiState>,
    Query(query): Query<LeaseQuery>,
) -> ApiResult<Json<super::LeasePage>> {
    // Every current record from the database, filtered and paged off the packet thread.
    let (leases, servers) = read_leases(s.ctx.leases.clone()).await?;
    let (config, _) = pools_now(&s.ctx).await;
    Ok(Json(super::list(leases, &servers, &config, &query)?))
}

fn parse_addr(a: &str) -> ApiResult<Ipv4Addr> {
    a.parse().map_err(|_| {
        ApiError(
            StatusCode::BAD_REQUEST,
            format!("{a:?} is not an IPv4 address"),
        )
    })
}

async fn lease_get(
    State(s): State<ApiState>,
    Path(address): Path<String>,
) -> ApiResult<Json<LeaseView>> {
    let addr = parse_addr(&address)?;
    s.ctx
        .handle
        .ask(|reply| ControlRequest::GetLease { addr, reply })
        .await?
        .map(Json)
        .ok_or_else(|| ApiError(StatusCode::NOT_FOUND, format!("no lease for {addr}")))
}

/// Waits for the commit of a change made through the API: 503 when `what` was not stored.
async fn stored(ticket: leasehold_store::CommitTicket, what: &str) -> ApiResult<()> {
    ticket.await.map(|_| ()).map_err(|e| {
        ApiError(
            StatusCode::SERVICE_UNAVAILABLE,
            format!("{what} not stored: {e}"),
        )
    })
}

async fn lease_add(
    State(s): State<ApiState>,
    body: Result<Json<NewLease>, axum::extract::rejection::JsonRejection>,
) -> ApiResult<Response> {
    let Json(lease) = body.map_err(|e| ApiError(StatusCode::BAD_REQUEST, e.body_text()))?;
    let (view, ticket) = s
        .ctx
        .handle
        .ask(|reply| ControlRequest::AddLease { lease, reply })
        .await??;
    stored(ticket, "lease").await?;
    Ok((StatusCode::CREATED, Json(view)).into_response())
}

async fn lease_delete(
    State(s): State<ApiState>,
    Path(address): Path<String>,
) -> ApiResult<Json<Value>> {
    let addr = parse_addr(&address)?;
    let ticket = s
        .ctx
        .handle
        .ask(|reply| ControlRequest::DeleteLease { addr, reply })
        .await??;
    stored(ticket, "change").await?;
    Ok(Json(json!({ "address": addr, "deleted": true })))
}

async fn leases_reclaim(State(s): State<ApiState>) -> ApiResult<Json<Value>> {
    let (n, ticket) = s
        .ctx
        .handle
        .ask(|reply| ControlRequest::Reclaim { reply })
        .await?;
    if let Some(t) = ticket {
        stored(t, "reclaimed leases").await?;
    }
    Ok(Json(json!({ "reclaimed": n })))
}

/// One pool in `GET /api/pools`.
#[derive(Serialize)]
struct PoolView {
    subnet_id: u32,
    subnet: String,
    pool: usize,
    start: Ipv4Addr,
    end: Ipv4Addr,
    total: u64,
    assigned: u64,
    declined: u64,
    offered: u64,
    reserved: u64,
    free: u64,
    utilization: f64,
}

fn pool_view(config: &Config, u: &PoolUsage) -> PoolView {
    PoolView {
        subnet_id: u.subnet_id,
        subnet: config
            .subnets
            .get(u.subnet_index)
            .map(|s| s.net.to_string())
            .unwrap_or_default(),
        pool: u.pool_id,
        start: u.start,
        end: u.end,
        total: u.total,
        assigned: u.assigned,
        declined: u.declined,
        offered: u.offered,
        reserved: u.reserved,
        free: u.free,
        utilization: u.utilization(),
    }
}

async fn pools(State(s): State<ApiState>) -> ApiResult<Json<Value>> {
    let (config, usage) = pools_now(&s.ctx).await;
    let pools: Vec<PoolView> = usage.iter().map(|u| pool_view(&config, u)).collect();
    Ok(Json(json!({ "pools": pools })))
}

/// One link in `GET /api/pressure`: the fields of [`LinkStatus`].
#[derive(Serialize)]
struct LinkView {
    link: String,
    size: u64,
    bound: u64,
    under_pressure: bool,
    since: Option<u64>,
    new_bindings_per_minute: u32,
    trigger_per_minute: u32,
    entered_total: u64,
    short_leases_total: u64,
    reclaimed_total: u64,
    renewed_total: u64,
    unseen_total: u64,
    rationed_total: u64,
}

impl From<&LinkStatus> for LinkView {
    fn from(s: &LinkStatus) -> LinkView {
        LinkView {
            link: s.link.clone(),
            size: s.size,
            bound: s.bound,
            under_pressure: s.under_pressure,
            since: s.since,
            new_bindings_per_minute: s.new_bindings_per_minute,
            trigger_per_minute: s.trigger_per_minute,
            entered_total: s.entered_total,
            short_leases_total: s.short_leases_total,
            reclaimed_total: s.reclaimed_total,
            renewed_total: s.renewed_total,
            unseen_total: s.unseen_total,
            rationed_total: s.rationed_total,
        }
    }
}

async fn pressure(State(s): State<ApiState>) -> Json<Value> {
    let snap = snapshot_now(&s.ctx).await;
    let links: Vec<LinkView> = snap.links.iter().map(LinkView::from).collect();
    Json(json!({
        "enabled": snap.config.security.pressure.enabled,
        "links": links,
    }))
}

async fn reservations(State(s): State<ApiState>) -> ApiResult<Json<Value>> {
    let (config, _) = pools_now(&s.ctx).await;
    let list: Vec<Value> = config
        .subnets
        .iter()
        .flat_map(|s| {
            s.reservations.iter().map(move |r| {
                json!({
                    "subnet_id": s.id,
                    "address": r.address,
                    "client": r.key.to_string(),
                    "hostname": r.hostname,
                })
            })
        })
        .collect();
    Ok(Json(json!({ "reservations": list })))
}

/// Query of `GET /api/history`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HistoryQuery {
    address: Option<String>,
    client: Option<String>,
    limit: Option<usize>,
}

async fn history(
    State(s): State<ApiState>,
    Query(q): Query<HistoryQuery>,
) -> ApiResult<Json<Value>> {
    let filter = match (&q.address, &q.client) {
        (Some(a), None) => HistoryFilter::Addr(parse_addr(a)?),
        (None, Some(c)) => {
            let key = ClientKey::from_text(c)
                .or_else(|| c.parse::<HwAddr>().ok().map(ClientKey::HwAddr))
                .ok_or_else(|| {
                    ApiError(
                        StatusCode::BAD_REQUEST,
                        format!("{c:?} is neither a client key (hw:1:.., id:..) nor a MAC"),
                    )
                })?;
            HistoryFilter::Client(key)
        }
        _ => {
            return Err(ApiError(
                StatusCode::BAD_REQUEST,
                "give exactly one of address or client".into(),
            ))
        }
    };
    let limit = q.limit.unwrap_or(100).clamp(1, 1000);
    // A read-only connection of its own: history has no secondary index, so a filtered query
    // may scan the table, which must not hold up the lease writer (and the ACKs behind it).
    let entries = read_history(s.ctx.leases.clone(), filter, limit).await?;
    let (config, _) = pools_now(&s.ctx).await;
    let list: Vec<Value> = entries
        .iter()
        .map(|e| {
            json!({
                "id": e.id,
                "recorded": e.recorded,
                "lease": LeaseView::of(&e.lease, &config),
            })
        })
        .collect();
    Ok(Json(json!({ "entries": list })))
}

async fn statistics(State(s): State<ApiState>) -> ApiResult<Json<Value>> {
    use std::sync::atomic::Ordering::Relaxed;
    let t = &s.ctx.metrics.totals;
    let (config, usage) = pools_now(&s.ctx).await;
    let store = s
        .ctx
        .committer
        .upgrade()
        .map(|c| c.stats())
        .unwrap_or_default();
    let pools: Vec<PoolView> = usage.iter().map(|u| pool_view(&config, u)).collect();
    Ok(Json(json!({
        "requests": t.requests.load(Relaxed),
        "acks": t.acks.load(Relaxed),
        "naks": t.naks.load(Relaxed),
        "declines": t.declines.load(Relaxed),
        "drops": t.drops.load(Relaxed),
        "store": {
            "commits": store.batches,
            "failed_commits": store.failed_batches,
            "leases": store.leases,
            "queued": store.queued,
            "max_batch_leases": store.max_batch_leases,
            "commit_micros_max": store.commit_micros_max,
        },
        "pools": pools,
    })))
}

async fn rates(State(s): State<ApiState>) -> Json<Value> {
    Json(json!({
        "bucket_seconds": crate::metrics::RATE_BUCKET_SECS,
        "buckets": s.ctx.metrics.rates(unix_now()),
    }))
}

async fn alerts(State(s): State<ApiState>) -> Json<Value> {
    let snap = s.ctx.alerts.snapshot();
    Json(json!({ "active": snap.active, "recent": snap.recent }))
}

/// Body of `POST /api/log-level`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LogLevelBody {
    subnet: u32,
    level: SubnetLogLevel,
}

async fn log_level_get(State(s): State<ApiState>) -> Json<Value> {
    let mut levels: Vec<(u32, SubnetLogLevel)> = s.ctx.metrics.log_levels().into_iter().collect();
    levels.sort();
    let list: Vec<Value> = levels
        .iter()
        .map(|(id, l)| json!({ "subnet": id, "level": l }))
        .collect();
    Json(json!({ "levels": list }))
}

async fn log_level_set(
    State(s): State<ApiState>,
    body: Result<Json<LogLevelBody>, axum::extract::rejection::JsonRejection>,
) -> ApiResult<Json<Value>> {
    let Json(b) = body.map_err(|e| ApiError(StatusCode::BAD_REQUEST, e.body_text()))?;
    let (config, _) = pools_now(&s.ctx).await;
    if !config.subnets.iter().any(|x| x.id == b.subnet) {
        return Err(ApiError(
            StatusCode::NOT_FOUND,
            format!("no subnet with id {}", b.subnet),
        ));
    }
    s.ctx.metrics.set_log_level(b.subnet, b.level);
    tracing::info!(subnet = b.subnet, level = ?b.level, "subnet log level changed");
    Ok(Json(json!({ "subnet": b.subnet, "level": b.level })))
}

/// Every (method, path) the router serves, in OpenAPI path syntax; the OpenAPI test checks the
/// document lists exactly these.
#[cfg(test)]
pub const ROUTES: &[(&str, &str)] = &[
    ("get", "/"),
    ("get", "/dashboard.js"),
    ("get", "/dashboard.css"),
    ("get", "/metrics"),
    ("get", "/api/openapi.json"),
    ("get", "/api/health"),
    ("get", "/api/version"),
    ("get", "/api/config"),
    ("post", "/api/config/test"),
    ("post", "/api/config/reload"),
    ("get", "/api/leases"),
    ("post", "/api/leases"),
    ("post", "/api/leases/reclaim"),
    ("get", "/api/leases/{address}"),
    ("delete", "/api/leases/{address}"),
    ("get", "/api/pools"),
    ("get", "/api/pressure"),
    ("get", "/api/reservations"),
    ("get", "/api/history"),
    ("get", "/api/statistics"),
    ("get", "/api/rates"),
    ("get", "/api/alerts"),
    ("get", "/api/log-level"),
    ("post", "/api/log-level"),
];
