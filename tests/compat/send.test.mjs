// End-to-end compatibility check: unchanged @cosmjs/stargate 0.39 against a kumo node.
// Run: node --test send.test.mjs   (RPC, CHAIN_ID, DENOM may be overridden by env)
// Adapted from the test plan in spec/cosmos-compat.md §5.1.
import { test } from "node:test";
import assert from "node:assert/strict";
import { DirectSecp256k1HdWallet } from "@cosmjs/proto-signing";
import {
  StargateClient, SigningStargateClient, GasPrice, BroadcastTxError,
  assertIsDeliverTxSuccess, isDeliverTxFailure,
} from "@cosmjs/stargate";
import { TxRaw } from "cosmjs-types/cosmos/tx/v1beta1/tx";
import { RPC, CHAIN_ID, DENOM, MNEMONIC_A, MNEMONIC_B, EXPECT_A, EXPECT_B } from "./common.mjs";

const walletA = await DirectSecp256k1HdWallet.fromMnemonic(MNEMONIC_A, { prefix: "akash" });
const walletB = await DirectSecp256k1HdWallet.fromMnemonic(MNEMONIC_B, { prefix: "akash" });
const [{ address: a }] = await walletA.getAccounts();
const [{ address: b }] = await walletB.getAccounts();

const msgSend = (from, to, amount) => ({
  typeUrl: "/cosmos.bank.v1beta1.MsgSend",
  value: { fromAddress: from, toAddress: to, amount: [{ denom: DENOM, amount: String(amount) }] },
});

/** Fee paid by a committed tx, read from its `tx` event attribute `fee` ("<n><denom>"). */
function feeOf(tx) {
  const ev = tx.events.find((e) => e.type === "tx" && e.attributes.some((x) => x.key === "fee"));
  assert.ok(ev, `tx ${tx.hash} has no tx.fee event; events: ${JSON.stringify(tx.events)}`);
  const v = ev.attributes.find((x) => x.key === "fee").value;
  assert.match(v, new RegExp(`^\\d+${DENOM}$`), `fee attribute ${v}`);
  return BigInt(v.slice(0, -DENOM.length));
}

test("addresses derive as the chain expects", () => {
  assert.equal(a, EXPECT_A);
  assert.equal(b, EXPECT_B);
});

test("read-only client: status, chain id, height, account, balances", async () => {
  const client = await StargateClient.connect(RPC);               // status (node_info.version "0.38.x")
  assert.equal(await client.getChainId(), CHAIN_ID);               // status.node_info.network
  assert.ok((await client.getHeight()) >= 1);                      // status.sync_info.latest_block_height
  const accA = await client.getAccount(a);                         // abci_query /cosmos.auth.v1beta1.Query/Account
  assert.ok(accA, "genesis account A must exist");
  assert.equal(accA.address, a);
  const balA = await client.getBalance(a, DENOM);                  // abci_query /cosmos.bank.v1beta1.Query/Balance
  assert.equal(balA.denom, DENOM);
  assert.ok(BigInt(balA.amount) >= 10_000_000n, `A needs >= 10 AKT at genesis, has ${balA.amount}`);
  const all = await client.getAllBalances(a);                      // abci_query /cosmos.bank.v1beta1.Query/AllBalances
  assert.ok(all.some((c) => c.denom === DENOM && c.amount === balA.amount));
  const nobody = "akash1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq7cdc78";  // valid bech32, never funded
  assert.equal(await client.getAccount(nobody), null, "unknown account -> null (NotFound)");
  assert.deepEqual(await client.getBalance(nobody, DENOM), { denom: DENOM, amount: "0" });
  client.disconnect();
});

