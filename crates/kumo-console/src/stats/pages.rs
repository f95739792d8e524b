//! The statistics pages (spec console-stats.md §2.1, §2.3, §3): the dashboard, one graph page
//! per series (7D | 1M | ALL, CSV), providers list and detail, GPU models.
//!
//! Every figure on a page is a number of the `/v1` JSON the same server answers: the page calls
//! the route's JSON builder (dashboard, block series) or asks the `/v1` router in process, and
//! formats what it gets (one source of truth; a card's
//! `data-value` is the JSON number as the route wrote it, so the browser test can compare).
//! A `null` is shown as "—" with the reason beside it, never replaced by a guess.

use std::collections::BTreeMap;
use std::sync::Arc;

use askama::Template;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue, Request, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use redb::ReadableTable;
use serde_json::Value;
use tower::ServiceExt;

use super::api::{self, ApiState};
use super::tables::{decode, LeaseRow, LEASES};
use crate::web::{self, fmt, Nav};

/// The routes of the pages (and `/static/`), gzipped; merged into [`api::router`].
pub fn routes() -> Router<Arc<ApiState>> {
    Router::new()
        .route("/", get(dashboard_page))
        .route("/partials/dashboard-cards", get(cards_fragment))
        .route("/graph/{name}", get(graph_page))
        .route("/provider-graph/{name}", get(provider_graph_page))
        .route("/providers", get(providers_page))
        .route("/providers/{address}", get(provider_page))
        .route("/gpu", get(gpu_page))
        .merge(web::static_routes())
        .layer(web::compression())
}

fn nav(current: &str) -> Nav {
    Nav::new(
        &[
            ("Dashboard", "/".into()),
            ("Providers", "/providers".into()),
            ("GPUs", "/gpu".into()),
            ("JSON API", "/v1/dashboard-data".into()),
        ],
        current,
    )
}

/// A `/v1` route that did not answer 200: its status and message, shown as an error page.
#[derive(Debug)]
struct Failure {
    status: StatusCode,
    message: String,
}

impl Failure {
    fn page(&self, current: &str) -> Response {
        let title = match self.status {
            StatusCode::NOT_FOUND => "Not found",
            StatusCode::BAD_REQUEST => "Bad request",
            StatusCode::SERVICE_UNAVAILABLE => "Not indexed yet",
            StatusCode::NOT_IMPLEMENTED => "Not available",
            _ => "Server error",
        };
        web::error_page(self.status, &nav(current), title, &self.message)
    }
}

/// GETs a `/v1` route from the API router in process and returns its JSON.
async fn v1(s: &ApiState, path: &str) -> Result<Value, Failure> {
    let req = Request::builder()
        .uri(path)
        .body(Body::empty())
        .map_err(|e| Failure {
            status: StatusCode::BAD_REQUEST,
            message: format!("{path:?} is not a valid path: {e}"),
        })?;
    let resp = match api::router(s.clone()).oneshot(req).await {
        Ok(r) => r,
        Err(never) => match never {},
    };
    let status = resp.status();
    let body = axum::body::to_bytes(resp.into_body(), 64 << 20)
        .await
        .map_err(|e| Failure {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            message: format!("reading {path}: {e}"),
        })?;
    let json: Value = serde_json::from_slice(&body).map_err(|e| Failure {
        status: StatusCode::INTERNAL_SERVER_ERROR,
        message: format!("{path} did not answer JSON ({status}): {e}"),
    })?;
    if status.is_success() {
        Ok(json)
    } else {
        Err(Failure {
            status,
            message: json["message"]
                .as_str()
                .unwrap_or("the route gave no reason")
                .to_string(),
        })
    }
}

/// `/v1/dashboard-data` or `/v1/graph-data/{name}` from the builder the route uses, without a
/// JSON round trip (serde_json's default float parsing can be off by one ulp, and the cards'
/// `data-value` must equal the route's numbers exactly); an empty index or an unknown name is
/// left to the route, whose error the page shows.
async fn built(s: &ApiState, path: &str) -> Result<Value, Failure> {
    let price = s.price.akt_usd().map_err(|e| Failure {
        status: StatusCode::INTERNAL_SERVER_ERROR,
        message: format!("{e:#}"),
    })?;
    let made = match path.strip_prefix("/v1/graph-data/") {
        Some(name) if super::figures::BLOCK_SERIES.contains(&name) => {
            api::graph_json(&s.db, name, price)
        }
        Some(_) => Ok(None),
        None if path == "/v1/dashboard-data" => api::dashboard_json(&s.db, price),
        None => Ok(None),
    };
    match made {
        Ok(Some(v)) => Ok(v),
        Ok(None) => v1(s, path).await,
        Err(e) => Err(Failure {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            message: format!("{e:#}"),
        }),
    }
}

/// The value at a dotted path (`now.activeLeaseCount`); `Null` when absent.
fn at<'a>(v: &'a Value, path: &str) -> &'a Value {
    path.split('.')
        .fold(v, |v, k| v.get(k).unwrap_or(&Value::Null))
}

