//! Module params on the command line. `kumo query <module> params` for market, deployment,
//! bank and auth (take, staking, distribution, mint, slashing and gov have their own query
//! files and print through [`print_params`] too), and the path a governance params change
//! takes: the node's current params as a JSON object -> fields changed (`--set FIELD=VALUE`
//! or a proposal file's `params`) -> the module's `MsgUpdateParams` with the gov account as
//! authority, checked with the chain's own decode and validation before anything is signed.
//!
//! The SDK replaces a module's params as a whole, so a proposal must carry every field; starting
//! from the current params means only the fields being changed need to be given.

use anyhow::{bail, Context, Result};
use clap::{Args, ValueEnum};
use cosmos_sdk_proto::cosmos::auth::v1beta1 as auth;
use cosmos_sdk_proto::cosmos::bank::v1beta1 as bank;
use cosmos_sdk_proto::cosmos::distribution::v1beta1 as distr;
use cosmos_sdk_proto::cosmos::gov::v1 as gov;
use cosmos_sdk_proto::cosmos::mint::v1beta1 as mint;
use cosmos_sdk_proto::cosmos::slashing::v1beta1 as slashing;
use cosmos_sdk_proto::cosmos::staking::v1beta1 as staking;
use cosmos_sdk_proto::Any;
use kumo_client::tx::to_any;
use kumo_client::RpcClient;
use kumo_proto::akash::deployment::v1beta4 as dv1b4;
use kumo_proto::akash::market::v1beta5 as mv1b5;
use kumo_proto::akash::take::v1 as take;
use kumo_proto::json::{message_from_json, message_json};
use serde_json::{json, Map, Value};

use crate::query_cmd::{print_json, QueryFlags};
use crate::{Globals, Output};

/// A module whose params governance can change (each has a routed `MsgUpdateParams`).
/// Escrow has no params in Akash; bank and auth have no `MsgUpdateParams` in kumo.
#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum ParamsModule {
    /// akash.take.v1: take rates on provider withdrawals (percent).
    Take,
    /// akash.market.v1beta5: bid deposit, open bids per order.
    Market,
    /// akash.deployment.v1beta4: minimum deployment deposits.
    Deployment,
    /// cosmos.staking.v1beta1: unbonding time, validator count, bond denom.
    Staking,
    /// cosmos.distribution.v1beta1: community tax.
    Distribution,
    /// cosmos.mint.v1beta1: inflation bounds, bonded goal, blocks per year.
    Mint,
    /// cosmos.slashing.v1beta1: signing window, penalties.
    Slashing,
    /// cosmos.gov.v1: deposits, voting periods, quorum, thresholds.
    Gov,
}

impl ParamsModule {
    pub const ALL: [ParamsModule; 8] = [
        ParamsModule::Take,
        ParamsModule::Market,
        ParamsModule::Deployment,
        ParamsModule::Staking,
        ParamsModule::Distribution,
        ParamsModule::Mint,
        ParamsModule::Slashing,
        ParamsModule::Gov,
    ];

