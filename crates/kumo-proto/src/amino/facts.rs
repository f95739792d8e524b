//! The amino facts the SDK declares as proto options (`amino.name`, `amino.message_encoding`,
//! `amino.field_name`, `amino.dont_omitempty`, `amino.encoding`, and the `cosmos_proto.scalar` +
//! `gogoproto.customtype` pairs that select the Int/Dec encoders), for the Cosmos types kumo
//! accepts, transcribed from the Cosmos SDK v0.50/v0.53 .proto files.
//!
//! Why a table and not option syntax in proto/cosmos: those declarations are shared with the
//! REST gateway's reflection pool and carry no options; declaring the `amino`, `cosmos_proto` and
//! `gogoproto` extensions there would pull three option packages (and descriptor.proto) into
//! every build of the Akash Rust types. The facts are few, all here in one reviewable place, and a
//! type without an entry follows the plain x/tx rules, which is exactly the case for every Akash
//! message (none declares an amino option), so they need no entry at all.

/// `amino.name` of a message, by proto full name. An `Any` of a type without one is written with
/// the type `"/" + full name` (x/tx since v0.12), which is the case for every Akash message.
pub(crate) fn message_name(full_name: &str) -> Option<&'static str> {
    Some(match full_name {
        // bank
        "cosmos.bank.v1beta1.MsgSend" => "cosmos-sdk/MsgSend",
        "cosmos.bank.v1beta1.MsgMultiSend" => "cosmos-sdk/MsgMultiSend",
        "cosmos.bank.v1beta1.SendAuthorization" => "cosmos-sdk/SendAuthorization",
        // staking
        "cosmos.staking.v1beta1.MsgCreateValidator" => "cosmos-sdk/MsgCreateValidator",
        "cosmos.staking.v1beta1.MsgEditValidator" => "cosmos-sdk/MsgEditValidator",
        "cosmos.staking.v1beta1.MsgDelegate" => "cosmos-sdk/MsgDelegate",
        "cosmos.staking.v1beta1.MsgUndelegate" => "cosmos-sdk/MsgUndelegate",
        "cosmos.staking.v1beta1.MsgBeginRedelegate" => "cosmos-sdk/MsgBeginRedelegate",
        "cosmos.staking.v1beta1.MsgCancelUnbondingDelegation" => {
            "cosmos-sdk/MsgCancelUnbondingDelegation"
        }
        "cosmos.staking.v1beta1.MsgUpdateParams" => "cosmos-sdk/x/staking/MsgUpdateParams",
        "cosmos.staking.v1beta1.StakeAuthorization" => "cosmos-sdk/StakeAuthorization",
        // distribution
        "cosmos.distribution.v1beta1.MsgSetWithdrawAddress" => {
            "cosmos-sdk/MsgModifyWithdrawAddress"
        }
        "cosmos.distribution.v1beta1.MsgWithdrawDelegatorReward" => {
            "cosmos-sdk/MsgWithdrawDelegationReward"
        }
        "cosmos.distribution.v1beta1.MsgWithdrawValidatorCommission" => {
            "cosmos-sdk/MsgWithdrawValCommission"
        }
        "cosmos.distribution.v1beta1.MsgFundCommunityPool" => "cosmos-sdk/MsgFundCommunityPool",
        "cosmos.distribution.v1beta1.MsgCommunityPoolSpend" => {
            "cosmos-sdk/distr/MsgCommunityPoolSpend"
        }
        "cosmos.distribution.v1beta1.MsgUpdateParams" => "cosmos-sdk/distribution/MsgUpdateParams",
        // gov v1
        "cosmos.gov.v1.MsgSubmitProposal" => "cosmos-sdk/v1/MsgSubmitProposal",
        "cosmos.gov.v1.MsgExecLegacyContent" => "cosmos-sdk/v1/MsgExecLegacyContent",
        "cosmos.gov.v1.MsgVote" => "cosmos-sdk/v1/MsgVote",
        "cosmos.gov.v1.MsgVoteWeighted" => "cosmos-sdk/v1/MsgVoteWeighted",
        "cosmos.gov.v1.MsgDeposit" => "cosmos-sdk/v1/MsgDeposit",
        "cosmos.gov.v1.MsgUpdateParams" => "cosmos-sdk/x/gov/v1/MsgUpdateParams",
        // gov v1beta1
        "cosmos.gov.v1beta1.MsgSubmitProposal" => "cosmos-sdk/MsgSubmitProposal",
        "cosmos.gov.v1beta1.MsgVote" => "cosmos-sdk/MsgVote",
        "cosmos.gov.v1beta1.MsgVoteWeighted" => "cosmos-sdk/MsgVoteWeighted",
        "cosmos.gov.v1beta1.MsgDeposit" => "cosmos-sdk/MsgDeposit",
        "cosmos.gov.v1beta1.TextProposal" => "cosmos-sdk/TextProposal",
        // slashing
        "cosmos.slashing.v1beta1.MsgUnjail" => "cosmos-sdk/MsgUnjail",
        "cosmos.slashing.v1beta1.MsgUpdateParams" => "cosmos-sdk/x/slashing/MsgUpdateParams",
        // authz
        "cosmos.authz.v1beta1.MsgGrant" => "cosmos-sdk/MsgGrant",
        "cosmos.authz.v1beta1.MsgRevoke" => "cosmos-sdk/MsgRevoke",
        "cosmos.authz.v1beta1.MsgExec" => "cosmos-sdk/MsgExec",
        "cosmos.authz.v1beta1.GenericAuthorization" => "cosmos-sdk/GenericAuthorization",
        // feegrant
        "cosmos.feegrant.v1beta1.MsgGrantAllowance" => "cosmos-sdk/MsgGrantAllowance",
        "cosmos.feegrant.v1beta1.MsgRevokeAllowance" => "cosmos-sdk/MsgRevokeAllowance",
        "cosmos.feegrant.v1beta1.MsgPruneAllowances" => "cosmos-sdk/MsgPruneAllowances",
        "cosmos.feegrant.v1beta1.BasicAllowance" => "cosmos-sdk/BasicAllowance",
        "cosmos.feegrant.v1beta1.PeriodicAllowance" => "cosmos-sdk/PeriodicAllowance",
        "cosmos.feegrant.v1beta1.AllowedMsgAllowance" => "cosmos-sdk/AllowedMsgAllowance",
        // mint
        "cosmos.mint.v1beta1.MsgUpdateParams" => "cosmos-sdk/x/mint/MsgUpdateParams",
        // upgrade
        "cosmos.upgrade.v1beta1.MsgSoftwareUpgrade" => "cosmos-sdk/MsgSoftwareUpgrade",
        "cosmos.upgrade.v1beta1.MsgCancelUpgrade" => "cosmos-sdk/MsgCancelUpgrade",
        "cosmos.upgrade.v1beta1.Plan" => "cosmos-sdk/Plan",
        // public keys (inside MsgCreateValidator)
        "cosmos.crypto.secp256k1.PubKey" => "tendermint/PubKeySecp256k1",
        "cosmos.crypto.ed25519.PubKey" => "tendermint/PubKeyEd25519",
        _ => return None,
    })
}

