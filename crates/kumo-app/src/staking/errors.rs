//! x/staking's registered errors (codespace `staking`, `types/errors.go` of cosmos-sdk v0.50):
//! clients match on these codes. Each log says what was wrong, then the SDK's description.

pub const CODESPACE: &str = "staking";

crate::errors::module_errors! { CODESPACE;
    empty_validator_addr = 2, "empty validator address";
    no_validator_found = 3, "validator does not exist";
    validator_owner_exists = 4, "validator already exist for this operator address; must use new validator operator address";
    validator_pubkey_exists = 5, "validator already exist for this pubkey; must use new validator pubkey";
    validator_pubkey_type_not_supported = 6, "validator pubkey type is not supported";
    validator_jailed = 7, "validator for this address is currently jailed";
    commission_negative = 9, "commission must be positive";
    commission_huge = 10, "commission cannot be more than 100%";
    commission_gt_max_rate = 11, "commission cannot be more than the max rate";
    commission_update_time = 12, "commission cannot be changed more than once in 24h";
    commission_change_rate_gt_max_rate = 14, "commission change rate cannot be more than the max rate";
    commission_gt_max_change_rate = 15, "commission cannot be changed more than max change rate";
    self_delegation_below_minimum = 16, "validator's self delegation must be greater than their minimum self delegation";
    min_self_delegation_decreased = 17, "minimum self delegation cannot be decrease";
    empty_delegator_addr = 18, "empty delegator address";
    no_delegation = 19, "no delegation for (address, validator) tuple";
    insufficient_shares = 22, "insufficient delegation shares";
    not_enough_delegation_shares = 24, "not enough delegation shares";
    no_unbonding_delegation = 26, "no unbonding delegation found";
    max_unbonding_delegation_entries = 27, "too many unbonding delegation entries for (delegator, validator) tuple";
    self_redelegation = 29, "cannot redelegate to the same validator";
    tiny_redelegation_amount = 30, "too few tokens to redelegate (truncates to zero tokens)";
    bad_redelegation_dst = 31, "redelegation destination validator not found";
    transitive_redelegation = 32, "redelegation to this validator already in progress; first redelegation to this validator must complete before next redelegation";
    max_redelegation_entries = 33, "too many redelegation entries for (delegator, src-validator, dst-validator) tuple";
    delegator_share_ex_rate_invalid = 34, "cannot delegate to validators with invalid (zero) ex-rate";
    empty_validator_pubkey = 39, "empty validator public key";
    commission_lt_min_rate = 40, "commission cannot be less than min rate";
    bad_redelegation_src = 44, "redelegation source validator not found";
}