    pub fn name(self) -> &'static str {
        match self {
            ParamsModule::Take => "take",
            ParamsModule::Market => "market",
            ParamsModule::Deployment => "deployment",
            ParamsModule::Staking => "staking",
            ParamsModule::Distribution => "distribution",
            ParamsModule::Mint => "mint",
            ParamsModule::Slashing => "slashing",
            ParamsModule::Gov => "gov",
        }
    }

    /// The type URL of the module's `MsgUpdateParams`, as the chain routes it.
    pub fn msg_type_url(self) -> &'static str {
        match self {
            ParamsModule::Take => kumo_app::take::msgs::MSG_UPDATE_PARAMS,
            ParamsModule::Market => kumo_app::market::msgs::MSG_UPDATE_PARAMS,
            ParamsModule::Deployment => kumo_app::deployment::msgs::MSG_UPDATE_PARAMS,
            ParamsModule::Staking => kumo_app::staking::msgs::MSG_UPDATE_PARAMS,
            ParamsModule::Distribution => kumo_app::distribution::msgs::MSG_UPDATE_PARAMS,
            ParamsModule::Mint => kumo_app::mint::msgs::MSG_UPDATE_PARAMS,
            ParamsModule::Slashing => kumo_app::slashing::msgs::MSG_UPDATE_PARAMS,
            ParamsModule::Gov => kumo_app::gov::msgs::MSG_UPDATE_PARAMS,
        }
    }

    pub fn from_type_url(url: &str) -> Option<ParamsModule> {
        ParamsModule::ALL
            .into_iter()
            .find(|m| m.msg_type_url() == url)
    }

    /// The module's current params as a JSON object: the field names and value forms that
    /// `--set` and proposal files use (SDK JSON: decimals as decimals, durations like `3600s`).
    pub fn current(self, client: &RpcClient) -> Result<Map<String, Value>> {
        let v = match self {
            ParamsModule::Take => {
                let r: take::QueryParamsResponse = client
                    .query_proto("/akash.take.v1.Query/Params", &take::QueryParamsRequest {})?;
                message_json(&r.params.unwrap_or_default())
            }
            ParamsModule::Market => {
                let r: mv1b5::QueryParamsResponse = client.query_proto(
                    "/akash.market.v1beta5.Query/Params",
                    &mv1b5::QueryParamsRequest {},
                )?;
                message_json(&r.params.unwrap_or_default())
            }
            ParamsModule::Deployment => {
                let r: dv1b4::QueryParamsResponse = client.query_proto(
                    "/akash.deployment.v1beta4.Query/Params",
                    &dv1b4::QueryParamsRequest {},
                )?;
                message_json(&r.params.unwrap_or_default())
            }
            ParamsModule::Staking => {
                let r: staking::QueryParamsResponse = client.query_proto(
                    "/cosmos.staking.v1beta1.Query/Params",
                    &staking::QueryParamsRequest {},
                )?;
                serde_json::to_value(kumo_app::staking::genesis::ParamsJson::from_params(
                    &r.params.unwrap_or_default(),
                ))?
            }
            ParamsModule::Distribution => {
                let r: distr::QueryParamsResponse = client.query_proto(
                    "/cosmos.distribution.v1beta1.Query/Params",
                    &distr::QueryParamsRequest {},
                )?;
                serde_json::to_value(kumo_app::distribution::genesis::ParamsJson::from_params(
                    &r.params.unwrap_or_default(),
                ))?
            }
            ParamsModule::Mint => {
                let r: mint::QueryParamsResponse = client.query_proto(
                    "/cosmos.mint.v1beta1.Query/Params",
                    &mint::QueryParamsRequest {},
                )?;
                serde_json::to_value(kumo_app::mint::genesis::ParamsJson::from_params(
                    &r.params.unwrap_or_default(),
                ))?
            }
            ParamsModule::Slashing => {
                let r: slashing::QueryParamsResponse = client.query_proto(
                    "/cosmos.slashing.v1beta1.Query/Params",
                    &slashing::QueryParamsRequest {},
                )?;
                serde_json::to_value(kumo_app::slashing::genesis::ParamsJson::from_params(
                    &r.params.unwrap_or_default(),
                ))?
            }
            ParamsModule::Gov => {
                let r: gov::QueryParamsResponse = client.query_proto(
                    "/cosmos.gov.v1.Query/Params",
                    &gov::QueryParamsRequest {
                        params_type: String::new(),
                    },
                )?;
                serde_json::to_value(kumo_app::gov::genesis::ParamsJson::from_params(
                    &r.params.unwrap_or_default(),
                ))?
            }
        };
        match v {
            Value::Object(m) => Ok(m),
            other => bail!("{} params are not a JSON object: {other}", self.name()),
        }
    }

    /// The `MsgUpdateParams` setting `params` (a full params object in the form of
    /// [`ParamsModule::current`]), checked the way the chain checks it at submission.
    pub fn update_msg(self, authority: &str, params: &Map<String, Value>) -> Result<Any> {
        let v = Value::Object(params.clone());
        let name = self.name();
        let bad = |e: String| anyhow::anyhow!("invalid {name} params: {e}");
        let sdk = |e: serde_json::Error| anyhow::anyhow!("invalid {name} params: {e}");
        let authority = authority.to_string();
        let any = match self {
            ParamsModule::Take => to_any(&take::MsgUpdateParams {
                authority,
                params: Some(message_from_json(&v).map_err(bad)?),
            }),
            ParamsModule::Market => to_any(&mv1b5::MsgUpdateParams {
                authority,
                params: Some(message_from_json(&v).map_err(bad)?),
            }),
            ParamsModule::Deployment => to_any(&dv1b4::MsgUpdateParams {
                authority,
                params: Some(message_from_json(&v).map_err(bad)?),
            }),
            ParamsModule::Staking => {
                let p: kumo_app::staking::genesis::ParamsJson =
                    serde_json::from_value(v).map_err(sdk)?;
                to_any(&staking::MsgUpdateParams {
                    authority,
                    params: Some(p.to_params().map_err(|e| bad(e.log))?),
                })
            }
            ParamsModule::Distribution => {
                let p: kumo_app::distribution::genesis::ParamsJson =
                    serde_json::from_value(v).map_err(sdk)?;
                to_any(&distr::MsgUpdateParams {
                    authority,
                    params: Some(p.to_params().map_err(|e| bad(e.log))?),
                })
            }
            ParamsModule::Mint => {
                let p: kumo_app::mint::genesis::ParamsJson =
                    serde_json::from_value(v).map_err(sdk)?;
                to_any(&mint::MsgUpdateParams {
                    authority,
                    params: Some(p.to_params().map_err(|e| bad(e.log))?),
                })
            }
            ParamsModule::Slashing => {
                let p: kumo_app::slashing::genesis::ParamsJson =
                    serde_json::from_value(v).map_err(sdk)?;
                to_any(&slashing::MsgUpdateParams {
                    authority,
                    params: Some(p.to_params().map_err(|e| bad(e.log))?),
                })
            }
            ParamsModule::Gov => {
                let p: kumo_app::gov::genesis::ParamsJson =
                    serde_json::from_value(v).map_err(sdk)?;
                to_any(&gov::MsgUpdateParams {
                    authority,
                    params: Some(p.to_params().map_err(|e| bad(e.log))?),
                })
            }
        };
        // The chain's own decode + ValidateBasic: a bad value fails here, before signing.
        kumo_app::msgs::Msg::from_any(&any).map_err(|e| bad(e.log))?;
        Ok(any)
    }
}

