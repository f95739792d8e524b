// The same send through the cosmjs 0.32.4 line that @akashnetwork/akashjs bundles
// (installed here under the aliases stargate032 / proto-signing032).
// 0.32.4 picks its CometBFT client from status.node_info.version: only "0.37.*" / "0.38.*"
// avoid the Tendermint 0.34 dialect, so this file also checks the node's version string.
import { test } from "node:test";
import assert from "node:assert/strict";
import { DirectSecp256k1HdWallet } from "proto-signing032";
import {
  StargateClient, SigningStargateClient, GasPrice, BroadcastTxError, assertIsDeliverTxSuccess,
} from "stargate032";
import { TxRaw } from "cosmjs-types/cosmos/tx/v1beta1/tx";
import { RPC, CHAIN_ID, DENOM, MNEMONIC_A, MNEMONIC_B, EXPECT_A, EXPECT_B, rpcCall } from "./common.mjs";

const walletA = await DirectSecp256k1HdWallet.fromMnemonic(MNEMONIC_A, { prefix: "akash" });
const walletB = await DirectSecp256k1HdWallet.fromMnemonic(MNEMONIC_B, { prefix: "akash" });
const [{ address: a }] = await walletA.getAccounts();
const [{ address: b }] = await walletB.getAccounts();

test("0.32.4: addresses and node version", async () => {
  assert.equal(a, EXPECT_A);
  assert.equal(b, EXPECT_B);
  const { body } = await rpcCall("status");
  assert.match(body.result?.node_info?.version ?? "", /^0\.38\./, "node_info.version must be 0.38.x");
});

test("0.32.4: read-only queries", async () => {
  const client = await StargateClient.connect(RPC);
  assert.equal(await client.getChainId(), CHAIN_ID);
  assert.ok((await client.getHeight()) >= 1);
  const acc = await client.getAccount(a);
  assert.equal(acc?.address, a);
  const bal = await client.getBalance(a, DENOM);
  assert.equal(bal.denom, DENOM);
  assert.ok(BigInt(bal.amount) > 1_000_000n);
  client.disconnect();
});

test("0.32.4: send with auto fee, balance deltas, getTx", async () => {
  const signer = await SigningStargateClient.connectWithSigner(RPC, walletA, {
    gasPrice: GasPrice.fromString(`0.025${DENOM}`),
    broadcastPollIntervalMs: 500,
    broadcastTimeoutMs: 30_000,
  });
  const beforeA = BigInt((await signer.getBalance(a, DENOM)).amount);
  const beforeB = BigInt((await signer.getBalance(b, DENOM)).amount);
  const { sequence: seq0 } = await signer.getSequence(a);
  const res = await signer.sendTokens(a, b, [{ denom: DENOM, amount: "777" }], "auto", "compat 0.32.4");
  assertIsDeliverTxSuccess(res);
  assert.match(res.transactionHash, /^[0-9A-F]{64}$/);
  assert.ok(res.gasUsed > 0n && res.gasWanted >= res.gasUsed);
  assert.ok(res.events.some((e) => e.type === "transfer"
    && e.attributes.some((x) => x.key === "recipient" && x.value === b)), "transfer event with plain-string attributes");
  const afterA = BigInt((await signer.getBalance(a, DENOM)).amount);
  const afterB = BigInt((await signer.getBalance(b, DENOM)).amount);
  assert.equal(afterB - beforeB, 777n);
  const fee = BigInt(Math.ceil(Number(res.gasWanted) * 0.025));
  assert.equal(beforeA - afterA, 777n + fee, "sender pays amount + fee");
  const tx = await signer.getTx(res.transactionHash);
  assert.equal(tx?.code, 0);
  assert.equal(tx?.height, res.height);
  const { sequence: seq1 } = await signer.getSequence(a);
  assert.equal(seq1, seq0 + 1);
  signer.disconnect();
});

test("0.32.4: wrong sequence -> BroadcastTxError code 32", async () => {
  const signer = await SigningStargateClient.connectWithSigner(RPC, walletA);
  const { accountNumber, sequence } = await signer.getSequence(a);
  const fee = { amount: [{ denom: DENOM, amount: "5000" }], gas: "200000" };
  const msg = { typeUrl: "/cosmos.bank.v1beta1.MsgSend", value: { fromAddress: a, toAddress: b, amount: [{ denom: DENOM, amount: "1" }] } };
  const txRaw = await signer.sign(a, [msg], fee, "", { accountNumber, sequence: sequence + 3, chainId: CHAIN_ID });
  await assert.rejects(signer.broadcastTxSync(TxRaw.encode(txRaw).finish()), (e) => {
    assert.ok(e instanceof BroadcastTxError, `expected BroadcastTxError, got ${e}`);
    assert.equal(e.code, 32);
    assert.equal(e.codespace, "sdk");
    assert.match(e.log, /account sequence mismatch, expected \d+, got \d+/);
    return true;
  });
  signer.disconnect();
});
