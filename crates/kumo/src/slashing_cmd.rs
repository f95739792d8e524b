//! `kumo tx slashing unjail` and `kumo query slashing params|signing-infos`.

use anyhow::Result;
use clap::Subcommand;
use cosmos_sdk_proto::cosmos::slashing::v1beta1 as slashing;
use kumo_client::tx::to_any;
use serde_json::json;

use crate::query_cmd::print_json;
use crate::staking_cmd::{all, dec, key_address, time, FromArgs, Q, VALOPER_HRP};
use crate::tx_cmd::execute;
use crate::Globals;

#[derive(Subcommand, Debug)]
pub enum SlashingTxCmd {
    /// Unjail the validator operated by --from (after its jail time).
    Unjail(FromArgs),
}

pub fn run_slashing_tx(g: &Globals, c: SlashingTxCmd) -> Result<()> {
    let SlashingTxCmd::Unjail(a) = c;
    let op = key_address(g, &a.tx.from, &a.tx.keyring)?;
    let msg = slashing::MsgUnjail {
        validator_addr: op.to_bech32(VALOPER_HRP),
    };
    execute(g, &a.tx, &a.tx.from, vec![to_any(&msg)])
}

#[derive(Subcommand, Debug)]
pub enum SlashingQueryCmd {
    /// Slashing parameters (signing window, downtime and double-sign penalties).
    Params(Q),
    /// Liveness records of all validators.
    SigningInfos(Q),
}

pub fn run_slashing_query(g: &Globals, c: SlashingQueryCmd) -> Result<()> {
    let out = match c {
        SlashingQueryCmd::Params(q) => {
            let r: slashing::QueryParamsResponse = q.query.client().query_proto(
                "/cosmos.slashing.v1beta1.Query/Params",
                &slashing::QueryParamsRequest {},
            )?;
            let p = r.params.unwrap_or_default();
            let d = |b: &[u8]| dec(&String::from_utf8_lossy(b));
            return crate::params_cmd::print_params_object(
                g,
                &json!({
                    "signed_blocks_window": p.signed_blocks_window.to_string(),
                    "min_signed_per_window": d(&p.min_signed_per_window),
                    "downtime_jail_duration": format!("{}s", p.downtime_jail_duration.map_or(0, |x| x.seconds)),
                    "slash_fraction_double_sign": d(&p.slash_fraction_double_sign),
                    "slash_fraction_downtime": d(&p.slash_fraction_downtime),
                }),
            );
        }
        SlashingQueryCmd::SigningInfos(q) => {
            let r: slashing::QuerySigningInfosResponse = q.query.client().query_proto(
                "/cosmos.slashing.v1beta1.Query/SigningInfos",
                &slashing::QuerySigningInfosRequest { pagination: all() },
            )?;
            json!({"info": r.info.iter().map(|i| json!({
                "address": i.address, "start_height": i.start_height.to_string(),
                "index_offset": i.index_offset.to_string(), "jailed_until": time(&i.jailed_until),
                "tombstoned": i.tombstoned, "missed_blocks_counter": i.missed_blocks_counter.to_string(),
            })).collect::<Vec<_>>()})
        }
    };
    print_json(&out);
    Ok(())
}
