//! x/distribution's registered errors (codespace `distribution`, cosmos-sdk v0.50).

pub const CODESPACE: &str = "distribution";

crate::errors::module_errors! { CODESPACE;
    empty_delegator_addr = 2, "delegator address is empty";
    empty_withdraw_addr = 3, "withdraw address is empty";
    empty_validator_addr = 4, "validator address is empty";
    empty_delegation_dist_info = 5, "no delegation distribution info";
    no_validator_commission = 7, "no validator commission to withdraw";
    set_withdraw_addr_disabled = 8, "set withdraw address disabled";
    bad_distribution = 9, "community pool does not have sufficient coins to distribute";
    no_validator_exists = 12, "validator does not exist";
    no_delegation_exists = 13, "delegation does not exist";
}
