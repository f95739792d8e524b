//! The deploy flow: templates → SDL editor (live validation through the server's SDL parser) →
//! deposit → create deployment → live bids (with "why no bids?") → accept → manifest → progress
//! until every service is up → URIs.
//!
//! Routes (fragments are swapped in by htmx; every deployment route reads the chain with the
//! signed-in account as owner, so no page shows another tenant's deployment):
//! - `GET /` the deploy page (`?template=ID` loads a template into the editor);
//! - `POST /deploy/validate` the SDL check (errors with line numbers; the editor's text is never
//!   replaced);
//! - `POST /deploy/create` MsgCreateDeployment (+ the console certificate on first use) through
//!   [`wallet::submit`];
//! - `GET /deploy/{dseq}/bids` the bid section, `GET /deploy/{dseq}/bids/table` its table,
//!   polled every 7 s for up to 5.5 min (Akash Console's timing);
//! - `POST /deploy/{dseq}/accept` MsgCreateLease;
//! - `GET /deploy/{dseq}/launch` sends the manifest to each leased provider;
//! - `GET /deploy/{dseq}/progress` lease status until every service is available.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{bail, Context, Result};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use cosmos_sdk_proto::cosmos::base::query::v1beta1::PageRequest;
use kumo_client::price::{display_unit, hourly_price, hours_text, monthly_price, per_block_text};
use kumo_client::tx::to_any;
use kumo_proto::akash::audit::v1 as audit;
use kumo_proto::akash::base::deposit::v1::{Deposit, Source};
use kumo_proto::akash::deployment::v1 as dv1;
use kumo_proto::akash::deployment::v1beta4 as dv1b4;
use kumo_proto::akash::market::v1 as mv1;
use kumo_proto::akash::market::v1beta5 as mv1b5;
use kumo_proto::akash::provider::v1beta4 as pv1b4;
use serde::Deserialize;

use super::gateway::{self, GatewayError, LeaseStatus};
use super::wallet::{self, akt, error_fragment, Account};
use super::{blocking, why, ConsoleState};
use crate::web::{self, Nav};

/// Bids are polled this often (Akash Console: 7 s) …
const BID_POLL_SECS: u64 = 7;
/// … for this long (Akash Console: 5.5 min).
const BID_WAIT_SECS: u64 = 330;
/// After this long without a bid the page says so and shows why.
const BID_WARN_SECS: u64 = 60;
/// Lease status is polled this often until the services are up …
const PROGRESS_POLL_SECS: u64 = 3;
/// … for at most this long.
const PROGRESS_WAIT_SECS: u64 = 300;
/// The provider gets this long to take the manifest (it may not have seen the lease yet).
const MANIFEST_WAIT: Duration = Duration::from_secs(60);
/// How long each provider's gateway gets to explain its decision.
const EXPLAIN_TIMEOUT: Duration = Duration::from_secs(2);

pub fn routes() -> Router<ConsoleState> {
    Router::new()
        .route("/", get(deploy_page))
        .route("/deploy/validate", post(validate))
        .route("/deploy/create", post(create))
        .route("/deploy/{dseq}/bids", get(bids_section))
        .route("/deploy/{dseq}/bids/table", get(bids_table))
        .route("/deploy/{dseq}/accept", post(accept))
        .route("/deploy/{dseq}/launch", get(launch))
        .route("/deploy/{dseq}/progress", get(progress))
}

// ---------------------------------------------------------------- templates

/// A template of the gallery: id, name, description, SDL.
pub struct Template {
    pub id: &'static str,
    pub name: &'static str,
    pub description: &'static str,
    pub sdl: &'static str,
}

/// The gallery: the devnet demo (its image is built locally) and a few real SDLs from the
/// awesome-akash collection (`../shared/sdl-examples`, copied into `sdl/`).
pub const TEMPLATES: &[Template] = &[
    Template {
        id: "kumo-demo",
        name: "kumo demo: web + worker",
        description: "A busybox web page behind the provider's ingress and a worker printing a \
                      line a second. Its image is built locally (scripts/demo-image.sh), so it \
                      runs on a devnet provider.",
        sdl: include_str!("../../sdl/kumo-demo.yaml"),
    },
    Template {
        id: "kumo-demo-gpu",
        name: "kumo demo on a GPU",
        description: "The demo's web service asking for one NVIDIA A100: on providers without \
                      that GPU it gets no bid, and the page shows each provider's reason.",
        sdl: include_str!("../../sdl/kumo-demo-gpu.yaml"),
    },
    Template {
        id: "tetris",
        name: "Tetris",
        description: "A browser game served by one small web container.",
        sdl: include_str!("../../sdl/tetris2_deploy.yaml"),
    },
    Template {
        id: "redis",
        name: "Redis",
        description: "An in-memory key-value store on port 6379 with a password.",
        sdl: include_str!("../../sdl/redis_deploy.yaml"),
    },
    Template {
        id: "jupyter",
        name: "Jupyter notebook",
        description: "A Jupyter notebook server for Python in the browser.",
        sdl: include_str!("../../sdl/jupyter_deploy.yaml"),
    },
    Template {
        id: "vaultwarden",
        name: "Vaultwarden",
        description: "A Bitwarden-compatible password manager server with persistent storage.",
        sdl: include_str!("../../sdl/vaultwarden_deploy.yaml"),
    },
    Template {
        id: "llama-3.1-8b",
        name: "Llama 3.1 8B (vLLM)",
        description: "An OpenAI-compatible LLM server on one NVIDIA GPU (H100, A100 or RTX \
                      A6000).",
        sdl: include_str!("../../sdl/Llama-3.1-8B_deploy.yaml"),
    },
];

