//! `kumo query mint params|inflation|annual-provisions`.

use anyhow::Result;
use clap::Subcommand;
use cosmos_sdk_proto::cosmos::mint::v1beta1 as mint;
use kumo_client::RpcClient;
use serde_json::json;

use crate::query_cmd::print_json;
use crate::staking_cmd::{dec, Q};
use crate::Globals;

#[derive(Subcommand, Debug)]
pub enum MintQueryCmd {
    /// Mint parameters (inflation bounds and rate of change, goal bonded, blocks per year).
    Params(Q),
    /// The current annual inflation.
    Inflation(Q),
    /// Tokens minted per year at the current inflation.
    AnnualProvisions(Q),
}

pub(crate) fn mint_numbers(client: &RpcClient) -> Result<(mint::Params, String, String)> {
    let p: mint::QueryParamsResponse = client.query_proto(
        "/cosmos.mint.v1beta1.Query/Params",
        &mint::QueryParamsRequest {},
    )?;
    let i: mint::QueryInflationResponse = client.query_proto(
        "/cosmos.mint.v1beta1.Query/Inflation",
        &mint::QueryInflationRequest {},
    )?;
    let a: mint::QueryAnnualProvisionsResponse = client.query_proto(
        "/cosmos.mint.v1beta1.Query/AnnualProvisions",
        &mint::QueryAnnualProvisionsRequest {},
    )?;
    Ok((
        p.params.unwrap_or_default(),
        String::from_utf8_lossy(&i.inflation).into_owned(),
        String::from_utf8_lossy(&a.annual_provisions).into_owned(),
    ))
}

pub fn run_mint_query(g: &Globals, c: MintQueryCmd) -> Result<()> {
    let (q, what) = match c {
        MintQueryCmd::Params(q) => (q, 0),
        MintQueryCmd::Inflation(q) => (q, 1),
        MintQueryCmd::AnnualProvisions(q) => (q, 2),
    };
    let (p, inflation, provisions) = mint_numbers(&q.query.client())?;
    let out = match what {
        0 => {
            return crate::params_cmd::print_params_object(
                g,
                &json!({
                    "mint_denom": p.mint_denom, "inflation_rate_change": dec(&p.inflation_rate_change),
                    "inflation_max": dec(&p.inflation_max), "inflation_min": dec(&p.inflation_min),
                    "goal_bonded": dec(&p.goal_bonded), "blocks_per_year": p.blocks_per_year.to_string(),
                }),
            )
        }
        1 => json!({"inflation": dec(&inflation)}),
        _ => json!({"annual_provisions": dec(&provisions)}),
    };
    print_json(&out);
    Ok(())
}
