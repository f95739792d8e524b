//! x/slashing's registered errors (codespace `slashing`, cosmos-sdk v0.50).

use crate::errors::SdkError;
use std::fmt;

pub const CODESPACE: &str = "slashing";

macro_rules! slashing_errors {
    ($($fn_name:ident = $code:literal, $root:literal;)*) => {
        $(
            #[doc = concat!("code ", stringify!($code), ": ", $root)]
            pub fn $fn_name(detail: impl fmt::Display) -> SdkError {
                let detail = detail.to_string();
                let log = if detail.is_empty() { $root.to_string() } else { format!("{detail}: {}", $root) };
                SdkError { codespace: CODESPACE, code: $code, log }
            }
        )*
    };
}

slashing_errors! {
    no_validator_for_address = 2, "address is not associated with any known validator";
    validator_jailed = 4, "validator still jailed; cannot be unjailed";
    validator_not_jailed = 5, "validator not jailed; cannot be unjailed";
    missing_self_delegation = 6, "validator has no self-delegation; cannot be unjailed";
    self_delegation_too_low_to_unjail = 7, "validator's self delegation less than minimum; cannot be unjailed";
    no_signing_info_found = 8, "no validator signing info found";
}
