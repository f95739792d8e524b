//! bank queries (`/cosmos.bank.v1beta1.Query/*`).

use super::state::*;
use crate::auth::parse_address;
use crate::coins::validate_denom;
use crate::ctx::Ctx;
use crate::errors::{SdkError, SdkResult};
use crate::module::{decode_req, paginate};
use cosmos_sdk_proto::cosmos::bank::v1beta1::*;
use cosmos_sdk_proto::cosmos::base::v1beta1::Coin as ProtoCoin;
use prost::Message;

pub fn handle(ctx: &mut Ctx, method: &str, data: &[u8]) -> Option<SdkResult<Vec<u8>>> {
    Some(match method {
        "Balance" => balance_q(ctx, data),
        "AllBalances" => all_balances_q(ctx, data, false),
        "SpendableBalances" => all_balances_q(ctx, data, true),
        "SpendableBalanceByDenom" => spendable_by_denom(ctx, data),
        "TotalSupply" => total_supply(ctx, data),
        "SupplyOf" => supply_of_q(ctx, data),
        "Params" => Ok(QueryParamsResponse {
            params: Some(params(ctx)),
        }
        .encode_to_vec()),
        "DenomMetadata" => denom_metadata(ctx, data),
        "DenomsMetadata" => denoms_metadata(ctx, data),
        _ => return None,
    })
}

fn bad_address(e: SdkError) -> SdkError {
    SdkError::bad_query(e.log)
}

fn proto_coin(denom: &str, amount: u128) -> ProtoCoin {
    ProtoCoin {
        denom: denom.into(),
        amount: amount.to_string(),
    }
}

/// One denom's balance, always as a Coin ("0" when the account holds none: clients assert it).
fn denom_balance(ctx: &Ctx, address: &str, denom: &str) -> SdkResult<ProtoCoin> {
    let addr = parse_address("address", address).map_err(bad_address)?;
    validate_denom(denom).map_err(|e| SdkError::bad_query(e.log))?;
    let amount = ctx
        .get_free(&balance_key(&addr, denom))
        .map_or(0, |b| decode_amount(&b));
    Ok(proto_coin(denom, amount))
}

fn balance_q(ctx: &mut Ctx, data: &[u8]) -> SdkResult<Vec<u8>> {
    let req: QueryBalanceRequest = decode_req(data)?;
    let balance = Some(denom_balance(ctx, &req.address, &req.denom)?);
    Ok(QueryBalanceResponse { balance }.encode_to_vec())
}

/// Spendable equals the balance: this chain has no vesting or locked coins.
fn spendable_by_denom(ctx: &mut Ctx, data: &[u8]) -> SdkResult<Vec<u8>> {
    let req: QuerySpendableBalanceByDenomRequest = decode_req(data)?;
    let balance = Some(denom_balance(ctx, &req.address, &req.denom)?);
    Ok(QuerySpendableBalanceByDenomResponse { balance }.encode_to_vec())
}

fn all_balances_q(ctx: &mut Ctx, data: &[u8], spendable: bool) -> SdkResult<Vec<u8>> {
    // AllBalances and SpendableBalances share field numbers for address and pagination.
    let req: QueryAllBalancesRequest = decode_req(data)?;
    let addr = parse_address("address", &req.address).map_err(bad_address)?;
    let prefix = balances_prefix(&addr);
    let entries = ctx.prefix_free(&prefix);
    let (page, pagination) = paginate(&entries, &prefix, req.pagination.as_ref())?;
    let balances: Vec<ProtoCoin> = page
        .iter()
        .map(|(k, v)| {
            proto_coin(
                std::str::from_utf8(&k[prefix.len()..]).expect("utf-8 denom"),
                decode_amount(v),
            )
        })
        .collect();
    Ok(if spendable {
        QuerySpendableBalancesResponse {
            balances,
            pagination: Some(pagination),
        }
        .encode_to_vec()
    } else {
        QueryAllBalancesResponse {
            balances,
            pagination: Some(pagination),
        }
        .encode_to_vec()
    })
}

fn total_supply(ctx: &mut Ctx, data: &[u8]) -> SdkResult<Vec<u8>> {
    let req: QueryTotalSupplyRequest = decode_req(data)?;
    let entries = ctx.prefix_free(supply_prefix());
    let (page, pagination) = paginate(&entries, supply_prefix(), req.pagination.as_ref())?;
    let supply = page
        .iter()
        .map(|(k, v)| {
            proto_coin(
                std::str::from_utf8(&k[supply_prefix().len()..]).expect("utf-8 denom"),
                decode_amount(v),
            )
        })
        .filter(|c| c.amount != "0")
        .collect();
    Ok(QueryTotalSupplyResponse {
        supply,
        pagination: Some(pagination),
    }
    .encode_to_vec())
}

fn supply_of_q(ctx: &mut Ctx, data: &[u8]) -> SdkResult<Vec<u8>> {
    let req: QuerySupplyOfRequest = decode_req(data)?;
    validate_denom(&req.denom).map_err(|e| SdkError::bad_query(e.log))?;
    Ok(QuerySupplyOfResponse {
        amount: Some(proto_coin(&req.denom, supply_of(ctx, &req.denom))),
    }
    .encode_to_vec())
}

fn denom_metadata(ctx: &mut Ctx, data: &[u8]) -> SdkResult<Vec<u8>> {
    let req: QueryDenomMetadataRequest = decode_req(data)?;
    match ctx.get_free(&metadata_key(&req.denom)) {
        Some(b) => Ok(QueryDenomMetadataResponse {
            metadata: Some(Metadata::decode(b.as_slice()).expect("stored metadata decodes")),
        }
        .encode_to_vec()),
        None => Err(SdkError::not_found(format!(
            "client metadata for denom {}",
            req.denom
        ))),
    }
}

fn denoms_metadata(ctx: &mut Ctx, data: &[u8]) -> SdkResult<Vec<u8>> {
    let req: QueryDenomsMetadataRequest = decode_req(data)?;
    let entries = ctx.prefix_free(metadata_prefix());
    let (page, pagination) = paginate(&entries, metadata_prefix(), req.pagination.as_ref())?;
    Ok(QueryDenomsMetadataResponse {
        metadatas: page
            .iter()
            .map(|(_, v)| Metadata::decode(v.as_slice()).expect("metadata decodes"))
            .collect(),
        pagination: Some(pagination),
    }
    .encode_to_vec())
}

/// Sum of every account's balance of `denom` (tests and invariant checks).
pub fn sum_balances(ctx: &Ctx, denom: &str) -> u128 {
    ctx.prefix_free(b"bank/bal/")
        .into_iter()
        .filter(|(k, _)| &k[b"bank/bal/".len() + 20..] == denom.as_bytes())
        .map(|(_, v)| decode_amount(&v))
        .sum()
}
