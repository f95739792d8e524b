//! The console's "manage" half: the signed-in account's deployments (list with filter, search
//! and paging), one deployment (groups, leases with prices, escrow balance and time left, add
//! funds, update the SDL, close), a lease's page (status, live logs, events, shell; the
//! websockets are in [`super::shell`]) and the providers page.
//!
//! Every page and action reads the chain filtered by the signed-in owner
//! ([`super::leases`]), so another account's deployment is "not found" (404) and its data never
//! reaches the page. Actions sign through [`super::wallet::submit`]; once their transaction is
//! in a block, the `done` route answers a notice and an `HX-Trigger: kumo-refresh` header that
//! makes the page reload its summary.

use std::path::PathBuf;
use std::time::Duration;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use kumo_client::tx::to_any;
use kumo_client::{Coin, RpcClient};
use kumo_proto::akash::base::deposit::v1::{Deposit, Source};
use kumo_proto::akash::deployment::v1 as dv1;
use kumo_proto::akash::deployment::v1beta4 as dv1b4;
use kumo_proto::akash::escrow::id::v1 as escrow_id;
use kumo_proto::akash::escrow::v1::MsgAccountDeposit;
use kumo_proto::akash::market::v1 as mv1;
use kumo_proto::akash::provider::v1beta4 as pv1b4;
use serde::Deserialize;

use super::gateway::{self, GatewayError, LeaseStatus};
use super::leases::{self, DeploymentDetail, DeploymentRow, LeaseRow, StateFilter, PAGE_SIZE};
use super::providers::{self, ProvidersView};
use super::wallet::{self, error_fragment, Account};
use super::{blocking, esc, ConsoleState};
use crate::web::{self, Nav};

/// How long a provider gets to answer a status or manifest request from a page.
pub const PROVIDER_WAIT: Duration = Duration::from_secs(10);

pub fn routes() -> Router<ConsoleState> {
    Router::new()
        .route("/deployments", get(list_page))
        .route("/deployments/{dseq}", get(deployment_page))
        .route("/deployments/{dseq}/summary", get(summary_fragment))
        .route("/deployments/{dseq}/deposit", post(deposit_action))
        .route("/deployments/{dseq}/update", post(update_action))
        .route("/deployments/{dseq}/close", post(close_action))
        .route("/deployments/{dseq}/done/{action}", get(done_fragment))
        .route("/deployments/{dseq}/manifest", post(manifest_action))
        .route(
            "/deployments/{dseq}/leases/{gseq}/{oseq}/{provider}",
            get(lease_page),
        )
        .route(
            "/deployments/{dseq}/leases/{gseq}/{oseq}/{provider}/status",
            get(status_fragment),
        )
        .route(
            "/deployments/{dseq}/leases/{gseq}/{oseq}/{provider}/logs",
            get(super::shell::logs_ws),
        )
        .route(
            "/deployments/{dseq}/leases/{gseq}/{oseq}/{provider}/events",
            get(super::shell::events_ws),
        )
        .route(
            "/deployments/{dseq}/leases/{gseq}/{oseq}/{provider}/shell",
            get(super::shell::shell_ws),
        )
        .route("/providers", get(providers_page))
}

// ---------------------------------------------------------------- helpers

/// A page for a visitor who is not signed in (401).
fn sign_in_page(state: &ConsoleState, current: &str) -> Response {
    web::error_page(
        StatusCode::UNAUTHORIZED,
        &state.nav(current, None),
        "Sign in first",
        "This page shows the deployments of the signed-in account. Sign in on the wallet page \
         (a local key or Keplr/Leap), then come back.",
    )
}

fn not_found_page(state: &ConsoleState, account: &Account, dseq: u64) -> Response {
    web::error_page(
        StatusCode::NOT_FOUND,
        &state.nav("/deployments", Some(account)),
        "No such deployment",
        &format!(
            "Your account {} has no deployment {dseq}. A deployment of another account is not \
             shown here; sign in with that account to manage it.",
            account.address
        ),
    )
}

fn node_error_page(state: &ConsoleState, account: Option<&Account>, e: &anyhow::Error) -> Response {
    web::error_page(
        StatusCode::BAD_GATEWAY,
        &state.nav("/deployments", account),
        "The node did not answer",
        &format!(
            "The console could not read the chain from the node at {} ({e:#}). Check that the \
             node is running, then reload.",
            state.node
        ),
    )
}

/// A fragment with a status code (htmx swaps 4xx/5xx only when told to; the forms say so).
fn fragment(status: StatusCode, body: String) -> Response {
    (status, Html(body)).into_response()
}

/// The deployment, or the response that says why not (not signed in, not found, node down).
/// Why the signed-in account's deployment could not be loaded.
enum NotOwned {
    SignedOut,
    Missing(Account),
    Node(Option<Account>, anyhow::Error),
}

