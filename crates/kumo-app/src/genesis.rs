//! The genesis file in the CometBFT/Cosmos layout (`genesis_time`, `chain_id`,
//! `initial_height`, `consensus_params`, `validators`, `app_state.{auth,bank,...}`).

use crate::{audit, auth, bank, cert, provider};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Serde for Cosmos JSON integers: written as strings, read from strings or numbers.
pub mod u64_str {
    use serde::{de::Error, Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &u64, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&v.to_string())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
        match serde_json::Value::deserialize(d)? {
            serde_json::Value::String(s) => s
                .parse()
                .map_err(|_| D::Error::custom(format!("{s:?} is not an integer"))),
            serde_json::Value::Number(n) => n
                .as_u64()
                .ok_or_else(|| D::Error::custom(format!("{n} is not a u64"))),
            other => Err(D::Error::custom(format!(
                "expected an integer, got {other}"
            ))),
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Genesis {
    pub genesis_time: String,
    pub chain_id: String,
    #[serde(with = "u64_str", default = "one")]
    pub initial_height: u64,
    #[serde(default)]
    pub consensus_params: serde_json::Value,
    #[serde(default)]
    pub app_hash: String,
    #[serde(default)]
    pub validators: Vec<GenesisValidator>,
    pub app_state: AppState,
}

fn one() -> u64 {
    1
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct GenesisValidator {
    pub address: String,
    pub pub_key: PubKeyJson,
    #[serde(with = "u64_str")]
    pub power: u64,
    #[serde(default)]
    pub name: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PubKeyJson {
    #[serde(rename = "type")]
    pub kind: String,
    pub value: String,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct AppState {
    #[serde(default)]
    pub auth: auth::genesis::GenesisState,
    #[serde(default)]
    pub bank: bank::genesis::GenesisState,
    #[serde(default)]
    pub deployment: crate::deployment::genesis::GenesisState,
    #[serde(default)]
    pub market: crate::market::genesis::GenesisState,
    #[serde(default)]
    pub distribution: crate::distribution::genesis::GenesisState,
    #[serde(default)]
    pub escrow: crate::escrow::genesis::GenesisState,
    #[serde(default)]
    pub take: crate::take::genesis::GenesisState,
    #[serde(default)]
    pub provider: provider::genesis::GenesisState,
    #[serde(default)]
    pub audit: audit::genesis::GenesisState,
    #[serde(default)]
    pub cert: cert::genesis::GenesisState,
    #[serde(default)]
    pub staking: crate::staking::genesis::GenesisState,
    #[serde(default)]
    pub mint: crate::mint::genesis::GenesisState,
    #[serde(default)]
    pub slashing: crate::slashing::genesis::GenesisState,
    #[serde(default)]
    pub gov: crate::gov::genesis::GenesisState,
    #[serde(default)]
    pub authz: crate::authz::genesis::GenesisState,
    #[serde(default)]
    pub feegrant: crate::feegrant::genesis::GenesisState,
    /// Gentxs: the validators a new network starts with.
    #[serde(default)]
    pub genutil: crate::genutil::genesis::GenesisState,
    /// Sections of modules this build does not have yet; kept so exports round-trip.
    #[serde(flatten)]
    pub other: BTreeMap<String, serde_json::Value>,
}

/// CometBFT's default consensus params, with the block size kumo enforces.
pub fn default_consensus_params() -> serde_json::Value {
    serde_json::json!({
        "block": {"max_bytes": crate::app::MAX_BLOCK_BYTES.to_string(), "max_gas": "-1"},
        "evidence": {"max_age_num_blocks": "100000", "max_age_duration": "172800000000000", "max_bytes": "1048576"},
        "validator": {"pub_key_types": ["ed25519"]},
        "version": {"app": "0"},
        "abci": {"vote_extensions_enable_height": "0"}
    })
}

impl Genesis {
    pub fn new(chain_id: &str, genesis_time: &str) -> Genesis {
        let mut app_state = AppState::default();
        app_state
            .bank
            .denom_metadata
            .push(bank::genesis::akt_metadata());
        Genesis {
            genesis_time: genesis_time.into(),
            chain_id: chain_id.into(),
            initial_height: 1,
            consensus_params: default_consensus_params(),
            app_hash: String::new(),
            validators: vec![],
            app_state,
        }
    }

    pub fn from_json(text: &str) -> Result<Genesis, String> {
        serde_json::from_str(text).map_err(|e| format!("invalid genesis file: {e}"))
    }

    /// The staking bond denom (the default params' when the file sets none).
    pub fn bond_denom(&self) -> String {
        self.app_state.staking.params.as_ref().map_or_else(
            || crate::staking::state::default_params().bond_denom,
            |p| p.bond_denom.clone(),
        )
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("genesis serializes")
    }

    /// Adds an account with a balance (`kumo genesis add-account`); merges coins if present.
    pub fn add_account(
        &mut self,
        address: &str,
        coins: &[crate::coins::Coin],
    ) -> Result<(), String> {
        auth::parse_address("account", address).map_err(|e| e.log)?;
        let auth = &mut self.app_state.auth;
        if !auth.accounts.iter().any(|a| a.address == address) {
            let next = auth
                .accounts
                .iter()
                .map(|a| a.account_number + 1)
                .max()
                .unwrap_or(0);
            auth.accounts
                .push(auth::genesis::GenesisAccount::base(address, next));
        }
        let bank = &mut self.app_state.bank;
        let entry = match bank.balances.iter_mut().position(|b| b.address == address) {
            Some(i) => &mut bank.balances[i],
            None => {
                bank.balances.push(bank::genesis::Balance {
                    address: address.into(),
                    coins: vec![],
                });
                bank.balances.last_mut().expect("just pushed")
            }
        };
        let mut merged: BTreeMap<String, u128> = BTreeMap::new();
        for c in &entry.coins {
            merged.insert(c.denom.clone(), crate::coins::parse_amount(&c.amount)?);
        }
        for c in coins {
            let v = merged.entry(c.denom.clone()).or_default();
            *v = v.checked_add(c.amount).ok_or("balance overflows")?;
        }
        entry.coins = merged
            .into_iter()
            .map(|(denom, amount)| bank::genesis::CoinJson {
                denom,
                amount: amount.to_string(),
            })
            .collect();
        bank.supply.clear(); // recomputed from balances at init
        Ok(())
    }
}
