//! The gateway's routes (see the module documentation in `mod.rs`).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{ConnectInfo, FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use futures::{SinkExt, StreamExt};
use kumo_proto::akash::deployment::v1beta4 as dv1b4;
use kumo_proto::akash::market::v1::LeaseId;
use kumo_sdl::manifest::Group;
use serde::Deserialize;
use serde_json::json;
use tokio::io::AsyncWriteExt;

use super::auth::{self, AuthError, Tenant};
use super::chain::ChainView;
use super::tls::ConnInfo;
use super::StatusFn;
use crate::workload::{ExecOutput, WorkloadError, Workloads};
use kumo_client::gateway::jwt::{Scope, Target};
use kumo_client::gateway::shell::{ExecResult, Frame};

#[derive(Clone)]
pub struct AppState {
    pub chain: Arc<ChainView>,
    pub workloads: Arc<dyn Workloads>,
    pub status: StatusFn,
    pub provider: String,
    pub manifest_timeout: Duration,
    pub decisions: Decisions,
}

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/version", get(version))
        .route("/address", get(address))
        .route("/status", get(status))
        .route(
            "/orders/{owner}/{dseq}/{gseq}/{oseq}/decision",
            get(order_decision),
        )
        .route("/deployment/{dseq}/manifest", put(send_manifest))
        .route("/lease/{dseq}/{gseq}/{oseq}/manifest", get(get_manifest))
        .route("/lease/{dseq}/{gseq}/{oseq}/status", get(lease_status))
        .route(
            "/lease/{dseq}/{gseq}/{oseq}/service/{service}/status",
            get(service_status),
        )
        .route(
            "/lease/{dseq}/{gseq}/{oseq}/service/{service}/restart",
            post(restart),
        )
        .route("/lease/{dseq}/{gseq}/{oseq}/logs", get(logs))
        .route("/lease/{dseq}/{gseq}/{oseq}/kubeevents", get(events))
        .route("/lease/{dseq}/{gseq}/{oseq}/shell", get(shell))
        .fallback(|| async { ApiError::new(StatusCode::NOT_FOUND, "no such route") })
        .with_state(state)
}

// ---------------------------------------------------------------- errors

/// An error answer: `{"message": "..."}` with its status.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    message: String,
}

impl ApiError {
    fn new(status: StatusCode, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            message: message.into(),
        }
    }

    fn internal(e: impl std::fmt::Display) -> ApiError {
        tracing::error!("gateway: {e:#}");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal error; the provider logged the details",
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(json!({ "message": self.message }))).into_response()
    }
}

impl From<AuthError> for ApiError {
    fn from(e: AuthError) -> ApiError {
        match e {
            AuthError::Ambiguous => ApiError::new(StatusCode::BAD_REQUEST, e.to_string()),
            AuthError::Unauthorized(m) => ApiError::new(StatusCode::UNAUTHORIZED, m),
            AuthError::Internal(e) => ApiError::internal(format!("authentication: {e:#}")),
        }
    }
}

impl From<WorkloadError> for ApiError {
    fn from(e: WorkloadError) -> ApiError {
        match e {
            WorkloadError::NotFound(m) => ApiError::new(StatusCode::NOT_FOUND, m),
            WorkloadError::Unavailable(m) => ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, m),
            WorkloadError::Internal(e) => ApiError::internal(format!("workloads: {e:#}")),
        }
    }
}

type ApiResult<T> = Result<T, ApiError>;

// ---------------------------------------------------------------- authentication

/// An authenticated tenant (401 without credentials).
pub struct Authed(pub Tenant);

impl FromRequestParts<AppState> for Authed {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> ApiResult<Self> {
        let certs = parts
            .extensions
            .get::<ConnectInfo<ConnInfo>>()
            .map(|c| c.0.peer_certs.clone())
            .unwrap_or_default();
        let authorization = match parts.headers.get(axum::http::header::AUTHORIZATION) {
            None => None,
            Some(v) => Some(v.to_str().map_err(|_| {
                ApiError::new(
                    StatusCode::UNAUTHORIZED,
                    "Authorization header is not ASCII",
                )
            })?),
        };
        match auth::authenticate(&state.chain, &certs, authorization, auth::unix_now()).await? {
            Some(t) => Ok(Authed(t)),
            None => Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "authentication required: present your client certificate published on chain, \
                 or an Authorization: Bearer JWT signed with your account key",
            )),
        }
    }
}