async fn load_owned(
    state: &ConsoleState,
    headers: &HeaderMap,
    dseq: u64,
) -> Result<(Account, DeploymentDetail), NotOwned> {
    let Some(account) = wallet::current(state, headers) else {
        return Err(NotOwned::SignedOut);
    };
    let st = state.clone();
    let owner = account.address.clone();
    match blocking(move || leases::load(&st.rpc(), &owner, dseq)).await {
        Ok(Some(d)) => Ok((account, d)),
        Ok(None) => Err(NotOwned::Missing(account)),
        Err(e) => Err(NotOwned::Node(Some(account), e)),
    }
}

/// The signed-in account's deployment for a page, or the page saying why not.
async fn owned_deployment(
    state: &ConsoleState,
    headers: &HeaderMap,
    dseq: u64,
) -> Result<(Account, DeploymentDetail), Response> {
    load_owned(state, headers, dseq).await.map_err(|e| match e {
        NotOwned::SignedOut => sign_in_page(state, "/deployments"),
        NotOwned::Missing(account) => not_found_page(state, &account, dseq),
        NotOwned::Node(account, e) => node_error_page(state, account.as_ref(), &e),
    })
}

/// The same for an action's fragment; `closed`: what to say when the deployment is closed
/// (`None`: a closed one is fine).
async fn owned_for_action(
    state: &ConsoleState,
    headers: &HeaderMap,
    dseq: u64,
    closed: Option<&str>,
) -> Result<(Account, DeploymentDetail), Response> {
    let (account, d) = load_owned(state, headers, dseq)
        .await
        .map_err(|e| match e {
            NotOwned::SignedOut => wallet::not_signed_in(),
            NotOwned::Missing(_) => fragment(
                StatusCode::NOT_FOUND,
                error_fragment(&format!("your account has no deployment {dseq}")),
            ),
            NotOwned::Node(_, e) => fragment(
                StatusCode::BAD_GATEWAY,
                error_fragment(&format!(
                    "the node at {} did not answer ({e:#}); check that it runs, then try again",
                    state.node
                )),
            ),
        })?;
    match closed {
        Some(why) if !d.active => Err(fragment(
            StatusCode::CONFLICT,
            error_fragment(&format!("deployment {dseq} {why}")),
        )),
        _ => Ok((account, d)),
    }
}

/// The provider's host URI from chain, for messages ("the provider at HOST …").
pub fn provider_host(chain: &RpcClient, provider: &str) -> String {
    chain
        .query_proto::<_, pv1b4::QueryProviderResponse>(
            "/akash.provider.v1beta4.Query/Provider",
            &pv1b4::QueryProviderRequest {
                owner: provider.to_string(),
            },
        )
        .ok()
        .and_then(|r| r.provider)
        .map(|p| p.host_uri)
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| provider.to_string())
}

/// What a failed call to a provider's gateway means for the tenant, in words: an answer is
/// quoted; no answer means the provider is down while the lease is still paid.
pub fn gateway_words(host: &str, e: &anyhow::Error) -> String {
    match e.downcast_ref::<GatewayError>() {
        Some(g) => format!(
            "the provider at {host} answered {}: {}",
            g.status, g.message
        ),
        None => format!(
            "the provider at {host} is not answering ({e:#}); your lease is still paid — close \
             it or wait"
        ),
    }
}

/// `HOME/console/sdl/<owner>/<dseq>.yaml`: the SDL whose manifest the deployment's providers
/// run (written by the deploy flow and by an update once its version is on chain).
pub fn sdl_file(state: &ConsoleState, owner: &str, dseq: u64) -> PathBuf {
    state
        .data_dir
        .join("sdl")
        .join(owner)
        .join(format!("{dseq}.yaml"))
}

/// An update's SDL between signing and its version being on chain.
fn next_sdl_file(state: &ConsoleState, owner: &str, dseq: u64) -> PathBuf {
    sdl_file(state, owner, dseq).with_extension("next.yaml")
}

// ---------------------------------------------------------------- deployments list

#[derive(Deserialize, Default)]
struct ListQuery {
    #[serde(default)]
    state: Option<String>,
    #[serde(default)]
    dseq: Option<String>,
    #[serde(default)]
    page: Option<usize>,
}

/// A list row with its figures as text.
struct ListRow {
    dseq: u64,
    state: String,
    active_leases: usize,
    balance: String,
    time_left: String,
    low: bool,
    created: String,
}

impl From<DeploymentRow> for ListRow {
    fn from(r: DeploymentRow) -> ListRow {
        ListRow {
            dseq: r.dseq,
            state: r.state,
            active_leases: r.active_leases,
            balance: r
                .escrow
                .as_ref()
                .map_or_else(|| "—".into(), |e| e.balance_text()),
            time_left: r
                .escrow
                .as_ref()
                .map_or_else(|| "— (no escrow account)".into(), |e| e.time_left_text()),
            low: r.escrow.as_ref().is_some_and(|e| e.low()),
            created: format!(
                "block {}",
                web::fmt::thousands(r.created_height.max(0) as u128)
            ),
        }
    }
}

