//! Errors with the Cosmos SDK codespace and codes, so clients that match on codes and log
//! substrings (`account sequence mismatch`, `insufficient fees`, `out of gas`) keep working.
//!
//! The log follows `errorsmod.Wrapf`: "<what happened>: <root description>".

use std::fmt;

pub const SDK: &str = "sdk";

/// gRPC status codes used when a query error crosses gRPC.
pub mod grpc {
    pub const OK: u32 = 0;
    pub const UNKNOWN: u32 = 2;
    pub const INVALID_ARGUMENT: u32 = 3;
    pub const NOT_FOUND: u32 = 5;
    pub const UNIMPLEMENTED: u32 = 12;
    pub const INTERNAL: u32 = 13;
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SdkError {
    pub codespace: &'static str,
    pub code: u32,
    pub log: String,
}

impl fmt::Display for SdkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.log)
    }
}

impl std::error::Error for SdkError {}

/// Defines one constructor per error code of a codespace: `name(detail)` builds the error whose
/// log reads "<detail>: <root description>" (just the root when the detail is empty), like
/// `errorsmod.Wrapf`. Every module declares its codes with this one macro.
macro_rules! module_errors {
    ($codespace:expr; $($fn_name:ident = $code:literal, $root:literal;)*) => {
        $(
            #[doc = concat!("code ", stringify!($code), ": ", $root)]
            pub fn $fn_name(detail: impl std::fmt::Display) -> $crate::errors::SdkError {
                $crate::errors::SdkError::wrap($codespace, $code, $root, detail)
            }
        )*
    };
}
pub(crate) use module_errors;

impl SdkError {
    /// `errorsmod.Wrapf(root, detail)` for code `code` of `codespace`.
    pub fn wrap(
        codespace: &'static str,
        code: u32,
        root: &str,
        detail: impl fmt::Display,
    ) -> SdkError {
        let detail = detail.to_string();
        let log = if detail.is_empty() {
            root.to_string()
        } else {
            format!("{detail}: {root}")
        };
        SdkError {
            codespace,
            code,
            log,
        }
    }
}

impl SdkError {
    module_errors! { SDK;
        tx_decode = 2, "tx parse error";
        invalid_sequence = 3, "invalid sequence";
        unauthorized = 4, "unauthorized";
        insufficient_funds = 5, "insufficient funds";
        unknown_request = 6, "unknown request";
        invalid_address = 7, "invalid address";
        invalid_pubkey = 8, "invalid pubkey";
        unknown_address = 9, "unknown address";
        invalid_coins = 10, "invalid coins";
        out_of_gas = 11, "out of gas";
        memo_too_large = 12, "memo too large";
        insufficient_fee = 13, "insufficient fee";
        too_many_signatures = 14, "maximum number of signatures exceeded";
        no_signatures = 15, "no signatures supplied";
        invalid_request = 18, "invalid request";
        tx_in_mempool_cache = 19, "tx already in mempool";
        mempool_is_full = 20, "mempool is full";
        tx_too_large = 21, "tx too large";
        key_not_found = 22, "key not found";
        wrong_password = 23, "invalid account password";
        invalid_gas_adjustment = 25, "invalid gas adjustment";
        invalid_height = 26, "invalid height";
        invalid_version = 27, "invalid version";
        invalid_chain_id = 28, "invalid chain-id";
        invalid_type = 29, "invalid type";
        tx_timeout_height = 30, "tx timeout height";
        unknown_extension_options = 31, "unknown extension options";
        wrong_sequence = 32, "incorrect account sequence";
        invalid_gas_limit = 41, "invalid gas limit";
    }
}

impl SdkError {
    /// The gRPC status a query error maps to (baseapp's mapping, roughly).
    pub fn grpc_code(&self) -> u32 {
        match self.code {
            22 => grpc::NOT_FOUND,
            // ErrNotFound (e.g. "fee-grant not found") is registered with codes.NotFound.
            38 if self.codespace == SDK => grpc::NOT_FOUND,
            18 | 7 | 10 => grpc::INVALID_ARGUMENT,
            6 => grpc::UNIMPLEMENTED,
            _ => grpc::UNKNOWN,
        }
    }

    /// A gRPC NotFound rendered the way baseapp renders it through abci_query, which cosmjs maps
    /// to `null` (it matches `rpc error: code = NotFound`).
    pub fn not_found(what: impl fmt::Display) -> SdkError {
        SdkError::key_not_found(format!("rpc error: code = NotFound desc = {what}"))
    }

    /// An InvalidArgument query error (bad address, missing field).
    pub fn bad_query(what: impl fmt::Display) -> SdkError {
        SdkError::invalid_request(format!("rpc error: code = InvalidArgument desc = {what}"))
    }
}

pub type SdkResult<T> = Result<T, SdkError>;