impl Authed {
    fn require(&self, state: &AppState, scope: Scope, target: Target<'_>) -> ApiResult<()> {
        if self.0.claims.allows(&state.provider, scope, &target) {
            Ok(())
        } else {
            Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                format!(
                    "your token does not grant {} on this lease at provider {}",
                    serde_json::to_value(scope)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_string))
                        .unwrap_or_default(),
                    state.provider
                ),
            ))
        }
    }
}

// ---------------------------------------------------------------- open routes

async fn version() -> Json<serde_json::Value> {
    Json(json!({
        "akash": {
            "name": "kumo-provider",
            "server_name": "kumo",
            "version": env!("CARGO_PKG_VERSION"),
            "cosmosSdkVersion": "v0.50-compatible",
        },
    }))
}

async fn address(State(s): State<AppState>) -> Json<serde_json::Value> {
    Json(json!({ "address": s.provider }))
}

async fn status(State(s): State<AppState>) -> Json<serde_json::Value> {
    let mut v = (s.status)();
    if let Some(o) = v.as_object_mut() {
        o.insert("address".into(), json!(s.provider));
    }
    Json(v)
}

// ---------------------------------------------------------------- order decisions

/// How long a decision is served from the cache (the order's spec never changes; capacity does).
const DECISION_TTL: Duration = Duration::from_secs(5);
/// Most cached decisions (the cache is emptied when full).
const DECISION_CACHE: usize = 4096;
/// Chain lookups for decisions in flight at once; more requests wait.
const DECISION_LOOKUPS: usize = 4;

/// The public decision route's engine hook, cache and lookup limit.
#[derive(Clone)]
pub struct Decisions {
    decide: Option<super::DecideFn>,
    cache: Arc<std::sync::Mutex<BTreeMap<String, (tokio::time::Instant, serde_json::Value)>>>,
    lookups: Arc<tokio::sync::Semaphore>,
}

impl Decisions {
    pub fn new(decide: Option<super::DecideFn>) -> Decisions {
        Decisions {
            decide,
            cache: Arc::default(),
            lookups: Arc::new(tokio::sync::Semaphore::new(DECISION_LOOKUPS)),
        }
    }

    fn cached(&self, key: &str) -> Option<serde_json::Value> {
        let cache = self.cache.lock().expect("decision cache");
        cache
            .get(key)
            .filter(|(at, _)| at.elapsed() < DECISION_TTL)
            .map(|(_, v)| v.clone())
    }

    fn keep(&self, key: String, v: &serde_json::Value) {
        let mut cache = self.cache.lock().expect("decision cache");
        if cache.len() >= DECISION_CACHE {
            cache.clear();
        }
        cache.insert(key, (tokio::time::Instant::now(), v.clone()));
    }
}

#[derive(Deserialize)]
struct OrderPath {
    owner: String,
    dseq: u64,
    gseq: u32,
    oseq: u32,
}

fn unknown(order: &str, reason: impl Into<String>) -> serde_json::Value {
    json!({
        "order": order,
        "decision": "unknown",
        "reason": reason.into(),
        "price": null,
        "attributes": [],
        "recorded": null,
    })
}

/// `GET /orders/{owner}/{dseq}/{gseq}/{oseq}/decision`: the bid engine's decision on the order's
/// on-chain GroupSpec, as [`crate::bidengine::Evaluation`] JSON (plus `order_state`), or
/// `"decision": "unknown"` with the reason when it cannot be made. Public and read-only; answers
/// are cached for 5 s.
async fn order_decision(
    State(s): State<AppState>,
    Path(p): Path<OrderPath>,
) -> ApiResult<Response> {
    if p.owner.parse::<kumo_crypto::Address>().is_err() {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            format!("{:?} is not an akash1… address", p.owner),
        ));
    }
    let id = kumo_proto::akash::market::v1::OrderId {
        owner: p.owner,
        dseq: p.dseq,
        gseq: p.gseq,
        oseq: p.oseq,
    };
    let key = crate::inventory::order_key(&id);
    let body = match s.decisions.cached(&key) {
        Some(v) => v,
        None => {
            let v = decide_order(&s, &id, &key).await?;
            s.decisions.keep(key, &v);
            v
        }
    };
    Ok((
        [(axum::http::header::CACHE_CONTROL, "public, max-age=5")],
        Json(body),
    )
        .into_response())
}