/// `amino.message_encoding`: messages written as something other than an object.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum MessageEncoding {
    /// "key_field": the message is its `key` bytes field, as a base64 string.
    KeyField,
}

pub(crate) fn message_encoding(full_name: &str) -> Option<MessageEncoding> {
    match full_name {
        "cosmos.crypto.secp256k1.PubKey" | "cosmos.crypto.ed25519.PubKey" => {
            Some(MessageEncoding::KeyField)
        }
        _ => None,
    }
}

/// How a field's value is written when it is not the plain kind rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FieldEncoding {
    /// `amino.encoding = "legacy_coins"`: an empty coin list is `[]`, never omitted or `null`.
    LegacyCoins,
    /// `cosmos_proto.scalar = "cosmos.Int"`: the decimal string, `"0"` when empty.
    CosmosInt,
    /// `cosmos_proto.scalar = "cosmos.Dec"` with `gogoproto.customtype = LegacyDec`: the wire holds
    /// the 10^18-scaled integer (as a string or as bytes); written with 18 decimals.
    LegacyDec,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct FieldFacts {
    /// `amino.field_name`: the JSON key when it differs from the proto field name.
    pub name: Option<&'static str>,
    /// `amino.dont_omitempty`: written even when it holds the zero value.
    pub dont_omitempty: bool,
    pub encoding: Option<FieldEncoding>,
}

const fn keep() -> FieldFacts {
    FieldFacts {
        name: None,
        dont_omitempty: true,
        encoding: None,
    }
}

const fn keep_as(encoding: FieldEncoding) -> FieldFacts {
    FieldFacts {
        name: None,
        dont_omitempty: true,
        encoding: Some(encoding),
    }
}

const fn encode_as(encoding: FieldEncoding) -> FieldFacts {
    FieldFacts {
        name: None,
        dont_omitempty: false,
        encoding: Some(encoding),
    }
}

