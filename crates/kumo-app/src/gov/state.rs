//! gov state: `gov/params` -> `Params`, `gov/next_id` -> u64 BE, `gov/prop/<id BE>` ->
//! `Proposal`, `gov/dep/<id><depositor>` -> `Deposit`, `gov/vote/<id><voter>` -> `Vote`, and the
//! queues `gov/q/deposit/<time><id>` (deposit period ends) and `gov/q/voting/<time><id>`
//! (voting ends).

use crate::abci::BlockTime;
use crate::ctx::Ctx;
use crate::errors::{SdkError, SdkResult};
use crate::staking::state::time_key;
use cosmos_sdk_proto::cosmos::base::v1beta1::Coin as ProtoCoin;
use cosmos_sdk_proto::cosmos::gov::v1::{Deposit, Params, Proposal, Vote};
use cosmos_sdk_proto::tendermint::google::protobuf::Duration;
use kumo_crypto::Address;
use kumo_proto::math::DEC_ONE;
use prost::Message;

pub const MODULE_NAME: &str = "gov";
const PARAMS_KEY: &[u8] = b"gov/params";
const NEXT_ID: &[u8] = b"gov/next_id";
const PROP: &[u8] = b"gov/prop/";
const DEP: &[u8] = b"gov/dep/";
const VOTE: &[u8] = b"gov/vote/";
pub(crate) const Q_DEPOSIT: &[u8] = b"gov/q/deposit/";
pub(crate) const Q_VOTING: &[u8] = b"gov/q/voting/";
const DAY: i64 = 86_400;
const AKT: u128 = 1_000_000;

fn uakt(amount: u128) -> Vec<ProtoCoin> {
    vec![ProtoCoin {
        denom: "uakt".into(),
        amount: amount.to_string(),
    }]
}

fn days(n: i64) -> Option<Duration> {
    Some(Duration {
        seconds: n * DAY,
        nanos: 0,
    })
}

/// Akash's values (spec §12.2): 2,500 AKT deposit (40 % at submission), 14-day deposit
/// period, 3-day vote, quorum 20 %, threshold 50 %, veto 33.4 %; expedited: 2,000 AKT,
/// 24 h, threshold 66.7 %. Deposits burn on veto only.
pub fn default_params() -> Params {
    // gov v1 carries these as decimal text (`cosmos.Dec` scalars), not LegacyDec atomics.
    let pct = |n: u128| crate::dec::dec_string(n * DEC_ONE / 1000);
    Params {
        min_deposit: uakt(2_500 * AKT),
        max_deposit_period: days(14),
        voting_period: days(3),
        quorum: pct(200),
        threshold: pct(500),
        veto_threshold: pct(334),
        min_initial_deposit_ratio: pct(400),
        proposal_cancel_ratio: pct(500),
        proposal_cancel_dest: String::new(),
        expedited_voting_period: days(1),
        expedited_threshold: pct(667),
        expedited_min_deposit: uakt(2_000 * AKT),
        burn_vote_quorum: false,
        burn_proposal_deposit_prevote: false,
        burn_vote_veto: true,
        min_deposit_ratio: pct(10),
    }
}

/// The SDK's `Params.ValidateBasic`, less its rule that the expedited deposit exceed the
/// regular one (Akash runs 2,000 AKT expedited against 2,500 AKT regular, spec §12.2).
pub fn validate_params(p: &Params) -> SdkResult<()> {
    let bad = |w: String| SdkError::invalid_request(format!("gov params: {w}"));
    let dec = |name: &str, v: &str| -> SdkResult<u128> {
        crate::dec::parse_dec(v)
            .ok()
            .filter(|d| *d <= DEC_ONE)
            .ok_or_else(|| bad(format!("{name} {v:?} must be a decimal between 0 and 1")))
    };
    dec("quorum", &p.quorum)?;
    dec("min_initial_deposit_ratio", &p.min_initial_deposit_ratio)?;
    dec("proposal_cancel_ratio", &p.proposal_cancel_ratio)?;
    dec("min_deposit_ratio", &p.min_deposit_ratio)?;
    if !p.proposal_cancel_dest.is_empty() {
        crate::auth::parse_address("proposal_cancel_dest", &p.proposal_cancel_dest)
            .map_err(|e| bad(e.log))?;
    }
    let threshold = dec("threshold", &p.threshold)?;
    let veto = dec("veto_threshold", &p.veto_threshold)?;
    let expedited = dec("expedited_threshold", &p.expedited_threshold)?;
    if threshold == 0 || veto == 0 {
        return Err(bad("threshold and veto_threshold must be positive".into()));
    }
    if expedited <= threshold {
        return Err(bad(format!(
            "expedited_threshold {} must be greater than threshold {}",
            p.expedited_threshold, p.threshold
        )));
    }
    for (name, coins) in [
        ("min_deposit", &p.min_deposit),
        ("expedited_min_deposit", &p.expedited_min_deposit),
    ] {
        let parsed =
            crate::coins::coins_from_proto(coins).map_err(|e| bad(format!("{name}: {}", e.log)))?;
        if parsed.is_empty() {
            return Err(bad(format!("{name} must name at least one coin")));
        }
    }
    let mut periods = [0i64; 3];
    for (i, (name, d)) in [
        ("max_deposit_period", &p.max_deposit_period),
        ("voting_period", &p.voting_period),
        ("expedited_voting_period", &p.expedited_voting_period),
    ]
    .into_iter()
    .enumerate()
    {
        match d {
            Some(d) if d.seconds > 0 => periods[i] = d.seconds,
            _ => return Err(bad(format!("{name} must be at least one second"))),
        }
    }
    if periods[2] >= periods[1] {
        return Err(bad(format!(
            "expedited_voting_period {}s must be shorter than voting_period {}s",
            periods[2], periods[1]
        )));
    }
    Ok(())
}