#[derive(askama::Template)]
#[template(path = "console/deployments.html")]
struct ListPage {
    nav: Nav,
    address: String,
    filter: &'static str,
    search: String,
    rows: Vec<ListRow>,
    total: usize,
    page: usize,
    pages: usize,
    height: u64,
    error: Option<String>,
}

impl ListPage {
    /// The list URL with this filter and search on page `page`.
    fn link(&self, state: &str, page: usize) -> String {
        let mut u = format!("/deployments?state={state}");
        if !self.search.is_empty() {
            u.push_str(&format!("&dseq={}", self.search));
        }
        if page > 0 {
            u.push_str(&format!("&page={page}"));
        }
        u
    }
}

async fn list_page(
    State(state): State<ConsoleState>,
    headers: HeaderMap,
    Query(q): Query<ListQuery>,
) -> Response {
    let Some(account) = wallet::current(&state, &headers) else {
        return sign_in_page(&state, "/deployments");
    };
    let nav = state.nav("/deployments", Some(&account));
    let filter = match StateFilter::parse(q.state.as_deref()) {
        Ok(f) => f,
        Err(e) => return web::error_page(StatusCode::BAD_REQUEST, &nav, "Bad filter", &e),
    };
    let search = q.dseq.unwrap_or_default().trim().to_string();
    let dseq = if search.is_empty() {
        None
    } else {
        match search.parse::<u64>() {
            Ok(d) if d > 0 => Some(d),
            _ => {
                return web::error_page(
                    StatusCode::BAD_REQUEST,
                    &nav,
                    "Bad search",
                    &format!(
                        "{search:?} is not a deployment sequence number (dseq): search with the \
                         whole number, e.g. 1234"
                    ),
                )
            }
        }
    };
    let page = q.page.unwrap_or(0);
    let st = state.clone();
    let owner = account.address.clone();
    let listed = blocking(move || leases::list(&st.rpc(), &owner, filter, dseq, page)).await;
    let (rows, total, height, error) = match listed {
        Ok(p) => (
            p.rows.into_iter().map(ListRow::from).collect(),
            p.total,
            p.height,
            None,
        ),
        Err(e) => (
            Vec::new(),
            0,
            0,
            Some(format!(
                "the node at {} did not answer ({e:#}); check that it is running, then reload",
                state.node
            )),
        ),
    };
    web::html(
        if error.is_some() {
            StatusCode::BAD_GATEWAY
        } else {
            StatusCode::OK
        },
        &ListPage {
            nav,
            address: account.address.clone(),
            filter: filter.as_str(),
            search,
            rows,
            total,
            page,
            pages: total.div_ceil(PAGE_SIZE).max(1),
            height,
            error,
        },
    )
}

// ---------------------------------------------------------------- one deployment

/// A lease row with the provider's host, for the page.
struct LeaseLine {
    lease: LeaseRow,
    host: String,
}

#[derive(askama::Template)]
#[template(path = "console/deployment_summary.html")]
struct Summary {
    d: DeploymentDetail,
    leases: Vec<LeaseLine>,
    balance: String,
    balance_note: &'static str,
    hours_left: String,
    blocks_left: String,
    rate_hour: String,
    rate_month: String,
    low: bool,
}

impl Summary {
    fn of(chain: &RpcClient, d: DeploymentDetail) -> Summary {
        let leases = d
            .leases
            .iter()
            .map(|l| LeaseLine {
                host: provider_host(chain, &l.id.provider),
                lease: l.clone(),
            })
            .collect();
        let ((balance, balance_note), (hours_left, blocks_left), rate_hour, rate_month, low) =
            match &d.escrow {
                Some(e) => (
                    (e.balance_text(), e.balance_note()),
                    (e.hours_text(), e.blocks_text()),
                    kumo_client::price::hourly_price(e.rate_atomics, &e.denom),
                    kumo_client::price::monthly_price(e.rate_atomics, &e.denom),
                    e.low(),
                ),
                None => (
                    ("—".into(), "no escrow account found"),
                    ("—".into(), String::new()),
                    "—".into(),
                    "—".into(),
                    false,
                ),
            };
        Summary {
            d,
            leases,
            balance,
            balance_note,
            hours_left,
            blocks_left,
            rate_hour,
            rate_month,
            low,
        }
    }
}

#[derive(askama::Template)]
#[template(path = "console/deployment.html")]
struct DeploymentPage {
    nav: Nav,
    summary: Summary,
    /// The SDL the providers run, if this console made or updated the deployment.
    sdl: String,
    denom_unit: String,
}

