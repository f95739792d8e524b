//! x/gov's registered errors (codespace `gov`, cosmos-sdk v0.50).

pub const CODESPACE: &str = "gov";

crate::errors::module_errors! { CODESPACE;
    unknown_proposal = 2, "unknown proposal";
    inactive_proposal = 3, "inactive proposal";
    invalid_vote = 7, "invalid vote option";
    no_proposal_msgs = 11, "no messages proposed";
    invalid_proposal_msg = 12, "invalid proposal message";
    invalid_signer = 13, "expected gov account as only signer for proposal message";
    metadata_too_long = 15, "metadata too long";
    min_deposit_too_small = 16, "minimum deposit is too small";
    invalid_proposer = 18, "invalid proposer";
    invalid_proposal = 21, "invalid proposal";
    summary_too_long = 22, "summary too long";
    invalid_deposit_denom = 23, "invalid deposit denom";
}
