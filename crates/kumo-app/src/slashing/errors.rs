//! x/slashing's registered errors (codespace `slashing`, cosmos-sdk v0.50).

pub const CODESPACE: &str = "slashing";

crate::errors::module_errors! { CODESPACE;
    no_validator_for_address = 2, "address is not associated with any known validator";
    validator_jailed = 4, "validator still jailed; cannot be unjailed";
    validator_not_jailed = 5, "validator not jailed; cannot be unjailed";
    missing_self_delegation = 6, "validator has no self-delegation; cannot be unjailed";
    self_delegation_too_low_to_unjail = 7, "validator's self delegation less than minimum; cannot be unjailed";
    no_signing_info_found = 8, "no validator signing info found";
}