async fn decide_order(
    s: &AppState,
    id: &kumo_proto::akash::market::v1::OrderId,
    key: &str,
) -> ApiResult<serde_json::Value> {
    use kumo_proto::akash::market::v1beta5 as mv1b5;
    let Some(decide) = s.decisions.decide.clone() else {
        return Ok(unknown(
            key,
            "this provider daemon does not evaluate orders on request",
        ));
    };
    let _permit = s
        .decisions
        .lookups
        .acquire()
        .await
        .map_err(ApiError::internal)?;
    let client = s.chain.client();
    let req = mv1b5::QueryOrderRequest {
        id: Some(id.clone()),
    };
    let r = tokio::task::spawn_blocking(move || {
        client
            .query_proto::<_, mv1b5::QueryOrderResponse>("/akash.market.v1beta5.Query/Order", &req)
    })
    .await
    .map_err(ApiError::internal)?;
    let order = match r {
        Ok(r) => r.order,
        Err(e) if format!("{e:#}").contains("not found") => None,
        Err(e) => {
            return Err(ApiError::new(
                StatusCode::BAD_GATEWAY,
                format!("cannot read order {key} from the chain: {e:#}"),
            ))
        }
    };
    let Some((spec, state)) = order.and_then(|o| o.spec.map(|sp| (sp, o.state))) else {
        return Ok(unknown(
            key,
            format!("order {key} is not on chain (as this provider's node sees it)"),
        ));
    };
    let state = mv1b5::order::State::try_from(state)
        .map(|st| st.as_str_name().to_string())
        .unwrap_or_else(|_| state.to_string());
    let mut v = serde_json::to_value(decide(id, &spec)).map_err(ApiError::internal)?;
    if let Some(o) = v.as_object_mut() {
        o.insert("order_state".into(), json!(state));
    }
    Ok(v)
}

// ---------------------------------------------------------------- manifest

async fn send_manifest(
    State(s): State<AppState>,
    tenant: Authed,
    Path(dseq): Path<u64>,
    body: axum::body::Bytes,
) -> ApiResult<StatusCode> {
    tenant.require(
        &s,
        Scope::SendManifest,
        Target {
            dseq: Some(dseq),
            ..Default::default()
        },
    )?;
    let owner = tenant.0.owner.clone();
    let groups: Vec<Group> = serde_json::from_slice(&body).map_err(|e| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("manifest is not a JSON array of groups: {e}"),
        )
    })?;
    let leases = s
        .chain
        .active_leases(&owner, dseq, &s.provider)
        .await
        .map_err(ApiError::internal)?;
    if leases.is_empty() {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "no lease for deployment",
        ));
    }
    let deployment = s
        .chain
        .deployment(&owner, dseq)
        .await
        .map_err(ApiError::internal)?;
    let on_chain_hash = deployment
        .deployment
        .as_ref()
        .map(|d| d.hash.clone())
        .unwrap_or_default();
    let hash = kumo_sdl::manifest::version(&groups);
    if hash.as_slice() != on_chain_hash.as_slice() {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!(
                "manifest version validation failed: the manifest hashes to {} but deployment \
                 {owner}/{dseq} has version {} on chain; send the manifest of the SDL the \
                 deployment was created (or last updated) with",
                hex::encode(hash),
                hex::encode(&on_chain_hash)
            ),
        ));
    }
    check_names(&groups)?;
    let mut plan = Vec::new();
    for lease in leases {
        let spec = deployment
            .groups
            .iter()
            .find(|g| g.id.as_ref().is_some_and(|id| id.gseq == lease.gseq))
            .and_then(|g| g.group_spec.as_ref())
            .ok_or_else(|| ApiError::internal(format!("lease {lease:?} has no group on chain")))?;
        let group = groups.iter().find(|g| g.name == spec.name).ok_or_else(|| {
            ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                format!(
                    "manifest has no group named {:?} (group {} of the deployment)",
                    spec.name, lease.gseq
                ),
            )
        })?;
        check_against_group(group, spec)
            .map_err(|m| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, m))?;
        plan.push((lease, group.clone()));
    }
    // The deploy continues in the background if the tenant's request times out.
    let workloads = s.workloads.clone();
    let job = tokio::spawn(async move {
        for (lease, group) in plan {
            workloads.deploy(&lease, &group).await?;
        }
        Ok::<_, WorkloadError>(())
    });
    match tokio::time::timeout(s.manifest_timeout, job).await {
        Ok(Ok(Ok(()))) => Ok(StatusCode::OK),
        Ok(Ok(Err(e))) => Err(e.into()),
        Ok(Err(e)) => Err(ApiError::internal(format!("deploy task: {e}"))),
        Err(_) => Err(ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!(
                "the workloads did not start within {} s; they keep starting: watch the lease \
                 status and events",
                s.manifest_timeout.as_secs()
            ),
        )),
    }
}

