//! Sign-in and the console's one signing path.
//!
//! Two ways to sign in, both kept in a session cookie (`kumo_console`, HttpOnly, SameSite=Strict,
//! so another site cannot make the browser act with it):
//! - **a local key** from the keyring (`--home`, `--keyring-backend`); the file backend's
//!   passphrase is typed into the page, POSTed to this 127.0.0.1 server only, used once to
//!   unlock the key, and the unlocked key is held in memory for the session (never written or
//!   logged);
//! - **Keplr or Leap**: `static/console.js` suggests the chain ([`GET /api/chain-info`]), enables
//!   it and posts the wallet's public key; the private key stays in the wallet.
//!
//! Every action signs through [`submit`]: the server builds the messages, simulates gas and
//! prices the fee. A local key signs on the server and the transaction is broadcast at once. For
//! a browser wallet the answer is a "sign request" fragment: console.js fetches the sign doc
//! (`GET /api/tx/{id}`: bodyBytes, authInfoBytes, chainId, accountNumber, or the amino
//! StdSignDoc for a Ledger-backed account), asks the wallet (`signDirect` / `signAmino`) and
//! posts the signature to `POST /api/tx/{id}/signature`, which assembles the TxRaw, broadcasts
//! it and waits for the block. Either way, once the transaction is in a block the page loads the
//! caller's `next` URL in place of the fragment; a failure is shown in plain words with what to
//! do, and the form that started it stays on the page for another try.

use std::time::{Duration, Instant};

use anyhow::Result;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use cosmos_sdk_proto::cosmos::tx::signing::v1beta1::SignMode;
use cosmos_sdk_proto::cosmos::tx::v1beta1::TxRaw;
use cosmos_sdk_proto::Any;
use kumo_client::send::{prepare_unsigned, UnsignedTx};
use kumo_client::{ClientError, FeeOpts, RpcClient, TxInfo, TxSignMode};
use kumo_crypto::{PrivKey, PubKey};
use prost::Message;
use serde::Deserialize;
use serde_json::{json, Value};

use super::{blocking, esc, ConsoleState};
use crate::web::{self, Nav};

/// The session cookie's name.
pub const COOKIE: &str = "kumo_console";

/// How long a transaction waits for a browser wallet's signature before it is dropped.
const PENDING_TTL: Duration = Duration::from_secs(10 * 60);

/// How long the console waits for a broadcast transaction to be in a block.
const INCLUSION_WAIT: Duration = Duration::from_secs(60);

/// Who signs for an account.
#[derive(Clone)]
pub enum Signer {
    /// A keyring key, unlocked for this session.
    Local(PrivKey),
    /// Keplr/Leap in the browser: only the public key is known here. `amino` when the wallet
    /// signs only LEGACY_AMINO_JSON (a Ledger behind Keplr).
    Browser { pubkey: PubKey, amino: bool },
}

/// The signed-in account of a session.
#[derive(Clone)]
pub struct Account {
    /// The session cookie value (sign requests belong to the session that made them).
    pub session: String,
    pub address: String,
    /// The key name (local) or the wallet's account name (Keplr/Leap).
    pub name: String,
    pub signer: Signer,
}

impl Account {
    /// `alice (akash19rl4…6x0)` for the navigation bar.
    pub fn short(&self) -> String {
        let a = &self.address;
        let short = if a.len() > 16 {
            format!("{}…{}", &a[..10], &a[a.len() - 4..])
        } else {
            a.clone()
        };
        format!("{} ({short})", self.name)
    }

    pub fn is_local(&self) -> bool {
        matches!(self.signer, Signer::Local(_))
    }

    /// "local key" or "Keplr/Leap" for pages.
    pub fn kind(&self) -> &'static str {
        match self.signer {
            Signer::Local(_) => "local key",
            Signer::Browser { amino: true, .. } => "Keplr/Leap (amino signing)",
            Signer::Browser { .. } => "Keplr/Leap",
        }
    }
}

pub struct Session {
    pub account: Account,
}

/// A transaction waiting for a browser wallet's signature.
pub struct PendingTx {
    pub session: String,
    pub unsigned: UnsignedTx,
    pub pubkey: PubKey,
    pub mode: TxSignMode,
    pub what: String,
    pub next: String,
    pub created: Instant,
}