/// What an SDL asks for, summed over its groups and replicas.
#[derive(Debug, Default, PartialEq)]
pub struct Needs {
    pub millicpu: u128,
    pub memory: u128,
    pub storage: u128,
    pub gpus: u128,
    /// `nvidia a100`, … from the GPU attributes.
    pub gpu_models: BTreeSet<String>,
    /// Σ price ceiling × count per block, per denom (LegacyDec atomics).
    pub ceiling: BTreeMap<String, u128>,
    pub services: usize,
    pub groups: usize,
}

fn resource_value(v: &Option<kumo_proto::akash::base::resources::v1beta4::ResourceValue>) -> u128 {
    v.as_ref()
        .and_then(|r| std::str::from_utf8(&r.val).ok())
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

/// `vendor/nvidia/model/a100` → `nvidia a100` (`vendor/nvidia/model/*` → `nvidia (any model)`).
fn gpu_model(key: &str) -> Option<String> {
    let parts: Vec<&str> = key.split('/').collect();
    match parts.as_slice() {
        ["vendor", vendor, "model", model, ..] if *model == "*" => {
            Some(format!("{vendor} (any model)"))
        }
        ["vendor", vendor, "model", model, ..] => Some(format!("{vendor} {model}")),
        ["vendor", vendor] => Some(format!("{vendor} (any model)")),
        _ => None,
    }
}

pub fn needs(d: &kumo_sdl::Deployment) -> Needs {
    let mut n = Needs {
        groups: d.groups.len(),
        services: d.manifest.iter().map(|g| g.services.len()).sum(),
        ..Needs::default()
    };
    for g in &d.groups {
        for u in &g.resources {
            let count = u128::from(u.count);
            if let Some(r) = &u.resource {
                n.millicpu += count * resource_value(&r.cpu.as_ref().and_then(|c| c.units.clone()));
                n.memory +=
                    count * resource_value(&r.memory.as_ref().and_then(|m| m.quantity.clone()));
                n.storage += count
                    * r.storage
                        .iter()
                        .map(|s| resource_value(&s.quantity))
                        .sum::<u128>();
                if let Some(gpu) = &r.gpu {
                    n.gpus += count * resource_value(&gpu.units);
                    n.gpu_models
                        .extend(gpu.attributes.iter().filter_map(|a| gpu_model(&a.key)));
                }
            }
            if let Some(p) = &u.price {
                let atomics: u128 = p.amount.parse().unwrap_or(0);
                *n.ceiling.entry(p.denom.clone()).or_default() += atomics.saturating_mul(count);
            }
        }
    }
    n
}

impl Needs {
    /// `1.5 CPU · 512.0 MiB memory · 1.0 GiB storage · 1 GPU (nvidia a100)`.
    pub fn text(&self) -> String {
        let (m, mu) = web::fmt::bytes(self.memory);
        let (s, su) = web::fmt::bytes(self.storage);
        let mut out = format!(
            "{} CPU · {m} {mu} memory · {s} {su} storage",
            web::fmt::cores(self.millicpu)
        );
        if self.gpus > 0 {
            out.push_str(&format!(" · {} GPU", self.gpus));
            if !self.gpu_models.is_empty() {
                out.push_str(&format!(
                    " ({})",
                    self.gpu_models
                        .iter()
                        .cloned()
                        .collect::<Vec<_>>()
                        .join(" or ")
                ));
            }
        }
        out
    }

    /// The ceiling per month, e.g. `438.00 AKT`, per denom.
    pub fn monthly_text(&self) -> String {
        if self.ceiling.is_empty() {
            return "— (the SDL sets no price)".into();
        }
        self.ceiling
            .iter()
            .map(|(d, a)| monthly_price(*a, d))
            .collect::<Vec<_>>()
            .join(" + ")
    }

    /// The one denom prices are in (the chain refuses mixed denoms in a deployment).
    pub fn denom(&self) -> Option<&str> {
        self.ceiling.keys().next().map(String::as_str)
    }
}

struct TemplateCard {
    id: &'static str,
    name: &'static str,
    description: &'static str,
    resources: String,
    price: String,
    selected: bool,
}

#[derive(askama::Template)]
#[template(path = "console/deploy.html")]
struct DeployPage {
    nav: Nav,
    account: Option<Account>,
    templates: Vec<TemplateCard>,
    sdl: String,
    template_name: String,
    deposit: String,
}

#[derive(Deserialize)]
struct PageQuery {
    template: Option<String>,
}

async fn deploy_page(
    State(state): State<ConsoleState>,
    headers: HeaderMap,
    Query(q): Query<PageQuery>,
) -> Response {
    let account = wallet::current(&state, &headers);
    let chosen = q.template.as_deref().unwrap_or("kumo-demo");
    let Some(template) = TEMPLATES.iter().find(|t| t.id == chosen) else {
        return web::error_page(
            StatusCode::NOT_FOUND,
            &state.nav("/", account.as_ref()),
            "No such template",
            &format!(
                "There is no template {chosen:?}; pick one of the gallery on the deploy page."
            ),
        );
    };
    let templates = TEMPLATES
        .iter()
        .map(|t| {
            let (resources, price) = match kumo_sdl::parse(t.id, t.sdl) {
                Ok(d) => {
                    let n = needs(&d);
                    (n.text(), format!("up to {} per month", n.monthly_text()))
                }
                Err(e) => (format!("— (the SDL does not parse: {e})"), "—".into()),
            };
            TemplateCard {
                id: t.id,
                name: t.name,
                description: t.description,
                resources,
                price,
                selected: t.id == template.id,
            }
        })
        .collect();
    web::html(
        StatusCode::OK,
        &DeployPage {
            nav: state.nav("/", account.as_ref()),
            account,
            templates,
            sdl: template.sdl.to_string(),
            template_name: template.name.to_string(),
            deposit: "5".into(),
        },
    )
}

// ---------------------------------------------------------------- validation

#[derive(Deserialize)]
struct SdlForm {
    #[serde(default)]
    sdl: String,
    #[serde(default)]
    deposit: String,
}

struct IssueRow {
    line: usize,
    path: String,
    message: String,
}

#[derive(askama::Template)]
#[template(path = "console/sdl_check.html")]
struct SdlCheck {
    issues: Vec<IssueRow>,
    summary: Option<String>,
    per_block: String,
    per_hour: String,
    per_month: String,
    deposit: Option<String>,
    runway: Option<String>,
    balance: Option<String>,
    deposit_error: Option<String>,
}

/// Whole tokens (`5`, `0.5`, up to six decimals) → micro units.
pub fn parse_deposit(text: &str) -> Result<u128> {
    let t = text.trim();
    if t.is_empty() {
        bail!("enter a deposit, e.g. 5");
    }
    let (int, frac) = t.split_once('.').unwrap_or((t, ""));
    if int.is_empty() && frac.is_empty()
        || !int.chars().all(|c| c.is_ascii_digit())
        || !frac.chars().all(|c| c.is_ascii_digit())
    {
        bail!("the deposit {t:?} is not a number; write it like 5 or 0.5");
    }
    if frac.len() > 6 {
        bail!("the deposit has more than 6 decimals; the smallest unit is 0.000001");
    }
    let int: u128 = if int.is_empty() {
        0
    } else {
        int.parse().context("the deposit is too large")?
    };
    let frac: u128 = format!("{frac:0<6}").parse().unwrap_or(0);
    let micro = int
        .checked_mul(1_000_000)
        .and_then(|v| v.checked_add(frac))
        .context("the deposit is too large")?;
    if micro == 0 {
        bail!("the deposit must be more than 0");
    }
    Ok(micro)
}

/// Micro units of `denom` in whole tokens (`uakt` → AKT).
fn tokens(micro: u128, denom: &str) -> String {
    if denom == "uakt" {
        return akt(micro);
    }
    let s = akt(micro);
    format!("{} {}", s.trim_end_matches(" AKT"), display_unit(denom))
}

async fn validate(
    State(state): State<ConsoleState>,
    headers: HeaderMap,
    Form(f): Form<SdlForm>,
) -> Response {
    let account = wallet::current(&state, &headers);
    let parsed = kumo_sdl::parse("deploy.yaml", &f.sdl);
    let d = match parsed {
        Err(e) => {
            let issues = e
                .issues
                .iter()
                .map(|i| IssueRow {
                    line: i.line,
                    path: i.path.clone(),
                    message: i.message.clone(),
                })
                .collect();
            return web::html(
                StatusCode::OK,
                &SdlCheck {
                    issues,
                    summary: None,
                    per_block: String::new(),
                    per_hour: String::new(),
                    per_month: String::new(),
                    deposit: None,
                    runway: None,
                    balance: None,
                    deposit_error: None,
                },
            );
        }
        Ok(d) => d,
    };
    let n = needs(&d);
    let denom = n.denom().unwrap_or("uakt").to_string();
    let ceiling = n.ceiling.get(&denom).copied().unwrap_or(0);
    let (deposit, deposit_error) = match parse_deposit(&f.deposit) {
        Ok(m) => (Some(m), None),
        Err(e) => (None, Some(format!("{e:#}"))),
    };
    let runway = deposit.and_then(|m| {
        let blocks = m.checked_mul(10u128.pow(18))? / ceiling.max(1);
        (ceiling > 0).then(|| {
            format!(
                "at least {} hours ({} blocks) at the ceiling price; less is charged if the bid \
                 is cheaper",
                hours_text(blocks),
                web::fmt::thousands(blocks)
            )
        })
    });
    let balance = match &account {
        None => None,
        Some(a) => {
            let st = state.clone();
            let (addr, dn) = (a.address.clone(), denom.clone());
            Some(
                match blocking(move || Ok(st.rpc().balance(&addr, &dn)?)).await {
                    Ok(b) => tokens(b, &denom),
                    Err(e) => format!("— (the node did not answer: {e:#})"),
                },
            )
        }
    };
    web::html(
        StatusCode::OK,
        &SdlCheck {
            issues: Vec::new(),
            summary: Some(format!(
                "{} service(s) in {} group(s): {}",
                n.services,
                n.groups,
                n.text()
            )),
            per_block: per_block_text(ceiling, &denom),
            per_hour: hourly_price(ceiling, &denom),
            per_month: monthly_price(ceiling, &denom),
            deposit: deposit.map(|m| tokens(m, &denom)),
            runway,
            balance,
            deposit_error,
        },
    )
}

// ---------------------------------------------------------------- create

/// `HOME/console/sdl/<owner>/<dseq>.yaml`: the SDL of a deployment made here (its manifest is
/// sent after the lease).
pub fn sdl_path(state: &ConsoleState, owner: &str, dseq: u64) -> std::path::PathBuf {
    state
        .data_dir
        .join("sdl")
        .join(owner)
        .join(format!("{dseq}.yaml"))
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

async fn create(
    State(state): State<ConsoleState>,
    headers: HeaderMap,
    Form(f): Form<SdlForm>,
) -> Response {
    let Some(account) = wallet::current(&state, &headers) else {
        return wallet::not_signed_in();
    };
    let d = match kumo_sdl::parse("deploy.yaml", &f.sdl) {
        Ok(d) => d,
        Err(e) => {
            return Html(error_fragment(&format!(
                "The SDL has errors; fix them first (the check under the editor lists them with \
                 their lines): {e}"
            )))
            .into_response()
        }
    };
    let n = needs(&d);
    let denom = n.denom().unwrap_or("uakt").to_string();
    let deposit = match parse_deposit(&f.deposit) {
        Ok(m) => m,
        Err(e) => return Html(error_fragment(&format!("{e:#}"))).into_response(),
    };
    let st = state.clone();
    let owner = account.address.clone();
    let sdl_text = f.sdl.clone();
    let groups = d.groups.clone();
    let version = d.manifest_version;
    let dn = denom.clone();
    // Checked here for a clear message; the chain checks it again.
    let prepared = blocking(move || {
        let rpc = st.rpc();
        let balance = rpc.balance(&owner, &dn)?;
        if balance < deposit {
            bail!(
                "Not enough funds: your balance is {}, and the deposit needs {} (plus a fee). \
                 Lower the deposit or add funds to {owner}.",
                tokens(balance, &dn),
                tokens(deposit, &dn)
            );
        }
        let dseq = rpc
            .status()
            .context("cannot read the node's latest height (the deployment sequence)")?
            .latest_height
            .max(1);
        let path = sdl_path(&st, &owner, dseq);
        std::fs::create_dir_all(path.parent().expect("has a parent"))?;
        std::fs::write(&path, sdl_text)
            .with_context(|| format!("cannot keep the SDL in {}", path.display()))?;
        let mut msgs = gateway::certificate_msgs(&st, &owner)?;
        msgs.push(to_any(&dv1b4::MsgCreateDeployment {
            id: Some(dv1::DeploymentId {
                owner: owner.clone(),
                dseq,
            }),
            groups,
            hash: version.to_vec(),
            deposit: Some(Deposit {
                amount: Some(kumo_client::Coin {
                    denom: dn.clone(),
                    amount: deposit.to_string(),
                }),
                sources: vec![Source::Balance as i32],
            }),
            reclamation: None,
        }));
        Ok((dseq, msgs))
    })
    .await;
    let (dseq, msgs) = match prepared {
        Ok(p) => p,
        Err(e) => return Html(error_fragment(&format!("{e:#}"))).into_response(),
    };
    let what = if msgs.len() > 1 {
        format!(
            "create deployment {dseq} with a deposit of {} and publish your console certificate",
            tokens(deposit, &denom)
        )
    } else {
        format!(
            "create deployment {dseq} with a deposit of {}",
            tokens(deposit, &denom)
        )
    };
    let next = format!("/deploy/{dseq}/bids?started={}", unix_now());
    wallet::submit(&state, &account, msgs, &what, &next)
        .await
        .into_response()
}

// ---------------------------------------------------------------- bids

#[derive(Deserialize)]
struct Started {
    started: Option<u64>,
}

struct BidRow {
    provider: String,
    host: String,
    region: String,
    audited: bool,
    uptime: String,
    gpu: String,
    order: String,
    per_block: String,
    per_hour: String,
    per_month: String,
    vals: String,
}

struct WhyRow {
    order: String,
    provider: String,
    region: String,
    decision: String,
    reason: String,
}

#[derive(askama::Template)]
#[template(path = "console/bids.html")]
struct BidsTable {
    dseq: u64,
    /// Seconds between polls.
    poll: u64,
    started: u64,
    polling: bool,
    elapsed: u64,
    bids: Vec<BidRow>,
    waiting_groups: Vec<String>,
    warn: bool,
    why: Vec<WhyRow>,
    why_error: Option<String>,
    all_leased: bool,
    error: Option<String>,
}

fn page_req() -> Option<PageRequest> {
    Some(PageRequest {
        limit: 1000,
        ..Default::default()
    })
}

/// The owner's deployment `dseq`, or an error that does not say whether someone else has one.
fn own_deployment(
    rpc: &kumo_client::RpcClient,
    owner: &str,
    dseq: u64,
) -> Result<dv1b4::QueryDeploymentResponse> {
    rpc.query_proto::<_, dv1b4::QueryDeploymentResponse>(
        "/akash.deployment.v1beta4.Query/Deployment",
        &dv1b4::QueryDeploymentRequest {
            id: Some(dv1::DeploymentId {
                owner: owner.to_string(),
                dseq,
            }),
        },
    )
    .map_err(|_| anyhow::anyhow!("You have no deployment {dseq} (signed in as {owner})."))
}

/// The owner's leases of deployment `dseq` (active ones unless `all`).
fn leases_of(rpc: &kumo_client::RpcClient, owner: &str, dseq: u64) -> Result<Vec<mv1::Lease>> {
    let r: mv1b5::QueryLeasesResponse = rpc.query_proto(
        "/akash.market.v1beta5.Query/Leases",
        &mv1b5::QueryLeasesRequest {
            filters: Some(mv1::LeaseFilters {
                owner: owner.to_string(),
                dseq,
                state: "active".into(),
                ..Default::default()
            }),
            pagination: page_req(),
        },
    )?;
    Ok(r.leases.into_iter().filter_map(|l| l.lease).collect())
}

/// Uptime over 7 days per provider from the stats server's `/v1/providers`, when it answers.
fn uptimes(stats_url: &str) -> Option<BTreeMap<String, f64>> {
    let v: serde_json::Value = ureq::get(&format!("{stats_url}/v1/providers"))
        .timeout(Duration::from_millis(1500))
        .call()
        .ok()?
        .into_json()
        .ok()?;
    let list = v.as_array()?;
    Some(
        list.iter()
            .filter_map(|p| Some((p["owner"].as_str()?.to_string(), p["uptime7d"].as_f64()?)))
            .collect(),
    )
}

fn bids_data(state: &ConsoleState, owner: &str, dseq: u64, started: u64) -> Result<BidsTable> {
    let rpc = state.rpc();
    let dep = own_deployment(&rpc, owner, dseq)?;
    let group_count = dep.groups.len();
    let leased: BTreeSet<u32> = leases_of(&rpc, owner, dseq)?
        .into_iter()
        .filter_map(|l| l.id.map(|i| i.gseq))
        .collect();
    let elapsed = unix_now().saturating_sub(started);
    let mut table = BidsTable {
        dseq,
        poll: BID_POLL_SECS,
        started,
        polling: elapsed < BID_WAIT_SECS,
        elapsed,
        bids: Vec::new(),
        waiting_groups: Vec::new(),
        warn: false,
        why: Vec::new(),
        why_error: None,
        all_leased: false,
        error: None,
    };
    if group_count > 0 && leased.len() >= group_count {
        table.all_leased = true;
        table.polling = false;
        return Ok(table);
    }
    let r: mv1b5::QueryBidsResponse = rpc.query_proto(
        "/akash.market.v1beta5.Query/Bids",
        &mv1b5::QueryBidsRequest {
            filters: Some(mv1b5::BidFilters {
                owner: owner.to_string(),
                dseq,
                state: "open".into(),
                ..Default::default()
            }),
            pagination: page_req(),
        },
    )?;
    let mut bids: Vec<mv1b5::Bid> = r.bids.into_iter().filter_map(|b| b.bid).collect();
    bids.retain(|b| b.id.as_ref().is_some_and(|i| !leased.contains(&i.gseq)));
    let price = |b: &mv1b5::Bid| {
        b.price
            .as_ref()
            .map(|p| {
                (
                    p.amount.parse::<u128>().unwrap_or(u128::MAX),
                    p.denom.clone(),
                )
            })
            .unwrap_or((u128::MAX, String::new()))
    };
    bids.sort_by_key(|b| {
        let id = b.id.clone().unwrap_or_default();
        (id.gseq, price(b).0, id.provider)
    });
    let providers: pv1b4::QueryProvidersResponse = rpc.query_proto(
        "/akash.provider.v1beta4.Query/Providers",
        &pv1b4::QueryProvidersRequest {
            pagination: page_req(),
        },
    )?;
    let audits: audit::QueryProvidersResponse = rpc.query_proto(
        "/akash.audit.v1.Query/AllProvidersAttributes",
        &audit::QueryAllProvidersAttributesRequest {
            pagination: page_req(),
        },
    )?;
    let uptime = uptimes(&state.stats_url);
    for b in &bids {
        let id = b.id.clone().unwrap_or_default();
        let p = providers.providers.iter().find(|p| p.owner == id.provider);
        let (amount, denom) = price(b);
        let gpus: BTreeSet<String> = b
            .resources_offer
            .iter()
            .filter_map(|o| o.resources.as_ref())
            .filter_map(|r| r.gpu.as_ref())
            .flat_map(|g| g.attributes.iter().filter_map(|a| gpu_model(&a.key)))
            .collect();
        table.bids.push(BidRow {
            provider: id.provider.clone(),
            host: p.map(|p| p.host_uri.clone()).unwrap_or_else(|| "—".into()),
            region: p
                .and_then(|p| p.attributes.iter().find(|a| a.key == "region"))
                .map(|a| a.value.clone())
                .unwrap_or_else(|| "—".into()),
            audited: audits.providers.iter().any(|a| a.owner == id.provider),
            uptime: match &uptime {
                None => "— (stats server not reachable)".into(),
                Some(m) => match m.get(&id.provider) {
                    Some(u) => format!("{} %", web::fmt::decimal(u * 100.0, 1)),
                    None => "— (not probed yet)".into(),
                },
            },
            gpu: if gpus.is_empty() {
                "—".into()
            } else {
                gpus.into_iter().collect::<Vec<_>>().join(", ")
            },
            order: format!("{}/{}", id.gseq, id.oseq),
            per_block: per_block_text(amount, &denom),
            per_hour: hourly_price(amount, &denom),
            per_month: monthly_price(amount, &denom),
            vals: serde_json::json!({
                "provider": id.provider, "gseq": id.gseq, "oseq": id.oseq, "bseq": id.bseq
            })
            .to_string(),
        });
    }
    let with_bids: BTreeSet<u32> = bids
        .iter()
        .filter_map(|b| b.id.as_ref().map(|i| i.gseq))
        .collect();
    for (i, g) in dep.groups.iter().enumerate() {
        let gseq = g.id.as_ref().map(|i| i.gseq).unwrap_or(i as u32 + 1);
        if !leased.contains(&gseq) && !with_bids.contains(&gseq) {
            let name = g
                .group_spec
                .as_ref()
                .map(|s| s.name.clone())
                .unwrap_or_default();
            table.waiting_groups.push(format!("{gseq} ({name})"));
        }
    }
    table.warn = !table.waiting_groups.is_empty() && elapsed >= BID_WARN_SECS;
    // "Why no bids?": each provider's decision, while any group still waits.
    if !table.waiting_groups.is_empty() {
        match why::explain(&state.node, owner, dseq, EXPLAIN_TIMEOUT) {
            Ok(e) => {
                table.why = e
                    .rows
                    .into_iter()
                    .map(|r| WhyRow {
                        reason: match (&r.decision[..], &r.chain_check) {
                            ("bid", Some(c)) => format!("the chain would refuse this bid: {c}"),
                            ("bid", None) => match &r.price {
                                Some(p) => format!("bids {p} per block; its bid should appear"),
                                None => r.reason.clone(),
                            },
                            _ => r.reason.clone(),
                        },
                        order: r.order,
                        provider: r.provider,
                        region: if r.region.is_empty() {
                            "—".into()
                        } else {
                            r.region
                        },
                        decision: r.decision,
                    })
                    .collect()
            }
            Err(e) => table.why_error = Some(format!("{e:#}")),
        }
    }
    Ok(table)
}

async fn render_bids(state: ConsoleState, headers: HeaderMap, dseq: u64, q: Started) -> Response {
    let Some(account) = wallet::current(&state, &headers) else {
        return wallet::not_signed_in();
    };
    let started = q.started.unwrap_or_else(unix_now);
    let st = state.clone();
    let owner = account.address.clone();
    match blocking(move || bids_data(&st, &owner, dseq, started)).await {
        Ok(t) => web::html(StatusCode::OK, &t),
        Err(e) => web::html(
            StatusCode::OK,
            &BidsTable {
                dseq,
                poll: BID_POLL_SECS,
                started,
                polling: unix_now().saturating_sub(started) < BID_WAIT_SECS,
                elapsed: 0,
                bids: Vec::new(),
                waiting_groups: Vec::new(),
                warn: false,
                why: Vec::new(),
                why_error: None,
                all_leased: false,
                error: Some(format!("{e:#}")),
            },
        ),
    }
}

/// The bid section: the polled table and, below it, where an accepted bid's progress goes.
async fn bids_section(
    State(state): State<ConsoleState>,
    headers: HeaderMap,
    Path(dseq): Path<u64>,
    Query(q): Query<Started>,
) -> Response {
    if wallet::current(&state, &headers).is_none() {
        return wallet::not_signed_in();
    }
    let started = q.started.unwrap_or_else(unix_now);
    Html(format!(
        "<section id=\"bids-section\"><h2>Bids for deployment {dseq}</h2>\
         <div id=\"bids\" hx-get=\"/deploy/{dseq}/bids/table?started={started}\" \
         hx-trigger=\"load\" hx-swap=\"outerHTML\">Looking for bids…</div>\
         <div id=\"accept-result\"></div></section>"
    ))
    .into_response()
}

async fn bids_table(
    State(state): State<ConsoleState>,
    headers: HeaderMap,
    Path(dseq): Path<u64>,
    Query(q): Query<Started>,
) -> Response {
    render_bids(state, headers, dseq, q).await
}

#[derive(Deserialize)]
struct AcceptForm {
    provider: String,
    gseq: u32,
    oseq: u32,
    bseq: u32,
}

async fn accept(
    State(state): State<ConsoleState>,
    headers: HeaderMap,
    Path(dseq): Path<u64>,
    Form(f): Form<AcceptForm>,
) -> Response {
    let Some(account) = wallet::current(&state, &headers) else {
        return wallet::not_signed_in();
    };
    let msg = mv1b5::MsgCreateLease {
        bid_id: Some(mv1::BidId {
            owner: account.address.clone(),
            dseq,
            gseq: f.gseq,
            oseq: f.oseq,
            provider: f.provider.clone(),
            bseq: f.bseq,
        }),
    };
    let what = format!(
        "accept {}'s bid for group {} of deployment {dseq}",
        f.provider, f.gseq
    );
    wallet::submit(
        &state,
        &account,
        vec![to_any(&msg)],
        &what,
        &format!("/deploy/{dseq}/launch"),
    )
    .await
    .into_response()
}

// ---------------------------------------------------------------- manifest and progress

/// Sends the manifest to one provider, retrying while it has not seen the lease yet (404), is
/// unreachable or answers 5xx, for at most [`MANIFEST_WAIT`]; other refusals fail at once.
async fn send_manifest(
    client: &gateway::ProviderClient,
    dseq: u64,
    manifest: &[kumo_sdl::manifest::Group],
) -> Result<()> {
    let deadline = Instant::now() + MANIFEST_WAIT;
    let mut pause = Duration::from_secs(1);
    loop {
        let err = match client.send_manifest(dseq, manifest).await {
            Ok(()) => return Ok(()),
            Err(e) => e,
        };
        let retry = match err.downcast_ref::<GatewayError>() {
            Some(ge) => ge.status == 404 || ge.status >= 500,
            None => true,
        };
        if !retry {
            return Err(err).context(format!("provider {} refused the manifest", client.provider));
        }
        if Instant::now() + pause > deadline {
            return Err(err).context(format!(
                "provider {} did not take the manifest within {} s",
                client.provider,
                MANIFEST_WAIT.as_secs()
            ));
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_secs(8));
    }
}

async fn launch(
    State(state): State<ConsoleState>,
    headers: HeaderMap,
    Path(dseq): Path<u64>,
) -> Response {
    let Some(account) = wallet::current(&state, &headers) else {
        return wallet::not_signed_in();
    };
    // Stops the bid table's polling (out-of-band swap), whatever happens next.
    let stop_bids = "<div id=\"bids\" hx-swap-oob=\"true\"></div>";
    let st = state.clone();
    let acct = account.clone();
    let looked_up = blocking(move || {
        let rpc = st.rpc();
        let dep = own_deployment(&rpc, &acct.address, dseq)?;
        let leases = leases_of(&rpc, &acct.address, dseq)?;
        let leased: BTreeSet<u32> = leases
            .iter()
            .filter_map(|l| l.id.as_ref().map(|i| i.gseq))
            .collect();
        if leased.len() < dep.groups.len() {
            return Ok(None);
        }
        let path = sdl_path(&st, &acct.address, dseq);
        let text = std::fs::read_to_string(&path).with_context(|| {
            format!(
                "this console did not create deployment {dseq} (its SDL is not in {}); send \
                 the manifest with `kumo lease send-manifest FILE --dseq {dseq}`",
                path.display()
            )
        })?;
        let sdl = kumo_sdl::parse("deploy.yaml", &text).map_err(|e| anyhow::anyhow!("{e}"))?;
        let providers: BTreeSet<String> = leases
            .iter()
            .filter_map(|l| l.id.as_ref().map(|i| i.provider.clone()))
            .collect();
        let mut clients = Vec::new();
        for p in providers {
            clients.push(gateway::provider_client(&st, &acct, &p)?);
        }
        Ok(Some((sdl.manifest, clients)))
    })
    .await;
    let (manifest, clients) =
        match looked_up {
            Ok(Some(x)) => x,
            Ok(None) => return Html(
                "<div class=\"notice\">The lease is in place; another group still needs a bid. \
                 Accept one in the table above.</div>"
                    .to_string(),
            )
            .into_response(),
            Err(e) => {
                return Html(format!("{stop_bids}{}", error_fragment(&format!("{e:#}"))))
                    .into_response()
            }
        };
    for c in &clients {
        if let Err(e) = send_manifest(c, dseq, &manifest).await {
            return Html(format!(
                "{stop_bids}{}",
                error_fragment(&format!(
                    "{e:#}. The lease is active and paid from the deposit: once the provider \
                     answers, reload this step, or close the deployment on its page \
                     (/deployments/{dseq}) to stop paying."
                ))
            ))
            .into_response();
        }
    }
    Html(format!(
        "{stop_bids}<section id=\"launch\"><div class=\"notice\">✓ The manifest was accepted by \
         {} provider(s); the services are starting.</div>\
         <div id=\"progress\" hx-get=\"/deploy/{dseq}/progress?started={}\" \
         hx-trigger=\"load\" hx-swap=\"outerHTML\">Checking the services…</div></section>",
        clients.len(),
        unix_now()
    ))
    .into_response()
}

fn all_up(st: &LeaseStatus) -> bool {
    !st.services.is_empty()
        && st
            .services
            .values()
            .all(|s| s.total > 0 && s.available == s.total)
}

struct ServiceRow {
    lease: String,
    provider: String,
    name: String,
    available: u32,
    total: u32,
    uris: Vec<String>,
}

#[derive(askama::Template)]
#[template(path = "console/progress.html")]
struct Progress {
    dseq: u64,
    /// Seconds between polls.
    poll: u64,
    started: u64,
    running: bool,
    polling: bool,
    services: Vec<ServiceRow>,
    errors: Vec<String>,
    elapsed: u64,
}

async fn progress(
    State(state): State<ConsoleState>,
    headers: HeaderMap,
    Path(dseq): Path<u64>,
    Query(q): Query<Started>,
) -> Response {
    let Some(account) = wallet::current(&state, &headers) else {
        return wallet::not_signed_in();
    };
    let started = q.started.unwrap_or_else(unix_now);
    let st = state.clone();
    let acct = account.clone();
    let looked_up = blocking(move || {
        let rpc = st.rpc();
        own_deployment(&rpc, &acct.address, dseq)?;
        let leases = leases_of(&rpc, &acct.address, dseq)?;
        let mut out = Vec::new();
        for l in leases.into_iter().filter_map(|l| l.id) {
            let c = gateway::provider_client(&st, &acct, &l.provider);
            out.push((l, c));
        }
        Ok(out)
    })
    .await;
    let leases = match looked_up {
        Ok(l) => l,
        Err(e) => return Html(error_fragment(&format!("{e:#}"))).into_response(),
    };
    let mut services = Vec::new();
    let mut errors = Vec::new();
    let mut running = !leases.is_empty();
    for (l, c) in &leases {
        let lease = format!("{}/{}/{}", l.dseq, l.gseq, l.oseq);
        let status = match c {
            Ok(c) => c.lease_status(l).await,
            Err(e) => Err(anyhow::anyhow!("{e:#}")),
        };
        match status {
            Ok(s) => {
                running &= all_up(&s);
                for (name, svc) in &s.services {
                    services.push(ServiceRow {
                        lease: lease.clone(),
                        provider: l.provider.clone(),
                        name: name.clone(),
                        available: svc.available,
                        total: svc.total,
                        uris: svc
                            .uris
                            .iter()
                            .map(|u| {
                                if state.ingress_port == 80 {
                                    format!("http://{u}/")
                                } else {
                                    format!("http://{u}:{}/", state.ingress_port)
                                }
                            })
                            .collect(),
                    });
                }
                errors.extend(s.errors.iter().map(|e| format!("lease {lease}: {e}")));
            }
            Err(e) => {
                running = false;
                errors.push(format!(
                    "lease {lease}: the provider {} is not answering ({e:#}); the lease is still \
                     paid: wait, or close the deployment",
                    l.provider
                ));
            }
        }
    }
    let elapsed = unix_now().saturating_sub(started);
    web::html(
        StatusCode::OK,
        &Progress {
            dseq,
            poll: PROGRESS_POLL_SECS,
            started,
            running,
            polling: !running && elapsed < PROGRESS_WAIT_SECS,
            services,
            errors,
            elapsed,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_parses_and_has_a_price() {
        for t in TEMPLATES {
            let d = kumo_sdl::parse(t.id, t.sdl).unwrap_or_else(|e| panic!("{}: {e}", t.id));
            let n = needs(&d);
            assert!(n.millicpu > 0 && n.memory > 0, "{}: {n:?}", t.id);
            assert!(n.denom().is_some(), "{} has no price", t.id);
        }
        let gpu = TEMPLATES.iter().find(|t| t.id == "kumo-demo-gpu").unwrap();
        let n = needs(&kumo_sdl::parse("g", gpu.sdl).unwrap());
        assert_eq!(n.gpus, 1);
        assert_eq!(
            n.gpu_models.iter().cloned().collect::<Vec<_>>(),
            ["nvidia a100"]
        );
    }

    #[test]
    fn demo_needs_and_prices() {
        let demo = TEMPLATES.iter().find(|t| t.id == "kumo-demo").unwrap();
        let n = needs(&kumo_sdl::parse("d", demo.sdl).unwrap());
        assert_eq!(n.millicpu, 600);
        assert_eq!(n.memory, 192 << 20);
        assert_eq!(n.storage, 384 << 20);
        // 1000 + 500 uakt per block, in 18-decimal atomics.
        assert_eq!(n.ceiling["uakt"], 1500 * 10u128.pow(18));
        assert_eq!(n.monthly_text(), "657.00 AKT");
        assert_eq!(n.text(), "0.6 CPU · 192.0 MiB memory · 384.0 MiB storage");
    }

    #[test]
    fn deposits() {
        assert_eq!(parse_deposit("5").unwrap(), 5_000_000);
        assert_eq!(parse_deposit(" 0.5 ").unwrap(), 500_000);
        assert_eq!(parse_deposit(".25").unwrap(), 250_000);
        assert!(parse_deposit("0").is_err());
        assert!(parse_deposit("").is_err());
        assert!(parse_deposit("1.0000001")
            .unwrap_err()
            .to_string()
            .contains("6 decimals"));
        assert!(parse_deposit("5 AKT")
            .unwrap_err()
            .to_string()
            .contains("not a number"));
        assert!(parse_deposit("-1").is_err());
        assert!(parse_deposit(".").is_err());
    }

    #[test]
    fn gpu_model_names() {
        assert_eq!(
            gpu_model("vendor/nvidia/model/h100").as_deref(),
            Some("nvidia h100")
        );
        assert_eq!(
            gpu_model("vendor/nvidia/model/*").as_deref(),
            Some("nvidia (any model)")
        );
        assert_eq!(gpu_model("region"), None);
    }

    #[test]
    fn token_text() {
        assert_eq!(tokens(1_500_000, "uakt"), "1.5 AKT");
        assert_eq!(tokens(2_000_000, "uact"), "2 ACT");
    }
}
