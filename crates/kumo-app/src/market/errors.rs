//! The market module's errors: codespace `market`, codes in Akash's declaration order
//! (spec §13).

use crate::errors::module_errors;

pub const CODESPACE: &str = "market";

module_errors! { CODESPACE;
    empty_provider = 1, "empty provider";
    same_account = 2, "owner and provider are the same account";
    internal = 3, "internal error";
    bid_over_order = 4, "bid price above max order price";
    attribute_mismatch = 5, "attribute mismatch";
    unknown_bid = 6, "unknown bid";
    unknown_lease = 7, "unknown lease";
    unknown_lease_for_bid = 8, "unknown lease for bid";
    unknown_order_for_bid = 9, "unknown order for bid";
    lease_not_active = 10, "lease not active";
    bid_not_active = 11, "bid not active";
    bid_not_open = 12, "bid not open";
    order_not_open = 13, "order not open";
    no_lease_for_order = 14, "no lease for order";
    order_not_found = 15, "order not found";
    group_not_found = 16, "group not found";
    group_not_open = 17, "group not open";
    bid_not_found = 18, "bid not found";
    bid_zero_price = 19, "bid zero price";
    lease_not_found = 20, "lease not found";
    bid_exists = 21, "bid exists";
    invalid_price = 22, "invalid price";
    order_active = 23, "order active";
    order_closed = 24, "order closed";
    order_exists = 25, "order exists";
    order_duration_exceeded = 26, "order duration exceeded";
    order_too_early = 27, "order too early";
    invalid_deposit = 28, "invalid deposit";
    invalid_param = 29, "invalid parameter";
    unknown_provider = 30, "unknown provider";
    invalid_bid = 31, "invalid bid";
    capabilities_mismatch = 32, "capabilities mismatch";
    invalid_lease_closed_reason = 33, "invalid lease closed reason";
    invalid_escrow_id = 34, "invalid escrow id";
    lease_not_reclamable = 35, "lease not reclamable";
    lease_already_reclaiming = 36, "lease already reclaiming";
    reclamation_not_started = 37, "reclamation not started";
    reclamation_window_not_elapsed = 38, "reclamation window not elapsed";
    reclamation_window_invalid = 39, "reclamation window invalid";
    reclamation_required = 40, "reclamation required";
    reclamation_window_too_short = 41, "reclamation window too short";
}