pub fn routes() -> Router<ConsoleState> {
    Router::new()
        .route("/wallet", get(wallet_page))
        .route("/wallet/local", post(sign_in_local))
        .route("/wallet/browser", post(sign_in_browser))
        .route("/wallet/signout", post(sign_out))
        .route("/wallet/certificate", post(publish_certificate))
        .route("/api/chain-info", get(chain_info))
        .route("/api/tx/prepare", post(prepare_api))
        .route("/api/tx/{id}", get(sign_doc_api))
        .route("/api/tx/{id}/signature", post(signature_api))
        .route("/api/tx/{id}/cancel", post(cancel_api))
}

// ---------------------------------------------------------------- sessions

/// The session cookie's value, if the request carries one.
pub fn session_id(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == COOKIE)
        .map(|(_, v)| v.to_string())
}

/// The signed-in account of this request, if any.
pub fn current(state: &ConsoleState, headers: &HeaderMap) -> Option<Account> {
    let id = session_id(headers)?;
    let sessions = state.sessions.lock().expect("sessions lock");
    sessions.get(&id).map(|s| s.account.clone())
}

fn new_id() -> String {
    hex::encode(rand::random::<[u8; 16]>())
}

/// Starts a session for `account` and returns the Set-Cookie header value.
fn start_session(state: &ConsoleState, make: impl FnOnce(String) -> Account) -> HeaderValue {
    let id = new_id();
    let account = make(id.clone());
    state
        .sessions
        .lock()
        .expect("sessions lock")
        .insert(id.clone(), Session { account });
    HeaderValue::from_str(&format!("{COOKIE}={id}; Path=/; HttpOnly; SameSite=Strict"))
        .expect("hex cookie is a valid header")
}

// ---------------------------------------------------------------- wallet page

struct KeyRow {
    name: String,
    address: String,
}

#[derive(askama::Template)]
#[template(path = "console/wallet.html")]
struct WalletPage {
    nav: Nav,
    account: Option<Account>,
    keys: Vec<KeyRow>,
    keyring_backend: &'static str,
    needs_passphrase: bool,
    error: Option<String>,
    balance: Option<String>,
    certificate: Option<String>,
}

async fn wallet_page(State(state): State<ConsoleState>, headers: HeaderMap) -> Response {
    render_wallet(&state, current(&state, &headers), None, StatusCode::OK).await
}

async fn render_wallet(
    state: &ConsoleState,
    account: Option<Account>,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let st = state.clone();
    let address = account.as_ref().map(|a| a.address.clone());
    let looked_up = blocking(move || {
        let keys = st
            .keyring()?
            .list()?
            .into_iter()
            .filter(|k| !k.is_multisig())
            .map(|k| KeyRow {
                name: k.name,
                address: k.address.to_string(),
            })
            .collect::<Vec<_>>();
        let (balance, certificate) = match &address {
            None => (None, None),
            Some(a) => {
                let balance = Some(match st.rpc().balance(a, "uakt") {
                    Ok(b) => akt(b),
                    Err(e) => format!("— (the node did not answer: {e})"),
                });
                let id = super::gateway::identity(&st, a)?;
                let on_chain = kumo_client::certs::valid_on_chain(&st.rpc(), a)
                    .map(|v| v.contains(&id.cert_der))
                    .unwrap_or(false);
                let certificate = Some(if on_chain {
                    format!("published on chain (serial {})", id.serial)
                } else {
                    "not on chain yet: it is published with your first deployment, or now with \
                     the button below"
                        .to_string()
                });
                (balance, certificate)
            }
        };
        Ok((keys, balance, certificate))
    })
    .await;
    let (keys, balance, certificate, error) = match looked_up {
        Ok((k, b, c)) => (k, b, c, error),
        Err(e) => (
            Vec::new(),
            None,
            None,
            Some(error.unwrap_or_else(|| format!("{e:#}"))),
        ),
    };
    web::html(
        status,
        &WalletPage {
            nav: state.nav("/wallet", account.as_ref()),
            account,
            keys,
            keyring_backend: state.keyring_backend.as_str(),
            needs_passphrase: state.keyring_backend.needs_passphrase(),
            error,
            balance,
            certificate,
        },
    )
}

#[derive(Deserialize)]
struct LocalForm {
    name: String,
    #[serde(default)]
    passphrase: String,
}

