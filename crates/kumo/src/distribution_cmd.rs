//! `kumo tx distribution …` (withdraw rewards and commission, withdraw address, fund the
//! community pool) and `kumo query distribution …`.

use anyhow::{bail, Result};
use clap::{Args, Subcommand};
use cosmos_sdk_proto::cosmos::base::v1beta1::DecCoin;
use cosmos_sdk_proto::cosmos::distribution::v1beta1 as distr;
use kumo_client::tx::to_any;
use kumo_client::{parse_coins, RpcClient};
use kumo_crypto::ACCOUNT_HRP;
use serde_json::{json, Value};

use crate::query_cmd::{print_json, resolve_address};
use crate::staking_cmd::{dec, key_address, resolve_valoper, AddrQ, FromArgs, Q};
use crate::tx_cmd::{execute, TxFlags};
use crate::Globals;

#[derive(Subcommand, Debug)]
pub enum DistributionTxCmd {
    /// Withdraw a delegation's rewards (and with --commission, the validator's commission).
    WithdrawRewards(WithdrawArgs),
    /// Withdraw the rewards of every delegation of the key.
    WithdrawAllRewards(FromArgs),
    /// Send future rewards to another address.
    SetWithdrawAddr(SetWithdrawArgs),
    /// Give tokens to the community pool.
    FundCommunityPool(FundArgs),
}

#[derive(Args, Debug)]
pub struct WithdrawArgs {
    pub validator: String,
    /// Also withdraw the validator's commission (--from must be its operator).
    #[arg(long)]
    pub commission: bool,
    #[command(flatten)]
    pub tx: TxFlags,
}

#[derive(Args, Debug)]
pub struct SetWithdrawArgs {
    /// akash1… address or key name.
    pub withdraw_address: String,
    #[command(flatten)]
    pub tx: TxFlags,
}

#[derive(Args, Debug)]
pub struct FundArgs {
    pub amount: String,
    #[command(flatten)]
    pub tx: TxFlags,
}

pub fn run_distribution_tx(g: &Globals, c: DistributionTxCmd) -> Result<()> {
    match c {
        DistributionTxCmd::WithdrawRewards(a) => {
            let del = key_address(g, &a.tx.from, &a.tx.keyring)?;
            let val = resolve_valoper(&a.validator, &a.tx.keyring, &g.home)?;
            let mut msgs = vec![to_any(&distr::MsgWithdrawDelegatorReward {
                delegator_address: del.to_bech32(ACCOUNT_HRP),
                validator_address: val.clone(),
            })];
            if a.commission {
                msgs.push(to_any(&distr::MsgWithdrawValidatorCommission {
                    validator_address: val,
                }));
            }
            execute(g, &a.tx, &a.tx.from, msgs)
        }
        DistributionTxCmd::WithdrawAllRewards(a) => {
            let del = key_address(g, &a.tx.from, &a.tx.keyring)?.to_bech32(ACCOUNT_HRP);
            let r: distr::QueryDelegatorValidatorsResponse = RpcClient::new(&a.tx.node)
                .query_proto(
                    "/cosmos.distribution.v1beta1.Query/DelegatorValidators",
                    &distr::QueryDelegatorValidatorsRequest {
                        delegator_address: del.clone(),
                    },
                )?;
            if r.validators.is_empty() {
                bail!("{del} has no delegations, so no rewards to withdraw");
            }
            let msgs = r
                .validators
                .into_iter()
                .map(|v| {
                    to_any(&distr::MsgWithdrawDelegatorReward {
                        delegator_address: del.clone(),
                        validator_address: v,
                    })
                })
                .collect();
            execute(g, &a.tx, &a.tx.from, msgs)
        }
        DistributionTxCmd::SetWithdrawAddr(a) => {
            let del = key_address(g, &a.tx.from, &a.tx.keyring)?;
            let msg = distr::MsgSetWithdrawAddress {
                delegator_address: del.to_bech32(ACCOUNT_HRP),
                withdraw_address: resolve_address(&a.withdraw_address, &a.tx.keyring, &g.home)?,
            };
            execute(g, &a.tx, &a.tx.from, vec![to_any(&msg)])
        }
        DistributionTxCmd::FundCommunityPool(a) => {
            let from = key_address(g, &a.tx.from, &a.tx.keyring)?;
            let msg = distr::MsgFundCommunityPool {
                amount: parse_coins(&a.amount)?,
                depositor: from.to_bech32(ACCOUNT_HRP),
            };
            execute(g, &a.tx, &a.tx.from, vec![to_any(&msg)])
        }
    }
}

