//! `kumo tx gov submit-proposal|vote|deposit` (a params change proposed field by field, or a
//! proposal JSON file) and `kumo query gov proposals|proposal|tally|params`.

use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand, ValueEnum};
use cosmos_sdk_proto::cosmos::base::v1beta1::Coin as ProtoCoin;
use cosmos_sdk_proto::cosmos::distribution::v1beta1 as distr;
use cosmos_sdk_proto::cosmos::gov::v1 as gov;
use kumo_client::tx::to_any;
use kumo_client::{parse_coins, RpcClient};
use kumo_crypto::ACCOUNT_HRP;
use serde_json::{json, Value};

use crate::query_cmd::print_json;
use crate::staking_cmd::{all, key_address, time, Q};
use crate::tx_cmd::{execute, TxFlags};
use crate::Globals;

#[derive(Subcommand, Debug)]
pub enum GovTxCmd {
    /// Submit a proposal: from a JSON file, or `update-params MODULE --set FIELD=VALUE …`.
    #[command(after_help = SUBMIT_HELP)]
    SubmitProposal(SubmitArgs),
    /// Vote yes, no, abstain or no_with_veto.
    Vote(VoteArgs),
    /// Add to a proposal's deposit.
    Deposit(DepositArgs),
}

const SUBMIT_HELP: &str = "\
A params change, built from the node's current params (the SDK needs every field; you give only
the ones that change). The changes are shown before you confirm:
  kumo tx gov submit-proposal update-params take --set default_take_rate=30 \\
      --deposit 2500000000uakt --title 'Take 30 %' --summary 'Why' --from alice
  MODULE: take, market, deployment, staking, distribution, mint, slashing, gov
  (fields and values as `kumo query MODULE params` prints them; see also -o json).
  VALUE: a number, true/false, text (decimals like 0.25, durations like 30s), coins
  (500000uakt, or 500000uakt,500000uact for a list) or JSON, e.g.
  --set 'denom_take_rates=[{\"denom\":\"uakt\",\"rate\":10}]'