pub fn params(ctx: &Ctx) -> Params {
    ctx.get_free(PARAMS_KEY)
        .map(|b| Params::decode(b.as_slice()).expect("stored gov params"))
        .unwrap_or_else(default_params)
}

pub fn set_params(ctx: &mut Ctx, p: &Params) -> SdkResult<()> {
    ctx.set(PARAMS_KEY.to_vec(), p.encode_to_vec())
}

/// A gov decimal param (`"0.334000000000000000"`) as atomics.
pub fn dec_param(s: &str) -> u128 {
    crate::dec::parse_dec(s).unwrap_or(0)
}

pub fn next_id(ctx: &mut Ctx) -> SdkResult<u64> {
    let id = ctx.get_free(NEXT_ID).map_or(1, |b| {
        u64::from_be_bytes(b.as_slice().try_into().expect("8 bytes"))
    });
    ctx.set(NEXT_ID.to_vec(), (id + 1).to_be_bytes().to_vec())?;
    Ok(id)
}

pub fn proposal(ctx: &Ctx, id: u64) -> Option<Proposal> {
    ctx.get_free(&[PROP, &id.to_be_bytes()[..]].concat())
        .map(|b| Proposal::decode(b.as_slice()).expect("stored proposal"))
}

pub fn set_proposal(ctx: &mut Ctx, p: &Proposal) -> SdkResult<()> {
    ctx.set([PROP, &p.id.to_be_bytes()[..]].concat(), p.encode_to_vec())
}

pub fn delete_proposal(ctx: &mut Ctx, id: u64) -> SdkResult<()> {
    ctx.delete([PROP, &id.to_be_bytes()[..]].concat())
}

pub fn proposals_prefix() -> &'static [u8] {
    PROP
}

pub fn deposits(ctx: &Ctx, id: u64) -> Vec<Deposit> {
    ctx.prefix_free(&[DEP, &id.to_be_bytes()[..]].concat())
        .iter()
        .map(|(_, b)| Deposit::decode(b.as_slice()).expect("stored deposit"))
        .collect()
}

pub fn deposit(ctx: &Ctx, id: u64, depositor: &Address) -> Option<Deposit> {
    ctx.get_free(&[DEP, &id.to_be_bytes()[..], depositor.as_bytes()].concat())
        .map(|b| Deposit::decode(b.as_slice()).expect("stored deposit"))
}

pub fn set_deposit(ctx: &mut Ctx, id: u64, depositor: &Address, d: &Deposit) -> SdkResult<()> {
    ctx.set(
        [DEP, &id.to_be_bytes()[..], depositor.as_bytes()].concat(),
        d.encode_to_vec(),
    )
}

pub fn delete_deposits(ctx: &mut Ctx, id: u64) -> SdkResult<()> {
    for (k, _) in ctx.prefix_free(&[DEP, &id.to_be_bytes()[..]].concat()) {
        ctx.delete(k)?;
    }
    Ok(())
}

/// Votes of a proposal: (voter, vote), by voter address.
pub fn votes(ctx: &Ctx, id: u64) -> Vec<(Address, Vote)> {
    let p = [VOTE, &id.to_be_bytes()[..]].concat();
    ctx.prefix_free(&p)
        .into_iter()
        .map(|(k, b)| {
            (
                Address::from_slice(&k[p.len()..]).expect("stored address"),
                Vote::decode(b.as_slice()).expect("stored vote"),
            )
        })
        .collect()
}

pub fn vote(ctx: &Ctx, id: u64, voter: &Address) -> Option<Vote> {
    ctx.get_free(&[VOTE, &id.to_be_bytes()[..], voter.as_bytes()].concat())
        .map(|b| Vote::decode(b.as_slice()).expect("stored vote"))
}

pub fn set_vote(ctx: &mut Ctx, id: u64, voter: &Address, v: &Vote) -> SdkResult<()> {
    ctx.set(
        [VOTE, &id.to_be_bytes()[..], voter.as_bytes()].concat(),
        v.encode_to_vec(),
    )
}

pub fn delete_votes(ctx: &mut Ctx, id: u64) -> SdkResult<()> {
    for (k, _) in ctx.prefix_free(&[VOTE, &id.to_be_bytes()[..]].concat()) {
        ctx.delete(k)?;
    }
    Ok(())
}

pub fn queue_key(queue: &[u8], at: BlockTime, id: u64) -> Vec<u8> {
    [queue, &time_key(at)[..], &id.to_be_bytes()[..]].concat()
}