/// The params a `MsgUpdateParams` carries, in the form of [`ParamsModule::current`]:
/// `(authority, params)`.
pub fn decode_update(module: ParamsModule, any: &Any) -> Result<(String, Value)> {
    use prost::Message;
    let bytes = any.value.as_slice();
    Ok(match module {
        ParamsModule::Take => {
            let m = take::MsgUpdateParams::decode(bytes)?;
            (m.authority, message_json(&m.params.unwrap_or_default()))
        }
        ParamsModule::Market => {
            let m = mv1b5::MsgUpdateParams::decode(bytes)?;
            (m.authority, message_json(&m.params.unwrap_or_default()))
        }
        ParamsModule::Deployment => {
            let m = dv1b4::MsgUpdateParams::decode(bytes)?;
            (m.authority, message_json(&m.params.unwrap_or_default()))
        }
        ParamsModule::Staking => {
            let m = staking::MsgUpdateParams::decode(bytes)?;
            let p =
                kumo_app::staking::genesis::ParamsJson::from_params(&m.params.unwrap_or_default());
            (m.authority, serde_json::to_value(p)?)
        }
        ParamsModule::Distribution => {
            let m = distr::MsgUpdateParams::decode(bytes)?;
            let p = kumo_app::distribution::genesis::ParamsJson::from_params(
                &m.params.unwrap_or_default(),
            );
            (m.authority, serde_json::to_value(p)?)
        }
        ParamsModule::Mint => {
            let m = mint::MsgUpdateParams::decode(bytes)?;
            let p = kumo_app::mint::genesis::ParamsJson::from_params(&m.params.unwrap_or_default());
            (m.authority, serde_json::to_value(p)?)
        }
        ParamsModule::Slashing => {
            let m = slashing::MsgUpdateParams::decode(bytes)?;
            let p =
                kumo_app::slashing::genesis::ParamsJson::from_params(&m.params.unwrap_or_default());
            (m.authority, serde_json::to_value(p)?)
        }
        ParamsModule::Gov => {
            let m = gov::MsgUpdateParams::decode(bytes)?;
            let p = kumo_app::gov::genesis::ParamsJson::from_params(&m.params.unwrap_or_default());
            (m.authority, serde_json::to_value(p)?)
        }
    })
}

/// A proposal message as the SDK prints it (`{"@type": …, fields…}`), so voters see what a
/// params change sets; a type kumo cannot render shows its type URL only.
pub fn proposal_message_json(any: &Any) -> Value {
    let mut out = Map::new();
    out.insert("@type".into(), Value::String(any.type_url.clone()));
    let body = match ParamsModule::from_type_url(&any.type_url) {
        Some(module) => decode_update(module, any)
            .ok()
            .map(|(authority, params)| json!({"authority": authority, "params": params})),
        None => kumo_proto::json::to_json(any.type_url.trim_start_matches('/'), &any.value).ok(),
    };
    if let Some(Value::Object(fields)) = body {
        out.extend(fields);
    }
    Value::Object(out)
}

