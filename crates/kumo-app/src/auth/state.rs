//! auth state keys and account lifecycle: an account is created the first time it receives
//! coins (or at genesis) with the next global account number; its public key is set by its
//! first signed tx; its sequence rises by one per signed tx.

use crate::ctx::Ctx;
use crate::errors::{SdkError, SdkResult};
use cosmos_sdk_proto::cosmos::auth::v1beta1::{BaseAccount, ModuleAccount, Params};
use cosmos_sdk_proto::Any;
use kumo_crypto::{Address, PubKey, ACCOUNT_HRP};
use prost::Message;
use sha2::{Digest, Sha256};

const ACCOUNT_PREFIX: &[u8] = b"auth/acc/";
const NEXT_NUMBER_KEY: &[u8] = b"auth/next_number";
const PARAMS_KEY: &[u8] = b"auth/params";

pub const BASE_ACCOUNT_URL: &str = "/cosmos.auth.v1beta1.BaseAccount";
pub const MODULE_ACCOUNT_URL: &str = "/cosmos.auth.v1beta1.ModuleAccount";
pub const SECP256K1_PUBKEY_URL: &str = "/cosmos.crypto.secp256k1.PubKey";

/// Module account names with their permissions, in the SDK's words.
pub const FEE_COLLECTOR: &str = "fee_collector";
pub const MODULE_ACCOUNTS: &[(&str, &[&str])] = &[
    (FEE_COLLECTOR, &[]),
    ("distribution", &[]),
    ("escrow", &[]),
    ("bonded_tokens_pool", &["burner", "staking"]),
    ("not_bonded_tokens_pool", &["burner", "staking"]),
    ("mint", &["minter"]),
    ("gov", &["burner"]),
];

pub fn account_key(addr: &Address) -> Vec<u8> {
    [ACCOUNT_PREFIX, addr.as_bytes()].concat()
}

/// `authtypes.NewModuleAddress`: the first 20 bytes of sha256(name).
pub fn module_address(name: &str) -> Address {
    let h = Sha256::digest(name.as_bytes());
    let mut a = [0u8; 20];
    a.copy_from_slice(&h[..20]);
    Address(a)
}

/// The SDK's default auth params.
pub fn default_params() -> Params {
    Params {
        max_memo_characters: 256,
        tx_sig_limit: 7,
        tx_size_cost_per_byte: 10,
        sig_verify_cost_ed25519: 590,
        sig_verify_cost_secp256k1: 1000,
    }
}

pub fn params(ctx: &Ctx) -> Params {
    ctx.get_free(PARAMS_KEY)
        .map(|b| Params::decode(b.as_slice()).expect("stored auth params decode"))
        .unwrap_or_else(default_params)
}

pub fn set_params(ctx: &mut Ctx, p: &Params) -> SdkResult<()> {
    ctx.set(PARAMS_KEY.to_vec(), p.encode_to_vec())
}

/// A stored account: a user's BaseAccount or a module account.
#[derive(Clone, Debug, PartialEq)]
pub enum Account {
    Base(BaseAccount),
    Module(ModuleAccount),
}

impl Account {
    pub fn base(&self) -> &BaseAccount {
        match self {
            Account::Base(b) => b,
            Account::Module(m) => m.base_account.as_ref().expect("module account has a base"),
        }
    }

    pub fn base_mut(&mut self) -> &mut BaseAccount {
        match self {
            Account::Base(b) => b,
            Account::Module(m) => m.base_account.as_mut().expect("module account has a base"),
        }
    }

    pub fn to_any(&self) -> Any {
        match self {
            Account::Base(b) => Any {
                type_url: BASE_ACCOUNT_URL.into(),
                value: b.encode_to_vec(),
            },
            Account::Module(m) => Any {
                type_url: MODULE_ACCOUNT_URL.into(),
                value: m.encode_to_vec(),
            },
        }
    }

    pub fn from_any(any: &Any) -> Account {
        match any.type_url.as_str() {
            BASE_ACCOUNT_URL => Account::Base(
                BaseAccount::decode(any.value.as_slice()).expect("stored account decodes"),
            ),
            MODULE_ACCOUNT_URL => Account::Module(
                ModuleAccount::decode(any.value.as_slice()).expect("stored account decodes"),
            ),
            other => panic!("stored account has unknown type {other}"),
        }
    }

