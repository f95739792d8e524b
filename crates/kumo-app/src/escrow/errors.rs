//! escrow error codes (codespace `escrow`), in the order of chain-sdk's
//! `go/node/escrow/module/error.go` (spec §6.6). The log is "<detail>: <root description>".

pub const CODESPACE: &str = "escrow";

crate::errors::module_errors! { CODESPACE;
    account_exists = 1, "account exists";
    account_closed = 2, "account closed";
    account_not_found = 3, "account not found";
    account_overdrawn = 4, "account overdrawn";
    invalid_denomination = 5, "invalid denomination";
    payment_exists = 6, "payment exists";
    payment_closed = 7, "payment closed";
    payment_not_found = 8, "payment not found";
    payment_rate_zero = 9, "payment rate zero";
    invalid_payment = 10, "invalid payment";
    invalid_settlement = 11, "invalid settlement";
    invalid_id = 12, "invalid ID";
    invalid_account = 13, "invalid account";
    invalid_account_depositor = 14, "invalid account depositor";
    unauthorized_deposit_scope = 15, "unauthorized deposit scope";
    invalid_deposit = 16, "invalid deposit";
    invalid_authz_scope = 17, "invalid authz scope";
    malformed_key = 18, "malformed key";
}