fn check_names(groups: &[Group]) -> ApiResult<()> {
    let bad = |m: String| Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, m));
    let mut names = std::collections::BTreeSet::new();
    for g in groups {
        if !names.insert(g.name.as_str()) {
            return bad(format!("manifest lists group {:?} twice", g.name));
        }
        if g.services.is_empty() {
            return bad(format!("manifest group {:?} has no services", g.name));
        }
        let mut services = std::collections::BTreeSet::new();
        for svc in &g.services {
            if !services.insert(svc.name.as_str()) {
                return bad(format!(
                    "manifest group {:?} lists service {:?} twice",
                    g.name, svc.name
                ));
            }
            if svc.image.trim().is_empty() {
                return bad(format!("service {:?} has no image", svc.name));
            }
        }
    }
    Ok(())
}

/// The manifest group fits the on-chain group: each service's resources are one of the group's
/// resource units (same CPU, memory, GPU, storage) and the services sharing a unit need no more
/// replicas than it counts.
pub fn check_against_group(group: &Group, spec: &dv1b4::GroupSpec) -> Result<(), String> {
    let val = |v: &Option<kumo_proto::akash::base::resources::v1beta4::ResourceValue>| {
        v.as_ref()
            .map(|v| String::from_utf8_lossy(&v.val).into_owned())
            .unwrap_or_default()
    };
    let mut used: BTreeMap<u32, u64> = BTreeMap::new();
    for svc in &group.services {
        let r = &svc.resources;
        let unit = spec
            .resources
            .iter()
            .find(|u| u.resource.as_ref().is_some_and(|res| res.id == r.id))
            .ok_or_else(|| {
                format!(
                    "service {:?} uses resources {} which group {:?} does not have on chain",
                    svc.name, r.id, spec.name
                )
            })?;
        let res = unit.resource.as_ref().expect("found by its resource");
        let mismatch = |what: &str, got: &str, want: &str| {
            format!(
                "service {:?}: {what} {got} differs from {want} in the deployment's group {:?}",
                svc.name, spec.name
            )
        };
        let cpu = val(&res.cpu.as_ref().and_then(|c| c.units.clone()));
        if cpu != r.cpu.units.val {
            return Err(mismatch("cpu units", &r.cpu.units.val, &cpu));
        }
        let mem = val(&res.memory.as_ref().and_then(|m| m.quantity.clone()));
        if mem != r.memory.size.val {
            return Err(mismatch("memory", &r.memory.size.val, &mem));
        }
        let gpu = val(&res.gpu.as_ref().and_then(|g| g.units.clone()));
        let gpu = if gpu.is_empty() { "0".to_string() } else { gpu };
        if gpu != r.gpu.units.val {
            return Err(mismatch("gpu units", &r.gpu.units.val, &gpu));
        }
        let chain_storage: Vec<(String, String)> = res
            .storage
            .iter()
            .map(|s| (s.name.clone(), val(&s.quantity)))
            .collect();
        let storage: Vec<(String, String)> = r
            .storage
            .iter()
            .map(|s| (s.name.clone(), s.size.val.clone()))
            .collect();
        if storage != chain_storage {
            return Err(mismatch(
                "storage",
                &format!("{storage:?}"),
                &format!("{chain_storage:?}"),
            ));
        }
        let n = used.entry(r.id).or_default();
        *n += u64::from(svc.count);
        if *n > u64::from(unit.count) {
            return Err(format!(
                "services of group {:?} using resources {} ask for {} replicas; the deployment \
                 ordered {}",
                spec.name, r.id, n, unit.count
            ));
        }
    }
    Ok(())
}

