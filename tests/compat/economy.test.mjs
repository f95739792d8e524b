// cosmjs 0.39's staking, distribution, mint and gov extensions, and its delegateTokens /
// withdrawRewards / MsgVote against a kumo devnet (whose genesis validator is the node's key).
// Run: node --test economy.test.mjs   (RPC, CHAIN_ID, DENOM may be overridden by env)
import { test } from "node:test";
import assert from "node:assert/strict";
import { DirectSecp256k1HdWallet } from "@cosmjs/proto-signing";
import {
  QueryClient, SigningStargateClient, GasPrice, assertIsDeliverTxSuccess,
  setupStakingExtension, setupDistributionExtension, setupMintExtension, setupGovExtension,
} from "@cosmjs/stargate";
import { connectComet } from "@cosmjs/tendermint-rpc";
import { RPC, DENOM, MNEMONIC_A, latestHeight, waitForHeightAbove } from "./common.mjs";

const wallet = await DirectSecp256k1HdWallet.fromMnemonic(MNEMONIC_A, { prefix: "akash" });
const [{ address: a }] = await wallet.getAccounts();
const comet = await connectComet(RPC);
const q = QueryClient.withExtensions(
  comet, setupStakingExtension, setupDistributionExtension, setupMintExtension, setupGovExtension,
);

let validator;

test("staking queries: bonded validators, pool, params", async () => {
  const { validators } = await q.staking.validators("BOND_STATUS_BONDED");
  assert.ok(validators.length >= 1, "the devnet has a bonded genesis validator");
  validator = validators[0];
  assert.match(validator.operatorAddress, /^akashvaloper1/);
  assert.ok(BigInt(validator.tokens) > 0n);
  const one = await q.staking.validator(validator.operatorAddress);
  assert.equal(one.validator.operatorAddress, validator.operatorAddress);
  const { pool } = await q.staking.pool();
  assert.ok(BigInt(pool.bondedTokens) >= BigInt(validator.tokens));
  const { params } = await q.staking.params();
  assert.equal(params.bondDenom, DENOM);
  assert.equal(params.maxValidators, 100);
  assert.equal(Number(params.unbondingTime.seconds), 14 * 86400);
  const dels = await q.staking.validatorDelegations(validator.operatorAddress);
  assert.ok(dels.delegationResponses.length >= 1, "the self-delegation");
});

test("mint queries: inflation within 13 %..15 %", async () => {
  const inflation = await q.mint.inflation();
  const v = Number(inflation.toString());
  assert.ok(v >= 0.13 && v <= 0.15, `inflation ${v}`);
  // cosmjs' mint extension returns the params object itself (decoded), not `{ params }`.
  const params = await q.mint.params();
  assert.equal(params.mintDenom, DENOM);
});

test("delegateTokens, rewards accrue, withdrawRewards pays", async () => {
  const client = await SigningStargateClient.connectWithSigner(RPC, wallet, {
    gasPrice: GasPrice.fromString(`0.025${DENOM}`),
  });
  const r = await client.delegateTokens(a, validator.operatorAddress, { denom: DENOM, amount: "5000000" }, "auto");
  assertIsDeliverTxSuccess(r);
  const del = await q.staking.delegation(a, validator.operatorAddress);
  assert.ok(BigInt(del.delegationResponse.balance.amount) >= 5_000_000n);
  const delegations = await q.staking.delegatorDelegations(a);
  assert.ok(delegations.delegationResponses.some((d) => d.delegation.validatorAddress === validator.operatorAddress));
  await waitForHeightAbove((await latestHeight()) + 2, 60_000);
  const rewards = await q.distribution.delegationRewards(a, validator.operatorAddress);
  assert.ok(rewards.rewards.length > 0, "minted tokens reach the delegation");
  const total = await q.distribution.delegationTotalRewards(a);
  assert.ok(total.total.length > 0);
  const { validators } = await q.distribution.delegatorValidators(a);
  assert.ok(validators.includes(validator.operatorAddress));
  const outstanding = await q.distribution.validatorOutstandingRewards(validator.operatorAddress);
  assert.ok(outstanding.rewards.rewards.length > 0);
  const commission = await q.distribution.validatorCommission(validator.operatorAddress);
  assert.ok(commission.commission.commission.length > 0);
  const { pool } = await q.distribution.communityPool();
  assert.ok(Array.isArray(pool));
  const { params } = await q.distribution.params();
  assert.equal(params.withdrawAddrEnabled, true);
  const w = await client.withdrawRewards(a, validator.operatorAddress, "auto");
  assertIsDeliverTxSuccess(w);
  assert.ok(w.events.some((e) => e.type === "withdraw_rewards"), JSON.stringify(w.events.map((e) => e.type)));
  const u = await client.undelegateTokens(a, validator.operatorAddress, { denom: DENOM, amount: "1000000" }, "auto");
  assertIsDeliverTxSuccess(u);
  const ubd = await q.staking.unbondingDelegation(a, validator.operatorAddress);
  assert.equal(ubd.unbond.entries.at(-1).balance, "1000000");
});

test("gov: submit a text proposal (v1), GovExtension queries, MsgVote", async () => {
  const client = await SigningStargateClient.connectWithSigner(RPC, wallet, {
    gasPrice: GasPrice.fromString(`0.025${DENOM}`),
  });
  const submit = await client.signAndBroadcast(a, [{
    typeUrl: "/cosmos.gov.v1.MsgSubmitProposal",
    value: {
      messages: [], initialDeposit: [{ denom: DENOM, amount: "2500000000" }], proposer: a,
      metadata: "", title: "cosmjs text proposal", summary: "from the compat test", expedited: false,
    },
  }], "auto");
  assertIsDeliverTxSuccess(submit);
  const idAttr = submit.events.find((e) => e.type === "submit_proposal")
    .attributes.find((x) => x.key === "proposal_id");
  const id = BigInt(idAttr.value);
  const { proposal } = await q.gov.proposal(id);
  assert.equal(proposal.proposalId, id);
  assert.equal(proposal.status, 2); // PROPOSAL_STATUS_VOTING_PERIOD
  const { proposals } = await q.gov.proposals(2, "", "");
  assert.ok(proposals.some((p) => p.proposalId === id));
  const { tallyParams } = await q.gov.params("tallying");
  assert.equal(Buffer.from(tallyParams.quorum).toString(), "200000000000000000");
  const { depositParams } = await q.gov.params("deposit");
  assert.equal(depositParams.minDeposit[0].amount, "2500000000");
  const vote = await client.signAndBroadcast(a, [{
    typeUrl: "/cosmos.gov.v1.MsgVote",
    value: { proposalId: id, voter: a, option: 1, metadata: "" },
  }], "auto");
  assertIsDeliverTxSuccess(vote);
  const v = await q.gov.vote(id, a);
  assert.equal(v.vote.options[0].option, 1);
  const { tally } = await q.gov.tally(id);
  assert.ok(BigInt(tally.yes) > 0n, JSON.stringify(tally));
  const { deposits } = await q.gov.deposits(id);
  assert.equal(deposits[0].depositor, a);
});