/// What a JSON number counts, and so how it is shown.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Kind {
    /// Micro-USD (`…UUsdSpent`).
    Usd,
    /// Micro-units of a token (`uakt`, `uact`, `uusdc`), shown in whole tokens.
    Token(&'static str),
    /// A whole count, with its unit (may be empty).
    Count(&'static str),
    /// Millicores, shown as CPU cores.
    Cpu,
    /// GPU units.
    Gpu,
    /// Bytes, shown in binary units.
    Bytes,
    /// A fraction (0.13), shown as a percentage.
    Percent,
    /// A number that is already a percentage (25.0 = 25 %).
    PercentPoints,
}

/// Whole tokens with as many decimals as a small amount needs (`0` stays `0`).
fn tokens(x: f64) -> String {
    if x == 0.0 {
        return "0".into();
    }
    let decimals = if x.abs() >= 1000.0 {
        0
    } else if x.abs() >= 1.0 {
        2
    } else {
        6
    };
    fmt::decimal(x, decimals)
}

fn whole(x: f64) -> u128 {
    if x.is_finite() && x > 0.0 {
        x.round() as u128
    } else {
        0
    }
}

impl Kind {
    /// `(number, unit, scale)` of a non-negative value: the number as shown, its unit, and what
    /// one shown unit is worth in the JSON's unit (for the browser test's check and the charts).
    pub fn show(self, v: f64) -> (String, String, f64) {
        match self {
            Kind::Usd => (tokens(v / 1e6), "USD".into(), 1e6),
            Kind::Token(t) => (tokens(v / 1e6), t.into(), 1e6),
            Kind::Count(u) => (fmt::decimal(v.round(), 0), u.into(), 1.0),
            Kind::Cpu => (fmt::cores(whole(v)), "cores".into(), 1000.0),
            Kind::Gpu => (fmt::decimal(v.round(), 0), "GPUs".into(), 1.0),
            Kind::Bytes => {
                let (n, unit) = fmt::bytes(whole(v));
                let scale = match unit {
                    "KiB" => 1024f64,
                    "MiB" => 1024f64.powi(2),
                    "GiB" => 1024f64.powi(3),
                    "TiB" => 1024f64.powi(4),
                    "PiB" => 1024f64.powi(5),
                    _ => 1.0,
                };
                (n, unit.into(), scale)
            }
            Kind::Percent => (fmt::decimal(v * 100.0, 2), "%".into(), 0.01),
            Kind::PercentPoints => (fmt::decimal(v, 2), "%".into(), 1.0),
        }
    }

    /// A value as `number unit` text (`"—"` for null).
    pub fn text(self, v: &Value) -> String {
        match v.as_f64() {
            Some(x) => {
                let (n, u, _) = self.show(x.abs());
                let sign = if x < 0.0 { "-" } else { "" };
                if u.is_empty() {
                    format!("{sign}{n}")
                } else {
                    format!("{sign}{n} {u}")
                }
            }
            None => "—".into(),
        }
    }

    /// The chart's divisor and unit: one unit for the whole axis.
    pub fn chart(self) -> (f64, &'static str) {
        match self {
            Kind::Usd => (1e6, "USD"),
            Kind::Token(t) => (1e6, t),
            Kind::Count(u) => (1.0, u),
            Kind::Cpu => (1000.0, "cores"),
            Kind::Gpu => (1.0, "GPUs"),
            Kind::Bytes => (1024f64.powi(3), "GiB"),
            Kind::Percent => (0.01, "%"),
            Kind::PercentPoints => (1.0, "%"),
        }
    }
}

/// The change of a figure versus 24 h earlier.
pub struct Diff {
    /// `up`, `down` or `flat` (kumo.css colours).
    pub class: &'static str,
    pub text: String,
}

fn diff(kind: Kind, now: &Value, before: &Value) -> Option<Diff> {
    let (a, b) = (now.as_f64()?, before.as_f64()?);
    let delta = a - b;
    let (class, sign) = if delta > 0.0 {
        ("up", "+")
    } else if delta < 0.0 {
        ("down", "-")
    } else {
        ("flat", "±")
    };
    let (n, u, _) = kind.show(delta.abs());
    let unit = if u.is_empty() {
        String::new()
    } else {
        format!(" {u}")
    };
    let pct = if b != 0.0 {
        format!(" ({sign}{} %)", fmt::decimal((delta / b * 100.0).abs(), 2))
    } else {
        String::new()
    };
    Some(Diff {
        class,
        text: format!("{sign}{n}{unit}{pct} vs 24 h ago"),
    })
}

/// One dashboard card.
pub struct Card {
    pub label: &'static str,
    pub value: String,
    pub unit: String,
    /// The JSON number as the route wrote it (empty for `null`).
    pub raw: String,
    /// Where the number is in `/v1/dashboard-data`.
    pub field: String,
    /// What one shown unit is worth in the JSON's unit.
    pub scale: String,
    pub diff: Option<Diff>,
    /// Why a figure is missing, or what it is out of.
    pub note: Option<String>,
    pub href: Option<String>,
}

pub struct CardGroup {
    pub title: &'static str,
    pub cards: Vec<Card>,
}

/// A card for the number at `field`, compared with the one at `compare` when given; `missing`
/// says why a `null` is `null`.
fn card(
    d: &Value,
    label: &'static str,
    field: &str,
    kind: Kind,
    compare: Option<&str>,
    href: Option<String>,
    missing: &str,
) -> Card {
    let v = at(d, field);
    let (value, unit, scale, note) = match v.as_f64() {
        Some(x) => {
            let (n, u, s) = kind.show(x.abs());
            let n = if x < 0.0 { format!("-{n}") } else { n };
            (n, u, s, None)
        }
        None => ("—".into(), String::new(), 1.0, Some(missing.to_string())),
    };
    Card {
        label,
        raw: if v.is_null() {
            String::new()
        } else {
            v.to_string()
        },
        field: field.into(),
        scale: scale.to_string(),
        diff: compare.and_then(|c| diff(kind, v, at(d, c))),
        note,
        href: if v.is_null() { None } else { href },
        value,
        unit,
    }
}

/// The dashboard's cards, grouped as Akash's stats site groups them.
pub fn dashboard_cards(d: &Value) -> Vec<CardGroup> {
    let no_price = "no AKT price: start the server with --akt-usd";
    let unprobed = match at(d, "networkCapacity.registeredProviderCount").as_u64() {
        Some(n) => format!("not probed yet ({n} registered)"),
        None => "not probed yet".to_string(),
    };
    let graph = |n: &str| Some(format!("/graph/{n}"));
    let now = |f: &'static str, label, kind, missing: &str| {
        card(
            d,
            label,
            &format!("now.{f}"),
            kind,
            Some(&format!("compare.{f}")),
            graph(f),
            missing,
        )
    };
    let capacity = |f: &str, label, kind, slug: &str| {
        card(
            d,
            label,
            &format!("networkCapacity.{f}"),
            kind,
            None,
            Some(format!("/provider-graph/{slug}")),
            &unprobed,
        )
    };
    let chain = |f: &str, label, kind, missing: &str| {
        card(
            d,
            label,
            &format!("chainStats.{f}"),
            kind,
            None,
            None,
            missing,
        )
    };
    let leases = Kind::Count("leases");
    let mut capacity_cards = vec![
        capacity(
            "activeProviderCount",
            "Active providers",
            Kind::Count("providers"),
            "count",
        ),
        capacity("totalCPU", "CPU", Kind::Cpu, "cpu"),
        capacity("totalGPU", "GPU", Kind::Gpu, "gpu"),
        capacity("totalMemory", "Memory", Kind::Bytes, "memory"),
        capacity("totalStorage", "Storage", Kind::Bytes, "storage"),
    ];
    let registered = at(d, "networkCapacity.registeredProviderCount").as_u64();
    if let (Some(0), Some(n)) = (
        at(d, "networkCapacity.activeProviderCount").as_u64(),
        registered,
    ) {
        // Capacity counts providers whose last successful probe is under 180 min old.
        capacity_cards[0].note = Some(format!(
            "{n} registered; none answered a probe in the last 3 h"
        ));
    }
    let mut blockchain = vec![
        chain("height", "Height", Kind::Count(""), "not indexed"),
        chain("transactionCount", "Transactions", Kind::Count("txs"), ""),
        chain("communityPool", "Community pool", Kind::Token("AKT"), ""),
        chain("bondedTokens", "Bonded", Kind::Token("AKT"), ""),
        chain("inflation", "Inflation", Kind::Percent, ""),
        chain(
            "stakingAPR",
            "Staking APR",
            Kind::Percent,
            "nothing is bonded",
        ),
    ];
    let price = d["aktUsdPrice"].as_f64();
    if let (Some(pool), Some(p)) = (at(d, "chainStats.communityPool").as_f64(), price) {
        blockchain[2].note = Some(format!("≈ {} USD", tokens(pool / 1e6 * p)));
    }
    if let (Some(b), Some(s)) = (
        at(d, "chainStats.bondedTokens").as_f64(),
        at(d, "chainStats.totalSupply").as_f64(),
    ) {
        if s > 0.0 {
            blockchain[3].note = Some(format!(
                "{} % of the {} AKT supply",
                fmt::decimal(b / s * 100.0, 2),
                tokens(s / 1e6)
            ));
        }
    }
    vec![
        CardGroup {
            title: "Network summary",
            cards: vec![
                now("dailyUUsdSpent", "USD spent, 24 h", Kind::Usd, no_price),
                now("totalUUsdSpent", "Total USD spent", Kind::Usd, no_price),
                now("dailyLeaseCount", "New leases, 24 h", leases, ""),
                now("totalLeaseCount", "Total leases", leases, ""),
            ],
        },
        CardGroup {
            title: "Resources leased",
            cards: vec![
                now("activeLeaseCount", "Active leases", leases, ""),
                now("activeCPU", "CPU", Kind::Cpu, ""),
                now("activeGPU", "GPU", Kind::Gpu, ""),
                now("activeMemory", "Memory", Kind::Bytes, ""),
                now("activeStorage", "Storage", Kind::Bytes, ""),
            ],
        },
        CardGroup {
            title: "Network capacity",
            cards: capacity_cards,
        },
        CardGroup {
            title: "Spent assets",
            cards: vec![
                now("dailyUAktSpent", "AKT spent, 24 h", Kind::Token("AKT"), ""),
                now("totalUAktSpent", "AKT spent, total", Kind::Token("AKT"), ""),
                now("dailyUActSpent", "ACT spent, 24 h", Kind::Token("ACT"), ""),
                now("totalUActSpent", "ACT spent, total", Kind::Token("ACT"), ""),
            ],
        },
        CardGroup {
            title: "Blockchain",
            cards: blockchain,
        },
    ]
}