async fn deployment_page(
    State(state): State<ConsoleState>,
    headers: HeaderMap,
    Path(dseq): Path<u64>,
) -> Response {
    let (account, d) = match owned_deployment(&state, &headers, dseq).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let st = state.clone();
    let owner = account.address.clone();
    let denom_unit = d.escrow.as_ref().map_or_else(
        || "AKT".into(),
        |e| kumo_client::price::display_unit(&e.denom),
    );
    let (summary, sdl) = match blocking(move || {
        let sdl = std::fs::read_to_string(sdl_file(&st, &owner, dseq)).unwrap_or_default();
        Ok((Summary::of(&st.rpc(), d), sdl))
    })
    .await
    {
        Ok(x) => x,
        Err(e) => return node_error_page(&state, Some(&account), &e),
    };
    web::html(
        StatusCode::OK,
        &DeploymentPage {
            nav: state.nav("/deployments", Some(&account)),
            summary,
            sdl,
            denom_unit,
        },
    )
}

async fn summary_fragment(
    State(state): State<ConsoleState>,
    headers: HeaderMap,
    Path(dseq): Path<u64>,
) -> Response {
    let Some(account) = wallet::current(&state, &headers) else {
        return wallet::not_signed_in();
    };
    let st = state.clone();
    let owner = account.address.clone();
    let loaded = blocking(move || {
        let chain = st.rpc();
        Ok(leases::load(&chain, &owner, dseq)?.map(|d| Summary::of(&chain, d)))
    })
    .await;
    match loaded {
        Ok(Some(s)) => web::html(StatusCode::OK, &s),
        Ok(None) => fragment(
            StatusCode::NOT_FOUND,
            error_fragment(&format!("your account has no deployment {dseq}")),
        ),
        Err(e) => fragment(
            StatusCode::BAD_GATEWAY,
            error_fragment(&format!("the node did not answer ({e:#}); reload the page")),
        ),
    }
}

// ---------------------------------------------------------------- actions

/// `"1.5"` whole tokens → micro units (`1500000`), at most six decimals, more than zero.
pub fn micro_amount(text: &str) -> Result<u128, String> {
    let t = text.trim();
    let bad = || format!("{t:?} is not an amount: write the number of tokens, e.g. 5 or 0.5");
    if t.is_empty() {
        return Err("write how many tokens to add, e.g. 5".into());
    }
    let (int, frac) = t.split_once('.').unwrap_or((t, ""));
    if (int.is_empty() && frac.is_empty())
        || !int.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(bad());
    }
    if frac.len() > 6 {
        return Err(format!(
            "{t:?} has more than six decimals; the smallest amount is 0.000001 (one micro unit)"
        ));
    }
    let int: u128 = if int.is_empty() {
        0
    } else {
        int.parse().map_err(|_| bad())?
    };
    let frac_micro: u128 = format!("{frac:0<6}").parse().map_err(|_| bad())?;
    let micro = int
        .checked_mul(1_000_000)
        .and_then(|v| v.checked_add(frac_micro))
        .ok_or_else(|| format!("{t:?} is too large"))?;
    if micro == 0 {
        return Err("the amount must be more than zero".into());
    }
    Ok(micro)
}

#[derive(Deserialize)]
struct DepositForm {
    amount: String,
}

async fn deposit_action(
    State(state): State<ConsoleState>,
    headers: HeaderMap,
    Path(dseq): Path<u64>,
    Form(f): Form<DepositForm>,
) -> Response {
    let (account, d) = match owned_for_action(
        &state,
        &headers,
        dseq,
        Some("is closed; funds cannot be added to it. Deploy again instead."),
    )
    .await
    {
        Ok(x) => x,
        Err(r) => return r,
    };
    let micro = match micro_amount(&f.amount) {
        Ok(m) => m,
        Err(e) => return fragment(StatusCode::BAD_REQUEST, error_fragment(&e)),
    };
    let denom = d
        .escrow
        .as_ref()
        .map_or_else(|| "uakt".to_string(), |e| e.denom.clone());
    let msg = MsgAccountDeposit {
        signer: account.address.clone(),
        id: Some(escrow_id::Account {
            scope: escrow_id::Scope::Deployment as i32,
            xid: format!("{}/{dseq}", account.address),
        }),
        deposit: Some(Deposit {
            amount: Some(Coin {
                denom: denom.clone(),
                amount: micro.to_string(),
            }),
            sources: vec![Source::Balance as i32],
        }),
    };
    let what = format!(
        "add {} {} to deployment {dseq}",
        f.amount.trim(),
        kumo_client::price::display_unit(&denom)
    );
    wallet::submit(
        &state,
        &account,
        vec![to_any(&msg)],
        &what,
        &format!("/deployments/{dseq}/done/deposit"),
    )
    .await
    .into_response()
}