/// The supported `MsgUpdateParams` type URLs, for error messages.
pub fn supported_type_urls() -> String {
    ParamsModule::ALL
        .iter()
        .map(|m| format!("  {:<13} {}", m.name(), m.msg_type_url()))
        .collect::<Vec<_>>()
        .join("\n")
}

fn field_list(current: &Map<String, Value>) -> String {
    current.keys().cloned().collect::<Vec<_>>().join(", ")
}

fn is_coin(v: &Value) -> bool {
    v.as_object()
        .is_some_and(|o| o.len() == 2 && o.contains_key("denom") && o.contains_key("amount"))
}

fn coins_json(s: &str) -> Result<Vec<Value>> {
    Ok(kumo_client::parse_coins(s)?
        .into_iter()
        .map(|c| json!({"denom": c.denom, "amount": c.amount}))
        .collect())
}

/// Reads VALUE in the form of the field's current value: numbers, true/false, text (decimals,
/// durations like `30s`), coins (`500000uakt`, or `500000uakt,500000uact` for a list), or JSON
/// for anything else (`[{"denom":"uakt","rate":10}]`).
fn parse_value(module: &str, field: &str, current: &Value, text: &str) -> Result<Value> {
    let t = text.trim();
    let json_like = t.starts_with('[') || t.starts_with('{') || t == "null";
    let as_json = || -> Result<Value> {
        serde_json::from_str(t).with_context(|| {
            format!(
                "{module}.{field}: {t:?} is not JSON; the current value is {}",
                current
            )
        })
    };
    Ok(match current {
        Value::String(_) => Value::String(t.to_string()),
        Value::Bool(_) => match t {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            _ => bail!("{module}.{field} is true or false, not {t:?}"),
        },
        Value::Number(_) => {
            let n: serde_json::Number = t
                .parse()
                .ok()
                .filter(|n: &serde_json::Number| n.is_u64())
                .with_context(|| format!("{module}.{field} is a whole number, not {t:?}"))?;
            Value::Number(n)
        }
        _ if json_like => as_json()?,
        Value::Array(items) if items.iter().all(is_coin) => Value::Array(
            coins_json(t).with_context(|| format!("{module}.{field} is a list of coins"))?,
        ),
        c if is_coin(c) => {
            let mut coins = coins_json(t).with_context(|| format!("{module}.{field} is a coin"))?;
            if coins.len() != 1 {
                bail!("{module}.{field} is one coin such as 500000uakt, not {t:?}");
            }
            coins.remove(0)
        }
        Value::Null => Value::String(t.to_string()),
        other => bail!(
            "{module}.{field} takes JSON shaped like its current value {}",
            other
        ),
    })
}

/// Applies `FIELD=VALUE` changes to `current`; unknown fields are refused with the field list.
pub fn apply_sets(
    module: ParamsModule,
    current: &Map<String, Value>,
    sets: &[String],
) -> Result<Map<String, Value>> {
    let name = module.name();
    let mut out = current.clone();
    for s in sets {
        let (field, value) = s
            .split_once('=')
            .with_context(|| format!("--set {s:?} is not FIELD=VALUE"))?;
        let field = field.trim();
        let Some(cur) = current.get(field) else {
            bail!(
                "{name} params have no field {field:?}; they are: {}",
                field_list(current)
            );
        };
        out.insert(field.to_string(), parse_value(name, field, cur, value)?);
    }
    Ok(out)
}

/// Overlays a proposal file's `params` object on `current`: fields it leaves out keep their
/// current values; fields the module does not have are refused with the field list.
pub fn merge_params(
    module: ParamsModule,
    current: &Map<String, Value>,
    given: &Value,
) -> Result<Map<String, Value>> {
    let name = module.name();
    let given = given
        .as_object()
        .with_context(|| format!("\"params\" of the {name} MsgUpdateParams must be an object"))?;
    let mut out = current.clone();
    for (k, v) in given {
        if !current.contains_key(k) {
            bail!(
                "{name} params have no field {k:?}; they are: {}",
                field_list(current)
            );
        }
        out.insert(k.clone(), v.clone());
    }
    Ok(out)
}

/// One line per changed field: `  FIELD: OLD -> NEW`.
pub fn diff(old: &Map<String, Value>, new: &Map<String, Value>) -> Vec<String> {
    new.iter()
        .filter(|(k, v)| old.get(*k) != Some(v))
        .map(|(k, v)| {
            format!(
                "  {k}: {} -> {}",
                old.get(k).map_or("(unset)".to_string(), render),
                render(v)
            )
        })
        .collect()
}

