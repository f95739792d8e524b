//! authz on the command line: `kumo tx authz grant|revoke|exec …` and `kumo query authz
//! grants …`. `exec` runs messages of a generated tx file (or one `--msg-json`) as their
//! signer, the granter, with the --from key, the grantee, signing the MsgExec.
//! A deposit grant lets the grantee fund escrow deposits from the granter's balance
//! (`--deposit-source grant` on the deployment and bid commands).

use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand, ValueEnum};
use cosmos_sdk_proto::cosmos::authz::v1beta1 as authz;
use cosmos_sdk_proto::cosmos::bank::v1beta1::SendAuthorization;
use cosmos_sdk_proto::cosmos::base::query::v1beta1::PageRequest;
use cosmos_sdk_proto::Any;
use kumo_app::authz::authorization::any_to_json;
use kumo_client::parse_coins;
use kumo_client::tx::to_any;
use kumo_proto::akash::escrow::id::v1::Scope;
use kumo_proto::akash::escrow::v1::DepositAuthorization;
use kumo_proto::time::{parse_rfc3339, timestamp_rfc3339};
use prost::Message;
use serde_json::{json, Value};

use crate::keys_cmd::KeyringArgs;
use crate::query_cmd::{print_json, resolve_address, QueryFlags};
use crate::tx_cmd::{execute, TxFlags};
use crate::Globals;

#[derive(Subcommand, Debug)]
pub enum AuthzTxCmd {
    /// Grant GRANTEE an authorization to act for the --from key.
    #[command(after_help = "Examples:\n  \
        kumo tx authz grant --from alice akash1… deposit --spend-limit 5000000uakt -y\n  \
        kumo tx authz grant --from alice bob deposit --spend-limit 5000000uakt --scope deployment,bid \
        --expiration 2027-01-01T00:00:00Z -y\n  \
        kumo tx authz grant --from alice bob send --spend-limit 1000000uakt -y\n  \
        kumo tx authz grant --from alice bob generic --msg-type /akash.market.v1beta5.MsgCreateBid -y")]
    Grant(GrantArgs),
    /// Revoke the grant given to GRANTEE for MSG_TYPE_URL.
    #[command(after_help = "Example:\n  \
        kumo tx authz revoke --from alice bob /akash.escrow.v1.MsgAccountDeposit -y")]
    Revoke(RevokeArgs),
    /// Run messages as the account that granted --from: wraps them in a MsgExec signed by --from.
    #[command(
        after_help = "FILE is a tx as `--generate-only` writes it:         {\"body\":{\"messages\":[{\"@type\":\"/cosmos.bank.v1beta1.MsgSend\",…}]}};         each message's signer is the granter whose grant pays for it.\n\n\
        Examples:\n  \
        kumo tx authz exec tx.json --from bob -y\n  \
        kumo tx authz exec --from bob -y --msg-json '{\"@type\":\"/cosmos.bank.v1beta1.MsgSend\",\
        \"from_address\":\"akash1alice…\",\"to_address\":\"akash1carol…\",\
        \"amount\":[{\"denom\":\"uakt\",\"amount\":\"1000\"}]}'"
    )]
    Exec(ExecArgs),
}