#[derive(Subcommand, Debug)]
pub enum DistributionQueryCmd {
    /// A delegator's pending rewards (all validators).
    Rewards(AddrQ),
    /// A validator's accumulated commission.
    Commission(AddrQ),
    /// A validator's outstanding (not yet withdrawn) rewards.
    OutstandingRewards(AddrQ),
    /// The community pool's balance.
    CommunityPool(Q),
    /// Distribution parameters (community tax, withdraw address rules).
    Params(Q),
}

fn dec_coins(v: &[DecCoin]) -> Value {
    v.iter()
        .map(|c| json!({"denom": c.denom, "amount": dec(&c.amount)}))
        .collect()
}

pub fn run_distribution_query(g: &Globals, c: DistributionQueryCmd) -> Result<()> {
    let path = |m: &str| format!("/cosmos.distribution.v1beta1.Query/{m}");
    let out = match c {
        DistributionQueryCmd::Rewards(a) => {
            let del = resolve_address(&a.address, &a.q.keyring, &g.home)?;
            let r: distr::QueryDelegationTotalRewardsResponse = a.q.query.client().query_proto(
                &path("DelegationTotalRewards"),
                &distr::QueryDelegationTotalRewardsRequest {
                    delegator_address: del,
                },
            )?;
            json!({
                "rewards": r.rewards.iter().map(|x| json!({"validator_address": x.validator_address,
                    "reward": dec_coins(&x.reward)})).collect::<Vec<_>>(),
                "total": dec_coins(&r.total),
            })
        }
        DistributionQueryCmd::Commission(a) => {
            let val = resolve_valoper(&a.address, &a.q.keyring, &g.home)?;
            let r: distr::QueryValidatorCommissionResponse = a.q.query.client().query_proto(
                &path("ValidatorCommission"),
                &distr::QueryValidatorCommissionRequest {
                    validator_address: val,
                },
            )?;
            json!({"commission": dec_coins(&r.commission.unwrap_or_default().commission)})
        }
        DistributionQueryCmd::OutstandingRewards(a) => {
            let val = resolve_valoper(&a.address, &a.q.keyring, &g.home)?;
            let r: distr::QueryValidatorOutstandingRewardsResponse =
                a.q.query.client().query_proto(
                    &path("ValidatorOutstandingRewards"),
                    &distr::QueryValidatorOutstandingRewardsRequest {
                        validator_address: val,
                    },
                )?;
            json!({"rewards": dec_coins(&r.rewards.unwrap_or_default().rewards)})
        }
        DistributionQueryCmd::CommunityPool(q) => {
            let r: distr::QueryCommunityPoolResponse = q
                .query
                .client()
                .query_proto(&path("CommunityPool"), &distr::QueryCommunityPoolRequest {})?;
            json!({"pool": dec_coins(&r.pool)})
        }
        DistributionQueryCmd::Params(q) => {
            let r: distr::QueryParamsResponse = q
                .query
                .client()
                .query_proto(&path("Params"), &distr::QueryParamsRequest {})?;
            let p = r.params.unwrap_or_default();
            return crate::params_cmd::print_params_object(
                g,
                &json!({"community_tax": dec(&p.community_tax), "withdraw_addr_enabled": p.withdraw_addr_enabled}),
            );
        }
    };
    print_json(&out);
    Ok(())
}