#[derive(Deserialize)]
struct UpdateForm {
    sdl: String,
}

/// A group spec without its price ceiling: what a deployment update may not change.
fn fixed_part(g: &dv1b4::GroupSpec) -> dv1b4::GroupSpec {
    let mut g = g.clone();
    for r in &mut g.resources {
        r.price = None;
    }
    g
}

async fn update_action(
    State(state): State<ConsoleState>,
    headers: HeaderMap,
    Path(dseq): Path<u64>,
    Form(f): Form<UpdateForm>,
) -> Response {
    let (account, d) = match owned_for_action(
        &state,
        &headers,
        dseq,
        Some("is closed; it cannot be updated"),
    )
    .await
    {
        Ok(x) => x,
        Err(r) => return r,
    };
    let sdl = match kumo_sdl::parse("deploy.yaml", &f.sdl) {
        Ok(s) => s,
        Err(e) => {
            return fragment(
                StatusCode::BAD_REQUEST,
                error_fragment(&format!(
                    "the SDL is not valid: {e}; your text is kept above"
                )),
            )
        }
    };
    // The chain keeps the groups; only the manifest (images, env, commands, ports) may change.
    let st = state.clone();
    let owner = account.address.clone();
    let on_chain = blocking(move || {
        let r: dv1b4::QueryDeploymentResponse = st.rpc().query_proto(
            "/akash.deployment.v1beta4.Query/Deployment",
            &dv1b4::QueryDeploymentRequest {
                id: Some(dv1::DeploymentId { owner, dseq }),
            },
        )?;
        Ok(r.groups
            .into_iter()
            .filter_map(|g| g.group_spec)
            .collect::<Vec<_>>())
    })
    .await;
    let on_chain = match on_chain {
        Ok(g) => g,
        Err(e) => {
            return fragment(
                StatusCode::BAD_GATEWAY,
                error_fragment(&format!("the node did not answer ({e:#}); try again")),
            )
        }
    };
    let same = on_chain.len() == sdl.groups.len()
        && on_chain
            .iter()
            .zip(&sdl.groups)
            .all(|(a, b)| fixed_part(a) == fixed_part(b));
    if !same {
        return fragment(
            StatusCode::BAD_REQUEST,
            error_fragment(&format!(
                "this SDL changes the groups of deployment {dseq} (their resources, counts or \
                 placement); an update may change only images, commands, environment and ports. \
                 Close this deployment and deploy the new SDL instead."
            )),
        );
    }
    if sdl.manifest_version.as_slice() == hex_decode(&d.version).as_slice() {
        return fragment(
            StatusCode::BAD_REQUEST,
            error_fragment(
                "this SDL is the version the deployment already runs; change it before updating",
            ),
        );
    }
    // Kept until the new version is on chain; the done step sends its manifest.
    let next = next_sdl_file(&state, &account.address, dseq);
    let text = f.sdl.clone();
    if let Err(e) = blocking(move || {
        if let Some(dir) = next.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(&next, text)?;
        Ok(())
    })
    .await
    {
        return fragment(
            StatusCode::INTERNAL_SERVER_ERROR,
            error_fragment(&format!("the console cannot keep the SDL: {e:#}")),
        );
    }
    let msg = dv1b4::MsgUpdateDeployment {
        id: Some(dv1::DeploymentId {
            owner: account.address.clone(),
            dseq,
        }),
        hash: sdl.manifest_version.to_vec(),
    };
    wallet::submit(
        &state,
        &account,
        vec![to_any(&msg)],
        &format!("update deployment {dseq} to a new SDL version"),
        &format!("/deployments/{dseq}/done/update"),
    )
    .await
    .into_response()
}

fn hex_decode(s: &str) -> Vec<u8> {
    (0..s.len() / 2)
        .filter_map(|i| u8::from_str_radix(s.get(2 * i..2 * i + 2)?, 16).ok())
        .collect()
}

async fn close_action(
    State(state): State<ConsoleState>,
    headers: HeaderMap,
    Path(dseq): Path<u64>,
) -> Response {
    let (account, _) =
        match owned_for_action(&state, &headers, dseq, Some("is already closed")).await {
            Ok(x) => x,
            Err(r) => return r,
        };
    let msg = dv1b4::MsgCloseDeployment {
        id: Some(dv1::DeploymentId {
            owner: account.address.clone(),
            dseq,
        }),
    };
    wallet::submit(
        &state,
        &account,
        vec![to_any(&msg)],
        &format!("close deployment {dseq}"),
        &format!("/deployments/{dseq}/done/close"),
    )
    .await
    .into_response()
}

/// A fragment that also makes the page reload its summary.
fn refreshing(body: String) -> Response {
    let mut r = Html(body).into_response();
    r.headers_mut()
        .insert("HX-Trigger", HeaderValue::from_static("kumo-refresh"));
    r
}

