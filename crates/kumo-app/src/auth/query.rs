//! auth queries (`/cosmos.auth.v1beta1.Query/*`).

use super::state::*;
use crate::ctx::Ctx;
use crate::errors::{SdkError, SdkResult};
use crate::module::{decode_req, paginate};
use cosmos_sdk_proto::cosmos::auth::v1beta1::*;
use kumo_crypto::ACCOUNT_HRP;
use prost::Message;

pub fn handle(ctx: &mut Ctx, method: &str, data: &[u8]) -> Option<SdkResult<Vec<u8>>> {
    Some(match method {
        "Account" => account(ctx, data),
        "Accounts" => accounts(ctx, data),
        "Params" => Ok(QueryParamsResponse {
            params: Some(params(ctx)),
        }
        .encode_to_vec()),
        "ModuleAccountByName" => module_account_by_name(ctx, data),
        "ModuleAccounts" => Ok(QueryModuleAccountsResponse {
            accounts: MODULE_ACCOUNTS
                .iter()
                .filter_map(|(name, _)| ctx.get_free(&account_key(&module_address(name))))
                .map(|b| decode_account(&b).to_any())
                .collect(),
        }
        .encode_to_vec()),
        "Bech32Prefix" => Ok(Bech32PrefixResponse {
            bech32_prefix: ACCOUNT_HRP.into(),
        }
        .encode_to_vec()),
        "AccountInfo" => account_info(ctx, data),
        _ => return None,
    })
}

fn account(ctx: &mut Ctx, data: &[u8]) -> SdkResult<Vec<u8>> {
    let req: QueryAccountRequest = decode_req(data)?;
    let addr = parse_address("account", &req.address).map_err(|e| SdkError::bad_query(e.log))?;
    match ctx.get_free(&account_key(&addr)) {
        Some(b) => Ok(QueryAccountResponse {
            account: Some(decode_account(&b).to_any()),
        }
        .encode_to_vec()),
        None => Err(SdkError::not_found(format!(
            "account {} not found",
            req.address
        ))),
    }
}

fn account_info(ctx: &mut Ctx, data: &[u8]) -> SdkResult<Vec<u8>> {
    let req: QueryAccountInfoRequest = decode_req(data)?;
    let addr = parse_address("account", &req.address).map_err(|e| SdkError::bad_query(e.log))?;
    match ctx.get_free(&account_key(&addr)) {
        Some(b) => Ok(QueryAccountInfoResponse {
            info: Some(decode_account(&b).base().clone()),
        }
        .encode_to_vec()),
        None => Err(SdkError::not_found(format!(
            "account {} not found",
            req.address
        ))),
    }
}

fn accounts(ctx: &mut Ctx, data: &[u8]) -> SdkResult<Vec<u8>> {
    let req: QueryAccountsRequest = decode_req(data)?;
    let entries = ctx.prefix_free(account_prefix());
    let (page, pagination) = paginate(&entries, account_prefix(), req.pagination.as_ref())?;
    Ok(QueryAccountsResponse {
        accounts: page
            .iter()
            .map(|(_, v)| decode_account(v).to_any())
            .collect(),
        pagination: Some(pagination),
    }
    .encode_to_vec())
}

fn module_account_by_name(ctx: &mut Ctx, data: &[u8]) -> SdkResult<Vec<u8>> {
    let req: QueryModuleAccountByNameRequest = decode_req(data)?;
    match ctx.get_free(&account_key(&module_address(&req.name))) {
        Some(b) if matches!(decode_account(&b), Account::Module(_)) => {
            Ok(QueryModuleAccountByNameResponse {
                account: Some(decode_account(&b).to_any()),
            }
            .encode_to_vec())
        }
        _ => Err(SdkError::not_found(format!(
            "account {} not found",
            req.name
        ))),
    }
}
