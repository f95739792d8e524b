// Bad input over raw JSON-RPC broadcast_tx_sync: every malformed or invalid tx must be refused
// with the Cosmos SDK code a client expects (spec/cosmos-compat.md §2.5), and the node must keep
// producing blocks afterwards. Txs are built with cosmjs primitives so each field is under our control.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import {
  DirectSecp256k1HdWallet, Registry, encodePubkey, makeAuthInfoBytes, makeSignDoc,
} from "@cosmjs/proto-signing";
import { StargateClient } from "@cosmjs/stargate";
import { TxRaw, TxBody } from "cosmjs-types/cosmos/tx/v1beta1/tx";
import { MsgSend } from "cosmjs-types/cosmos/bank/v1beta1/tx";
import {
  RPC, CHAIN_ID, DENOM, MNEMONIC_A, MNEMONIC_B, rpcCall, latestHeight, waitForHeightAbove, sleep,
} from "./common.mjs";

const walletA = await DirectSecp256k1HdWallet.fromMnemonic(MNEMONIC_A, { prefix: "akash" });
const walletB = await DirectSecp256k1HdWallet.fromMnemonic(MNEMONIC_B, { prefix: "akash" });
const [accA] = await walletA.getAccounts();
const [accB] = await walletB.getAccounts();
const a = accA.address;
const b = accB.address;
const pubkeyA = encodePubkey({ type: "tendermint/PubKeySecp256k1", value: Buffer.from(accA.pubkey).toString("base64") });
const registry = new Registry([["/cosmos.bank.v1beta1.MsgSend", MsgSend]]);

let query;
let startHeight;
before(async () => {
  query = await StargateClient.connect(RPC);
  startHeight = await latestHeight();
});

/** Current on-chain account number and sequence of A. */
async function signerDataA() {
  const { accountNumber, sequence } = await query.getSequence(a);
  return { accountNumber, sequence };
}

/**
 * Builds a signed TxRaw (SIGN_MODE_DIRECT). Every knob can be bent:
 * bodyBytes (default: MsgSend 1uakt A->B), fee, gas, chainId, the signing wallet/address, sequence.
 */
async function buildTx({
  bodyBytes, memo = "", feeAmount = "5000", gas = 200_000, chainId = CHAIN_ID,
  signWallet = walletA, signAddress = a, accountNumber, sequence, amount = "1",
} = {}) {
  const body = bodyBytes ?? registry.encode({
    typeUrl: "/cosmos.tx.v1beta1.TxBody",
    value: {
      messages: [{ typeUrl: "/cosmos.bank.v1beta1.MsgSend", value: { fromAddress: a, toAddress: b, amount: [{ denom: DENOM, amount }] } }],
      memo,
    },
  });
  const authInfoBytes = makeAuthInfoBytes(
    [{ pubkey: pubkeyA, sequence }], [{ denom: DENOM, amount: feeAmount }], gas, undefined, undefined,
  );
  const signDoc = makeSignDoc(body, authInfoBytes, chainId, accountNumber);
  const { signature } = await signWallet.signDirect(signAddress, signDoc);
  return TxRaw.encode({
    bodyBytes: body,
    authInfoBytes,
    signatures: [Buffer.from(signature.signature, "base64")],
  }).finish();
}

/** broadcast_tx_sync over raw JSON-RPC; returns {result} or {error} from the envelope. */
async function broadcast(txBytes) {
  const { httpStatus, body } = await rpcCall("broadcast_tx_sync", { tx: Buffer.from(txBytes).toString("base64") });
  assert.equal(httpStatus, 200, "JSON-RPC answers HTTP 200 even for errors");
  assert.ok(body.result || body.error, `envelope has result or error: ${JSON.stringify(body)}`);
  if (body.result) {
    assert.equal(typeof body.result.code, "number", "broadcast_tx_sync result.code is a JSON number");
    assert.match(body.result.hash, /^[0-9A-F]{64}$/, "hash is uppercase hex sha256");
  }
  return body;
}

/** Asserts a CheckTx rejection with the given SDK code; returns the log. */
async function expectRejected(txBytes, code, what) {
  const body = await broadcast(txBytes);
  assert.ok(body.result, `${what}: expected a CheckTx result, got JSON-RPC error ${JSON.stringify(body.error)}`);
  const r = body.result;
  assert.equal(r.code, code, `${what}: expected code ${code}, got ${r.code} (${r.codespace}): ${r.log}`);
  assert.equal(r.codespace, "sdk", `${what}: codespace`);
  assert.ok(typeof r.log === "string" && r.log.length > 0, `${what}: a refusal carries a log`);
  return r.log;
}

/** Polls tx_search until the tx with this hash is committed (bounded). */
async function waitForTx(hashHex, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const tx = await query.getTx(hashHex);
    if (tx) return tx;
    if (Date.now() > deadline) throw new Error(`tx ${hashHex} not committed within ${timeoutMs} ms`);
    await sleep(300);
  }
}

