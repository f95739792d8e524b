//! The deployment module's errors: codespace `deployment`, codes in Akash's declaration order
//! (spec §13). The log reads "<what happened>: <root description>" like `errorsmod.Wrapf`.

pub const CODESPACE: &str = "deployment";

use crate::errors::module_errors;

module_errors! { CODESPACE;
    name_does_not_exist = 1, "name does not exist";
    invalid_request = 2, "invalid request";
    deployment_exists = 3, "deployment exists";
    deployment_not_found = 4, "deployment not found";
    deployment_closed = 5, "deployment closed";
    owner_acct_missing = 6, "owner account missing";
    invalid_groups = 7, "invalid groups";
    invalid_deployment_id = 8, "invalid: deployment id";
    empty_hash = 9, "invalid: empty hash";
    invalid_hash = 10, "invalid: deployment hash";
    internal = 11, "internal error";
    invalid_deployment = 12, "invalid deployment";
    invalid_group_id = 13, "group id invalid";
    group_not_found = 14, "group not found";
    group_closed = 15, "group already closed";
    group_open = 16, "group open";
    group_paused = 17, "group paused";
    group_not_open = 18, "group not open";
    group_spec_invalid = 19, "group spec invalid";
    invalid_deposit = 20, "invalid deposit";
    invalid_id_path = 21, "invalid ID path";
    invalid_param = 22, "invalid parameter";
    invalid_escrow_id = 23, "invalid escrow id";
    invalid_price = 24, "invalid price";
    duplicate_group_name = 25, "duplicate group name";
    invalid_reclamation = 26, "invalid reclamation";
}