#[derive(Args, Debug)]
pub struct ExecArgs {
    /// A generated tx JSON file whose `body.messages` to run (`-` reads stdin).
    #[arg(required_unless_present = "msg_json", conflicts_with = "msg_json")]
    pub file: Option<std::path::PathBuf>,
    /// One message as proto-JSON with its "@type", instead of FILE.
    #[arg(long, value_name = "JSON")]
    pub msg_json: Option<String>,
    #[command(flatten)]
    pub tx: TxFlags,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum GrantKind {
    /// akash.escrow.v1.DepositAuthorization: escrow deposits up to --spend-limit.
    Deposit,
    /// cosmos.bank.v1beta1.SendAuthorization: bank sends up to --spend-limit.
    Send,
    /// cosmos.authz.v1beta1.GenericAuthorization: any message of --msg-type.
    Generic,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScopeArg {
    Deployment,
    Bid,
}

#[derive(Args, Debug)]
pub struct GrantArgs {
    /// Grantee: akash1… or a key name.
    pub grantee: String,
    /// Authorization type.
    #[arg(value_enum)]
    pub kind: GrantKind,
    /// Limit for deposit and send grants, e.g. 5000000uakt (comma list for several denoms).
    #[arg(long, value_name = "COINS")]
    pub spend_limit: Option<String>,
    /// Deposit grants: escrow scopes the grant pays for (repeatable or comma list).
    #[arg(long, value_enum, value_delimiter = ',', default_value = "deployment")]
    pub scope: Vec<ScopeArg>,
    /// Send grants: the only recipients allowed (default: any).
    #[arg(long, value_delimiter = ',', value_name = "ADDRESS")]
    pub allow_list: Vec<String>,
    /// Generic grants: the message type URL, e.g. /cosmos.gov.v1.MsgVote.
    #[arg(long, value_name = "URL")]
    pub msg_type: Option<String>,
    /// When the grant ends (RFC 3339, e.g. 2027-01-01T00:00:00Z); default: never.
    #[arg(long, value_name = "RFC3339")]
    pub expiration: Option<String>,
    #[command(flatten)]
    pub tx: TxFlags,
}

#[derive(Args, Debug)]
pub struct RevokeArgs {
    /// Grantee: akash1… or a key name.
    pub grantee: String,
    /// Message type URL of the grant, e.g. /akash.escrow.v1.MsgAccountDeposit.
    pub msg_type_url: String,
    #[command(flatten)]
    pub tx: TxFlags,
}

fn granter(g: &Globals, from: &str, keyring: &KeyringArgs) -> Result<String> {
    let kr = keyring.open(&g.home)?;
    let info = kr
        .show(from)
        .with_context(|| format!("--from must be a key name in the {} keyring", kr.backend()))?;
    Ok(info.address.to_string())
}

fn limit(a: &GrantArgs) -> Result<Vec<cosmos_sdk_proto::cosmos::base::v1beta1::Coin>> {
    let Some(s) = &a.spend_limit else {
        bail!("a {:?} grant needs --spend-limit, e.g. 5000000uakt", a.kind);
    };
    let mut coins = parse_coins(s)?;
    coins.sort_by(|x, y| x.denom.cmp(&y.denom));
    Ok(coins)
}

/// The authorization `Any` the grant command describes.
fn authorization(g: &Globals, a: &GrantArgs) -> Result<Any> {
    Ok(match a.kind {
        GrantKind::Deposit => {
            let mut scopes = Vec::new();
            for s in &a.scope {
                let s = match s {
                    ScopeArg::Deployment => Scope::Deployment,
                    ScopeArg::Bid => Scope::Bid,
                } as i32;
                if !scopes.contains(&s) {
                    scopes.push(s);
                }
            }
            Any {
                type_url: kumo_app::authz::DEPOSIT_AUTHORIZATION.into(),
                value: DepositAuthorization {
                    spend_limit: Some(cosmos_sdk_proto::cosmos::base::v1beta1::Coin {
                        denom: "uakt".into(),
                        amount: "0".into(),
                    }),
                    scopes,
                    spend_limits: limit(a)?,
                }
                .encode_to_vec(),
            }
        }
        GrantKind::Send => Any {
            type_url: kumo_app::authz::SEND_AUTHORIZATION.into(),
            value: SendAuthorization {
                spend_limit: limit(a)?,
                allow_list: a
                    .allow_list
                    .iter()
                    .map(|s| resolve_address(s, &a.tx.keyring, &g.home))
                    .collect::<Result<_>>()?,
            }
            .encode_to_vec(),
        },
        GrantKind::Generic => {
            let Some(url) = &a.msg_type else {
                bail!("a generic grant needs --msg-type, e.g. /cosmos.gov.v1.MsgVote");
            };
            Any {
                type_url: kumo_app::authz::GENERIC_AUTHORIZATION.into(),
                value: authz::GenericAuthorization { msg: url.clone() }.encode_to_vec(),
            }
        }
    })
}

/// The messages of a generated tx (`{"body":{"messages":[…]}}`) as `Any`s.
pub fn messages_from_tx_json(tx: &Value) -> Result<Vec<Any>> {
    let Some(list) = tx.pointer("/body/messages") else {
        bail!("the file is not a generated tx: it has no body.messages (write one with --generate-only)");
    };
    let list = list
        .as_array()
        .context("body.messages must be a list of messages")?;
    if list.is_empty() {
        bail!("body.messages is empty: there is nothing to execute");
    }
    list.iter()
        .enumerate()
        .map(|(i, m)| message_from_json(m).with_context(|| format!("body.messages[{i}]")))
        .collect()
}

/// One proto-JSON message with its "@type" as an `Any`; MsgExec itself cannot be nested.
pub fn message_from_json(m: &Value) -> Result<Any> {
    let any = kumo_proto::json::any_from_json(m).map_err(|e| anyhow::anyhow!("{e}"))?;
    if any.type_url == <authz::MsgExec as prost::Name>::type_url() {
        bail!("a MsgExec cannot run inside a MsgExec");
    }
    // Decoded and checked as the chain will, so a bad message fails before signing.
    kumo_app::msgs::Msg::from_any(&any).map_err(|e| anyhow::anyhow!("{}: {e}", any.type_url))?;
    Ok(any)
}

fn exec_msgs(a: &ExecArgs) -> Result<Vec<Any>> {
    if let Some(text) = &a.msg_json {
        let v: Value = serde_json::from_str(text).context("--msg-json is not valid JSON")?;
        return Ok(vec![message_from_json(&v).context("--msg-json")?]);
    }
    let path = a.file.as_ref().context("give FILE or --msg-json")?;
    let text = if path.as_os_str() == "-" {
        std::io::read_to_string(std::io::stdin()).context("cannot read the tx from stdin")?
    } else {
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?
    };
    let v: Value = serde_json::from_str(&text)
        .with_context(|| format!("{} is not valid JSON", path.display()))?;
    messages_from_tx_json(&v).with_context(|| format!("in {}", path.display()))
}

pub fn run_tx(g: &Globals, c: AuthzTxCmd) -> Result<()> {
    match c {
        AuthzTxCmd::Exec(a) => {
            let msgs = exec_msgs(&a)?;
            let msg = authz::MsgExec {
                grantee: granter(g, &a.tx.from, &a.tx.keyring)?,
                msgs,
            };
            execute(g, &a.tx, &a.tx.from, vec![to_any(&msg)])
        }
        AuthzTxCmd::Grant(a) => {
            let expiration = a
                .expiration
                .as_deref()
                .map(parse_rfc3339)
                .transpose()
                .map_err(|e| anyhow::anyhow!("--expiration: {e}"))?;
            let msg = authz::MsgGrant {
                granter: granter(g, &a.tx.from, &a.tx.keyring)?,
                grantee: resolve_address(&a.grantee, &a.tx.keyring, &g.home)?,
                grant: Some(authz::Grant {
                    authorization: Some(authorization(g, &a)?),
                    expiration,
                }),
            };
            execute(g, &a.tx, &a.tx.from, vec![to_any(&msg)])
        }
        AuthzTxCmd::Revoke(a) => {
            let msg = authz::MsgRevoke {
                granter: granter(g, &a.tx.from, &a.tx.keyring)?,
                grantee: resolve_address(&a.grantee, &a.tx.keyring, &g.home)?,
                msg_type_url: a.msg_type_url.clone(),
            };
            execute(g, &a.tx, &a.tx.from, vec![to_any(&msg)])
        }
    }
}

// ---- query ------------------------------------------------------------------------------

#[derive(Subcommand, Debug)]
pub enum AuthzQueryCmd {
    /// Grants by granter and/or grantee (both: optionally one --msg-type).
    #[command(after_help = "Examples:\n  \
        kumo query authz grants --granter alice --grantee bob\n  \
        kumo query authz grants --grantee bob --output json")]
    Grants(GrantsArgs),
}

#[derive(Args, Debug)]
pub struct GrantsArgs {
    /// Granter: akash1… or key name.
    #[arg(long)]
    pub granter: Option<String>,
    /// Grantee: akash1… or key name.
    #[arg(long)]
    pub grantee: Option<String>,
    /// Only the grant for this message type URL (needs --granter and --grantee).
    #[arg(long, value_name = "URL")]
    pub msg_type: Option<String>,
    #[command(flatten)]
    pub query: QueryFlags,
    #[command(flatten)]
    pub keyring: KeyringArgs,
}

fn all() -> Option<PageRequest> {
    Some(PageRequest {
        limit: 1000,
        count_total: true,
        ..Default::default()
    })
}

fn grant_json(granter: &str, grantee: &str, g: &authz::Grant) -> Result<Value> {
    grant_authorization_json(&authz::GrantAuthorization {
        granter: granter.into(),
        grantee: grantee.into(),
        authorization: g.authorization.clone(),
        expiration: g.expiration,
    })
}

fn grant_authorization_json(g: &authz::GrantAuthorization) -> Result<Value> {
    let authorization = match &g.authorization {
        Some(a) => any_to_json(a).map_err(|e| anyhow::anyhow!("{e}"))?,
        None => Value::Null,
    };
    Ok(json!({
        "granter": g.granter,
        "grantee": g.grantee,
        "authorization": authorization,
        "expiration": g.expiration.as_ref().map(timestamp_rfc3339),
    }))
}

pub fn run_query(g: &Globals, c: AuthzQueryCmd) -> Result<()> {
    let AuthzQueryCmd::Grants(a) = c;
    let path = |m: &str| format!("/cosmos.authz.v1beta1.Query/{m}");
    let resolve = |s: &Option<String>| {
        s.as_deref()
            .map(|s| resolve_address(s, &a.keyring, &g.home))
            .transpose()
    };
    let client = a.query.client();
    let grants: Vec<Value> = match (resolve(&a.granter)?, resolve(&a.grantee)?) {
        (Some(granter), Some(grantee)) => {
            let r: authz::QueryGrantsResponse = client.query_proto(
                &path("Grants"),
                &authz::QueryGrantsRequest {
                    granter: granter.clone(),
                    grantee: grantee.clone(),
                    msg_type_url: a.msg_type.clone().unwrap_or_default(),
                    pagination: if a.msg_type.is_some() { None } else { all() },
                },
            )?;
            r.grants
                .iter()
                .map(|x| grant_json(&granter, &grantee, x))
                .collect::<Result<_>>()?
        }
        _ if a.msg_type.is_some() => bail!("--msg-type needs both --granter and --grantee"),
        (Some(granter), None) => {
            let r: authz::QueryGranterGrantsResponse = client.query_proto(
                &path("GranterGrants"),
                &authz::QueryGranterGrantsRequest {
                    granter,
                    pagination: all(),
                },
            )?;
            r.grants
                .iter()
                .map(grant_authorization_json)
                .collect::<Result<_>>()?
        }
        (None, Some(grantee)) => {
            let r: authz::QueryGranteeGrantsResponse = client.query_proto(
                &path("GranteeGrants"),
                &authz::QueryGranteeGrantsRequest {
                    grantee,
                    pagination: all(),
                },
            )?;
            r.grants
                .iter()
                .map(grant_authorization_json)
                .collect::<Result<_>>()?
        }
        (None, None) => bail!("give --granter, --grantee or both"),
    };
    print_json(&json!({ "grants": grants }));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALICE: &str = "akash1am058pdux3hyulcmfgj4m3hhrlfn8nzm2u3qk6";
    const CAROL: &str = "akash19rl4cm2hmr8afy4kldpxz3fka4jguq0a3mq6x0";

    #[test]
    fn exec_reads_generated_tx_files() {
        let valoper = ALICE
            .parse::<kumo_crypto::Address>()
            .unwrap()
            .to_bech32("akashvaloper");
        let tx = json!({"body": {"messages": [
            {"@type": "/cosmos.bank.v1beta1.MsgSend", "from_address": ALICE, "to_address": CAROL,
             "amount": [{"denom": "uakt", "amount": "1000"}]},
            {"@type": "/cosmos.staking.v1beta1.MsgDelegate", "delegator_address": ALICE,
             "validator_address": valoper,
             "amount": {"denom": "uakt", "amount": "5"}}
        ], "memo": ""}, "auth_info": {}, "signatures": []});
        let msgs = messages_from_tx_json(&tx).unwrap();
        assert_eq!(msgs[0].type_url, "/cosmos.bank.v1beta1.MsgSend");
        let send =
            cosmos_sdk_proto::cosmos::bank::v1beta1::MsgSend::decode(msgs[0].value.as_slice())
                .unwrap();
        assert_eq!(
            (send.from_address.as_str(), send.amount[0].amount.as_str()),
            (ALICE, "1000")
        );
        assert_eq!(msgs[1].type_url, "/cosmos.staking.v1beta1.MsgDelegate");
    }

    #[test]
    fn exec_refuses_what_the_chain_would() {
        let err = |v: Value| messages_from_tx_json(&v).unwrap_err();
        assert!(format!("{:#}", err(json!({"messages": []}))).contains("body.messages"));
        assert!(format!("{:#}", err(json!({"body": {"messages": []}}))).contains("empty"));
        let nested = json!({"body": {"messages": [{"@type": "/cosmos.authz.v1beta1.MsgExec", "grantee": ALICE, "msgs": []}]}});
        assert!(format!("{:#}", err(nested)).contains("cannot run inside a MsgExec"));
        let bad_amount = json!({"body": {"messages": [{"@type": "/cosmos.bank.v1beta1.MsgSend",
            "from_address": ALICE, "to_address": CAROL, "amount": [{"denom": "uakt", "amount": "0"}]}]}});
        assert!(format!("{:#}", err(bad_amount)).contains("body.messages[0]"));
        let unknown = json!({"body": {"messages": [{"@type": "/no.such.v1.Msg"}]}});
        assert!(format!("{:#}", err(unknown)).contains("unknown message type"));
    }
}