// ---------------------------------------------------------------- lease routes

#[derive(Deserialize)]
struct LeasePath {
    dseq: u64,
    gseq: u32,
    oseq: u32,
}

#[derive(Deserialize)]
struct ServicePath {
    dseq: u64,
    gseq: u32,
    oseq: u32,
    service: String,
}

fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "lease not found")
}

/// The caller's lease with these sequences that has workloads here. A lease of another owner is
/// never found: the owner is the caller.
async fn find_lease(s: &AppState, owner: &str, p: &LeasePath) -> ApiResult<LeaseId> {
    let leases = s.workloads.leases().await?;
    leases
        .into_iter()
        .find(|l| {
            l.owner == owner
                && l.provider == s.provider
                && l.dseq == p.dseq
                && l.gseq == p.gseq
                && l.oseq == p.oseq
        })
        .ok_or_else(not_found)
}

fn lease_target<'a>(p: &LeasePath, services: &'a [String]) -> Target<'a> {
    Target {
        dseq: Some(p.dseq),
        gseq: Some(p.gseq),
        oseq: Some(p.oseq),
        services,
    }
}

async fn get_manifest(
    State(s): State<AppState>,
    tenant: Authed,
    Path(p): Path<LeasePath>,
) -> ApiResult<Json<Vec<Group>>> {
    tenant.require(&s, Scope::GetManifest, lease_target(&p, &[]))?;
    let lease = find_lease(&s, &tenant.0.owner, &p).await?;
    match s.workloads.manifest(&lease).await? {
        Some(g) => Ok(Json(vec![g])),
        None => Err(not_found()),
    }
}

async fn lease_status(
    State(s): State<AppState>,
    tenant: Authed,
    Path(p): Path<LeasePath>,
) -> ApiResult<Response> {
    tenant.require(&s, Scope::Status, lease_target(&p, &[]))?;
    let lease = find_lease(&s, &tenant.0.owner, &p).await?;
    Ok(Json(s.workloads.status(&lease).await?).into_response())
}

async fn service_status(
    State(s): State<AppState>,
    tenant: Authed,
    Path(sp): Path<ServicePath>,
) -> ApiResult<Response> {
    let p = LeasePath {
        dseq: sp.dseq,
        gseq: sp.gseq,
        oseq: sp.oseq,
    };
    let services = [sp.service.clone()];
    tenant.require(&s, Scope::Status, lease_target(&p, &services))?;
    let lease = find_lease(&s, &tenant.0.owner, &p).await?;
    let status = s.workloads.status(&lease).await?;
    match status.services.get(&sp.service) {
        Some(svc) => Ok(Json(svc).into_response()),
        None => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            format!("lease has no service {:?}", sp.service),
        )),
    }
}

async fn restart(
    State(s): State<AppState>,
    tenant: Authed,
    Path(sp): Path<ServicePath>,
) -> ApiResult<StatusCode> {
    let p = LeasePath {
        dseq: sp.dseq,
        gseq: sp.gseq,
        oseq: sp.oseq,
    };
    let services = [sp.service.clone()];
    tenant.require(&s, Scope::Restart, lease_target(&p, &services))?;
    let lease = find_lease(&s, &tenant.0.owner, &p).await?;
    s.workloads.restart(&lease, &sp.service).await?;
    Ok(StatusCode::OK)
}

// ---------------------------------------------------------------- websockets

const CLOSE_INTERNAL: u16 = 4000;
const CLOSE_LEASE_NOT_FOUND: u16 = 4001;
const CLOSE_SERVICE_UNAVAILABLE: u16 = 4002;
const PING_EVERY: Duration = Duration::from_secs(10);

fn close_for(e: &WorkloadError) -> Message {
    let (code, reason) = match e {
        WorkloadError::NotFound(m) => (CLOSE_LEASE_NOT_FOUND, m.clone()),
        WorkloadError::Unavailable(m) => (CLOSE_SERVICE_UNAVAILABLE, m.clone()),
        WorkloadError::Internal(err) => {
            tracing::error!("gateway: websocket: {err:#}");
            (CLOSE_INTERNAL, "internal error".to_string())
        }
    };
    close(code, &reason)
}

