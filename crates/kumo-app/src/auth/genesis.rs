//! auth genesis: params and accounts in the Cosmos JSON layout
//! (`{"params":{...},"accounts":[{"@type":"/cosmos.auth.v1beta1.BaseAccount",...}]}`).

use super::state::*;
use crate::ctx::Ctx;
use crate::errors::{SdkError, SdkResult};
use crate::genesis::u64_str;
use cosmos_sdk_proto::cosmos::auth::v1beta1::{BaseAccount, Params};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct GenesisState {
    #[serde(default = "default_params_json")]
    pub params: ParamsJson,
    #[serde(default)]
    pub accounts: Vec<GenesisAccount>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParamsJson {
    #[serde(with = "u64_str")]
    pub max_memo_characters: u64,
    #[serde(with = "u64_str")]
    pub tx_sig_limit: u64,
    #[serde(with = "u64_str")]
    pub tx_size_cost_per_byte: u64,
    #[serde(with = "u64_str")]
    pub sig_verify_cost_ed25519: u64,
    #[serde(with = "u64_str")]
    pub sig_verify_cost_secp256k1: u64,
}

impl Default for ParamsJson {
    fn default() -> Self {
        default_params_json()
    }
}

fn default_params_json() -> ParamsJson {
    let p = default_params();
    ParamsJson {
        max_memo_characters: p.max_memo_characters,
        tx_sig_limit: p.tx_sig_limit,
        tx_size_cost_per_byte: p.tx_size_cost_per_byte,
        sig_verify_cost_ed25519: p.sig_verify_cost_ed25519,
        sig_verify_cost_secp256k1: p.sig_verify_cost_secp256k1,
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct GenesisAccount {
    #[serde(rename = "@type")]
    pub type_url: String,
    pub address: String,
    #[serde(default)]
    pub pub_key: Option<serde_json::Value>,
    #[serde(with = "u64_str", default)]
    pub account_number: u64,
    #[serde(with = "u64_str", default)]
    pub sequence: u64,
}

impl GenesisAccount {
    pub fn base(address: &str, number: u64) -> Self {
        GenesisAccount {
            type_url: BASE_ACCOUNT_URL.into(),
            address: address.into(),
            pub_key: None,
            account_number: number,
            sequence: 0,
        }
    }
}

pub fn init(ctx: &mut Ctx, g: &GenesisState) -> SdkResult<()> {
    let p = &g.params;
    set_params(
        ctx,
        &Params {
            max_memo_characters: p.max_memo_characters,
            tx_sig_limit: p.tx_sig_limit,
            tx_size_cost_per_byte: p.tx_size_cost_per_byte,
            sig_verify_cost_ed25519: p.sig_verify_cost_ed25519,
            sig_verify_cost_secp256k1: p.sig_verify_cost_secp256k1,
        },
    )?;
    let mut numbers = std::collections::BTreeSet::new();
    for a in &g.accounts {
        if a.type_url != BASE_ACCOUNT_URL {
            return Err(SdkError::invalid_type(format!(
                "genesis account {} has type {}; only {BASE_ACCOUNT_URL} is supported",
                a.address, a.type_url
            )));
        }
        let addr = parse_address("genesis account", &a.address)?;
        if get_account(ctx, &addr)?.is_some() {
            return Err(SdkError::invalid_request(format!(
                "duplicate genesis account {}",
                a.address
            )));
        }
        // Genesis numbers are taken as written but must be unique; new accounts follow them.
        if !numbers.insert(a.account_number) {
            return Err(SdkError::invalid_request(format!(
                "genesis account {} reuses account number {}",
                a.address, a.account_number
            )));
        }
        let acc = new_account(ctx, &addr)?;
        let mut base: BaseAccount = acc.base().clone();
        base.account_number = a.account_number;
        base.sequence = a.sequence;
        set_account(ctx, &addr, &Account::Base(base))?;
    }
    // Later accounts get numbers after the highest one used at genesis.
    let next = numbers
        .iter()
        .next_back()
        .map_or(0, |n| n + 1)
        .max(g.accounts.len() as u64);
    set_next_account_number(ctx, next)?;
    for (name, perms) in MODULE_ACCOUNTS {
        ensure_module_account(ctx, name, perms)?;
    }
    Ok(())
}