/// One row of the latest-blocks list.
pub struct BlockLine {
    pub height: String,
    pub time: String,
    pub txs: String,
    pub proposer: String,
}

/// `2026-12-07T10:40:47.000Z` → `2026-12-07 10:40:47 UTC`.
fn when(v: &Value) -> String {
    match v.as_str() {
        Some(s) if s.len() >= 19 => format!("{} {} UTC", &s[..10], &s[11..19]),
        Some(s) => s.to_string(),
        None => "—".into(),
    }
}

/// The cards and the block height they are for (htmx swaps this part every 30 s).
#[derive(Template)]
#[template(path = "stats/cards.html")]
pub struct CardsFragment {
    pub height: String,
    pub groups: Vec<CardGroup>,
}

#[derive(Template)]
#[template(path = "stats/dashboard.html")]
pub struct DashboardPage {
    pub nav: Nav,
    pub height: String,
    pub groups: Vec<CardGroup>,
    pub blocks: Vec<BlockLine>,
    pub price: String,
}

/// The dashboard page from `/v1/dashboard-data`.
pub fn dashboard_view(d: &Value) -> DashboardPage {
    let mut nav = nav("/");
    let height = at(d, "now.height").to_string();
    nav.chain = Some(format!(
        "height {}",
        Kind::Count("").text(&d["chainStats"]["height"])
    ));
    let blocks = d["latestBlocks"]
        .as_array()
        .map(|b| {
            b.iter()
                .map(|b| BlockLine {
                    height: Kind::Count("").text(&b["height"]),
                    time: when(&b["datetime"]),
                    txs: Kind::Count("").text(&b["transactionCount"]),
                    proposer: b["proposer"]["moniker"]
                        .as_str()
                        .or(b["proposer"]["address"].as_str())
                        .unwrap_or("—")
                        .to_string(),
                })
                .collect()
        })
        .unwrap_or_default();
    let price = match d["aktUsdPrice"].as_f64() {
        Some(p) => format!("AKT price {} USD (configured)", fmt::decimal(p, 4)),
        None => "no AKT price configured: USD figures need --akt-usd".into(),
    };
    DashboardPage {
        nav,
        height,
        groups: dashboard_cards(d),
        blocks,
        price,
    }
}

async fn dashboard_page(State(s): State<Arc<ApiState>>) -> Response {
    match built(&s, "/v1/dashboard-data").await {
        Ok(d) => web::html(StatusCode::OK, &dashboard_view(&d)),
        Err(f) => f.page("/"),
    }
}

async fn cards_fragment(State(s): State<Arc<ApiState>>) -> Response {
    match built(&s, "/v1/dashboard-data").await {
        Ok(d) => web::html(
            StatusCode::OK,
            &CardsFragment {
                height: at(&d, "now.height").to_string(),
                groups: dashboard_cards(&d),
            },
        ),
        Err(f) => (f.status, f.message).into_response(),
    }
}

/// The `/v1/graph-data/{name}` series: name, title, what the numbers count.
pub const GRAPHS: [(&str, &str, Kind); 16] = [
    ("dailyUUsdSpent", "USD spent per day", Kind::Usd),
    ("totalUUsdSpent", "Total USD spent", Kind::Usd),
    (
        "dailyLeaseCount",
        "New leases per day",
        Kind::Count("leases"),
    ),
    ("totalLeaseCount", "Total leases", Kind::Count("leases")),
    ("activeLeaseCount", "Active leases", Kind::Count("leases")),
    ("activeCPU", "CPU leased", Kind::Cpu),
    ("activeGPU", "GPUs leased", Kind::Gpu),
    ("activeMemory", "Memory leased", Kind::Bytes),
    ("activeStorage", "Storage leased", Kind::Bytes),
    ("dailyUAktSpent", "AKT spent per day", Kind::Token("AKT")),
    ("totalUAktSpent", "Total AKT spent", Kind::Token("AKT")),
    ("dailyUActSpent", "ACT spent per day", Kind::Token("ACT")),
    ("totalUActSpent", "Total ACT spent", Kind::Token("ACT")),
    ("dailyUUsdcSpent", "USDC spent per day", Kind::Token("USDC")),
    ("totalUUsdcSpent", "Total USDC spent", Kind::Token("USDC")),
    ("gpuUtilization", "GPU utilization", Kind::PercentPoints),
];

/// The `/v1/provider-graph-data/{name}` series.
pub const PROVIDER_GRAPHS: [(&str, &str, Kind); 5] = [
    ("count", "Active providers", Kind::Count("providers")),
    ("cpu", "CPU capacity", Kind::Cpu),
    ("gpu", "GPU capacity", Kind::Gpu),
    ("memory", "Memory capacity", Kind::Bytes),
    ("storage", "Storage capacity", Kind::Bytes),
];

#[derive(Template)]
#[template(path = "stats/graph.html")]
pub struct GraphPage {
    pub nav: Nav,
    pub title: String,
    pub value_label: &'static str,
    pub value: String,
    pub unit: String,
    pub raw: String,
    pub diff: Option<Diff>,
    pub note: Option<String>,
    /// The JSON route the chart fetches.
    pub src: String,
    pub csv: String,
    pub scale: String,
    pub chart_unit: &'static str,
    pub points: usize,
}

/// A graph page from its `/v1` JSON (`{currentValue, compareValue, snapshots}`).
pub fn graph_view(
    name: &str,
    title: &str,
    kind: Kind,
    src: &str,
    csv: &str,
    g: &Value,
) -> GraphPage {
    let v = &g["currentValue"];
    let (value, unit) = match v.as_f64() {
        Some(x) => {
            let (n, u, _) = kind.show(x.abs());
            (if x < 0.0 { format!("-{n}") } else { n }, u)
        }
        None => ("—".into(), String::new()),
    };
    let (scale, chart_unit) = kind.chart();
    GraphPage {
        nav: nav(""),
        title: title.into(),
        value_label: if name.starts_with("daily") {
            "last 24 h"
        } else {
            "now"
        },
        value,
        unit,
        raw: if v.is_null() {
            String::new()
        } else {
            v.to_string()
        },
        diff: diff(kind, v, &g["compareValue"]),
        note: v
            .is_null()
            .then(|| "no value: USD figures need an AKT price (--akt-usd)".to_string()),
        src: src.into(),
        csv: csv.into(),
        scale: scale.to_string(),
        chart_unit,
        points: g["snapshots"].as_array().map_or(0, Vec::len),
    }
}

/// `Date,Value` rows of a series' snapshots, the numbers exactly as the JSON has them.
pub fn graph_csv(g: &Value) -> String {
    let mut out = String::from("Date,Value\n");
    for s in g["snapshots"].as_array().into_iter().flatten() {
        let date = s["date"].as_str().unwrap_or("");
        let date = date.get(..10).unwrap_or(date);
        let value = s["value"]
            .as_f64()
            .map(|v| v.to_string())
            .unwrap_or_default();
        out.push_str(&format!("{date},{value}\n"));
    }
    out
}