fn close(code: u16, reason: &str) -> Message {
    // A close reason is limited to 123 bytes.
    let mut r = reason.to_string();
    while r.len() > 123 {
        r.pop();
    }
    Message::Close(Some(CloseFrame {
        code,
        reason: r.into(),
    }))
}

fn flag(v: Option<&str>) -> Result<bool, ApiError> {
    match v {
        None | Some("") => Ok(false),
        Some("true" | "1") => Ok(true),
        Some("false" | "0") => Ok(false),
        Some(other) => Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            format!("expected true/false or 1/0, got {other:?}"),
        )),
    }
}

/// Sends JSON items of `stream` as text messages, with pings, until it ends or the peer leaves.
async fn pump_json<T: serde::Serialize>(
    mut ws: WebSocket,
    mut stream: futures::stream::BoxStream<'static, T>,
    empty_reason: &str,
) {
    let mut ping = tokio::time::interval(PING_EVERY);
    ping.tick().await;
    let mut sent = false;
    loop {
        tokio::select! {
            item = stream.next() => match item {
                Some(item) => {
                    sent = true;
                    let text = serde_json::to_string(&item).expect("serializes");
                    if ws.send(Message::Text(text.into())).await.is_err() {
                        return;
                    }
                }
                None => {
                    let msg = if sent { close(1000, "") } else { close(1000, empty_reason) };
                    let _ = ws.send(msg).await;
                    return;
                }
            },
            _ = ping.tick() => {
                if ws.send(Message::Ping(Default::default())).await.is_err() {
                    return;
                }
            }
            incoming = ws.recv() => match incoming {
                None | Some(Err(_)) | Some(Ok(Message::Close(_))) => return,
                Some(Ok(_)) => {}
            },
        }
    }
}

#[derive(Deserialize)]
struct LogsQuery {
    service: Option<String>,
    follow: Option<String>,
    tail: Option<i64>,
}

async fn logs(
    State(s): State<AppState>,
    tenant: Authed,
    Path(p): Path<LeasePath>,
    Query(q): Query<LogsQuery>,
    ws: WebSocketUpgrade,
) -> ApiResult<Response> {
    let services: Vec<String> = match q.service.as_deref() {
        None | Some("") => vec![],
        Some(list) => {
            let v: Vec<String> = list.split(',').map(str::to_string).collect();
            if v.iter().any(|s| s.is_empty()) {
                return Err(ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "service must be a comma-separated list of names without empty entries",
                ));
            }
            v
        }
    };
    let follow = flag(q.follow.as_deref())?;
    let tail = match q.tail {
        None => None,
        Some(n) if n < 0 => None,
        Some(n) => Some(n as u64),
    };
    tenant.require(&s, Scope::Logs, lease_target(&p, &services))?;
    let lease = find_lease(&s, &tenant.0.owner, &p).await?;
    Ok(ws.on_upgrade(move |mut ws| async move {
        match s.workloads.logs(&lease, &services, follow, tail).await {
            Ok(stream) => pump_json(ws, stream, "no running pods").await,
            Err(e) => {
                let _ = ws.send(close_for(&e)).await;
            }
        }
    }))
}

#[derive(Deserialize)]
struct EventsQuery {
    follow: Option<String>,
    service: Option<String>,
}

async fn events(
    State(s): State<AppState>,
    tenant: Authed,
    Path(p): Path<LeasePath>,
    Query(q): Query<EventsQuery>,
    ws: WebSocketUpgrade,
) -> ApiResult<Response> {
    let follow = flag(q.follow.as_deref())?;
    let services: Vec<String> = q
        .service
        .as_deref()
        .filter(|s| !s.is_empty())
        .map(|l| l.split(',').map(str::to_string).collect())
        .unwrap_or_default();
    tenant.require(&s, Scope::Events, lease_target(&p, &services))?;
    let lease = find_lease(&s, &tenant.0.owner, &p).await?;
    Ok(ws.on_upgrade(move |mut ws| async move {
        match s.workloads.events(&lease, follow).await {
            Ok(stream) => {
                let stream = if services.is_empty() {
                    stream
                } else {
                    // Events name their object `<service>-<replica>` or `<service>`.
                    stream
                        .filter(move |e| {
                            let name = e.object.name.clone();
                            let keep = services.iter().any(|s| {
                                name == *s
                                    || name
                                        .strip_prefix(s.as_str())
                                        .is_some_and(|r| r.starts_with('-'))
                            });
                            async move { keep }
                        })
                        .boxed()
                };
                pump_json(ws, stream, "").await
            }
            Err(e) => {
                let _ = ws.send(close_for(&e)).await;
            }
        }
    }))
}

