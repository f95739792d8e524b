//! authz error codes (codespace `authz`), as registered by the Cosmos SDK's `x/authz/errors.go`
//! (v0.50: 2 ErrNoAuthorizationFound, 3 ErrInvalidExpirationTime, 4 ErrUnknownAuthorizationType,
//! 5 ErrNoGrantKeyFound, 6 ErrAuthorizationExpired, 7 ErrGranteeIsGranter,
//! 9 ErrAuthorizationNumOfSigners). The log is "<detail>: <root description>".

pub const CODESPACE: &str = "authz";

crate::errors::module_errors! { CODESPACE;
    no_authorization_found = 2, "authorization not found";
    invalid_expiration_time = 3, "expiration time of authorization should be more than current time";
    unknown_authorization_type = 4, "unknown authorization type";
    authorization_expired = 6, "authorization expired";
    grantee_is_granter = 7, "grantee and granter should be different";
    authorization_num_of_signers = 9, "authorization can be given to msg with only one signer";
}