A proposal file (the SDK's form):
  {\"title\": \"…\", \"summary\": \"…\", \"deposit\": \"2500000000uakt\", \"expedited\": false,
   \"metadata\": \"\", \"messages\": [MESSAGE, …]}
MESSAGE is one of (the authority is the gov account: filled in when left out, checked when given):
  {\"@type\": \"/akash.take.v1.MsgUpdateParams\", \"params\": {…}} and the same for
    /akash.market.v1beta5, /akash.deployment.v1beta4, /cosmos.staking.v1beta1,
    /cosmos.distribution.v1beta1, /cosmos.mint.v1beta1, /cosmos.slashing.v1beta1, /cosmos.gov.v1;
    params fields left out keep their current values
  {\"@type\": \"/cosmos.distribution.v1beta1.MsgCommunityPoolSpend\", \"recipient\": \"akash1…\", \"amount\": \"1000000uakt\"}
  {\"@type\": \"/cosmos.upgrade.v1beta1.MsgSoftwareUpgrade\", \"plan\": {\"name\": \"v2\", \"height\": \"123456\", \"info\": \"…\"}}
No messages: a text proposal.";

/// The word that selects the params-change form of `submit-proposal`.
const UPDATE_PARAMS: &str = "update-params";

#[derive(Args, Debug)]
pub struct SubmitArgs {
    /// A proposal JSON file, or the word `update-params` followed by MODULE.
    #[arg(value_name = "FILE|update-params")]
    pub source: String,
    /// With update-params: the module whose params change.
    #[arg(value_enum, value_name = "MODULE")]
    pub module: Option<crate::params_cmd::ParamsModule>,
    /// With update-params: a field and its new value (repeat for several fields).
    #[arg(long = "set", value_name = "FIELD=VALUE")]
    pub set: Vec<String>,
    /// With update-params: the initial deposit, e.g. 2500000000uakt (at least 40 % of the
    /// gov min_deposit must come at submission).
    #[arg(long, value_name = "COINS")]
    pub deposit: Option<String>,
    /// With update-params: the proposal's title.
    #[arg(long)]
    pub title: Option<String>,
    /// With update-params: the proposal's summary (why).
    #[arg(long)]
    pub summary: Option<String>,
    /// With update-params: metadata (often an ipfs:// link).
    #[arg(long, default_value = "")]
    pub metadata: String,
    /// With update-params: an expedited proposal (shorter vote, higher threshold and deposit).
    #[arg(long)]
    pub expedited: bool,
    #[command(flatten)]
    pub tx: TxFlags,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum VoteChoice {
    Yes,
    No,
    Abstain,
    NoWithVeto,
}

#[derive(Args, Debug)]
pub struct VoteArgs {
    pub proposal_id: u64,
    pub option: VoteChoice,
    #[command(flatten)]
    pub tx: TxFlags,
}

#[derive(Args, Debug)]
pub struct DepositArgs {
    pub proposal_id: u64,
    pub amount: String,
    #[command(flatten)]
    pub tx: TxFlags,
}

fn gov_address() -> String {
    kumo_app::auth::module_address("gov").to_bech32(ACCOUNT_HRP)
}

/// The params a proposal changes: (module, current, proposed), shown before confirming.
type ParamsChange = (
    crate::params_cmd::ParamsModule,
    serde_json::Map<String, Value>,
    serde_json::Map<String, Value>,
);

fn proposal_message(
    v: &Value,
    client: &RpcClient,
    changes: &mut Vec<ParamsChange>,
) -> Result<cosmos_sdk_proto::Any> {
    use crate::params_cmd::{merge_params, supported_type_urls, ParamsModule};
    let url = v["@type"]
        .as_str()
        .context("each message needs an \"@type\"")?;
    let authority = gov_address();
    if let Some(given) = v.get("authority").and_then(Value::as_str) {
        if given != authority {
            bail!(
                "{url}: the authority must be the gov module account {authority}, not {given} \
                 (proposal messages run as the gov account; leave \"authority\" out to have it \
                 filled in)"
            );
        }
    }
    if let Some(module) = ParamsModule::from_type_url(url) {
        let given = v
            .get("params")
            .with_context(|| format!("{url}: \"params\" is missing"))?;
        let current = module
            .current(client)
            .with_context(|| format!("cannot read the current {} params", module.name()))?;
        let proposed = merge_params(module, &current, given)?;
        let any = module.update_msg(&authority, &proposed)?;
        changes.push((module, current, proposed));
        return Ok(any);
    }
    Ok(match url {
        "/cosmos.distribution.v1beta1.MsgCommunityPoolSpend" => {
            // A coin string (kumo's form) or the SDK's list of {denom, amount}.
            let amount = match &v["amount"] {
                Value::String(s) => parse_coins(s)?,
                Value::Array(_) => serde_json::from_value::<Vec<kumo_app::gov::genesis::CoinJson>>(
                    v["amount"].clone(),
                )
                .context("\"amount\" like [{\"denom\": \"uakt\", \"amount\": \"1000000\"}]")?
                .into_iter()
                .map(|c| ProtoCoin {
                    denom: c.denom,
                    amount: c.amount,
                })
                .collect(),
                _ => bail!("\"amount\" like 1000000uakt is missing"),
            };
            to_any(&distr::MsgCommunityPoolSpend {
                authority,
                recipient: v["recipient"]
                    .as_str()
                    .context("\"recipient\" is missing")?
                    .into(),
                amount,
            })
        }
        "/cosmos.upgrade.v1beta1.MsgSoftwareUpgrade" => {
            let plan = &v["plan"];
            to_any(
                &cosmos_sdk_proto::cosmos::upgrade::v1beta1::MsgSoftwareUpgrade {
                    authority,
                    plan: Some(cosmos_sdk_proto::cosmos::upgrade::v1beta1::Plan {
                        name: plan["name"].as_str().context("plan.name")?.into(),
                        height: plan["height"]
                            .as_str()
                            .map(|s| s.parse().unwrap_or(0))
                            .or_else(|| plan["height"].as_i64())
                            .context("plan.height")?,
                        info: plan["info"].as_str().unwrap_or_default().into(),
                        ..Default::default()
                    }),
                },
            )
        }
        other => bail!(
            "kumo cannot put a {other} message in a proposal; supported are the params \
             changes\n{}\nand /cosmos.distribution.v1beta1.MsgCommunityPoolSpend, \
             /cosmos.upgrade.v1beta1.MsgSoftwareUpgrade",
            supported_type_urls()
        ),
    })
}

/// Shows each params change (stderr, before the confirmation prompt).
fn show_changes(changes: &[ParamsChange]) -> Result<()> {
    for (module, current, proposed) in changes {
        let lines = crate::params_cmd::diff(current, proposed);
        if lines.is_empty() {
            bail!(
                "the proposed {} params are the current ones: nothing would change",
                module.name()
            );
        }
        eprintln!("{} params, proposed changes:", module.name());
        for l in lines {
            eprintln!("{l}");
        }
    }
    Ok(())
}

/// `submit-proposal update-params MODULE --set …`: the message and its change.
fn update_params_proposal(
    a: &SubmitArgs,
    client: &RpcClient,
) -> Result<(Vec<cosmos_sdk_proto::Any>, Vec<ParamsChange>)> {
    let Some(module) = a.module else {
        bail!(
            "update-params needs a MODULE: {}",
            crate::params_cmd::ParamsModule::ALL
                .map(|m| m.name())
                .join(", ")
        );
    };
    if a.set.is_empty() {
        bail!(
            "give the fields to change with --set FIELD=VALUE; the current {} params are \
             listed by `kumo query {} params`",
            module.name(),
            module.name()
        );
    }
    let current = module
        .current(client)
        .with_context(|| format!("cannot read the current {} params", module.name()))?;
    let proposed = crate::params_cmd::apply_sets(module, &current, &a.set)?;
    let any = module.update_msg(&gov_address(), &proposed)?;
    Ok((vec![any], vec![(module, current, proposed)]))
}

pub fn run_gov_tx(g: &Globals, c: GovTxCmd) -> Result<()> {
    match c {
        GovTxCmd::SubmitProposal(a) => {
            let proposer = key_address(g, &a.tx.from, &a.tx.keyring)?;
            let client = RpcClient::new(&a.tx.node);
            let msg = if a.source == UPDATE_PARAMS {
                let (messages, changes) = update_params_proposal(&a, &client)?;
                show_changes(&changes)?;
                gov::MsgSubmitProposal {
                    messages,
                    initial_deposit: parse_coins(
                        a.deposit
                            .as_deref()
                            .context("--deposit is required, e.g. 2500000000uakt")?,
                    )?,
                    proposer: proposer.to_bech32(ACCOUNT_HRP),
                    metadata: a.metadata.clone(),
                    title: a.title.clone().context("--title is required")?,
                    summary: a.summary.clone().context("--summary is required")?,
                    expedited: a.expedited,
                }
            } else {
                if a.module.is_some()
                    || !a.set.is_empty()
                    || a.deposit.is_some()
                    || a.title.is_some()
                    || a.summary.is_some()
                {
                    bail!(
                        "MODULE, --set, --deposit, --title and --summary go with \
                         `submit-proposal update-params MODULE`; a proposal file carries its own"
                    );
                }
                let file = std::path::Path::new(&a.source);
                let text = std::fs::read_to_string(file)
                    .with_context(|| format!("cannot read {}", file.display()))?;
                let v: Value = serde_json::from_str(&text)
                    .with_context(|| format!("{} is not JSON", file.display()))?;
                let mut changes = vec![];
                let messages = match &v["messages"] {
                    Value::Null => vec![],
                    Value::Array(m) => m
                        .iter()
                        .enumerate()
                        .map(|(i, m)| {
                            proposal_message(m, &client, &mut changes)
                                .with_context(|| format!("message {i} of {}", file.display()))
                        })
                        .collect::<Result<Vec<_>>>()?,
                    _ => bail!("\"messages\" must be a list"),
                };
                show_changes(&changes)?;
                gov::MsgSubmitProposal {
                    messages,
                    initial_deposit: parse_coins(
                        v["deposit"]
                            .as_str()
                            .context("\"deposit\" like 2500000000uakt")?,
                    )?,
                    proposer: proposer.to_bech32(ACCOUNT_HRP),
                    metadata: v["metadata"].as_str().unwrap_or_default().into(),
                    title: v["title"].as_str().context("\"title\" is missing")?.into(),
                    summary: v["summary"]
                        .as_str()
                        .context("\"summary\" is missing")?
                        .into(),
                    expedited: v["expedited"].as_bool().unwrap_or(false),
                }
            };
            execute(g, &a.tx, &a.tx.from, vec![to_any(&msg)])
        }
        GovTxCmd::Vote(a) => {
            let voter = key_address(g, &a.tx.from, &a.tx.keyring)?;
            let option = match a.option {
                VoteChoice::Yes => gov::VoteOption::Yes,
                VoteChoice::No => gov::VoteOption::No,
                VoteChoice::Abstain => gov::VoteOption::Abstain,
                VoteChoice::NoWithVeto => gov::VoteOption::NoWithVeto,
            };
            let msg = gov::MsgVote {
                proposal_id: a.proposal_id,
                voter: voter.to_bech32(ACCOUNT_HRP),
                option: option as i32,
                metadata: String::new(),
            };
            execute(g, &a.tx, &a.tx.from, vec![to_any(&msg)])
        }
        GovTxCmd::Deposit(a) => {
            let depositor = key_address(g, &a.tx.from, &a.tx.keyring)?;
            let msg = gov::MsgDeposit {
                proposal_id: a.proposal_id,
                depositor: depositor.to_bech32(ACCOUNT_HRP),
                amount: parse_coins(&a.amount)?,
            };
            execute(g, &a.tx, &a.tx.from, vec![to_any(&msg)])
        }
    }
}

#[derive(Args, Debug)]
pub struct IdQ {
    pub proposal_id: u64,
    #[command(flatten)]
    pub q: Q,
}

#[derive(Subcommand, Debug)]
pub enum GovQueryCmd {
    /// All proposals.
    Proposals(Q),
    /// One proposal by id.
    Proposal(IdQ),
    /// The current (or final) tally of a proposal.
    Tally(IdQ),
    /// Governance parameters (deposits, voting period, quorum and thresholds).
    Params(Q),
}

fn proposal_json(p: &gov::Proposal) -> Value {
    let tally = p.final_tally_result.clone().unwrap_or_default();
    json!({
        "id": p.id.to_string(),
        "messages": p.messages.iter().map(crate::params_cmd::proposal_message_json).collect::<Vec<_>>(),
        "status": gov::ProposalStatus::try_from(p.status).map_or("?", |s| s.as_str_name()),
        "final_tally_result": {"yes_count": tally.yes_count, "abstain_count": tally.abstain_count,
            "no_count": tally.no_count, "no_with_veto_count": tally.no_with_veto_count},
        "submit_time": time(&p.submit_time),
        "deposit_end_time": time(&p.deposit_end_time),
        "total_deposit": p.total_deposit.iter().map(|c| json!({"denom": c.denom, "amount": c.amount})).collect::<Vec<_>>(),
        "voting_start_time": time(&p.voting_start_time),
        "voting_end_time": time(&p.voting_end_time),
        "title": p.title, "summary": p.summary, "proposer": p.proposer,
        "expedited": p.expedited, "failed_reason": p.failed_reason,
    })
}

pub fn run_gov_query(g: &Globals, c: GovQueryCmd) -> Result<()> {
    let path = |m: &str| format!("/cosmos.gov.v1.Query/{m}");
    let out = match c {
        GovQueryCmd::Proposals(q) => {
            let r: gov::QueryProposalsResponse = q.query.client().query_proto(
                &path("Proposals"),
                &gov::QueryProposalsRequest {
                    pagination: all(),
                    ..Default::default()
                },
            )?;
            json!({"proposals": r.proposals.iter().map(proposal_json).collect::<Vec<_>>()})
        }
        GovQueryCmd::Proposal(a) => {
            let r: gov::QueryProposalResponse = a.q.query.client().query_proto(
                &path("Proposal"),
                &gov::QueryProposalRequest {
                    proposal_id: a.proposal_id,
                },
            )?;
            r.proposal.as_ref().map_or(Value::Null, proposal_json)
        }
        GovQueryCmd::Tally(a) => {
            let r: gov::QueryTallyResultResponse = a.q.query.client().query_proto(
                &path("TallyResult"),
                &gov::QueryTallyResultRequest {
                    proposal_id: a.proposal_id,
                },
            )?;
            let t = r.tally.unwrap_or_default();
            json!({"yes_count": t.yes_count, "abstain_count": t.abstain_count,
                   "no_count": t.no_count, "no_with_veto_count": t.no_with_veto_count})
        }
        GovQueryCmd::Params(q) => {
            let r: gov::QueryParamsResponse = q.query.client().query_proto(
                &path("Params"),
                &gov::QueryParamsRequest {
                    params_type: String::new(),
                },
            )?;
            return crate::params_cmd::print_params_object(
                g,
                &serde_json::to_value(kumo_app::gov::genesis::ParamsJson::from_params(
                    &r.params.unwrap_or_default(),
                ))?,
            );
        }
    };
    print_json(&out);
    Ok(())
}