async fn sign_in_local(
    State(state): State<ConsoleState>,
    headers: HeaderMap,
    Form(f): Form<LocalForm>,
) -> Response {
    let st = state.clone();
    let name = f.name.clone();
    // The passphrase moves into the closure and is dropped with it; it is never logged.
    let unlocked = blocking(move || {
        let kr = st.keyring()?;
        kr.show(&name).map_err(|e| anyhow::anyhow!("{e}"))?;
        let pass = st
            .keyring_backend
            .needs_passphrase()
            .then_some(f.passphrase);
        kr.signer(&name, pass.as_deref())
            .map_err(|e| anyhow::anyhow!("cannot unlock key {name:?}: {e} (check the passphrase)"))
    })
    .await;
    match unlocked {
        Ok(key) => {
            let address = key.address().to_string();
            let cookie = start_session(&state, |session| Account {
                session,
                address,
                name: f.name,
                signer: Signer::Local(key),
            });
            let mut r = Redirect::to("/").into_response();
            r.headers_mut().insert(header::SET_COOKIE, cookie);
            r
        }
        Err(e) => {
            render_wallet(
                &state,
                current(&state, &headers),
                Some(format!("{e:#}")),
                StatusCode::BAD_REQUEST,
            )
            .await
        }
    }
}

#[derive(Deserialize)]
struct BrowserKey {
    address: String,
    /// Base64 of the 33-byte compressed secp256k1 key (`getKey().pubKey`).
    pubkey: String,
    #[serde(default)]
    name: String,
    /// `getKey().isNanoLedger`: a Ledger signs only amino JSON.
    #[serde(default)]
    ledger: bool,
}

fn json_error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, Json(json!({"ok": false, "error": message.into()}))).into_response()
}

async fn sign_in_browser(State(state): State<ConsoleState>, Json(k): Json<BrowserKey>) -> Response {
    let pubkey = match B64
        .decode(k.pubkey.trim())
        .ok()
        .and_then(|b| PubKey::from_bytes(&b).ok())
    {
        Some(p) => p,
        None => {
            return json_error(
                StatusCode::BAD_REQUEST,
                "the wallet's public key is not a base64 secp256k1 key",
            )
        }
    };
    let derived = pubkey.address().to_string();
    if derived != k.address {
        return json_error(
            StatusCode::BAD_REQUEST,
            format!(
                "the wallet's address {} does not belong to its public key (which is {derived}); \
                 is the wallet set to the akash prefix?",
                k.address
            ),
        );
    }
    let name = if k.name.trim().is_empty() {
        "wallet".to_string()
    } else {
        k.name.trim().chars().take(40).collect()
    };
    let cookie = start_session(&state, |session| Account {
        session,
        address: derived.clone(),
        name,
        signer: Signer::Browser {
            pubkey,
            amino: k.ledger,
        },
    });
    let mut r = Json(json!({"ok": true, "address": derived})).into_response();
    r.headers_mut().insert(header::SET_COOKIE, cookie);
    r
}

async fn sign_out(State(state): State<ConsoleState>, headers: HeaderMap) -> Response {
    if let Some(id) = session_id(&headers) {
        state.sessions.lock().expect("sessions lock").remove(&id);
        state
            .pending
            .lock()
            .expect("pending lock")
            .retain(|_, p| p.session != id);
    }
    let mut r = Redirect::to("/wallet").into_response();
    r.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static("kumo_console=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict"),
    );
    r
}

async fn publish_certificate(State(state): State<ConsoleState>, headers: HeaderMap) -> Response {
    let Some(account) = current(&state, &headers) else {
        return not_signed_in();
    };
    let st = state.clone();
    let address = account.address.clone();
    match blocking(move || super::gateway::certificate_msgs(&st, &address)).await {
        Ok(msgs) if msgs.is_empty() => {
            Html("<div class=\"notice\">Your certificate is already on chain.</div>".to_string())
                .into_response()
        }
        Ok(msgs) => submit(
            &state,
            &account,
            msgs,
            "publish the console certificate",
            "",
        )
        .await
        .into_response(),
        Err(e) => Html(error_fragment(&format!("{e:#}"))).into_response(),
    }
}