/// The step after an action's transaction is in a block.
async fn done_fragment(
    State(state): State<ConsoleState>,
    headers: HeaderMap,
    Path((dseq, action)): Path<(u64, String)>,
) -> Response {
    let (account, d) = match owned_for_action(&state, &headers, dseq, None).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    match action.as_str() {
        "deposit" => refreshing(format!(
            "<div class=\"notice\" id=\"deposit-done\">Funds added. The escrow balance is now \
             <b>{}</b>; time left {}.</div>",
            esc(&d
                .escrow
                .as_ref()
                .map_or_else(|| "—".into(), |e| e.balance_text())),
            esc(&d
                .escrow
                .as_ref()
                .map_or_else(|| "—".into(), |e| e.time_left_text())),
        )),
        // The actions go too (an out-of-band swap): a closed deployment has none.
        "close" => refreshing(format!(
            "<div class=\"notice\" id=\"close-done\">Deployment {dseq} is {}. Its leases ended \
             and what was left in the escrow went back to your account.</div>\
             <div id=\"actions\" hx-swap-oob=\"true\"></div>",
            esc(&d.state)
        )),
        "update" => {
            let body = send_manifest(&state, &account, &d, true).await;
            refreshing(body)
        }
        other => fragment(
            StatusCode::NOT_FOUND,
            error_fragment(&format!("no step {other:?} after an action")),
        ),
    }
}

/// `POST /deployments/{dseq}/manifest`: sends the stored SDL's manifest again (after a
/// provider was down).
async fn manifest_action(
    State(state): State<ConsoleState>,
    headers: HeaderMap,
    Path(dseq): Path<u64>,
) -> Response {
    let (account, d) = match owned_for_action(&state, &headers, dseq, None).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    Html(send_manifest(&state, &account, &d, false).await).into_response()
}

/// Sends the manifest of the SDL whose version is on chain to every active lease's provider;
/// the fragment says who took it and what to do about who did not. `after_update`: the SDL is
/// the update's, kept aside until now.
async fn send_manifest(
    state: &ConsoleState,
    account: &Account,
    d: &DeploymentDetail,
    after_update: bool,
) -> String {
    let dseq = d.dseq;
    let current = sdl_file(state, &account.address, dseq);
    let next = next_sdl_file(state, &account.address, dseq);
    let version = d.version.clone();
    let files = blocking(move || {
        // The stored SDL whose manifest version is the one on chain.
        for path in [next.clone(), current.clone()] {
            let Ok(text) = std::fs::read_to_string(&path) else {
                continue;
            };
            let Ok(sdl) = kumo_sdl::parse("deploy.yaml", &text) else {
                continue;
            };
            if hex_string(&sdl.manifest_version) == version {
                if path == next {
                    std::fs::rename(&next, &current)?;
                }
                return Ok(Some(sdl));
            }
        }
        Ok(None)
    })
    .await;
    let sdl = match files {
        Ok(Some(s)) => s,
        Ok(None) => {
            return error_fragment(&format!(
                "this console has no SDL whose version matches the one on chain ({}); send the \
                 manifest with `kumo lease send-manifest FILE --dseq {dseq} --from KEY`",
                d.version
            ))
        }
        Err(e) => return error_fragment(&format!("the console cannot read the SDL: {e:#}")),
    };
    let providers: std::collections::BTreeSet<String> = d
        .leases
        .iter()
        .filter(|l| l.active)
        .map(|l| l.id.provider.clone())
        .collect();
    if providers.is_empty() {
        return "<div class=\"notice\">The new version is on chain. The deployment has no active \
                lease, so there is no provider to send the manifest to.</div>"
            .to_string();
    }
    let mut lines = Vec::new();
    let mut failed = false;
    for p in providers {
        let st = state.clone();
        let acct = account.clone();
        let pp = p.clone();
        let client = blocking(move || {
            let host = provider_host(&st.rpc(), &pp);
            Ok((gateway::provider_client(&st, &acct, &pp), host))
        })
        .await;
        let (client, host) = match client {
            Ok((Ok(c), host)) => (c, host),
            Ok((Err(e), _)) | Err(e) => {
                failed = true;
                lines.push(format!(
                    "<li class=\"error\">{}</li>",
                    esc(&format!("{e:#}"))
                ));
                continue;
            }
        };
        let sent = tokio::time::timeout(PROVIDER_WAIT, client.send_manifest(dseq, &sdl.manifest))
            .await
            .unwrap_or_else(|_| {
                Err(anyhow::anyhow!(
                    "no answer within {} s",
                    PROVIDER_WAIT.as_secs()
                ))
            });
        match sent {
            Ok(()) => lines.push(format!(
                "<li>manifest accepted by the provider at {}</li>",
                esc(&host)
            )),
            Err(e) => {
                failed = true;
                lines.push(format!(
                    "<li class=\"error\">{}</li>",
                    esc(&gateway_words(&host, &e))
                ));
            }
        }
    }
    let head = if after_update {
        "The new version is on chain."
    } else {
        "Manifest sent."
    };
    let retry = if failed {
        format!(
            "<form hx-post=\"/deployments/{dseq}/manifest\" hx-target=\"#action-result\" \
             hx-swap=\"innerHTML\"><button class=\"secondary\" type=\"submit\">Send the manifest \
             again</button></form>"
        )
    } else {
        String::new()
    };
    format!(
        "<div class=\"notice\" id=\"manifest-result\">{head}<ul>{}</ul>{retry}</div>",
        lines.join("")
    )
}