fn csv_response(file: &str, body: String) -> Response {
    let disposition = format!("attachment; filename=\"{file}\"");
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/csv; charset=utf-8"),
            ),
            (
                header::CONTENT_DISPOSITION,
                HeaderValue::from_str(&disposition)
                    .unwrap_or(HeaderValue::from_static("attachment")),
            ),
        ],
        body,
    )
        .into_response()
}

/// `name`, `name.csv` or `name?format=csv`: the series name and whether CSV is asked for.
fn split_csv(name: &str, q: &BTreeMap<String, String>) -> (String, bool) {
    match name.strip_suffix(".csv") {
        Some(n) => (n.to_string(), true),
        None => (
            name.to_string(),
            q.get("format").is_some_and(|f| f == "csv"),
        ),
    }
}

async fn any_graph(
    s: &ApiState,
    name: &str,
    csv: bool,
    series: &[(&'static str, &'static str, Kind)],
    page: &str,
    route: &str,
) -> Response {
    let Some((name, title, kind)) = series.iter().find(|(n, _, _)| *n == name) else {
        let known: Vec<&str> = series.iter().map(|(n, _, _)| *n).collect();
        return web::error_page(
            StatusCode::NOT_FOUND,
            &nav(""),
            "Not found",
            &format!(
                "There is no graph called {name:?}. The graphs are: {}.",
                known.join(", ")
            ),
        );
    };
    let src = format!("{route}/{name}");
    match built(s, &src).await {
        Ok(g) if csv => csv_response(&format!("kumo-{name}.csv"), graph_csv(&g)),
        Ok(g) => web::html(
            StatusCode::OK,
            &graph_view(name, title, *kind, &src, &format!("{page}/{name}.csv"), &g),
        ),
        Err(f) => f.page(""),
    }
}

async fn graph_page(
    State(s): State<Arc<ApiState>>,
    Path(name): Path<String>,
    Query(q): Query<BTreeMap<String, String>>,
) -> Response {
    let (name, csv) = split_csv(&name, &q);
    any_graph(&s, &name, csv, &GRAPHS, "/graph", "/v1/graph-data").await
}

async fn provider_graph_page(
    State(s): State<Arc<ApiState>>,
    Path(name): Path<String>,
    Query(q): Query<BTreeMap<String, String>>,
) -> Response {
    let (name, csv) = split_csv(&name, &q);
    any_graph(
        &s,
        &name,
        csv,
        &PROVIDER_GRAPHS,
        "/provider-graph",
        "/v1/provider-graph-data",
    )
    .await
}

/// The value of the first attribute among `keys`.
fn attribute(p: &Value, keys: &[&str]) -> Option<String> {
    let attrs = p["attributes"].as_array()?;
    keys.iter().find_map(|k| {
        attrs
            .iter()
            .find(|a| a["key"].as_str() == Some(k))
            .and_then(|a| a["value"].as_str())
            .map(str::to_string)
    })
}

/// `used / available unit`, "—" for what is unknown.
fn used_of(kind: Kind, used: &Value, available: &Value) -> String {
    let u = kind.text(used);
    let a = kind.text(available);
    format!("{u} / {a}")
}

/// An uptime fraction as `99.50 %` and its colour (green above 95 %).
fn uptime(v: &Value) -> (String, &'static str) {
    match v.as_f64() {
        Some(x) => (
            format!("{} %", fmt::decimal(x * 100.0, 2)),
            if x > 0.95 { "good" } else { "bad" },
        ),
        None => ("—".into(), ""),
    }
}

/// `(text, badge class)` of a yes/no/unknown flag.
fn flag(v: &Value, yes: &str, no: &str, unknown: &str) -> (String, &'static str) {
    match v.as_bool() {
        Some(true) => (yes.into(), "good"),
        Some(false) => (no.into(), "bad"),
        None => (unknown.into(), "warn"),
    }
}