/// The fragment a signed-out visitor gets from an action.
pub fn not_signed_in() -> Response {
    (
        StatusCode::UNAUTHORIZED,
        Html(
            "<div class=\"error\" role=\"alert\">You are not signed in. Sign in on the \
             <a href=\"/wallet\">wallet page</a> (a local key or Keplr/Leap), then try again.</div>"
                .to_string(),
        ),
    )
        .into_response()
}

/// Keplr's `ChainInfo` for `experimentalSuggestChain`.
async fn chain_info(State(state): State<ConsoleState>) -> Json<Value> {
    let akt = json!({"coinDenom": "AKT", "coinMinimalDenom": "uakt", "coinDecimals": 6});
    let mut fee = akt.clone();
    fee["gasPriceStep"] = json!({"low": 0.025, "average": 0.025, "high": 0.04});
    Json(json!({
        "chainId": state.chain_id,
        "chainName": format!("kumo ({})", state.chain_id),
        "rpc": state.node,
        "rest": state.rest,
        "bip44": {"coinType": 118},
        "bech32Config": {
            "bech32PrefixAccAddr": "akash", "bech32PrefixAccPub": "akashpub",
            "bech32PrefixValAddr": "akashvaloper", "bech32PrefixValPub": "akashvaloperpub",
            "bech32PrefixConsAddr": "akashvalcons", "bech32PrefixConsPub": "akashvalconspub"
        },
        "currencies": [akt],
        "feeCurrencies": [fee],
        "stakeCurrency": akt,
        "features": []
    }))
}

// ---------------------------------------------------------------- signing

/// Micro-AKT as AKT with up to six decimals: `5000000` → `5 AKT`, `1500` → `0.0015 AKT`.
pub fn akt(uakt: u128) -> String {
    let whole = web::fmt::thousands(uakt / 1_000_000);
    let frac = uakt % 1_000_000;
    if frac == 0 {
        format!("{whole} AKT")
    } else {
        let f = format!("{frac:06}");
        format!("{whole}.{} AKT", f.trim_end_matches('0'))
    }
}

