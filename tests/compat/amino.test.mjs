// SIGN_MODE_LEGACY_AMINO_JSON with unchanged cosmjs 0.39: `Secp256k1HdWallet` is an
// OfflineAminoSigner (no signDirect), the path a Ledger takes through Keplr or cosmjs, so
// SigningStargateClient signs the amino StdSignDoc JSON (mode 127). Send, delegate, withdraw
// rewards and vote go through; a wrong amino type name and a tampered fee are refused with code 4.
// Run: node --test amino.test.mjs   (RPC, CHAIN_ID, DENOM may be overridden by env)
import { test } from "node:test";
import assert from "node:assert/strict";
import { Secp256k1HdWallet } from "@cosmjs/amino";
import { DirectSecp256k1HdWallet, decodeTxRaw } from "@cosmjs/proto-signing";
import {
  AminoTypes, BroadcastTxError, GasPrice, QueryClient, SigningStargateClient,
  assertIsDeliverTxSuccess, createDefaultAminoConverters, setupStakingExtension,
} from "@cosmjs/stargate";
import { connectComet } from "@cosmjs/tendermint-rpc";
import { AuthInfo, TxRaw } from "cosmjs-types/cosmos/tx/v1beta1/tx";
import { RPC, DENOM, MNEMONIC_A, MNEMONIC_B, EXPECT_A, EXPECT_B, latestHeight, waitForHeightAbove } from "./common.mjs";

const SIGN_MODE_LEGACY_AMINO_JSON = 127;

// cosmjs' default converters know gov v1beta1 only (kumo runs those too); gov v1's MsgVote has
// amino.name "cosmos-sdk/v1/MsgVote", the converter wallets such as Keplr register.
const govV1Vote = {
  "/cosmos.gov.v1.MsgVote": {
    aminoType: "cosmos-sdk/v1/MsgVote",
    toAmino: ({ proposalId, voter, option, metadata }) => ({
      proposal_id: proposalId.toString(), voter, option, ...(metadata ? { metadata } : {}),
    }),
    fromAmino: ({ proposal_id, voter, option, metadata }) => ({
      proposalId: BigInt(proposal_id), voter, option, metadata: metadata ?? "",
    }),
  },
};

const wallet = await Secp256k1HdWallet.fromMnemonic(MNEMONIC_B, { prefix: "akash" });
const [{ address: b }] = await wallet.getAccounts();
const client = await SigningStargateClient.connectWithSigner(RPC, wallet, {
  gasPrice: GasPrice.fromString(`0.025${DENOM}`),
  aminoTypes: new AminoTypes({ ...createDefaultAminoConverters(), ...govV1Vote }),
});
const comet = await connectComet(RPC);
const q = QueryClient.withExtensions(comet, setupStakingExtension);
const fee = { amount: [{ denom: DENOM, amount: "5000" }], gas: "200000" };

/** Signer info's sign mode of a committed tx, read back from the node. */
async function signModeOf(hash) {
  const indexed = await client.getTx(hash);
  assert.ok(indexed, `tx ${hash} is indexed`);
  return decodeTxRaw(indexed.tx).authInfo.signerInfos[0].modeInfo.single.mode;
}

async function assertRefusedCode4(txRaw, what) {
  await assert.rejects(client.broadcastTxSync(TxRaw.encode(txRaw).finish()), (e) => {
    assert.ok(e instanceof BroadcastTxError, `${what}: expected BroadcastTxError, got ${e}`);
    assert.equal(e.code, 4, `${what}: code ${e.code}: ${e.log}`);
    assert.equal(e.codespace, "sdk", what);
    assert.match(e.log, /signature verification failed/, what);
    return true;
  });
}

let validator;

test("the amino wallet signs as bob; it has no signDirect", async () => {
  assert.equal(b, EXPECT_B);
  assert.equal(typeof wallet.signAmino, "function");
  assert.equal(wallet.signDirect, undefined);
  const { validators } = await q.staking.validators("BOND_STATUS_BONDED");
  assert.ok(validators.length >= 1);
  validator = validators[0].operatorAddress;
});

test("sendTokens with an amino signer (memo with <, > and &)", async () => {
  const before = await client.getBalance(EXPECT_A, DENOM);
  const r = await client.sendTokens(b, EXPECT_A, [{ denom: DENOM, amount: "1234" }], "auto", "amino <ok> & escaped");
  assertIsDeliverTxSuccess(r);
  assert.equal(await signModeOf(r.transactionHash), SIGN_MODE_LEGACY_AMINO_JSON);
  const after = await client.getBalance(EXPECT_A, DENOM);
  assert.equal(BigInt(after.amount) - BigInt(before.amount), 1234n);
});

test("delegateTokens and withdrawRewards with an amino signer", async () => {
  const d = await client.delegateTokens(b, validator, { denom: DENOM, amount: "3000000" }, "auto");
  assertIsDeliverTxSuccess(d);
  assert.equal(await signModeOf(d.transactionHash), SIGN_MODE_LEGACY_AMINO_JSON);
  const del = await q.staking.delegation(b, validator);
  assert.ok(BigInt(del.delegationResponse.balance.amount) >= 3_000_000n);
  await waitForHeightAbove((await latestHeight()) + 2, 60_000);
  const w = await client.withdrawRewards(b, validator, "auto");
  assertIsDeliverTxSuccess(w);
  assert.equal(await signModeOf(w.transactionHash), SIGN_MODE_LEGACY_AMINO_JSON);
  assert.ok(w.events.some((e) => e.type === "withdraw_rewards"), JSON.stringify(w.events.map((e) => e.type)));
});