pub struct ProviderLine {
    pub owner: String,
    pub host: String,
    pub region: String,
    pub uptime7d: String,
    pub uptime_class: &'static str,
    pub leases: String,
    pub cpu: String,
    pub gpu: String,
    pub memory: String,
    pub storage: String,
    pub audited: (String, &'static str),
    pub online: (String, &'static str),
}

#[derive(Template)]
#[template(path = "stats/providers.html")]
pub struct ProvidersPage {
    pub nav: Nav,
    pub rows: Vec<ProviderLine>,
    pub total: usize,
    pub online_only: bool,
    pub audited_only: bool,
    pub search: String,
    pub probed: bool,
}

fn on(q: &BTreeMap<String, String>, key: &str) -> bool {
    q.get(key)
        .is_some_and(|v| matches!(v.as_str(), "1" | "on" | "true"))
}

/// The providers table from `/v1/providers`, filtered as the query asks.
pub fn providers_view(list: &Value, q: &BTreeMap<String, String>) -> ProvidersPage {
    let all = list.as_array().cloned().unwrap_or_default();
    let (online_only, audited_only) = (on(q, "online"), on(q, "audited"));
    let search = q.get("q").map(|s| s.trim().to_string()).unwrap_or_default();
    let needle = search.to_lowercase();
    let rows = all
        .iter()
        .filter(|p| !online_only || p["isOnline"].as_bool() == Some(true))
        .filter(|p| !audited_only || p["isAudited"].as_bool() == Some(true))
        .filter(|p| {
            needle.is_empty() || {
                let mut hay = format!(
                    "{} {}",
                    p["owner"].as_str().unwrap_or(""),
                    p["hostUri"].as_str().unwrap_or("")
                );
                for a in p["attributes"].as_array().into_iter().flatten() {
                    hay.push(' ');
                    hay.push_str(a["value"].as_str().unwrap_or(""));
                }
                hay.to_lowercase().contains(&needle)
            }
        })
        .map(|p| {
            // Free capacity from the last probe (`stats`), or Akash's `availableStats`.
            let avail = |k: &str| match &p["stats"][k]["available"] {
                Value::Null => p["availableStats"][k].clone(),
                v => v.clone(),
            };
            let a = &p["activeStats"];
            let (up, class) = uptime(&p["uptime7d"]);
            ProviderLine {
                owner: p["owner"].as_str().unwrap_or("").into(),
                host: p["hostUri"].as_str().unwrap_or("").into(),
                region: attribute(p, &["region", "location-region", "country"])
                    .unwrap_or_else(|| "—".into()),
                uptime7d: up,
                uptime_class: class,
                leases: Kind::Count("").text(&p["leaseCount"]),
                cpu: used_of(Kind::Cpu, &a["cpu"], &avail("cpu")),
                gpu: used_of(Kind::Gpu, &a["gpu"], &avail("gpu")),
                memory: used_of(Kind::Bytes, &a["memory"], &avail("memory")),
                storage: used_of(Kind::Bytes, &a["storage"], &avail("storage")),
                audited: flag(&p["isAudited"], "audited", "not audited", "audit unknown"),
                online: flag(&p["isOnline"], "online", "offline", "not probed yet"),
            }
        })
        .collect();
    ProvidersPage {
        nav: nav("/providers"),
        rows,
        total: all.len(),
        online_only,
        audited_only,
        search,
        probed: all.iter().any(|p| !p["isOnline"].is_null()),
    }
}

async fn providers_page(
    State(s): State<Arc<ApiState>>,
    Query(q): Query<BTreeMap<String, String>>,
) -> Response {
    match v1(&s, "/v1/providers").await {
        Ok(list) => web::html(StatusCode::OK, &providers_view(&list, &q)),
        Err(f) => f.page("/providers"),
    }
}

pub struct CapacityLine {
    pub resource: &'static str,
    pub active: String,
    pub pending: String,
    pub available: String,
    pub total: String,
}

pub struct AttributeLine {
    pub key: String,
    pub value: String,
    pub audited_by: String,
}

pub struct LeaseLine {
    pub id: String,
    pub owner: String,
    pub price: String,
    pub resources: String,
    pub created: String,
    pub state: String,
    pub active: bool,
}

/// One 15-minute bucket of the 24 h uptime strip.
pub struct Bucket {
    /// `on`, `off`, `part` or empty (no probe).
    pub class: &'static str,
    pub title: String,
}

#[derive(Template)]
#[template(path = "stats/provider.html")]
pub struct ProviderPage {
    pub nav: Nav,
    pub owner: String,
    pub host: String,
    pub region: String,
    pub online: (String, &'static str),
    pub audited: (String, &'static str),
    pub last_online: String,
    /// Why the last check failed, when it did.
    pub last_error: Option<String>,
    pub uptime: Vec<(&'static str, String, &'static str)>,
    pub leases_count: String,
    pub capacity: Vec<CapacityLine>,
    pub strip: Vec<Bucket>,
    pub attributes: Vec<AttributeLine>,
    pub leases: Vec<LeaseLine>,
    pub leases_left_out: usize,
    pub email: String,
    pub website: String,
    pub raw: String,
}

/// `{active, pending, available}` of one resource (storage may be split in ephemeral and
/// persistent parts, which are summed).
fn quad(v: &Value, k: &str) -> Value {
    if v.get("active").is_some() || !v.is_object() {
        return v[k].clone();
    }
    let parts: Vec<f64> = ["ephemeral", "persistent"]
        .iter()
        .filter_map(|p| v[p][k].as_f64())
        .collect();
    if parts.is_empty() {
        Value::Null
    } else {
        serde_json::json!(parts.iter().sum::<f64>())
    }
}

fn bucket(b: &Value) -> Bucket {
    let status = b
        .as_str()
        .or(b["status"].as_str())
        .or(b["state"].as_str())
        .unwrap_or("unknown");
    let class = match status {
        "online" | "on" | "up" => "on",
        "offline" | "off" | "down" => "off",
        "partial" | "part" => "part",
        _ => "",
    };
    let start = b["start"]
        .as_str()
        .or(b["date"].as_str())
        .map(|s| format!("{}: ", when(&Value::String(s.into()))))
        .unwrap_or_default();
    Bucket {
        class,
        title: format!("{start}{status}"),
    }
}

/// The provider detail page from `/v1/providers/{address}` and the leases the index holds.
pub fn provider_view(p: &Value, leases: Vec<LeaseLine>, left_out: usize) -> ProviderPage {
    let owner = p["owner"].as_str().unwrap_or("").to_string();
    let stats = &p["stats"];
    let capacity = [
        ("CPU", "cpu", Kind::Cpu),
        ("GPU", "gpu", Kind::Gpu),
        ("Memory", "memory", Kind::Bytes),
        ("Storage", "storage", Kind::Bytes),
    ]
    .into_iter()
    .map(|(label, key, kind)| {
        let s = &stats[key];
        let active = if s.is_null() {
            p["activeStats"][key].clone()
        } else {
            quad(s, "active")
        };
        let (pending, available) = (quad(s, "pending"), quad(s, "available"));
        let total = match (active.as_f64(), pending.as_f64(), available.as_f64()) {
            (Some(a), Some(b), Some(c)) => serde_json::json!(a + b + c),
            _ => Value::Null,
        };
        CapacityLine {
            resource: label,
            active: kind.text(&active),
            pending: kind.text(&pending),
            available: kind.text(&available),
            total: kind.text(&total),
        }
    })
    .collect();
    let strip = p["uptime24h"]
        .as_array()
        .map(|b| b.iter().map(bucket).collect())
        .unwrap_or_default();
    let attributes = p["attributes"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|a| AttributeLine {
            key: a["key"].as_str().unwrap_or("").into(),
            value: a["value"].as_str().unwrap_or("").into(),
            audited_by: a["auditedBy"]
                .as_array()
                .map(|v| {
                    v.iter()
                        .filter_map(Value::as_str)
                        .collect::<Vec<_>>()
                        .join(", ")
                })
                .unwrap_or_default(),
        })
        .collect();
    let uptime = ["uptime1d", "uptime7d", "uptime30d"]
        .iter()
        .zip(["1 day", "7 days", "30 days"])
        .map(|(k, label)| {
            let (t, c) = self::uptime(&p[*k]);
            (label, t, c)
        })
        .collect();
    ProviderPage {
        nav: nav("/providers"),
        raw: format!("/v1/providers/{owner}"),
        host: p["hostUri"].as_str().unwrap_or("").into(),
        region: attribute(p, &["region", "location-region", "country"])
            .unwrap_or_else(|| "—".into()),
        online: flag(&p["isOnline"], "online", "offline", "not probed yet"),
        audited: flag(&p["isAudited"], "audited", "not audited", "audit unknown"),
        last_online: match (p["lastOnlineDate"].as_str(), p["isOnline"].as_bool()) {
            (Some(_), _) => when(&p["lastOnlineDate"]),
            (None, Some(_)) => "never (no probe has succeeded)".into(),
            (None, None) => "— (not probed yet)".into(),
        },
        last_error: p["lastCheckError"]
            .as_str()
            .filter(|e| !e.is_empty())
            .map(str::to_string),
        uptime,
        leases_count: Kind::Count("").text(&p["leaseCount"]),
        capacity,
        strip,
        attributes,
        leases,
        leases_left_out: left_out,
        email: p["email"].as_str().unwrap_or("").into(),
        website: p["website"].as_str().unwrap_or("").into(),
        owner,
    }
}

/// The most lease lines a provider page lists.
const MAX_LEASE_LINES: usize = 200;

/// The leases of `provider` the index holds, active ones first, newest first; and how many
/// were left out. A scan of the lease table: a page for one provider, not the dashboard.
fn provider_leases(s: &ApiState, provider: &str) -> anyhow::Result<(Vec<LeaseLine>, usize)> {
    let tx = s.db.begin_read()?;
    let t = tx.open_table(LEASES)?;
    let mut rows: Vec<LeaseRow> = Vec::new();
    for e in t.iter()? {
        let l: LeaseRow = decode(e?.1.value())?;
        if l.provider == provider {
            rows.push(l);
        }
    }
    rows.sort_by(|a, b| {
        b.active
            .cmp(&a.active)
            .then(b.created_height.cmp(&a.created_height))
    });
    let left_out = rows.len().saturating_sub(MAX_LEASE_LINES);
    let lines = rows
        .into_iter()
        .take(MAX_LEASE_LINES)
        .map(|l| {
            let r = &l.resources;
            let (mem, mem_u) = fmt::bytes(r.memory);
            let (sto, sto_u) = fmt::bytes(r.storage);
            let mut resources =
                format!("{} CPU · {mem} {mem_u} · {sto} {sto_u}", fmt::cores(r.cpu));
            if r.gpu > 0 {
                resources.push_str(&format!(" · {} GPU", r.gpu));
            }
            let state = if l.active {
                "active".to_string()
            } else if let Some(h) = l.closed_height {
                match &l.closed_reason {
                    Some(why) if !why.is_empty() => format!("closed at {h} ({why})"),
                    _ => format!("closed at {h}"),
                }
            } else if let Some(h) = l.predicted_closed_height {
                format!("escrow ran out at {h}")
            } else {
                "not active".into()
            };
            // Prices are 18-decimal atomics of the denom's base unit.
            let price = super::figures::dec_f64(l.price);
            LeaseLine {
                id: format!("{}/{}/{}", l.dseq, l.gseq, l.oseq),
                owner: l.owner.clone(),
                price: format!(
                    "{} {}/block",
                    fmt::decimal(price, if price.fract() == 0.0 { 0 } else { 6 }),
                    l.denom
                ),
                resources,
                created: fmt::thousands(l.created_height.into()),
                state,
                active: l.active,
            }
        })
        .collect();
    Ok((lines, left_out))
}

async fn provider_page(State(s): State<Arc<ApiState>>, Path(address): Path<String>) -> Response {
    if let Err(e) = kumo_crypto::Address::from_bech32(&address, "akash") {
        return web::error_page(
            StatusCode::BAD_REQUEST,
            &nav("/providers"),
            "Bad request",
            &format!("{address:?} is not a provider address (akash1…): {e}"),
        );
    }
    let p = match v1(&s, &format!("/v1/providers/{address}")).await {
        Ok(p) => p,
        Err(f) => return f.page("/providers"),
    };
    match provider_leases(&s, &address) {
        Ok((leases, left_out)) => web::html(StatusCode::OK, &provider_view(&p, leases, left_out)),
        Err(e) => Failure {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            message: format!("reading the index's leases: {e:#}"),
        }
        .page("/providers"),
    }
}

pub struct GpuLine {
    pub vendor: String,
    pub model: String,
    pub ram: String,
    pub interface: String,
    pub allocatable: String,
    pub allocated: String,
    pub utilization: String,
    pub min: String,
    pub med: String,
    pub max: String,
    pub bids: String,
}

#[derive(Template)]
#[template(path = "stats/gpu.html")]
pub struct GpuPage {
    pub nav: Nav,
    pub rows: Vec<GpuLine>,
    pub total_allocatable: String,
    pub total_allocated: String,
    pub total_utilization: String,
    /// Why availability is unknown (no `/v1/gpu`, or no probe yet).
    pub availability_note: Option<String>,
}

fn utilization(allocatable: &Value, allocated: &Value) -> String {
    match (allocatable.as_f64(), allocated.as_f64()) {
        (Some(t), Some(a)) if t > 0.0 => format!("{} %", fmt::decimal(a / t * 100.0, 2)),
        _ => "—".into(),
    }
}

fn usd_hour(v: &Value) -> String {
    v.as_f64()
        .map_or("—".into(), |x| format!("{} USD/h", fmt::decimal(x, 2)))
}

/// The GPU page from `/v1/gpu` (availability; an error when the server has no probes) and
/// `/v1/gpu-prices`.
pub fn gpu_view(gpu: Result<&Value, String>, prices: &Value) -> GpuPage {
    type Key = (String, String, String, String);
    let key = |vendor: &str, m: &Value| -> Key {
        let s = |k: &str| m[k].as_str().unwrap_or("").to_lowercase();
        (vendor.to_lowercase(), s("model"), s("ram"), s("interface"))
    };
    let mut lines: BTreeMap<Key, GpuLine> = BTreeMap::new();
    let blank = |k: &Key| GpuLine {
        vendor: k.0.clone(),
        model: k.1.clone(),
        ram: k.2.clone(),
        interface: k.3.clone(),
        allocatable: "—".into(),
        allocated: "—".into(),
        utilization: "—".into(),
        min: "—".into(),
        med: "—".into(),
        max: "—".into(),
        bids: "no single-GPU bid in 31 days".into(),
    };
    let mut note = None;
    let (mut total_allocatable, mut total_allocated) = (Value::Null, Value::Null);
    match gpu {
        Ok(g) => {
            let gpus = &g["gpus"];
            total_allocatable = gpus["total"]["allocatable"].clone();
            total_allocated = gpus["total"]["allocated"].clone();
            for (vendor, models) in gpus["details"].as_object().into_iter().flatten() {
                for m in models.as_array().into_iter().flatten() {
                    let k = key(vendor, m);
                    let line = lines.entry(k.clone()).or_insert_with(|| blank(&k));
                    line.allocatable = Kind::Count("").text(&m["allocatable"]);
                    line.allocated = Kind::Count("").text(&m["allocated"]);
                    line.utilization = utilization(&m["allocatable"], &m["allocated"]);
                }
            }
            if lines.is_empty() {
                note = Some("No online provider reported a GPU at its last probe.".into());
            }
        }
        Err(why) => note = Some(why),
    }
    for m in prices["models"].as_array().into_iter().flatten() {
        let k = key(m["vendor"].as_str().unwrap_or(""), m);
        let line = lines.entry(k.clone()).or_insert_with(|| blank(&k));
        let p = &m["price"];
        if p.is_null() {
            line.bids = "bids, but none with a USD value (uakt bids need --akt-usd)".into();
        } else {
            line.min = usd_hour(&p["min"]);
            line.med = usd_hour(&p["med"]);
            line.max = usd_hour(&p["max"]);
            line.bids = String::new();
        }
    }
    GpuPage {
        nav: nav("/gpu"),
        rows: lines.into_values().collect(),
        total_utilization: utilization(&total_allocatable, &total_allocated),
        total_allocatable: Kind::Count("").text(&total_allocatable),
        total_allocated: Kind::Count("").text(&total_allocated),
        availability_note: note,
    }
}

async fn gpu_page(State(s): State<Arc<ApiState>>) -> Response {
    let prices = match v1(&s, "/v1/gpu-prices").await {
        Ok(p) => p,
        Err(f) => return f.page("/gpu"),
    };
    let gpu = v1(&s, "/v1/gpu").await.map_err(|f| {
        format!(
            "GPU availability is unknown: /v1/gpu answered {} ({})",
            f.status.as_u16(),
            f.message
        )
    });
    web::html(
        StatusCode::OK,
        &gpu_view(gpu.as_ref().map_err(Clone::clone), &prices),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn dashboard(full: bool) -> Value {
        let num = |x: f64| if full { json!(x) } else { Value::Null };
        json!({
            "aktUsdPrice": num(3.5),
            "chainStats": {"height": 1234567, "transactionCount": 4321,
                "bondedTokens": 133_402_400_000_000.0, "totalSupply": 230_800_000_000_000.0,
                "communityPool": 399_871.44, "inflation": 0.13,
                "stakingAPR": num(0.2204)},
            "now": {"height": 1234567, "activeLeaseCount": 3.0, "totalLeaseCount": 10.0,
                "dailyLeaseCount": 2.0, "dailyUAktSpent": 1_500_000.0,
                "totalUAktSpent": 12_000_000.0, "dailyUActSpent": 990_000.0,
                "totalUActSpent": 990_000.0, "dailyUUsdSpent": num(6_240_000.0),
                "totalUUsdSpent": num(42_990_000.0), "activeCPU": 2500.0, "activeGPU": 1.0,
                "activeMemory": 1_073_741_824.0, "activeStorage": 2_147_483_648.0},
            "compare": {"height": 1220167, "activeLeaseCount": 4.0, "totalLeaseCount": 8.0,
                "dailyLeaseCount": 2.0, "dailyUAktSpent": 1_000_000.0,
                "totalUAktSpent": 10_500_000.0, "dailyUActSpent": 0.0, "totalUActSpent": 0.0,
                "dailyUUsdSpent": num(3_500_000.0), "totalUUsdSpent": num(36_750_000.0),
                "activeCPU": 2000.0, "activeGPU": 0.0, "activeMemory": 0.0,
                "activeStorage": 0.0},
            "networkCapacity": {"activeProviderCount": num(2.0), "registeredProviderCount": 2,
                "totalCPU": num(64000.0), "totalGPU": num(4.0),
                "totalMemory": num(274_877_906_944.0), "totalStorage": num(1_099_511_627_776.0)},
            "latestBlocks": [{"height": 1234567, "datetime": "2026-12-07T10:40:47.000Z",
                "transactionCount": 2, "proposer": {"address": "24BC5A", "moniker": null}}],
        })
    }

    fn find<'a>(groups: &'a [CardGroup], field: &str) -> &'a Card {
        groups
            .iter()
            .flat_map(|g| &g.cards)
            .find(|c| c.field == field)
            .unwrap_or_else(|| panic!("no card for {field}"))
    }

    #[test]
    fn dashboard_with_every_figure_shows_them_with_units_and_changes() {
        let page = dashboard_view(&dashboard(true));
        let g = &page.groups;
        let titles: Vec<&str> = g.iter().map(|g| g.title).collect();
        assert_eq!(
            titles,
            [
                "Network summary",
                "Resources leased",
                "Network capacity",
                "Spent assets",
                "Blockchain"
            ]
        );
        let c = find(g, "now.dailyUUsdSpent");
        assert_eq!((c.value.as_str(), c.unit.as_str()), ("6.24", "USD"));
        let d = c.diff.as_ref().unwrap();
        assert_eq!(
            (d.class, d.text.as_str()),
            ("up", "+2.74 USD (+78.29 %) vs 24 h ago")
        );
        assert_eq!(c.href.as_deref(), Some("/graph/dailyUUsdSpent"));
        assert_eq!(c.raw, "6240000.0");
        let c = find(g, "now.activeLeaseCount");
        assert_eq!((c.value.as_str(), c.unit.as_str()), ("3", "leases"));
        let d = c.diff.as_ref().unwrap();
        assert_eq!(
            (d.class, d.text.as_str()),
            ("down", "-1 leases (-25.00 %) vs 24 h ago")
        );
        let c = find(g, "now.dailyLeaseCount");
        assert_eq!(c.diff.as_ref().unwrap().class, "flat");
        let c = find(g, "now.activeCPU");
        assert_eq!(
            (c.value.as_str(), c.unit.as_str(), c.scale.as_str()),
            ("2.5", "cores", "1000")
        );
        let c = find(g, "now.activeMemory");
        assert_eq!((c.value.as_str(), c.unit.as_str()), ("1.0", "GiB"));
        // From zero: no percentage to give.
        assert_eq!(c.diff.as_ref().unwrap().text, "+1.0 GiB vs 24 h ago");
        let c = find(g, "now.totalUAktSpent");
        assert_eq!((c.value.as_str(), c.unit.as_str()), ("12.00", "AKT"));
        let c = find(g, "now.dailyUActSpent");
        assert_eq!((c.value.as_str(), c.unit.as_str()), ("0.990000", "ACT"));
        let c = find(g, "networkCapacity.totalStorage");
        assert_eq!((c.value.as_str(), c.unit.as_str()), ("1.0", "TiB"));
        assert_eq!(c.href.as_deref(), Some("/provider-graph/storage"));
        let c = find(g, "chainStats.height");
        assert_eq!(c.value, "1,234,567");
        assert!(c.diff.is_none());
        let c = find(g, "chainStats.bondedTokens");
        assert_eq!((c.value.as_str(), c.unit.as_str()), ("133,402,400", "AKT"));
        assert_eq!(
            c.note.as_deref(),
            Some("57.80 % of the 230,800,000 AKT supply")
        );
        let c = find(g, "chainStats.communityPool");
        assert_eq!(c.value, "0.399871");
        assert_eq!(c.note.as_deref(), Some("≈ 1.40 USD"));
        let c = find(g, "chainStats.stakingAPR");
        assert_eq!((c.value.as_str(), c.unit.as_str()), ("22.04", "%"));

        let html = page.render().unwrap();
        assert!(
            html.contains("data-field=\"now.activeCPU\" data-value=\"2500.0\""),
            "{html}"
        );
        assert!(html.contains("class=\"diff up\""));
        assert!(html.contains("hx-get=\"/partials/dashboard-cards\""));
        assert!(html.contains("2026-12-07 10:40:47 UTC"));
        assert!(html.contains("AKT price 3.5000 USD"));
    }

    #[test]
    fn dashboard_without_price_or_probes_says_why_figures_are_missing() {
        let page = dashboard_view(&dashboard(false));
        let g = &page.groups;
        for f in ["now.dailyUUsdSpent", "now.totalUUsdSpent"] {
            let c = find(g, f);
            assert_eq!(c.value, "—");
            assert_eq!(c.raw, "");
            assert!(c.diff.is_none() && c.href.is_none());
            assert_eq!(
                c.note.as_deref(),
                Some("no AKT price: start the server with --akt-usd")
            );
        }
        for f in [
            "activeProviderCount",
            "totalCPU",
            "totalGPU",
            "totalMemory",
            "totalStorage",
        ] {
            let c = find(g, &format!("networkCapacity.{f}"));
            assert_eq!(c.value, "—");
            assert_eq!(c.note.as_deref(), Some("not probed yet (2 registered)"));
        }
        let c = find(g, "chainStats.stakingAPR");
        assert_eq!(
            (c.value.as_str(), c.note.as_deref()),
            ("—", Some("nothing is bonded"))
        );
        // Figures that do exist still show.
        assert_eq!(find(g, "now.activeLeaseCount").value, "3");
        assert!(find(g, "chainStats.communityPool").note.is_none());
        let html = page.render().unwrap();
        assert!(html.contains("no AKT price: start the server with --akt-usd"));
        assert!(html.contains("not probed yet (2 registered)"));
        assert!(html.contains("no AKT price configured"));
    }

    #[test]
    fn every_block_series_has_a_graph_page_and_csv_rows_are_the_json_numbers() {
        for name in super::super::figures::BLOCK_SERIES {
            assert!(GRAPHS.iter().any(|(n, _, _)| *n == name), "{name}");
        }
        let g = json!({"currentValue": 3.0, "compareValue": 1.0, "snapshots": [
            {"date": "2026-12-06T00:00:00.000Z", "value": 1.0},
            {"date": "2026-12-07T00:00:00.000Z", "value": 2.5},
            {"date": "2026-12-08T00:00:00.000Z", "value": null}]});
        assert_eq!(
            graph_csv(&g),
            "Date,Value\n2026-12-06,1\n2026-12-07,2.5\n2026-12-08,\n"
        );
        let page = graph_view(
            "activeCPU",
            "CPU leased",
            Kind::Cpu,
            "/v1/graph-data/activeCPU",
            "/graph/activeCPU.csv",
            &g,
        );
        assert_eq!((page.value.as_str(), page.unit.as_str()), ("0", "cores"));
        assert_eq!(page.points, 3);
        let html = page.render().unwrap();
        assert!(
            html.contains("data-src=\"/v1/graph-data/activeCPU\""),
            "{html}"
        );
        assert!(html.contains("href=\"/graph/activeCPU.csv\""));
        assert!(html.contains("7D") && html.contains("1M") && html.contains("ALL"));
    }

    #[test]
    fn providers_filter_and_missing_probes_read_as_such() {
        let list = json!([
            {"owner": "akash1aaa", "hostUri": "https://a.example:8443", "leaseCount": 2,
             "attributes": [{"key": "region", "value": "eu-west"}],
             "activeStats": {"cpu": 2000.0, "gpu": 0.0, "memory": 1073741824.0, "storage": 0.0},
             "availableStats": {"cpu": 14000.0, "gpu": 1.0, "memory": 2147483648.0,
                                "storage": 1099511627776.0},
             "isOnline": true, "isAudited": true, "uptime7d": 0.9912},
            {"owner": "akash1bbb", "hostUri": "https://b.example:8443", "leaseCount": 0,
             "attributes": [], "activeStats": {"cpu": 0.0, "gpu": 0.0, "memory": 0.0,
             "storage": 0.0}, "isOnline": false, "isAudited": false, "uptime7d": 0.5},
            {"owner": "akash1ccc", "hostUri": "https://c.example:8443", "leaseCount": 1,
             "attributes": [], "activeStats": {"cpu": 500.0}, "isOnline": null,
             "uptime7d": null},
        ]);
        let q = |pairs: &[(&str, &str)]| {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect::<BTreeMap<_, _>>()
        };
        let all = providers_view(&list, &q(&[]));
        assert_eq!(all.rows.len(), 3);
        let a = &all.rows[0];
        assert_eq!(a.region, "eu-west");
        assert_eq!((a.uptime7d.as_str(), a.uptime_class), ("99.12 %", "good"));
        assert_eq!(a.cpu, "2 cores / 14 cores");
        assert_eq!(a.storage, "0 B / 1.0 TiB");
        assert_eq!(all.rows[1].uptime_class, "bad");
        let c = &all.rows[2];
        assert_eq!(
            (c.uptime7d.as_str(), c.cpu.as_str()),
            ("—", "0.5 cores / —")
        );
        assert_eq!(c.online.0, "not probed yet");
        assert_eq!(providers_view(&list, &q(&[("online", "1")])).rows.len(), 1);
        assert_eq!(
            providers_view(&list, &q(&[("audited", "on")])).rows.len(),
            1
        );
        assert_eq!(
            providers_view(&list, &q(&[("q", "EU-WEST")])).rows[0].owner,
            "akash1aaa"
        );
        assert_eq!(providers_view(&list, &q(&[("q", "zzz")])).rows.len(), 0);
        let html = providers_view(&list, &q(&[("q", "zzz")])).render().unwrap();
        assert!(html.contains("No provider matches"), "{html}");
    }

    #[test]
    fn provider_detail_strip_capacity_and_attributes() {
        let mut strip: Vec<Value> = vec![json!("online"); 94];
        strip.push(json!({"status": "partial"}));
        strip.push(json!({"status": "offline", "start": "2026-12-07T10:45:00.000Z"}));
        let p = json!({"owner": "akash1aaa", "hostUri": "https://a.example:8443",
            "leaseCount": 1, "isOnline": true, "lastOnlineDate": "2026-12-07T10:40:47.000Z",
            "uptime1d": 0.99, "uptime7d": 0.5, "uptime30d": null,
            "attributes": [{"key": "region", "value": "eu", "auditedBy": ["akash1aud"]}],
            "stats": {"cpu": {"active": 1000.0, "pending": 0.0, "available": 3000.0},
                      "storage": {"ephemeral": {"active": 1.0, "pending": 0.0, "available": 1023.0},
                                  "persistent": {"active": 0.0, "pending": 0.0, "available": 0.0}}},
            "uptime24h": strip});
        let page = provider_view(&p, vec![], 0);
        assert_eq!(page.capacity[0].total, "4 cores");
        assert_eq!(page.capacity[3].total, "1.0 KiB");
        assert_eq!(page.capacity[1].active, "—");
        assert_eq!(page.strip.len(), 96);
        assert_eq!(page.strip[95].class, "off");
        assert_eq!(page.strip[95].title, "2026-12-07 10:45:00 UTC: offline");
        assert_eq!(page.strip[94].class, "part");
        assert_eq!(page.attributes[0].audited_by, "akash1aud");
        assert_eq!(page.uptime[2].1, "—");
        let html = page.render().unwrap();
        assert_eq!(html.matches("<span class=\"on\"").count(), 94, "{html}");
        let bare = provider_view(&json!({"owner": "akash1bbb", "attributes": []}), vec![], 0);
        assert!(bare.render().unwrap().contains("not probed yet"));
    }

    #[test]
    fn gpu_page_joins_availability_and_prices() {
        let gpu = json!({"gpus": {"total": {"allocatable": 4, "allocated": 1},
            "details": {"nvidia": [{"model": "a100", "ram": "80Gi", "interface": "sxm",
                                    "allocatable": 4, "allocated": 1}]}}});
        let prices = json!({"models": [
            {"vendor": "nvidia", "model": "a100", "ram": "80Gi", "interface": "sxm",
             "price": {"min": 0.5, "med": 0.75, "max": 1.25}},
            {"vendor": "nvidia", "model": "t4", "ram": "16Gi", "interface": "pcie",
             "price": null}]});
        let page = gpu_view(Ok(&gpu), &prices);
        assert_eq!(page.rows.len(), 2);
        let a = &page.rows[0];
        assert_eq!(
            (a.utilization.as_str(), a.med.as_str()),
            ("25.00 %", "0.75 USD/h")
        );
        assert_eq!(page.rows[1].min, "—");
        assert!(page.rows[1].bids.contains("--akt-usd"));
        assert_eq!(page.total_utilization, "25.00 %");
        let page = gpu_view(
            Err("GPU availability is unknown".into()),
            &json!({"models": []}),
        );
        assert_eq!(page.total_allocatable, "—");
        let html = page.render().unwrap();
        assert!(html.contains("GPU availability is unknown"), "{html}");
    }

    async fn get(path: &str) -> (StatusCode, String, String) {
        let dir = tempfile::tempdir().unwrap();
        let db = super::super::indexer::open_db(dir.path()).unwrap();
        let state = ApiState {
            db: Arc::new(db),
            price: super::super::api::PriceSource::None,
        };
        let resp = api::router(state)
            .oneshot(Request::builder().uri(path).body(Body::empty()).unwrap())
            .await
            .unwrap();
        let status = resp.status();
        let ctype = resp
            .headers()
            .get(header::CONTENT_TYPE)
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default();
        let body = axum::body::to_bytes(resp.into_body(), 1 << 24)
            .await
            .unwrap();
        (status, ctype, String::from_utf8_lossy(&body).into_owned())
    }

    #[tokio::test]
    async fn bad_names_and_addresses_get_pages_in_plain_words() {
        let (status, ctype, body) = get("/graph/noSuchSeries").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert!(ctype.starts_with("text/html"), "{ctype}");
        assert!(
            body.contains("There is no graph called &#34;noSuchSeries&#34;"),
            "{body}"
        );
        let (status, _, _) = get("/graph/noSuchSeries.csv").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, _, body) = get("/provider-graph/bogus").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert!(body.contains("count, cpu, gpu, memory, storage"), "{body}");
        let (status, ctype, body) = get("/providers/not-an-address").await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(ctype.starts_with("text/html"));
        assert!(body.contains("is not a provider address"), "{body}");
        let unknown = "akash19rl4cm2hmr8afy4kldpxz3fka4jguq0a3mq6x0";
        let (status, _, body) = get(&format!("/providers/{unknown}")).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert!(body.contains("no provider"), "{body}");
        // An empty index: the dashboard says so instead of showing zeros.
        let (status, _, body) = get("/").await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert!(body.contains("catching up"), "{body}");
        let (status, ctype, _) = get("/static/stats.js").await;
        assert_eq!(status, StatusCode::OK);
        assert!(ctype.starts_with("text/javascript"));
    }
}
