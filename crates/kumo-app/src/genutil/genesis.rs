//! genutil genesis: `app_state.genutil.gen_txs`, delivered at InitChain as the SDK's
//! `DeliverGenTxs` does (full ante: signature, sequence; then the staking message), followed
//! by the staking set update that bonds the new validators.

use super::{check_distinct, GenTx, SignerFacts};
use crate::abci::ValidatorUpdate;
use crate::ante::{self, AnteParams, SigCache};
use crate::ctx::Ctx;
use crate::errors::{SdkError, SdkResult, SDK};
use crate::gas::GasMeter;
use crate::staking::state as staking;
use kumo_crypto::Address;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct GenesisState {
    /// Signed txs in the SDK's proto-JSON, kept verbatim so the file round-trips.
    #[serde(default)]
    pub gen_txs: Vec<serde_json::Value>,
}

/// A genesis problem in plain words (never reaches a client as a tx result).
fn bad(what: impl std::fmt::Display) -> SdkError {
    SdkError {
        codespace: SDK,
        code: 18,
        log: what.to_string(),
    }
}

/// Runs every gentx in order, then updates the bonded set. Must run after every other
/// module's genesis: gentxs spend genesis balances and create staking validators.
pub fn init(ctx: &mut Ctx, g: &GenesisState) -> SdkResult<()> {
    if g.gen_txs.is_empty() {
        return Ok(());
    }
    let gentxs = g
        .gen_txs
        .iter()
        .enumerate()
        .map(|(i, v)| GenTx::from_json(v).map_err(|e| bad(format!("gentx {}: {e}", i + 1))))
        .collect::<SdkResult<Vec<_>>>()?;
    let label = |i: usize, t: &GenTx| format!("gentx {} {}", i + 1, t.label());
    // The clash message names the validator once; a short label per gentx is enough there.
    let short = |i: usize, t: &GenTx| format!("gentx {} ({:?})", i + 1, t.moniker);
    check_distinct(gentxs.iter().enumerate().map(|(i, t)| (short(i, t), t))).map_err(bad)?;
    let sig_cache = SigCache::default();
    let p = AnteParams {
        min_gas_prices: &[],
        sig_cache: &sig_cache,
    };
    for (i, t) in gentxs.iter().enumerate() {
        deliver(ctx, t, &p).map_err(|e| bad(format!("{}: {e}", label(i, t))))?;
    }
    crate::staking::apply_validator_set_updates(ctx)?;
    Ok(())
}

fn deliver(ctx: &mut Ctx, t: &GenTx, p: &AnteParams) -> Result<(), String> {
    if staking::validator(ctx, &t.signer).is_some() {
        return Err(format!(
            "validator {} is already in the staking genesis; remove one of the two",
            t.operator()
        ));
    }
    if staking::validator_by_cons(ctx, &staking::cons_address(&t.cons_pubkey)).is_some() {
        return Err(
            "its consensus key already belongs to a validator in the staking genesis; \
             each validator needs its own node key"
                .into(),
        );
    }
    let denom = staking::bond_denom(ctx);
    let facts = signer_facts(ctx, &t.signer, &denom).map_err(|e| e.log)?;
    t.check_signer(&ctx.block.chain_id, &denom, facts)?;
    // The tx runs with its own gas limit, as DeliverTx would run it.
    let gas_limit = t.tx.auth_info.fee.as_ref().map_or(0, |f| f.gas_limit);
    let outer = std::mem::replace(&mut ctx.gas, GasMeter::new(gas_limit));
    let result = ante::run(ctx, &t.tx, p).and_then(|()| t.tx.msgs[0].execute(ctx));
    ctx.gas = outer;
    result
        .map(|_| ())
        .map_err(|e| format!("it failed: {}", e.log))
}

fn signer_facts(ctx: &mut Ctx, addr: &Address, denom: &str) -> SdkResult<Option<SignerFacts>> {
    let Some(acc) = crate::auth::get_account(ctx, addr)? else {
        return Ok(None);
    };
    Ok(Some(SignerFacts {
        account_number: acc.base().account_number,
        sequence: acc.base().sequence,
        bond_denom_balance: crate::bank::state::balance(ctx, addr, denom)?,
    }))
}

/// The bonded set after genesis (staking genesis validators and gentxs alike), in the order
/// the staking set update reports it: by power, then operator.
pub fn bonded_validators(ctx: &Ctx) -> Vec<ValidatorUpdate> {
    let last: BTreeMap<Address, i64> = staking::last_powers(ctx).into_iter().collect();
    ctx.prefix_free(staking::POWER)
        .iter()
        .filter_map(|(k, _)| {
            let op = Address::from_slice(&k[staking::POWER.len() + 8..]).ok()?;
            let power = *last.get(&op)?;
            let v = staking::validator(ctx, &op)?;
            Some(ValidatorUpdate {
                pub_key: v.cons_pubkey.to_vec(),
                power,
            })
        })
        .collect()
}