test("vote with an amino signer (gov v1 MsgVote, then v1beta1 through cosmjs' default converters) on a proposal alice submits", async () => {
  const direct = await DirectSecp256k1HdWallet.fromMnemonic(MNEMONIC_A, { prefix: "akash" });
  const alice = await SigningStargateClient.connectWithSigner(RPC, direct, {
    gasPrice: GasPrice.fromString(`0.025${DENOM}`),
  });
  const submit = await alice.signAndBroadcast(EXPECT_A, [{
    typeUrl: "/cosmos.gov.v1.MsgSubmitProposal",
    value: {
      messages: [], initialDeposit: [{ denom: DENOM, amount: "2500000000" }], proposer: EXPECT_A,
      metadata: "", title: "amino vote", summary: "bob votes with an amino signer", expedited: false,
    },
  }], "auto");
  assertIsDeliverTxSuccess(submit);
  const id = BigInt(submit.events.find((e) => e.type === "submit_proposal")
    .attributes.find((x) => x.key === "proposal_id").value);
  const vote = await client.signAndBroadcast(b, [{
    typeUrl: "/cosmos.gov.v1.MsgVote",
    value: { proposalId: id, voter: b, option: 1, metadata: "" },
  }], "auto");
  assertIsDeliverTxSuccess(vote);
  assert.equal(await signModeOf(vote.transactionHash), SIGN_MODE_LEGACY_AMINO_JSON);
  assert.ok(vote.events.some((e) => e.type === "proposal_vote"), JSON.stringify(vote.events.map((e) => e.type)));

  // cosmjs' default converters (no extra registration) send gov v1beta1 MsgVote, as older
  // wallets do; the node runs it as a v1 vote, and the later vote replaces the earlier one.
  const plain = await SigningStargateClient.connectWithSigner(RPC, wallet, {
    gasPrice: GasPrice.fromString(`0.025${DENOM}`),
  });
  const legacy = await plain.signAndBroadcast(b, [{
    typeUrl: "/cosmos.gov.v1beta1.MsgVote",
    value: { proposalId: id, voter: b, option: 2 },
  }], "auto");
  assertIsDeliverTxSuccess(legacy);
  assert.equal(await signModeOf(legacy.transactionHash), SIGN_MODE_LEGACY_AMINO_JSON);
  const ev = legacy.events.find((e) => e.type === "proposal_vote");
  assert.ok(ev, JSON.stringify(legacy.events.map((e) => e.type)));
  assert.match(ev.attributes.find((x) => x.key === "option").value, /VOTE_OPTION_ABSTAIN/);
});

test("a wrong amino type name is refused with code 4", async () => {
  // Same MsgSend on the wire, but signed under a name the node does not write.
  const wrong = {
    "/cosmos.bank.v1beta1.MsgSend": {
      ...createDefaultAminoConverters()["/cosmos.bank.v1beta1.MsgSend"],
      aminoType: "cosmos-sdk/MsgSendTokens",
    },
  };
  const signer = await SigningStargateClient.connectWithSigner(RPC, wallet, {
    aminoTypes: new AminoTypes({ ...createDefaultAminoConverters(), ...wrong }),
  });
  const msg = {
    typeUrl: "/cosmos.bank.v1beta1.MsgSend",
    value: { fromAddress: b, toAddress: EXPECT_A, amount: [{ denom: DENOM, amount: "1" }] },
  };
  const txRaw = await signer.sign(b, [msg], fee, "");
  assert.equal(AuthInfo.decode(txRaw.authInfoBytes).signerInfos[0].modeInfo.single.mode, SIGN_MODE_LEGACY_AMINO_JSON);
  await assertRefusedCode4(txRaw, "wrong amino name");
  // The same message under the right name is accepted (the refusal is the name alone).
  const good = await client.sign(b, [msg], fee, "");
  const res = await client.broadcastTx(TxRaw.encode(good).finish());
  assertIsDeliverTxSuccess(res);
});

test("a tampered fee is refused with code 4", async () => {
  const msg = {
    typeUrl: "/cosmos.bank.v1beta1.MsgSend",
    value: { fromAddress: b, toAddress: EXPECT_A, amount: [{ denom: DENOM, amount: "1" }] },
  };
  const txRaw = await client.sign(b, [msg], fee, "");
  const authInfo = AuthInfo.decode(txRaw.authInfoBytes);
  authInfo.fee.amount[0].amount = "5001";
  await assertRefusedCode4(
    TxRaw.fromPartial({ ...txRaw, authInfoBytes: AuthInfo.encode(authInfo).finish() }),
    "fee 5000 signed, 5001 sent",
  );
  authInfo.fee.amount[0].amount = "5000";
  authInfo.fee.gasLimit = 199999n;
  await assertRefusedCode4(
    TxRaw.fromPartial({ ...txRaw, authInfoBytes: AuthInfo.encode(authInfo).finish() }),
    "gas 200000 signed, 199999 sent",
  );
});
