//! feegrant error codes (codespace `feegrant`), as registered by the Cosmos SDK's
//! `x/feegrant/errors.go`: 2 ErrFeeLimitExceeded, 3 ErrFeeLimitExpired, 4 ErrInvalidDuration,
//! 5 ErrNoAllowance, 6 ErrNoMessages, 7 ErrMessageNotAllowed. The log is "<detail>: <root>".
//! A missing grant is the SDK's root `ErrNotFound` (codespace `sdk`, code 38) wrapped with
//! "fee-grant not found", as the keeper's `getGrant` answers.

use crate::errors::SdkError;
use std::fmt;

pub const CODESPACE: &str = "feegrant";

crate::errors::module_errors! { CODESPACE;
    fee_limit_exceeded = 2, "fee limit exceeded";
    fee_limit_expired = 3, "fee allowance expired";
    invalid_duration = 4, "invalid duration";
    no_allowance = 5, "no allowance";
    no_messages = 6, "allowed messages are empty";
    message_not_allowed = 7, "message not allowed";
}

/// `sdkerrors.ErrNotFound.Wrap("fee-grant not found")`: "fee-grant not found: not found".
pub fn grant_not_found() -> SdkError {
    SdkError {
        codespace: crate::errors::SDK,
        code: 38,
        log: "fee-grant not found: not found".into(),
    }
}

/// The ante handler's wrap of a refused grant (`DeductFeeDecorator`): code and codespace of
/// the cause, the log says who would have paid for whom.
pub fn does_not_allow(
    granter: impl fmt::Display,
    payer: impl fmt::Display,
    e: SdkError,
) -> SdkError {
    SdkError {
        log: format!(
            "{granter} does not allow to pay fees for {payer}: {}",
            e.log
        ),
        ..e
    }
}