/// The shell query: `cmd0..cmdN`, `tty`, `stdin`, `podIndex`, `service` (all required).
#[derive(Debug, PartialEq)]
pub struct ShellRequest {
    pub cmd: Vec<String>,
    pub tty: bool,
    pub stdin: bool,
    pub pod_index: usize,
    pub service: String,
}

pub fn parse_shell_query(q: &BTreeMap<String, String>) -> Result<ShellRequest, String> {
    let mut cmd = Vec::new();
    while let Some(c) = q.get(&format!("cmd{}", cmd.len())) {
        cmd.push(c.clone());
    }
    if cmd.is_empty() {
        return Err("give the command as cmd0, cmd1, …".into());
    }
    let need = |k: &str| {
        q.get(k)
            .ok_or_else(|| format!("query parameter {k} is required"))
    };
    let bool_of = |k: &str| -> Result<bool, String> {
        match need(k)?.as_str() {
            "1" | "true" => Ok(true),
            "0" | "false" => Ok(false),
            v => Err(format!("{k} must be 0 or 1, got {v:?}")),
        }
    };
    let pod_index = need("podIndex")?
        .parse()
        .map_err(|_| "podIndex must be a replica number (0, 1, …)".to_string())?;
    let service = need("service")?.clone();
    if service.is_empty() {
        return Err("service must name a service".into());
    }
    Ok(ShellRequest {
        cmd,
        tty: bool_of("tty")?,
        stdin: bool_of("stdin")?,
        pod_index,
        service,
    })
}

async fn shell(
    State(s): State<AppState>,
    tenant: Authed,
    Path(p): Path<LeasePath>,
    Query(q): Query<BTreeMap<String, String>>,
    ws: WebSocketUpgrade,
) -> ApiResult<Response> {
    let req = parse_shell_query(&q).map_err(|m| ApiError::new(StatusCode::BAD_REQUEST, m))?;
    let services = [req.service.clone()];
    tenant.require(&s, Scope::Shell, lease_target(&p, &services))?;
    let lease = find_lease(&s, &tenant.0.owner, &p).await?;
    Ok(ws.on_upgrade(move |ws| run_shell(s.workloads.clone(), lease, req, ws)))
}