test("malformed bytes -> code 2 (tx parse error), codespace sdk", async () => {
  const log = await expectRejected(Buffer.from("this is not a transaction"), 2, "garbage");
  assert.match(log, /tx parse error/);
  const log2 = await expectRejected(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff]), 2, "bad varint");
  assert.match(log2, /tx parse error/);
});

test("truncated valid tx -> code 2", async () => {
  const tx = await buildTx(await signerDataA());
  const log = await expectRejected(tx.slice(0, tx.length - 10), 2, "truncated");
  assert.match(log, /tx parse error/);
});

test("signed for the wrong chain id -> code 4 (unauthorized)", async () => {
  const tx = await buildTx({ ...(await signerDataA()), chainId: "not-" + CHAIN_ID });
  const log = await expectRejected(tx, 4, "wrong chain id");
  assert.match(log, /signature verification failed/);
  assert.match(log, /unauthorized/);
});

test("signed by the wrong key (bob signs, alice's pubkey) -> code 4", async () => {
  const tx = await buildTx({ ...(await signerDataA()), signWallet: walletB, signAddress: b });
  const log = await expectRejected(tx, 4, "wrong key");
  assert.match(log, /signature verification failed/);
});

test("wrong account number -> code 4", async () => {
  const sd = await signerDataA();
  const tx = await buildTx({ ...sd, accountNumber: BigInt(sd.accountNumber) + 1000n });
  await expectRejected(tx, 4, "wrong account number");
});

test("unknown message type_url /foo.Bar -> code 2", async () => {
  const body = TxBody.encode(TxBody.fromPartial({
    messages: [{ typeUrl: "/foo.Bar", value: new Uint8Array([10, 3, 1, 2, 3]) }],
  })).finish();
  const tx = await buildTx({ ...(await signerDataA()), bodyBytes: body });
  const log = await expectRejected(tx, 2, "unknown type url");
  assert.match(log, /\/foo\.Bar/, "log names the unknown type URL");
});

test("fee below the minimum gas price -> code 13 insufficient fees", async () => {
  const tx = await buildTx({ ...(await signerDataA()), feeAmount: "100", gas: 200_000 });
  const log = await expectRejected(tx, 13, "low fee");
  assert.match(log, /insufficient fees; got: .* required: .*/);
  assert.match(log, new RegExp(`required: 5000${DENOM}`), "0.025 x 200000 gas = 5000");
});

test("oversized tx (> 1 MiB memo) is refused with a message about size", async () => {
  const tx = await buildTx({ ...(await signerDataA()), memo: "x".repeat(1024 * 1024 + 16) });
  assert.ok(tx.length > 1024 * 1024);
  let res;
  try {
    res = await fetch(RPC, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "broadcast_tx_sync", params: { tx: Buffer.from(tx).toString("base64") } }),
      signal: AbortSignal.timeout(20_000),
    });
  } catch (e) {
    assert.fail(`node dropped the connection instead of answering an oversized tx: ${e.cause ?? e}`);
  }
  const text = await res.text();
  let message;
  if (res.status >= 400) {
    message = text; // an HTTP-level refusal (e.g. 413) is fine
  } else {
    const body = JSON.parse(text);
    if (body.error) {
      message = `${body.error.message} ${body.error.data ?? ""}`;
    } else {
      assert.notEqual(body.result.code, 0, "an oversized tx must not be accepted");
      message = body.result.log;
    }
  }
  assert.match(message, /too large|too big|size|exceed|limit/i, `refusal should mention the size: ${message.slice(0, 300)}`);
});

test("the same valid tx twice: second is refused as a duplicate; the first is committed", async () => {
  const sd = await signerDataA();
  const balB = BigInt((await query.getBalance(b, DENOM)).amount);
  const tx = await buildTx({ ...sd, amount: "3" });
  const first = await broadcast(tx);
  assert.ok(first.result, `first broadcast: ${JSON.stringify(first.error)}`);
  assert.equal(first.result.code, 0, `first broadcast accepted: ${first.result.log}`);
  const second = await broadcast(tx);
  if (second.error) {
    assert.match(`${second.error.message} ${second.error.data ?? ""}`, /tx already exists in cache/);
  } else {
    assert.equal(second.result.code, 19, `duplicate: expected code 19, got ${second.result.code}: ${second.result.log}`);
  }
  const committed = await waitForTx(first.result.hash);
  assert.equal(committed.code, 0);
  assert.equal((await query.getSequence(a)).sequence, sd.sequence + 1, "applied exactly once");
  assert.equal(BigInt((await query.getBalance(b, DENOM)).amount), balB + 3n, "transferred exactly once");
});

test("after all of that the node still produces blocks", async () => {
  const h = await latestHeight();
  assert.ok(h >= startHeight);
  const next = await waitForHeightAbove(h, 20_000);
  assert.ok(next > h);
  query.disconnect();
});