/// A value as a person reads it: text unquoted, coins as `500000uakt`, lists comma separated.
pub fn render(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "(unset)".into(),
        c if is_coin(c) => format!(
            "{}{}",
            c["amount"].as_str().unwrap_or_default(),
            c["denom"].as_str().unwrap_or_default()
        ),
        Value::Array(items) if items.is_empty() => "(none)".into(),
        Value::Array(items) if items.iter().all(is_coin) => {
            items.iter().map(render).collect::<Vec<_>>().join(",")
        }
        other => other.to_string(),
    }
}

/// Prints params: `json` as it is with `--output json`, else `text` one field a line.
pub fn print_params(g: &Globals, json: &Value, text: &Map<String, Value>) -> Result<()> {
    match g.output {
        Output::Json => print_json(json),
        Output::Text => {
            let width = text.keys().map(String::len).max().unwrap_or(0);
            for (k, v) in text {
                println!("{k:<width$}  {}", render(v));
            }
        }
    }
    Ok(())
}

/// Like [`print_params`] when the JSON is the params object itself.
pub fn print_params_object(g: &Globals, v: &Value) -> Result<()> {
    match v {
        Value::Object(m) => print_params(g, v, m),
        other => {
            print_json(other);
            Ok(())
        }
    }
}

#[derive(Args, Debug)]
pub struct ParamsQueryArgs {
    #[command(flatten)]
    pub query: QueryFlags,
}

/// `kumo query market|deployment params`: the SDK REST shape `{"params": {…}}` with `-o json`.
pub fn query_module(g: &Globals, module: ParamsModule, a: &ParamsQueryArgs) -> Result<()> {
    let p = module.current(&a.query.client())?;
    print_params(g, &json!({ "params": p }), &p)
}

/// `kumo query bank params`.
pub fn query_bank(g: &Globals, a: &ParamsQueryArgs) -> Result<()> {
    let r: bank::QueryParamsResponse = a.query.client().query_proto(
        "/cosmos.bank.v1beta1.Query/Params",
        &bank::QueryParamsRequest {},
    )?;
    #[allow(deprecated)]
    let p = r.params.unwrap_or_default();
    #[allow(deprecated)]
    let send_enabled: Vec<Value> = p
        .send_enabled
        .iter()
        .map(|s| json!({"denom": s.denom, "enabled": s.enabled}))
        .collect();
    let obj = json!({
        "send_enabled": send_enabled,
        "default_send_enabled": p.default_send_enabled,
    });
    print_params(
        g,
        &json!({ "params": obj }),
        obj.as_object().expect("object"),
    )
}

