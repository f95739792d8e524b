//! bank genesis in the Cosmos JSON layout: params, balances, supply (checked against the
//! balances when given), denom metadata.

use super::state::*;
use crate::auth::parse_address;
use crate::coins::{parse_amount, validate_denom, Coin};
use crate::ctx::Ctx;
use crate::errors::{SdkError, SdkResult};
use cosmos_sdk_proto::cosmos::bank::v1beta1::{DenomUnit, Metadata, Params};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct GenesisState {
    #[serde(default)]
    pub params: ParamsJson,
    #[serde(default)]
    pub balances: Vec<Balance>,
    #[serde(default)]
    pub supply: Vec<CoinJson>,
    #[serde(default)]
    pub denom_metadata: Vec<MetadataJson>,
    #[serde(default)]
    pub send_enabled: Vec<SendEnabledJson>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ParamsJson {
    #[serde(default)]
    pub send_enabled: Vec<SendEnabledJson>,
    #[serde(default = "yes")]
    pub default_send_enabled: bool,
}

fn yes() -> bool {
    true
}

impl Default for ParamsJson {
    fn default() -> Self {
        ParamsJson {
            send_enabled: vec![],
            default_send_enabled: true,
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SendEnabledJson {
    pub denom: String,
    pub enabled: bool,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Balance {
    pub address: String,
    pub coins: Vec<CoinJson>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CoinJson {
    pub denom: String,
    pub amount: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct DenomUnitJson {
    pub denom: String,
    #[serde(default)]
    pub exponent: u32,
    #[serde(default)]
    pub aliases: Vec<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct MetadataJson {
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub denom_units: Vec<DenomUnitJson>,
    pub base: String,
    #[serde(default)]
    pub display: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub symbol: String,
    #[serde(default)]
    pub uri: String,
    #[serde(default)]
    pub uri_hash: String,
}

impl Default for GenesisState {
    fn default() -> Self {
        GenesisState {
            params: ParamsJson::default(),
            balances: vec![],
            supply: vec![],
            denom_metadata: vec![],
            send_enabled: vec![],
        }
    }
}

/// Metadata for `uakt` as Akash publishes it (1 AKT = 10^6 uakt).
pub fn akt_metadata() -> MetadataJson {
    MetadataJson {
        description: "The native staking token of the Akash Network.".into(),
        denom_units: vec![
            DenomUnitJson {
                denom: "uakt".into(),
                exponent: 0,
                aliases: vec!["microakt".into()],
            },
            DenomUnitJson {
                denom: "akt".into(),
                exponent: 6,
                aliases: vec![],
            },
        ],
        base: "uakt".into(),
        display: "akt".into(),
        name: "Akash Network".into(),
        symbol: "AKT".into(),
        uri: String::new(),
        uri_hash: String::new(),
    }
}

fn coin(c: &CoinJson) -> SdkResult<Coin> {
    validate_denom(&c.denom)?;
    let amount = parse_amount(&c.amount).map_err(SdkError::invalid_coins)?;
    Ok(Coin::new(c.denom.clone(), amount))
}

pub fn init(ctx: &mut Ctx, g: &GenesisState) -> SdkResult<()> {
    let mut send_enabled = g.params.send_enabled.clone();
    send_enabled.extend(g.send_enabled.iter().cloned());
    #[allow(deprecated)]
    set_params(
        ctx,
        &Params {
            send_enabled: send_enabled
                .iter()
                .map(|s| cosmos_sdk_proto::cosmos::bank::v1beta1::SendEnabled {
                    denom: s.denom.clone(),
                    enabled: s.enabled,
                })
                .collect(),
            default_send_enabled: g.params.default_send_enabled,
        },
    )?;
    let mut totals = std::collections::BTreeMap::<String, u128>::new();
    for b in &g.balances {
        let addr = parse_address("genesis balance", &b.address)?;
        let coins = b.coins.iter().map(coin).collect::<SdkResult<Vec<_>>>()?;
        for c in &coins {
            let t = totals.entry(c.denom.clone()).or_default();
            *t = t
                .checked_add(c.amount)
                .ok_or_else(|| SdkError::invalid_coins("genesis supply overflows"))?;
        }
        mint(ctx, &addr, &coins)?;
    }
    if !g.supply.is_empty() {
        let declared = g
            .supply
            .iter()
            .map(|c| coin(c).map(|c| (c.denom, c.amount)))
            .collect::<SdkResult<std::collections::BTreeMap<_, _>>>()?;
        if declared != totals {
            return Err(SdkError::invalid_coins(format!(
                "genesis supply {declared:?} does not equal the sum of balances {totals:?}"
            )));
        }
    }
    for m in &g.denom_metadata {
        set_metadata(
            ctx,
            &Metadata {
                description: m.description.clone(),
                denom_units: m
                    .denom_units
                    .iter()
                    .map(|u| DenomUnit {
                        denom: u.denom.clone(),
                        exponent: u.exponent,
                        aliases: u.aliases.clone(),
                    })
                    .collect(),
                base: m.base.clone(),
                display: m.display.clone(),
                name: m.name.clone(),
                symbol: m.symbol.clone(),
                uri: m.uri.clone(),
                uri_hash: m.uri_hash.clone(),
            },
        )?;
    }
    Ok(())
}