fn hex_string(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

// ---------------------------------------------------------------- a lease

/// The signed-in owner's lease, checked on chain, with what the lease page and websockets need.
#[derive(Clone)]
pub struct OwnedLease {
    pub account: Account,
    pub lease: mv1::LeaseId,
    pub row: LeaseRow,
    pub host: String,
}

/// The lease `(dseq, gseq, oseq, provider)` of the signed-in account, or the HTTP answer that
/// says why not: 401 (not signed in), 404 (not a lease of this account), 502 (node down).
pub async fn owned_lease(
    state: &ConsoleState,
    headers: &HeaderMap,
    (dseq, gseq, oseq, provider): (u64, u32, u32, String),
) -> Result<OwnedLease, Response> {
    let Some(account) = wallet::current(state, headers) else {
        return Err(wallet::not_signed_in());
    };
    let st = state.clone();
    let owner = account.address.clone();
    let found = blocking(move || {
        let chain = st.rpc();
        let row = leases::find_lease(&chain, &owner, dseq, gseq, oseq, &provider)?;
        Ok(row.map(|r| (provider_host(&chain, &r.id.provider), r)))
    })
    .await;
    match found {
        Ok(Some((host, row))) => Ok(OwnedLease {
            account,
            lease: row.id.clone(),
            row,
            host,
        }),
        Ok(None) => Err(fragment(
            StatusCode::NOT_FOUND,
            error_fragment(&format!(
                "your account has no lease {dseq}/{gseq}/{oseq} with that provider"
            )),
        )),
        Err(e) => Err(fragment(
            StatusCode::BAD_GATEWAY,
            error_fragment(&format!("the node did not answer ({e:#}); reload the page")),
        )),
    }
}

#[derive(askama::Template)]
#[template(path = "console/lease.html")]
struct LeasePage {
    nav: Nav,
    l: OwnedLease,
    base: String,
    services: Vec<String>,
}

async fn lease_page(
    State(state): State<ConsoleState>,
    headers: HeaderMap,
    Path(id): Path<(u64, u32, u32, String)>,
) -> Response {
    let Some(account) = wallet::current(&state, &headers) else {
        return sign_in_page(&state, "/deployments");
    };
    let dseq = id.0;
    let l = match owned_lease(&state, &headers, id).await {
        Ok(l) => l,
        Err(r) if r.status() == StatusCode::NOT_FOUND => {
            return web::error_page(
                StatusCode::NOT_FOUND,
                &state.nav("/deployments", Some(&account)),
                "No such lease",
                &format!(
                    "Your account {} has no such lease of deployment {dseq}. Another account's \
                     lease is not shown here.",
                    account.address
                ),
            )
        }
        Err(r) => return r,
    };
    // Service names for the shell and log filters, if the provider answers quickly.
    let services = if l.row.active {
        lease_status(&state, &l, Duration::from_secs(3))
            .await
            .map(|s| s.services.keys().cloned().collect())
            .unwrap_or_default()
    } else {
        Vec::new()
    };
    web::html(
        StatusCode::OK,
        &LeasePage {
            nav: state.nav("/deployments", Some(&account)),
            base: l.row.path(),
            l,
            services,
        },
    )
}

/// The lease's status from its provider, or the words for why not.
async fn lease_status(
    state: &ConsoleState,
    l: &OwnedLease,
    wait: Duration,
) -> Result<LeaseStatus, String> {
    let st = state.clone();
    let acct = l.account.clone();
    let provider = l.lease.provider.clone();
    let client = blocking(move || gateway::provider_client(&st, &acct, &provider))
        .await
        .map_err(|e| format!("{e:#}"))?;
    match tokio::time::timeout(wait, client.lease_status(&l.lease)).await {
        Ok(Ok(s)) => Ok(s),
        Ok(Err(e)) => Err(gateway_words(&l.host, &e)),
        Err(_) => Err(gateway_words(
            &l.host,
            &anyhow::anyhow!("no answer within {} s", wait.as_secs()),
        )),
    }
}

/// A service of the status panel, with its URIs as links.
struct ServiceLine {
    name: String,
    available: u32,
    total: u32,
    up: bool,
    links: Vec<(String, String)>,
}

#[derive(askama::Template)]
#[template(path = "console/lease_status.html")]
struct StatusPanel {
    services: Vec<ServiceLine>,
    ports: Vec<String>,
    errors: Vec<String>,
}

async fn status_fragment(
    State(state): State<ConsoleState>,
    headers: HeaderMap,
    Path(id): Path<(u64, u32, u32, String)>,
) -> Response {
    let l = match owned_lease(&state, &headers, id).await {
        Ok(l) => l,
        Err(r) => return r,
    };
    if !l.row.active {
        return Html(format!(
            "<p class=\"notice\">This lease is {}: the provider no longer runs it.</p>",
            esc(&l.row.state)
        ))
        .into_response();
    }
    match lease_status(&state, &l, PROVIDER_WAIT).await {
        Ok(s) => {
            let port = state.ingress_port;
            let services = s
                .services
                .values()
                .map(|svc| ServiceLine {
                    name: svc.name.clone(),
                    available: svc.available,
                    total: svc.total,
                    up: svc.total > 0 && svc.available == svc.total,
                    links: svc
                        .uris
                        .iter()
                        .map(|u| {
                            let href = if port == 80 {
                                format!("http://{u}/")
                            } else {
                                format!("http://{u}:{port}/")
                            };
                            (href, u.clone())
                        })
                        .collect(),
                })
                .collect();
            let ports = s
                .forwarded_ports
                .iter()
                .flat_map(|(svc, ps)| {
                    ps.iter().map(move |p| {
                        format!(
                            "{svc}: port {} → {}:{} ({})",
                            p.port, p.host, p.external_port, p.proto
                        )
                    })
                })
                .collect();
            web::html(
                StatusCode::OK,
                &StatusPanel {
                    services,
                    ports,
                    errors: s.errors,
                },
            )
        }
        Err(words) => fragment(StatusCode::OK, error_fragment(&words)),
    }
}

// ---------------------------------------------------------------- providers

#[derive(askama::Template)]
#[template(path = "console/providers.html")]
struct ProvidersPage {
    nav: Nav,
    view: ProvidersView,
    stats_url: String,
    error: Option<String>,
}

async fn providers_page(State(state): State<ConsoleState>, headers: HeaderMap) -> Response {
    let account = wallet::current(&state, &headers);
    let st = state.clone();
    let loaded = blocking(move || providers::load(&st.rpc(), &st.stats_url)).await;
    let (view, error) = match loaded {
        Ok(v) => (v, None),
        Err(e) => (
            ProvidersView {
                rows: Vec::new(),
                stats_note: None,
            },
            Some(format!(
                "the node at {} did not answer ({e:#}); check that it is running, then reload",
                state.node
            )),
        ),
    };
    web::html(
        if error.is_some() {
            StatusCode::BAD_GATEWAY
        } else {
            StatusCode::OK
        },
        &ProvidersPage {
            nav: state.nav("/providers", account.as_ref()),
            view,
            stats_url: state.stats_url.clone(),
            error,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_in_whole_tokens() {
        assert_eq!(micro_amount("5"), Ok(5_000_000));
        assert_eq!(micro_amount(" 0.5 "), Ok(500_000));
        assert_eq!(micro_amount(".25"), Ok(250_000));
        assert_eq!(micro_amount("1.000001"), Ok(1_000_001));
        assert!(micro_amount("").unwrap_err().contains("how many"));
        assert!(micro_amount("0").unwrap_err().contains("more than zero"));
        assert!(micro_amount("1.0000001")
            .unwrap_err()
            .contains("six decimals"));
        assert!(micro_amount("5uakt").unwrap_err().contains("not an amount"));
        assert!(micro_amount("-1").unwrap_err().contains("not an amount"));
        assert!(micro_amount(".").unwrap_err().contains("not an amount"));
        assert!(micro_amount("999999999999999999999999999999999999")
            .unwrap_err()
            .contains("too large"));
    }

    #[test]
    fn provider_failures_in_words() {
        let down = anyhow::anyhow!("cannot reach provider akash1p at 127.0.0.1:1");
        let w = gateway_words("https://127.0.0.1:1", &down);
        assert!(
            w.starts_with("the provider at https://127.0.0.1:1 is not answering ("),
            "{w}"
        );
        assert!(
            w.ends_with("your lease is still paid — close it or wait"),
            "{w}"
        );
        let answered: anyhow::Error = GatewayError {
            status: 404,
            message: "lease not found".into(),
        }
        .into();
        assert_eq!(
            gateway_words("https://p:8443", &answered),
            "the provider at https://p:8443 answered 404: lease not found"
        );
    }
}

#[cfg(test)]
#[path = "manage_tests.rs"]
mod route_tests;