/// `kumo query auth params`.
pub fn query_auth(g: &Globals, a: &ParamsQueryArgs) -> Result<()> {
    let r: auth::QueryParamsResponse = a.query.client().query_proto(
        "/cosmos.auth.v1beta1.Query/Params",
        &auth::QueryParamsRequest {},
    )?;
    let p = r.params.unwrap_or_default();
    // The SDK's REST answer quotes 64-bit integers.
    let obj = json!({
        "max_memo_characters": p.max_memo_characters.to_string(),
        "tx_sig_limit": p.tx_sig_limit.to_string(),
        "tx_size_cost_per_byte": p.tx_size_cost_per_byte.to_string(),
        "sig_verify_cost_ed25519": p.sig_verify_cost_ed25519.to_string(),
        "sig_verify_cost_secp256k1": p.sig_verify_cost_secp256k1.to_string(),
    });
    print_params(
        g,
        &json!({ "params": obj }),
        obj.as_object().expect("object"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn take_now() -> Map<String, Value> {
        message_json(&kumo_app::take::state::default_params())
            .as_object()
            .unwrap()
            .clone()
    }

    fn gov_authority() -> String {
        kumo_app::auth::module_address("gov").to_bech32(kumo_crypto::ACCOUNT_HRP)
    }

    #[test]
    fn set_changes_fields_in_their_own_form_and_shows_the_diff() {
        let now = take_now();
        let new = apply_sets(
            ParamsModule::Take,
            &now,
            &[
                "default_take_rate=30".into(),
                r#"denom_take_rates=[{"denom":"uakt","rate":10}]"#.into(),
            ],
        )
        .unwrap();
        assert_eq!(
            diff(&now, &new),
            vec![
                "  default_take_rate: 20 -> 30",
                r#"  denom_take_rates: [{"denom":"uakt","rate":4}] -> [{"denom":"uakt","rate":10}]"#,
            ]
        );
        let any = ParamsModule::Take
            .update_msg(&gov_authority(), &new)
            .unwrap();
        assert_eq!(any.type_url, "/akash.take.v1.MsgUpdateParams");
        let m: take::MsgUpdateParams = prost::Message::decode(any.value.as_slice()).unwrap();
        let p = m.params.unwrap();
        assert_eq!((p.default_take_rate, p.denom_take_rates[0].rate), (30, 10));
    }

    #[test]
    fn coins_durations_and_decimals_round_trip_for_sdk_and_akash_params() {
        let gov_now = serde_json::to_value(kumo_app::gov::genesis::ParamsJson::from_params(
            &kumo_app::gov::state::default_params(),
        ))
        .unwrap();
        let gov_now = gov_now.as_object().unwrap();
        let new = apply_sets(
            ParamsModule::Gov,
            gov_now,
            &[
                "voting_period=30s".into(),
                "expedited_voting_period=15s".into(),
                "min_deposit=10000000uakt".into(),
                "quorum=0.1".into(),
            ],
        )
        .unwrap();
        let any = ParamsModule::Gov
            .update_msg(&gov_authority(), &new)
            .unwrap();
        let m: gov::MsgUpdateParams = prost::Message::decode(any.value.as_slice()).unwrap();
        let p = m.params.unwrap();
        assert_eq!(p.voting_period.unwrap().seconds, 30);
        assert_eq!(p.min_deposit[0].amount, "10000000");
        // Decimals are stored in the SDK's 18-digit form; fields not set keep their values.
        assert_eq!(p.quorum, "0.100000000000000000");
        assert_eq!(p.min_deposit_ratio, "0.010000000000000000");
        let market_now = message_json(&kumo_app::market::state::default_params());
        let new = apply_sets(
            ParamsModule::Market,
            market_now.as_object().unwrap(),
            &[
                "bid_min_deposit=1000000uakt".into(),
                "order_max_bids=5".into(),
            ],
        )
        .unwrap();
        let any = ParamsModule::Market
            .update_msg(&gov_authority(), &new)
            .unwrap();
        let m: mv1b5::MsgUpdateParams = prost::Message::decode(any.value.as_slice()).unwrap();
        let p = m.params.unwrap();
        assert_eq!(p.order_max_bids, 5);
        assert_eq!(p.bid_min_deposit.unwrap().amount, "1000000");
    }

    #[test]
    fn bad_fields_and_values_get_clear_errors() {
        let now = take_now();
        let e = apply_sets(ParamsModule::Take, &now, &["take_rate=3".into()]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "take params have no field \"take_rate\"; they are: default_take_rate, denom_take_rates"
        );
        let e =
            apply_sets(ParamsModule::Take, &now, &["default_take_rate=lots".into()]).unwrap_err();
        assert!(e.to_string().contains("whole number"), "{e}");
        let e = apply_sets(ParamsModule::Take, &now, &["default_take_rate".into()]).unwrap_err();
        assert!(e.to_string().contains("is not FIELD=VALUE"), "{e}");
        // Values the chain refuses are refused before signing, with the chain's reason.
        let new = apply_sets(ParamsModule::Take, &now, &["default_take_rate=101".into()]).unwrap();
        let e = ParamsModule::Take
            .update_msg(&gov_authority(), &new)
            .unwrap_err();
        assert!(e.to_string().contains("above 100 percent"), "{e}");
        let e = merge_params(ParamsModule::Take, &now, &json!({"rate": 3})).unwrap_err();
        assert!(e.to_string().contains("no field \"rate\""), "{e}");
        assert!(supported_type_urls().contains("/cosmos.gov.v1.MsgUpdateParams"));
        // A proposal's message prints with its params.
        let new = apply_sets(ParamsModule::Take, &now, &["default_take_rate=30".into()]).unwrap();
        let any = ParamsModule::Take
            .update_msg(&gov_authority(), &new)
            .unwrap();
        let shown = proposal_message_json(&any);
        assert_eq!(shown["@type"], "/akash.take.v1.MsgUpdateParams");
        assert_eq!(shown["authority"], gov_authority());
        assert_eq!(shown["params"]["default_take_rate"], 30);
        assert_eq!(
            ParamsModule::from_type_url("/akash.market.v1beta5.MsgUpdateParams"),
            Some(ParamsModule::Market)
        );
    }
}