/// `5000000uakt` (or a list) as `5 AKT`; other denoms as they are.
fn coins_text(coins: &str) -> String {
    coins
        .split(',')
        .map(|c| {
            let c = c.trim();
            match c.strip_suffix("uakt").and_then(|n| n.parse::<u128>().ok()) {
                Some(n) => akt(n),
                None => c.to_string(),
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Why a transaction did not go through.
#[derive(Debug)]
pub enum TxError {
    /// The node could not be asked, or refused while simulating.
    Client(ClientError),
    /// The transaction was refused at CheckTx or failed in a block.
    Failed {
        code: u32,
        codespace: String,
        log: String,
        height: Option<u64>,
    },
    Other(anyhow::Error),
}

impl From<ClientError> for TxError {
    fn from(e: ClientError) -> Self {
        TxError::Client(e)
    }
}

/// Broadcasts signed TxRaw bytes and waits for the block (blocking).
pub fn broadcast_and_wait(rpc: &RpcClient, tx_bytes: &[u8]) -> Result<TxInfo, TxError> {
    let res = rpc.broadcast_tx_sync(tx_bytes)?;
    if res.code != 0 {
        return Err(TxError::Failed {
            code: res.code,
            codespace: res.codespace,
            log: res.log,
            height: None,
        });
    }
    let info = rpc.wait_for_tx(&res.hash, INCLUSION_WAIT)?;
    if info.code != 0 {
        return Err(TxError::Failed {
            code: info.code,
            codespace: info.codespace.clone(),
            log: info.log.clone(),
            height: Some(info.height),
        });
    }
    Ok(info)
}

/// The first `N<denom>` after `marker` in a chain log (`… is smaller than 5000000uakt: …`).
fn amount_after(log: &str, marker: &str) -> Option<String> {
    let rest = &log[log.find(marker)? + marker.len()..];
    let token: String = rest
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == ',' || *c == '/')
        .collect();
    (!token.is_empty()).then_some(token)
}

/// A failed transaction in plain words with what to do (blocking: reads the balance for an
/// insufficient-funds failure).
pub fn plain_words(state: &ConsoleState, address: &str, e: &TxError) -> String {
    let (code, codespace, log) = match e {
        TxError::Failed {
            code,
            codespace,
            log,
            ..
        } => (Some(*code), codespace.as_str(), log.clone()),
        TxError::Client(ClientError::Simulation {
            code,
            codespace,
            log,
        }) => (Some(*code), codespace.as_str(), log.clone()),
        TxError::Client(ClientError::AccountNotFound(a)) => {
            return format!(
                "Account {a} does not exist on chain yet: it has never received tokens. Send it \
                 some AKT first (e.g. `kumo tx bank send --from alice {a} 10000000uakt`)."
            )
        }
        TxError::Client(ClientError::Unreachable { url, .. }) => {
            return format!(
                "The node at {url} does not answer, so nothing was sent. Check that the node is \
                 running, then try again."
            )
        }
        TxError::Client(ClientError::Timeout { hash, secs }) => {
            return format!(
                "The transaction {hash} was sent but was not in a block within {secs} s. It may \
                 still be included: reload this page in a minute before trying again, or you may \
                 pay twice."
            )
        }
        TxError::Client(other) => return format!("The transaction could not be prepared: {other}"),
        TxError::Other(e) => return format!("{e:#}"),
    };
    let sdk = codespace == "sdk" || codespace.is_empty();
    let lower = log.to_ascii_lowercase();
    if (sdk && code == Some(5)) || lower.contains("insufficient funds") {
        let balance = state
            .rpc()
            .balance(address, "uakt")
            .map(akt)
            .unwrap_or_else(|_| "unknown (the node did not answer)".into());
        let needs = amount_after(&log, "smaller than ")
            .map(|c| coins_text(&c))
            .unwrap_or_else(|| "more than that".into());
        return format!(
            "Not enough funds: your balance is {balance}, and this transaction needs {needs} \
             (plus its fee). Lower the deposit or add funds to {address}, then try again. \
             Nothing was sent."
        );
    }
    if (sdk && code == Some(11)) || lower.contains("out of gas") {
        return "The transaction ran out of gas (the chain used more than was estimated). \
                Nothing changed except the fee; press the button again and the console \
                estimates the gas afresh."
            .into();
    }
    if (sdk && code == Some(32)) || lower.contains("account sequence mismatch") {
        return "Another transaction from this account was still being processed (sequence \
                mismatch). Wait a few seconds and press the button again."
            .into();
    }
    if (sdk && code == Some(4)) || lower.contains("signature verification failed") {
        return format!(
            "The chain rejected the signature: it must be made by account {address} for chain \
             {}. Check that the wallet shows this account and chain, then try again. Nothing \
             was changed.",
            state.chain_id
        );
    }
    if (sdk && code == Some(13)) || lower.contains("insufficient fee") {
        return format!(
            "The fee was too low for the node ({log}). Press the button again; if the wallet \
             lets you edit the fee, leave it as the console set it."
        );
    }
    format!(
        "The chain refused the transaction (code {}, {codespace}): {log}",
        code.unwrap_or(0)
    )
}

/// An error message as a page fragment.
pub fn error_fragment(message: &str) -> String {
    format!("<div class=\"error\" role=\"alert\">{}</div>", esc(message))
}

/// The fragment after a transaction is in a block: it loads `next` in its place (htmx), or just
/// says so when `next` is empty.
fn done_fragment(what: &str, info: &TxInfo, next: &str) -> String {
    let load = if next.is_empty() {
        String::new()
    } else {
        format!(
            " hx-get=\"{}\" hx-trigger=\"load\" hx-swap=\"outerHTML\"",
            esc(next)
        )
    };
    format!(
        "<div class=\"notice tx-done\"{load}>✓ {}: in block {} (tx <span class=\"mono\">{}</span>).{}</div>",
        esc(what),
        info.height,
        esc(&info.hash),
        if next.is_empty() { "" } else { " Loading the next step…" }
    )
}

/// **The signing path of every console action** (deploy, accept a bid, add funds, update,
/// close, publish a certificate): signs `msgs` as `account` and answers with an HTML fragment to
/// swap into the page.
///
/// - Local key: simulates gas, signs, broadcasts and waits for the block here; the fragment then
///   loads `next` (a URL of the next step; `""` for none) in its place.
/// - Keplr/Leap: builds and prices the transaction, keeps it for [`PENDING_TTL`] and answers a
///   `.sign-request` fragment; `console.js` has the wallet sign it, posts the signature, and on
///   success loads `next` the same way.
///
/// Failures (before or after broadcasting) come back as a `.error` fragment in plain words with
/// what to do. `what` names the action for the user ("create deployment 123").
///
/// ```ignore
/// let msgs = vec![to_any(&MsgAccountDeposit { .. })];
/// wallet::submit(&state, &account, msgs, "add 5 AKT to deployment 42", "/deployments/42").await
/// ```
pub async fn submit(
    state: &ConsoleState,
    account: &Account,
    msgs: Vec<Any>,
    what: &str,
    next: &str,
) -> Html<String> {
    let st = state.clone();
    let acct = account.clone();
    match &account.signer {
        Signer::Local(key) => {
            let key = key.clone();
            let outcome = tokio::task::spawn_blocking(move || {
                let rpc = st.rpc();
                let r = (|| {
                    let u = prepare_unsigned(
                        &rpc,
                        &key.pubkey(),
                        Some(&st.chain_id),
                        msgs,
                        &FeeOpts::default(),
                        None,
                    )?;
                    let signed = u.builder.sign(&key);
                    broadcast_and_wait(&rpc, &signed.tx_bytes)
                })();
                r.map_err(|e| plain_words(&st, &acct.address, &e))
            })
            .await;
            Html(match outcome {
                Ok(Ok(info)) => done_fragment(what, &info, next),
                Ok(Err(words)) => error_fragment(&words),
                Err(e) => error_fragment(&format!("the signing task failed: {e}")),
            })
        }
        Signer::Browser { pubkey, amino } => {
            let pubkey = pubkey.clone();
            let mode = if *amino {
                TxSignMode::AminoJson
            } else {
                TxSignMode::Direct
            };
            let prepared = tokio::task::spawn_blocking(move || {
                prepare_unsigned(
                    &st.rpc(),
                    &pubkey,
                    Some(&st.chain_id),
                    msgs,
                    &FeeOpts::default(),
                    None,
                )
                .map_err(|e| plain_words(&st, &acct.address, &TxError::Client(e)))
            })
            .await;
            let unsigned = match prepared {
                Ok(Ok(u)) => u,
                Ok(Err(words)) => return Html(error_fragment(&words)),
                Err(e) => return Html(error_fragment(&format!("the signing task failed: {e}"))),
            };
            let fee = coins_text(&kumo_client::format_coins(&unsigned.fee));
            let id = add_pending(
                state,
                PendingTx {
                    session: account.session.clone(),
                    unsigned,
                    pubkey: match &account.signer {
                        Signer::Browser { pubkey, .. } => pubkey.clone(),
                        Signer::Local(k) => k.pubkey(),
                    },
                    mode,
                    what: what.to_string(),
                    next: next.to_string(),
                    created: Instant::now(),
                },
            );
            Html(format!(
                "<div class=\"notice sign-request\" data-request=\"{id}\" data-next=\"{}\">\
                 Waiting for your wallet to sign: <b>{}</b> (fee {}). Approve it in Keplr or \
                 Leap.</div>",
                esc(next),
                esc(what),
                esc(&fee)
            ))
        }
    }
}

fn add_pending(state: &ConsoleState, p: PendingTx) -> String {
    let id = new_id();
    let mut pending = state.pending.lock().expect("pending lock");
    pending.retain(|_, p| p.created.elapsed() < PENDING_TTL);
    pending.insert(id.clone(), p);
    id
}

/// The sign doc of a pending transaction, as console.js hands it to the wallet.
fn sign_doc_json(id: &str, p: &PendingTx) -> Result<Value> {
    let b = &p.unsigned.builder;
    let mut v = json!({
        "id": id,
        "what": p.what,
        "next": p.next,
        "signer": p.unsigned.signer,
        "chainId": p.unsigned.chain_id,
        "accountNumber": p.unsigned.account_number.to_string(),
        "sequence": p.unsigned.sequence.to_string(),
        "gas": p.unsigned.gas_limit.to_string(),
        "fee": kumo_client::format_coins(&p.unsigned.fee),
        "mode": if p.mode == TxSignMode::AminoJson { "amino" } else { "direct" },
        "bodyBytes": B64.encode(b.body_bytes()),
        "authInfoBytes": B64.encode(b.auth_info_bytes(&p.pubkey)),
    });
    if p.mode == TxSignMode::AminoJson {
        let doc: Value = serde_json::from_slice(&b.amino_sign_doc_bytes()?)?;
        v["aminoSignDoc"] = doc;
    }
    Ok(v)
}

async fn sign_doc_api(
    State(state): State<ConsoleState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let Some(session) = session_id(&headers) else {
        return json_error(StatusCode::UNAUTHORIZED, "you are not signed in");
    };
    let pending = state.pending.lock().expect("pending lock");
    match pending.get(&id) {
        Some(p) if p.session == session => match sign_doc_json(&id, p) {
            Ok(v) => Json(v).into_response(),
            Err(e) => json_error(StatusCode::INTERNAL_SERVER_ERROR, format!("{e:#}")),
        },
        _ => json_error(
            StatusCode::NOT_FOUND,
            "this signing request is unknown or expired (they last 10 minutes); start the \
             action again",
        ),
    }
}

#[derive(Deserialize)]
struct PrepareRequest {
    msgs: Vec<MsgJson>,
    #[serde(default)]
    what: String,
}

#[derive(Deserialize)]
struct MsgJson {
    #[serde(rename = "typeUrl")]
    type_url: String,
    /// Base64 of the encoded message.
    value: String,
}

/// `POST /api/tx/prepare`: for a browser-wallet session, builds and prices a transaction of the
/// given messages and answers its sign doc. Local keys do not sign arbitrary messages: they
/// sign only the console's own actions.
async fn prepare_api(
    State(state): State<ConsoleState>,
    headers: HeaderMap,
    Json(req): Json<PrepareRequest>,
) -> Response {
    let Some(account) = current(&state, &headers) else {
        return json_error(StatusCode::UNAUTHORIZED, "you are not signed in");
    };
    let Signer::Browser { pubkey, amino } = account.signer.clone() else {
        return json_error(
            StatusCode::FORBIDDEN,
            "a local key signs only the console's own actions; /api/tx/prepare is for Keplr/Leap",
        );
    };
    let mut msgs = Vec::new();
    for m in req.msgs {
        let Ok(value) = B64.decode(m.value.trim()) else {
            return json_error(
                StatusCode::BAD_REQUEST,
                format!("message {} is not base64", m.type_url),
            );
        };
        msgs.push(Any {
            type_url: m.type_url,
            value,
        });
    }
    let st = state.clone();
    let address = account.address.clone();
    let pk = pubkey.clone();
    let prepared = blocking(move || {
        prepare_unsigned(
            &st.rpc(),
            &pk,
            Some(&st.chain_id),
            msgs,
            &FeeOpts::default(),
            None,
        )
        .map_err(|e| anyhow::anyhow!(plain_words(&st, &address, &TxError::Client(e))))
    })
    .await;
    let unsigned = match prepared {
        Ok(u) => u,
        Err(e) => return json_error(StatusCode::BAD_REQUEST, format!("{e:#}")),
    };
    let p = PendingTx {
        session: account.session.clone(),
        unsigned,
        pubkey,
        mode: if amino {
            TxSignMode::AminoJson
        } else {
            TxSignMode::Direct
        },
        what: if req.what.is_empty() {
            "transaction".into()
        } else {
            req.what
        },
        next: String::new(),
        created: Instant::now(),
    };
    let doc = sign_doc_json("", &p);
    let id = add_pending(&state, p);
    match doc {
        Ok(mut v) => {
            v["id"] = json!(id);
            Json(v).into_response()
        }
        Err(e) => json_error(StatusCode::INTERNAL_SERVER_ERROR, format!("{e:#}")),
    }
}

#[derive(Deserialize)]
struct SignatureRequest {
    /// Base64 of the 64-byte signature.
    signature: String,
    /// The bytes the wallet signed (direct mode): the body must be the one sent; the auth info
    /// may carry a fee the user changed in the wallet.
    #[serde(default, rename = "bodyBytes")]
    body_bytes: Option<String>,
    #[serde(default, rename = "authInfoBytes")]
    auth_info_bytes: Option<String>,
}

/// `POST /api/tx/{id}/signature`: assembles the TxRaw, broadcasts it and waits for the block.
async fn signature_api(
    State(state): State<ConsoleState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Json(req): Json<SignatureRequest>,
) -> Response {
    let Some(account) = current(&state, &headers) else {
        return json_error(StatusCode::UNAUTHORIZED, "you are not signed in");
    };
    let p =
        {
            let mut pending = state.pending.lock().expect("pending lock");
            match pending.get(&id) {
                Some(p) if p.session == account.session => pending.remove(&id).expect("present"),
                _ => return json_error(
                    StatusCode::NOT_FOUND,
                    "this signing request is unknown, expired or already used; start the action \
                     again",
                ),
            }
        };
    let decode = |s: &str| B64.decode(s.trim()).ok();
    let Some(signature) = decode(&req.signature).filter(|s| s.len() == 64) else {
        return json_error(
            StatusCode::BAD_REQUEST,
            "the wallet's signature is not 64 bytes of base64; nothing was sent",
        );
    };
    let b = &p.unsigned.builder;
    let body = b.body_bytes();
    let auth_info = match p.mode {
        TxSignMode::AminoJson => b
            .auth_info(&p.pubkey, SignMode::LegacyAminoJson)
            .encode_to_vec(),
        TxSignMode::Direct => {
            if let Some(signed_body) = req.body_bytes.as_deref() {
                if decode(signed_body).as_deref() != Some(body.as_slice()) {
                    return json_error(
                        StatusCode::BAD_REQUEST,
                        "the wallet signed different messages than the console prepared; \
                         nothing was sent",
                    );
                }
            }
            match req.auth_info_bytes.as_deref() {
                Some(a) => match decode(a) {
                    Some(a) => a,
                    None => {
                        return json_error(StatusCode::BAD_REQUEST, "authInfoBytes is not base64")
                    }
                },
                None => b.auth_info_bytes(&p.pubkey),
            }
        }
    };
    let tx_bytes = TxRaw {
        body_bytes: body,
        auth_info_bytes: auth_info,
        signatures: vec![signature],
    }
    .encode_to_vec();
    let st = state.clone();
    let address = account.address.clone();
    let r = blocking(move || {
        Ok(broadcast_and_wait(&st.rpc(), &tx_bytes).map_err(|e| plain_words(&st, &address, &e)))
    })
    .await;
    match r {
        Ok(Ok(info)) => Json(json!({
            "ok": true, "hash": info.hash, "height": info.height, "what": p.what, "next": p.next,
            "html": done_fragment(&p.what, &info, &p.next),
        }))
        .into_response(),
        Ok(Err(words)) => json_error(StatusCode::UNPROCESSABLE_ENTITY, words),
        Err(e) => json_error(StatusCode::INTERNAL_SERVER_ERROR, format!("{e:#}")),
    }
}

/// `POST /api/tx/{id}/cancel`: the user declined in the wallet; the request is dropped.
async fn cancel_api(
    State(state): State<ConsoleState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let session = session_id(&headers).unwrap_or_default();
    let mut pending = state.pending.lock().expect("pending lock");
    let what = match pending.get(&id) {
        Some(p) if p.session == session => pending.remove(&id).map(|p| p.what),
        _ => None,
    };
    Json(json!({
        "ok": false,
        "error": format!(
            "You declined to sign{} in the wallet, so nothing was sent. Press the button again \
             to retry.",
            what.map(|w| format!(" \u{201c}{w}\u{201d}")).unwrap_or_default()
        )
    }))
    .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn akt_text() {
        assert_eq!(akt(5_000_000), "5 AKT");
        assert_eq!(akt(1_500), "0.0015 AKT");
        assert_eq!(akt(12_345_678_900_000), "12,345,678.9 AKT");
        assert_eq!(coins_text("5000000uakt"), "5 AKT");
        assert_eq!(coins_text("7uact"), "7uact");
    }

    #[test]
    fn amounts_from_chain_logs() {
        let log = "spendable balance 1000uakt is smaller than 5000000uakt: insufficient funds";
        assert_eq!(
            amount_after(log, "smaller than ").as_deref(),
            Some("5000000uakt")
        );
        assert_eq!(amount_after(log, "nothing"), None);
    }

    #[test]
    fn cookie_is_read_among_others() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; kumo_console=abc123; b=2"),
        );
        assert_eq!(session_id(&h).as_deref(), Some("abc123"));
        assert_eq!(session_id(&HeaderMap::new()), None);
    }
}