async fn run_shell(
    workloads: Arc<dyn Workloads>,
    lease: LeaseId,
    req: ShellRequest,
    ws: WebSocket,
) {
    let (mut tx, mut rx) = ws.split();
    let exec = match workloads
        .exec(
            &lease,
            &req.service,
            req.pod_index,
            req.cmd,
            req.tty,
            req.stdin,
        )
        .await
    {
        Ok(e) => e,
        Err(WorkloadError::Internal(e)) => {
            tracing::error!("gateway: shell: {e:#}");
            let _ = tx
                .send(Message::Binary(Frame::Failure.encode().into()))
                .await;
            let _ = tx.send(close(CLOSE_INTERNAL, "internal error")).await;
            return;
        }
        Err(e) => {
            let _ = tx.send(close_for(&e)).await;
            return;
        }
    };
    let crate::workload::Exec {
        mut output,
        mut stdin,
        control,
    } = exec;
    let mut ping = tokio::time::interval(PING_EVERY);
    ping.tick().await;
    loop {
        tokio::select! {
            out = output.next() => match out {
                Some(o) => {
                    let frame = match o {
                        ExecOutput::Stdout(b) => Frame::Stdout(b),
                        ExecOutput::Stderr(b) => Frame::Stderr(b),
                    };
                    if tx.send(Message::Binary(frame.encode().into())).await.is_err() {
                        return;
                    }
                }
                None => break,
            },
            _ = ping.tick() => {
                if tx.send(Message::Ping(Default::default())).await.is_err() {
                    return;
                }
            }
            msg = rx.next() => match msg {
                // The tenant left: nothing more can be delivered.
                None | Some(Err(_)) | Some(Ok(Message::Close(_))) => return,
                Some(Ok(Message::Binary(b))) => match Frame::decode(&b) {
                    Ok(Frame::Stdin(data)) => {
                        if let Some(w) = stdin.as_mut() {
                            let r = if data.is_empty() {
                                w.shutdown().await
                            } else {
                                w.write_all(&data).await
                            };
                            if r.is_err() {
                                stdin = None;
                            }
                        }
                    }
                    Ok(Frame::Resize { width, height }) => {
                        if let Err(e) = control.resize(width, height).await {
                            tracing::debug!("gateway: shell resize: {e:#}");
                        }
                    }
                    Ok(_) | Err(_) => {
                        let _ = tx.send(close(1003, "expected stdin (104) or resize (105) frames")).await;
                        return;
                    }
                },
                Some(Ok(_)) => {}
            },
        }
    }
    let result = match control.exit_code().await {
        Ok(code) => Frame::Result(ExecResult {
            exit_code: code,
            message: None,
        }),
        Err(e) => {
            tracing::error!("gateway: shell exit code: {e:#}");
            Frame::Failure
        }
    };
    let _ = tx.send(Message::Binary(result.encode().into())).await;
    let _ = tx.send(close(1000, "")).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    const SDL: &str = r#"
version: "2.0"
services:
  web:
    image: kumo/busybox:test
    expose:
      - port: 80
        as: 80
        to:
          - global: true
  worker:
    image: kumo/busybox:test
profiles:
  compute:
    small:
      resources:
        cpu:
          units: 0.1
        memory:
          size: 64Mi
        storage:
          size: 128Mi
  placement:
    local:
      pricing:
        small:
          denom: uakt
          amount: 1000
deployment:
  web:
    local:
      profile: small
      count: 2
  worker:
    local:
      profile: small
      count: 1
"#;

    #[test]
    fn manifest_checked_against_the_on_chain_group() {
        let d = kumo_sdl::parse("t.yaml", SDL).unwrap();
        let (group, spec) = (&d.manifest[0], &d.groups[0]);
        check_against_group(group, spec).unwrap();
        // Two services share one unit of 3: more replicas than ordered is refused.
        let mut more = group.clone();
        more.services[1].count = 2;
        let e = check_against_group(&more, spec).unwrap_err();
        assert!(
            e.contains("ask for 4 replicas") && e.contains("ordered 3"),
            "{e}"
        );
        let mut cpu = group.clone();
        cpu.services[0].resources.cpu.units.val = "200".into();
        assert!(check_against_group(&cpu, spec)
            .unwrap_err()
            .contains("cpu units"));
        let mut mem = group.clone();
        mem.services[0].resources.memory.size.val = "1".into();
        assert!(check_against_group(&mem, spec)
            .unwrap_err()
            .contains("memory"));
        let mut id = group.clone();
        id.services[0].resources.id = 9;
        assert!(check_against_group(&id, spec)
            .unwrap_err()
            .contains("does not have"));
        let mut storage = group.clone();
        storage.services[0].resources.storage.clear();
        assert!(check_against_group(&storage, spec)
            .unwrap_err()
            .contains("storage"));
    }

    #[test]
    fn shell_query() {
        let r = parse_shell_query(&q(&[
            ("cmd0", "sh"),
            ("cmd1", "-c"),
            ("cmd2", "echo hi"),
            ("tty", "0"),
            ("stdin", "1"),
            ("podIndex", "2"),
            ("service", "web"),
        ]))
        .unwrap();
        assert_eq!(
            r,
            ShellRequest {
                cmd: vec!["sh".into(), "-c".into(), "echo hi".into()],
                tty: false,
                stdin: true,
                pod_index: 2,
                service: "web".into()
            }
        );
        let base = [
            ("cmd0", "ls"),
            ("tty", "0"),
            ("stdin", "0"),
            ("podIndex", "0"),
        ];
        let err = parse_shell_query(&q(&base)).unwrap_err();
        assert!(err.contains("service"), "{err}");
        assert!(parse_shell_query(&q(&[
            ("tty", "0"),
            ("stdin", "0"),
            ("podIndex", "0"),
            ("service", "w")
        ]))
        .is_err());
        let mut bad = base.to_vec();
        bad.push(("service", "w"));
        bad[1] = ("tty", "yes");
        assert!(parse_shell_query(&q(&bad)).unwrap_err().contains("tty"));
    }
}