test("send tokens A -> B with auto fee, then check balances, tx, block, search, sequence", async () => {
  const query = await StargateClient.connect(RPC);
  const signer = await SigningStargateClient.connectWithSigner(RPC, walletA, {
    gasPrice: GasPrice.fromString(`0.025${DENOM}`),
    broadcastPollIntervalMs: 500,
    broadcastTimeoutMs: 30_000,
  });
  const before = BigInt((await query.getBalance(a, DENOM)).amount);
  const beforeB = BigInt((await query.getBalance(b, DENOM)).amount);
  const { sequence: seq0 } = await query.getSequence(a);
  // "auto": getSequence -> Simulate -> sign (SIGN_MODE_DIRECT) -> broadcast_tx_sync -> poll tx_search
  const res = await signer.sendTokens(a, b, [{ denom: DENOM, amount: "12345" }], "auto", "compat test");
  assertIsDeliverTxSuccess(res);
  assert.match(res.transactionHash, /^[0-9A-F]{64}$/);
  assert.ok(res.height > 0);
  assert.ok(res.gasUsed > 0n && res.gasWanted >= res.gasUsed, `gasUsed ${res.gasUsed} gasWanted ${res.gasWanted}`);
  assert.equal(res.msgResponses[0]?.typeUrl, "/cosmos.bank.v1beta1.MsgSendResponse");
  assert.ok(res.events.some((e) => e.type === "transfer"
    && e.attributes.some((x) => x.key === "recipient" && x.value === b)), "0.38 events: plain-string attributes");

  const after = BigInt((await query.getBalance(a, DENOM)).amount);
  const afterB = BigInt((await query.getBalance(b, DENOM)).amount);
  assert.equal(afterB - beforeB, 12345n, "recipient got exactly the amount");
  const tx = await query.getTx(res.transactionHash);               // tx_search query="tx.hash='HEX'"
  assert.ok(tx, "getTx finds the committed tx");
  assert.equal(tx.code, 0);
  assert.equal(tx.height, res.height);
  assert.equal(tx.hash, res.transactionHash);
  const fee = feeOf(tx);
  // auto fee = ceil(ceil(simulated * 1.4) * 0.025)
  assert.equal(fee, BigInt(Math.ceil(Number(res.gasWanted) * 0.025)), "fee = gas_wanted * 0.025, rounded up");
  assert.equal(before - after, 12345n + fee, "sender pays amount + fee");
  const block = await query.getBlock(res.height);                  // block {height}
  assert.equal(block.header.height, res.height);
  assert.equal(block.header.chainId, CHAIN_ID);
  assert.ok(block.txs.length >= 1);
  assert.ok(block.txs.some((t) => Buffer.from(t).equals(Buffer.from(tx.tx))), "block carries the tx bytes");
  const found = await query.searchTx([{ key: "transfer.recipient", value: b }]); // tx_search on events
  assert.ok(found.some((t) => t.hash === res.transactionHash), "searchTx by event finds the tx");
  const { sequence: seq1 } = await query.getSequence(a);
  assert.equal(seq1, seq0 + 1);
  const accA = await query.getAccount(a);
  assert.ok(accA.pubkey, "sender's pubkey is set after its first signed tx");
  const accB = await query.getAccount(b);
  assert.ok(accB, "B exists after receiving");
  signer.disconnect(); query.disconnect();
});

test("wrong sequence is rejected at CheckTx with code 32, codespace sdk", async () => {
  const signer = await SigningStargateClient.connectWithSigner(RPC, walletA);
  const { accountNumber, sequence } = await signer.getSequence(a);
  const fee = { amount: [{ denom: DENOM, amount: "5000" }], gas: "200000" };
  const txRaw = await signer.sign(a, [msgSend(a, b, 1)], fee, "", { accountNumber, sequence: sequence + 5, chainId: CHAIN_ID });
  await assert.rejects(signer.broadcastTxSync(TxRaw.encode(txRaw).finish()), (e) => {
    assert.ok(e instanceof BroadcastTxError, `expected BroadcastTxError, got ${e}`);
    assert.equal(e.code, 32);
    assert.equal(e.codespace, "sdk");
    assert.match(e.log, new RegExp(`account sequence mismatch, expected ${sequence}, got ${sequence + 5}`));
    return true;
  });
  const { sequence: after } = await signer.getSequence(a);
  assert.equal(after, sequence, "a rejected tx does not bump the sequence");
  signer.disconnect();
});

test("overspend with a fixed fee passes CheckTx, fails in the block with code 5, fee charged, sequence bumped", async () => {
  const signer = await SigningStargateClient.connectWithSigner(RPC, walletA, {
    broadcastPollIntervalMs: 500, broadcastTimeoutMs: 30_000,
  });
  const bal = BigInt((await signer.getBalance(a, DENOM)).amount);
  const balB = BigInt((await signer.getBalance(b, DENOM)).amount);
  const { sequence: seq0 } = await signer.getSequence(a);
  const fee = { amount: [{ denom: DENOM, amount: "5000" }], gas: "200000" };
  const res = await signer.sendTokens(a, b, [{ denom: DENOM, amount: String(bal * 2n) }], fee);
  assert.ok(isDeliverTxFailure(res), `expected a failed DeliverTx, got code ${res.code}`);
  assert.equal(res.code, 5);
  assert.match(res.rawLog, /insufficient funds/);
  assert.ok(res.height > 0);
  assert.equal(BigInt((await signer.getBalance(a, DENOM)).amount), bal - 5000n, "only the fee is charged");
  assert.equal(BigInt((await signer.getBalance(b, DENOM)).amount), balB, "recipient unchanged");
  const { sequence: seq1 } = await signer.getSequence(a);
  assert.equal(seq1, seq0 + 1, "sequence is bumped by the ante handler even though the message failed");
  const tx = await signer.getTx(res.transactionHash);
  assert.equal(tx?.code, 5, "getTx reports the failed tx with its code");
  signer.disconnect();
});