/// Facts of one field, by its full name (`package.Message.field`).
pub(crate) fn field(full_name: &str) -> FieldFacts {
    use FieldEncoding::*;
    match full_name {
        "cosmos.base.v1beta1.Coin.amount" => keep_as(CosmosInt),
        "cosmos.base.v1beta1.DecCoin.amount" => encode_as(LegacyDec),
        // bank
        "cosmos.bank.v1beta1.MsgSend.amount"
        | "cosmos.bank.v1beta1.Input.coins"
        | "cosmos.bank.v1beta1.Output.coins"
        | "cosmos.bank.v1beta1.SendAuthorization.spend_limit" => keep_as(LegacyCoins),
        "cosmos.bank.v1beta1.MsgMultiSend.inputs" | "cosmos.bank.v1beta1.MsgMultiSend.outputs" => {
            keep()
        }
        // staking
        "cosmos.staking.v1beta1.MsgCreateValidator.description"
        | "cosmos.staking.v1beta1.MsgCreateValidator.commission"
        | "cosmos.staking.v1beta1.MsgCreateValidator.value"
        | "cosmos.staking.v1beta1.MsgEditValidator.description"
        | "cosmos.staking.v1beta1.MsgDelegate.amount"
        | "cosmos.staking.v1beta1.MsgUndelegate.amount"
        | "cosmos.staking.v1beta1.MsgBeginRedelegate.amount"
        | "cosmos.staking.v1beta1.MsgCancelUnbondingDelegation.amount"
        | "cosmos.staking.v1beta1.MsgUpdateParams.params"
        | "cosmos.staking.v1beta1.Params.unbonding_time" => keep(),
        "cosmos.staking.v1beta1.MsgCreateValidator.min_self_delegation" => keep_as(CosmosInt),
        "cosmos.staking.v1beta1.MsgEditValidator.min_self_delegation" => encode_as(CosmosInt),
        "cosmos.staking.v1beta1.MsgEditValidator.commission_rate" => encode_as(LegacyDec),
        "cosmos.staking.v1beta1.CommissionRates.rate"
        | "cosmos.staking.v1beta1.CommissionRates.max_rate"
        | "cosmos.staking.v1beta1.CommissionRates.max_change_rate"
        | "cosmos.staking.v1beta1.Params.min_commission_rate" => keep_as(LegacyDec),
        // distribution
        "cosmos.distribution.v1beta1.MsgFundCommunityPool.amount"
        | "cosmos.distribution.v1beta1.MsgCommunityPoolSpend.amount" => keep_as(LegacyCoins),
        "cosmos.distribution.v1beta1.MsgUpdateParams.params" => keep(),
        "cosmos.distribution.v1beta1.Params.community_tax"
        | "cosmos.distribution.v1beta1.Params.base_proposer_reward"
        | "cosmos.distribution.v1beta1.Params.bonus_proposer_reward" => keep_as(LegacyDec),
        // gov v1 (its Params and WeightedVoteOption decimals are plain strings: no customtype)
        "cosmos.gov.v1.MsgSubmitProposal.initial_deposit" | "cosmos.gov.v1.MsgDeposit.amount" => {
            keep_as(LegacyCoins)
        }
        "cosmos.gov.v1.MsgVote.proposal_id"
        | "cosmos.gov.v1.MsgVoteWeighted.proposal_id"
        | "cosmos.gov.v1.MsgDeposit.proposal_id"
        | "cosmos.gov.v1.MsgUpdateParams.params" => keep(),
        // gov v1beta1
        "cosmos.gov.v1beta1.MsgSubmitProposal.initial_deposit"
        | "cosmos.gov.v1beta1.MsgDeposit.amount" => keep_as(LegacyCoins),
        "cosmos.gov.v1beta1.MsgVote.proposal_id"
        | "cosmos.gov.v1beta1.MsgVoteWeighted.proposal_id"
        | "cosmos.gov.v1beta1.MsgVoteWeighted.options"
        | "cosmos.gov.v1beta1.MsgDeposit.proposal_id" => keep(),
        "cosmos.gov.v1beta1.WeightedVoteOption.weight" => keep_as(LegacyDec),
        // slashing
        "cosmos.slashing.v1beta1.MsgUnjail.validator_addr" => FieldFacts {
            name: Some("address"),
            dont_omitempty: true,
            encoding: None,
        },
        "cosmos.slashing.v1beta1.MsgUpdateParams.params"
        | "cosmos.slashing.v1beta1.Params.downtime_jail_duration" => keep(),
        "cosmos.slashing.v1beta1.Params.min_signed_per_window"
        | "cosmos.slashing.v1beta1.Params.slash_fraction_double_sign"
        | "cosmos.slashing.v1beta1.Params.slash_fraction_downtime" => keep_as(LegacyDec),
        // authz
        "cosmos.authz.v1beta1.MsgGrant.grant" => keep(),
        // feegrant
        "cosmos.feegrant.v1beta1.BasicAllowance.spend_limit"
        | "cosmos.feegrant.v1beta1.PeriodicAllowance.period_spend_limit"
        | "cosmos.feegrant.v1beta1.PeriodicAllowance.period_can_spend" => keep_as(LegacyCoins),
        "cosmos.feegrant.v1beta1.PeriodicAllowance.basic"
        | "cosmos.feegrant.v1beta1.PeriodicAllowance.period"
        | "cosmos.feegrant.v1beta1.PeriodicAllowance.period_reset" => keep(),
        // mint
        "cosmos.mint.v1beta1.MsgUpdateParams.params" => keep(),
        "cosmos.mint.v1beta1.Params.inflation_rate_change"
        | "cosmos.mint.v1beta1.Params.inflation_max"
        | "cosmos.mint.v1beta1.Params.inflation_min"
        | "cosmos.mint.v1beta1.Params.goal_bonded" => keep_as(LegacyDec),
        // upgrade
        "cosmos.upgrade.v1beta1.MsgSoftwareUpgrade.plan" | "cosmos.upgrade.v1beta1.Plan.time" => {
            keep()
        }
        _ => FieldFacts::default(),
    }
}