    /// The account's secp256k1 public key, if its first tx has set it (`None` for a multisig
    /// account, whose key is a LegacyAminoPubKey).
    pub fn pubkey(&self) -> Option<PubKey> {
        let any = self.base().pub_key.as_ref()?;
        if any.type_url != SECP256K1_PUBKEY_URL {
            return None;
        }
        let pk = cosmos_sdk_proto::cosmos::crypto::secp256k1::PubKey::decode(any.value.as_slice())
            .ok()?;
        PubKey::from_bytes(&pk.key).ok()
    }
}

pub fn pubkey_any(pk: &PubKey) -> Any {
    let msg = cosmos_sdk_proto::cosmos::crypto::secp256k1::PubKey { key: pk.0.to_vec() };
    Any {
        type_url: SECP256K1_PUBKEY_URL.into(),
        value: msg.encode_to_vec(),
    }
}

pub fn get_account(ctx: &mut Ctx, addr: &Address) -> SdkResult<Option<Account>> {
    Ok(ctx.get(&account_key(addr))?.map(|b| decode_account(&b)))
}

pub fn decode_account(bytes: &[u8]) -> Account {
    Account::from_any(&Any::decode(bytes).expect("stored account Any decodes"))
}

pub fn set_account(ctx: &mut Ctx, addr: &Address, acc: &Account) -> SdkResult<()> {
    ctx.set(account_key(addr), acc.to_any().encode_to_vec())
}

fn next_account_number(ctx: &mut Ctx) -> SdkResult<u64> {
    let n = match ctx.get(NEXT_NUMBER_KEY)? {
        Some(b) => u64::from_be_bytes(b.as_slice().try_into().expect("8-byte account number")),
        None => 0,
    };
    ctx.set(NEXT_NUMBER_KEY.to_vec(), (n + 1).to_be_bytes().to_vec())?;
    Ok(n)
}

pub fn set_next_account_number(ctx: &mut Ctx, n: u64) -> SdkResult<()> {
    ctx.set(NEXT_NUMBER_KEY.to_vec(), n.to_be_bytes().to_vec())
}

/// Creates a BaseAccount with the next account number.
pub fn new_account(ctx: &mut Ctx, addr: &Address) -> SdkResult<Account> {
    let number = next_account_number(ctx)?;
    let acc = Account::Base(BaseAccount {
        address: addr.to_bech32(ACCOUNT_HRP),
        pub_key: None,
        account_number: number,
        sequence: 0,
    });
    set_account(ctx, addr, &acc)?;
    Ok(acc)
}

/// Creates the account if it does not exist yet (bank does this when coins arrive).
pub fn ensure_account(ctx: &mut Ctx, addr: &Address) -> SdkResult<()> {
    if get_account(ctx, addr)?.is_none() {
        new_account(ctx, addr)?;
    }
    Ok(())
}

/// Creates a module account (genesis) unless it exists.
pub fn ensure_module_account(
    ctx: &mut Ctx,
    name: &str,
    permissions: &[&str],
) -> SdkResult<Address> {
    let addr = module_address(name);
    if get_account(ctx, &addr)?.is_none() {
        let number = next_account_number(ctx)?;
        let acc = Account::Module(ModuleAccount {
            base_account: Some(BaseAccount {
                address: addr.to_bech32(ACCOUNT_HRP),
                pub_key: None,
                account_number: number,
                sequence: 0,
            }),
            name: name.to_string(),
            permissions: permissions.iter().map(|p| p.to_string()).collect(),
        });
        set_account(ctx, &addr, &acc)?;
    }
    Ok(addr)
}

/// `MsgUpdateParams`-style messages are accepted only from the gov module account (they run
/// when a proposal passes).
pub fn ensure_gov_authority(authority: &Address, module: &str) -> SdkResult<()> {
    let gov = module_address("gov");
    if *authority != gov {
        return Err(SdkError::unauthorized(format!(
            "invalid authority; expected the gov module account {}, got {}; {module} params \
             change only through a governance proposal",
            gov.to_bech32(ACCOUNT_HRP),
            authority.to_bech32(ACCOUNT_HRP)
        )));
    }
    Ok(())
}

/// Parses a bech32 account address from a message field, with the SDK's error.
pub fn parse_address(field: &str, value: &str) -> SdkResult<Address> {
    Address::from_bech32(value, ACCOUNT_HRP)
        .map_err(|e| SdkError::invalid_address(format!("invalid {field} address {value:?}: {e}")))
}

/// All accounts, ascending by address (queries and export).
pub fn all_accounts(ctx: &Ctx) -> Vec<Account> {
    ctx.prefix_free(ACCOUNT_PREFIX)
        .into_iter()
        .map(|(_, v)| decode_account(&v))
        .collect()
}

pub fn account_prefix() -> &'static [u8] {
    ACCOUNT_PREFIX
}
