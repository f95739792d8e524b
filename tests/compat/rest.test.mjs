// The REST gateway (1317) against the same queries made over ABCI with cosmjs' QueryClient:
// for every Cosmos route the gateway serves, the REST JSON (snake_case, converted to camelCase)
// must have exactly the field names of cosmjs-types' `toJSON` of the protobuf answer, at every
// level, and the same `@type` for each Any. The test first makes the state every route needs:
// a delegation and an unbonding, a proposal with a deposit and a vote, an authz grant.
// Run: node --test rest.test.mjs   (RPC, API, CHAIN_ID, DENOM may be overridden by env)
import { test } from "node:test";
import assert from "node:assert/strict";
import { DirectSecp256k1HdWallet } from "@cosmjs/proto-signing";
import { QueryClient, SigningStargateClient, GasPrice, assertIsDeliverTxSuccess } from "@cosmjs/stargate";
import { connectComet } from "@cosmjs/tendermint-rpc";
import * as staking from "cosmjs-types/cosmos/staking/v1beta1/query";
import * as distribution from "cosmjs-types/cosmos/distribution/v1beta1/query";
import * as govV1 from "cosmjs-types/cosmos/gov/v1/query";
import * as govV1beta1 from "cosmjs-types/cosmos/gov/v1beta1/query";
import * as mint from "cosmjs-types/cosmos/mint/v1beta1/query";
import * as slashing from "cosmjs-types/cosmos/slashing/v1beta1/query";
import * as authz from "cosmjs-types/cosmos/authz/v1beta1/query";
import * as bank from "cosmjs-types/cosmos/bank/v1beta1/query";
import * as auth from "cosmjs-types/cosmos/auth/v1beta1/query";
import * as tmService from "cosmjs-types/cosmos/base/tendermint/v1beta1/query";
import * as txService from "cosmjs-types/cosmos/tx/v1beta1/service";
import { GenericAuthorization } from "cosmjs-types/cosmos/authz/v1beta1/authz";
import { RPC, DENOM, MNEMONIC_A, MNEMONIC_B, latestHeight } from "./common.mjs";

const API = process.env.API ?? "http://127.0.0.1:1317";

const walletA = await DirectSecp256k1HdWallet.fromMnemonic(MNEMONIC_A, { prefix: "akash" });
const [{ address: a }] = await walletA.getAccounts();
const walletB = await DirectSecp256k1HdWallet.fromMnemonic(MNEMONIC_B, { prefix: "akash" });
const [{ address: b }] = await walletB.getAccounts();
const comet = await connectComet(RPC);
const q = new QueryClient(comet);

async function rest(path) {
  const res = await fetch(API + path, { signal: AbortSignal.timeout(15_000) });
  const text = await res.text();
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    throw new Error(`${path}: HTTP ${res.status}, body is not JSON: ${text.slice(0, 300)}`);
  }
  assert.equal(res.status, 200, `${path}: ${text.slice(0, 500)}`);
  assert.match(res.headers.get("x-cosmos-block-height") ?? "", /^[0-9]+$/, `${path}: height header`);
  return body;
}

/** The protobuf answer of `method` over ABCI: cosmjs-types' toJSON of it, and the decoded
 * object (which also names the absent optional messages that toJSON leaves out). */
async function abci(module, method, service, request) {
  // Query services name their types Query<Method>Request; the node's services <Method>Request.
  const prefix = `Query${method}Request` in module ? "Query" : "";
  const Req = module[`${prefix}${method}Request`];
  const Resp = module[`${prefix}${method}Response`];
  const { value } = await q.queryAbci(`/${service}/${method}`, Req.encode(Req.fromPartial(request)).finish());
  const decoded = Resp.decode(value);
  return { json: Resp.toJSON(decoded), decoded };
}

const camel = (k) => k.replace(/_([a-z0-9])/g, (_, c) => c.toUpperCase());
const isObject = (v) => v !== null && typeof v === "object" && !Array.isArray(v);

/** Differences in field names between REST JSON and cosmjs-types toJSON, as paths. */
function diffNames(restValue, protoValue, decoded, path, out) {
  if (protoValue === undefined || protoValue === null) {
    // An absent message: the gateway writes null.
    if (isObject(restValue)) out.push(`${path}: REST has an object, gRPC has none`);
    return out;
  }
  if (Array.isArray(protoValue)) {
    if (!Array.isArray(restValue)) return out.concat(`${path}: REST is not a list`);
    if (protoValue.length > 0 && restValue.length > 0) diffNames(restValue[0], protoValue[0], decoded?.[0], `${path}[0]`, out);
    return out;
  }
  if (!isObject(protoValue)) {
    if (isObject(restValue) || Array.isArray(restValue)) out.push(`${path}: REST has a structure, gRPC a scalar`);
    return out;
  }
  if (!isObject(restValue)) return out.concat(`${path}: REST has ${JSON.stringify(restValue)}, gRPC an object`);
  // An Any: the gateway expands it as {"@type", ...fields}; cosmjs-types keeps {typeUrl, value}.
  if ("typeUrl" in protoValue && "value" in protoValue && Object.keys(protoValue).length === 2) {
    if (restValue["@type"] !== protoValue.typeUrl) out.push(`${path}: @type ${restValue["@type"]} vs ${protoValue.typeUrl}`);
    return out;
  }
  const restKeys = Object.keys(restValue).map(camel).sort();
  const protoKeys = Object.keys(protoValue).sort();
  const absent = isObject(decoded) ? Object.keys(decoded).filter((k) => decoded[k] === undefined) : [];
  for (const k of protoKeys) if (!restKeys.includes(k)) out.push(`${path}.${k}: missing from REST`);
  for (const [k, v] of Object.entries(restValue)) {
    const c = camel(k);
    if (protoKeys.includes(c)) diffNames(v, protoValue[c], decoded?.[c], `${path}.${c}`, out);
    else if (!(absent.includes(c) && v === null)) out.push(`${path}.${c}: not a field of the message`);
  }
  return out;
}

async function compare(restPath, module, service, method, request = {}) {
  const fromRest = await rest(restPath);
  const { json, decoded } = await abci(module, method, service, request);
  const diffs = diffNames(fromRest, json, decoded, method, []);
  assert.deepEqual(diffs, [], `${restPath} vs /${service}/${method}`);
  return { fromRest, fromAbci: json };
}

let validator;
let proposalId;
let consAddress;

test("set-up: delegate, unbond a part, propose, deposit and vote, grant", async () => {
  const client = await SigningStargateClient.connectWithSigner(RPC, walletA, {
    gasPrice: GasPrice.fromString(`0.025${DENOM}`),
  });
  const vals = await rest("/cosmos/staking/v1beta1/validators?status=BOND_STATUS_BONDED");
  validator = vals.validators[0].operator_address;
  assert.match(validator, /^akashvaloper1/);
  assertIsDeliverTxSuccess(await client.delegateTokens(a, validator, { denom: DENOM, amount: "2000000" }, "auto"));
  assertIsDeliverTxSuccess(await client.undelegateTokens(a, validator, { denom: DENOM, amount: "1000000" }, "auto"));
  const submit = await client.signAndBroadcast(a, [{
    typeUrl: "/cosmos.gov.v1.MsgSubmitProposal",
    value: {
      messages: [], initialDeposit: [{ denom: DENOM, amount: "2500000000" }], proposer: a,
      metadata: "", title: "REST routes", summary: "a proposal for the REST compat test", expedited: false,
    },
  }], "auto");
  assertIsDeliverTxSuccess(submit);
  proposalId = BigInt(submit.events.find((e) => e.type === "submit_proposal")
    .attributes.find((x) => x.key === "proposal_id").value);
  assertIsDeliverTxSuccess(await client.signAndBroadcast(a, [{
    typeUrl: "/cosmos.gov.v1.MsgVote",
    value: { proposalId, voter: a, option: 1, metadata: "" },
  }], "auto"));
  assertIsDeliverTxSuccess(await client.signAndBroadcast(a, [{
    typeUrl: "/cosmos.authz.v1beta1.MsgGrant",
    value: {
      granter: a, grantee: b,
      grant: {
        authorization: {
          typeUrl: "/cosmos.authz.v1beta1.GenericAuthorization",
          value: GenericAuthorization.encode({ msg: "/cosmos.bank.v1beta1.MsgSend" }).finish(),
        },
      },
    },
  }], "auto"));
});

test("staking routes have the field names of the gRPC answers", async () => {
  const s = "/cosmos/staking/v1beta1";
  const svc = "cosmos.staking.v1beta1.Query";
  const { fromRest } = await compare(`${s}/validators`, staking, svc, "Validators", {});
  assert.equal(fromRest.validators[0].status, "BOND_STATUS_BONDED");
  assert.match(fromRest.validators[0].delegator_shares, /^[0-9]+\.[0-9]{18}$/);
  await compare(`${s}/validators/${validator}`, staking, svc, "Validator", { validatorAddr: validator });
  await compare(`${s}/validators/${validator}/delegations`, staking, svc, "ValidatorDelegations", { validatorAddr: validator });
  await compare(`${s}/validators/${validator}/unbonding_delegations`, staking, svc, "ValidatorUnbondingDelegations", { validatorAddr: validator });
  await compare(`${s}/validators/${validator}/delegations/${a}`, staking, svc, "Delegation", { delegatorAddr: a, validatorAddr: validator });
  await compare(`${s}/validators/${validator}/delegations/${a}/unbonding_delegation`, staking, svc, "UnbondingDelegation", { delegatorAddr: a, validatorAddr: validator });
  await compare(`${s}/delegations/${a}`, staking, svc, "DelegatorDelegations", { delegatorAddr: a });
  await compare(`${s}/delegators/${a}/unbonding_delegations`, staking, svc, "DelegatorUnbondingDelegations", { delegatorAddr: a });
  await compare(`${s}/delegators/${a}/redelegations`, staking, svc, "Redelegations", { delegatorAddr: a });
  await compare(`${s}/delegators/${a}/validators`, staking, svc, "DelegatorValidators", { delegatorAddr: a });
  await compare(`${s}/delegators/${a}/validators/${validator}`, staking, svc, "DelegatorValidator", { delegatorAddr: a, validatorAddr: validator });
  await compare(`${s}/pool`, staking, svc, "Pool");
  await compare(`${s}/params`, staking, svc, "Params");
});

test("distribution routes have the field names of the gRPC answers", async () => {
  const d = "/cosmos/distribution/v1beta1";
  const svc = "cosmos.distribution.v1beta1.Query";
  await compare(`${d}/params`, distribution, svc, "Params");
  await compare(`${d}/validators/${validator}/outstanding_rewards`, distribution, svc, "ValidatorOutstandingRewards", { validatorAddress: validator });
  await compare(`${d}/validators/${validator}/commission`, distribution, svc, "ValidatorCommission", { validatorAddress: validator });
  const h = await latestHeight();
  await compare(`${d}/validators/${validator}/slashes?starting_height=1&ending_height=${h}`, distribution, svc, "ValidatorSlashes",
    { validatorAddress: validator, startingHeight: 1n, endingHeight: BigInt(h) });
  const { fromRest } = await compare(`${d}/delegators/${a}/rewards`, distribution, svc, "DelegationTotalRewards", { delegatorAddress: a });
  for (const c of fromRest.total) assert.match(c.amount, /^[0-9]+\.[0-9]{18}$/, "DecCoin amounts have 18 decimals");
  await compare(`${d}/delegators/${a}/rewards/${validator}`, distribution, svc, "DelegationRewards", { delegatorAddress: a, validatorAddress: validator });
  await compare(`${d}/delegators/${a}/validators`, distribution, svc, "DelegatorValidators", { delegatorAddress: a });
  await compare(`${d}/delegators/${a}/withdraw_address`, distribution, svc, "DelegatorWithdrawAddress", { delegatorAddress: a });
  await compare(`${d}/community_pool`, distribution, svc, "CommunityPool");
});

for (const [version, module] of [["v1", govV1], ["v1beta1", govV1beta1]]) {
  test(`gov ${version} routes have the field names of the gRPC answers`, async () => {
    const g = `/cosmos/gov/${version}`;
    const svc = `cosmos.gov.${version}.Query`;
    for (const type of ["voting", "deposit", "tallying"]) {
      await compare(`${g}/params/${type}`, module, svc, "Params", { paramsType: type });
    }
    await compare(`${g}/proposals`, module, svc, "Proposals", {});
    const voting = await compare(`${g}/proposals?proposal_status=PROPOSAL_STATUS_VOTING_PERIOD&voter=${a}`, module, svc, "Proposals",
      { proposalStatus: 2, voter: a });
    assert.ok(voting.fromRest.proposals.length >= 1, "the proposal alice voted on");
    await compare(`${g}/proposals?depositor=${a}`, module, svc, "Proposals", { depositor: a });
    await compare(`${g}/proposals/${proposalId}`, module, svc, "Proposal", { proposalId });
    await compare(`${g}/proposals/${proposalId}/votes`, module, svc, "Votes", { proposalId });
    const vote = await compare(`${g}/proposals/${proposalId}/votes/${a}`, module, svc, "Vote", { proposalId, voter: a });
    assert.equal(vote.fromRest.vote.options[0].option, "VOTE_OPTION_YES");
    await compare(`${g}/proposals/${proposalId}/deposits`, module, svc, "Deposits", { proposalId });
    await compare(`${g}/proposals/${proposalId}/deposits/${a}`, module, svc, "Deposit", { proposalId, depositor: a });
    await compare(`${g}/proposals/${proposalId}/tally`, module, svc, "TallyResult", { proposalId });
  });
}

test("mint and slashing routes have the field names of the gRPC answers", async () => {
  const m = "/cosmos/mint/v1beta1";
  await compare(`${m}/params`, mint, "cosmos.mint.v1beta1.Query", "Params");
  const { fromRest } = await compare(`${m}/inflation`, mint, "cosmos.mint.v1beta1.Query", "Inflation");
  assert.match(fromRest.inflation, /^0\.[0-9]{18}$/, "LegacyDec bytes as a decimal");
  await compare(`${m}/annual_provisions`, mint, "cosmos.mint.v1beta1.Query", "AnnualProvisions");
  const s = "/cosmos/slashing/v1beta1";
  await compare(`${s}/params`, slashing, "cosmos.slashing.v1beta1.Query", "Params");
  const infos = await compare(`${s}/signing_infos`, slashing, "cosmos.slashing.v1beta1.Query", "SigningInfos", {});
  consAddress = infos.fromRest.info[0].address;
  await compare(`${s}/signing_infos/${consAddress}`, slashing, "cosmos.slashing.v1beta1.Query", "SigningInfo", { consAddress });
});

test("authz routes have the field names of the gRPC answers", async () => {
  const z = "/cosmos/authz/v1beta1/grants";
  const svc = "cosmos.authz.v1beta1.Query";
  const { fromRest } = await compare(`${z}?granter=${a}&grantee=${b}`, authz, svc, "Grants", { granter: a, grantee: b, msgTypeUrl: "" });
  assert.deepEqual(fromRest.grants.map((g) => g.authorization["@type"]), ["/cosmos.authz.v1beta1.GenericAuthorization"]);
  await compare(`${z}/granter/${a}`, authz, svc, "GranterGrants", { granter: a });
  await compare(`${z}/grantee/${b}`, authz, svc, "GranteeGrants", { grantee: b });
});

test("bank, auth, block, node and tx routes have the field names of the gRPC answers", async () => {
  const k = "/cosmos/bank/v1beta1";
  const bsvc = "cosmos.bank.v1beta1.Query";
  const { fromRest } = await compare(`${k}/balances/${a}`, bank, bsvc, "AllBalances", { address: a });
  assert.ok(fromRest.balances.some((c) => c.denom === DENOM), JSON.stringify(fromRest));
  await compare(`${k}/balances/${a}/by_denom?denom=${DENOM}`, bank, bsvc, "Balance", { address: a, denom: DENOM });
  await compare(`${k}/spendable_balances/${a}`, bank, bsvc, "SpendableBalances", { address: a });
  await compare(`${k}/supply`, bank, bsvc, "TotalSupply", {});
  await compare(`${k}/supply/by_denom?denom=${DENOM}`, bank, bsvc, "SupplyOf", { denom: DENOM });
  await compare(`${k}/params`, bank, bsvc, "Params");
  const u = "/cosmos/auth/v1beta1";
  const usvc = "cosmos.auth.v1beta1.Query";
  const acc = await compare(`${u}/accounts/${a}`, auth, usvc, "Account", { address: a });
  assert.equal(acc.fromRest.account["@type"], "/cosmos.auth.v1beta1.BaseAccount");
  assert.equal(acc.fromRest.account.pub_key["@type"], "/cosmos.crypto.secp256k1.PubKey");
  await compare(`${u}/params`, auth, usvc, "Params");
  const mods = await compare(`${u}/module_accounts`, auth, usvc, "ModuleAccounts");
  assert.ok(mods.fromRest.accounts.some((m) => m.name === "distribution"), "module accounts listed");
  await compare(`${u}/module_accounts/distribution`, auth, usvc, "ModuleAccountByName", { name: "distribution" });
  await compare(`${u}/account_info/${a}`, auth, usvc, "AccountInfo", { address: a });
  assert.deepEqual(await rest(`${u}/bech32`), { bech32_prefix: "akash" });
  const t = "/cosmos/base/tendermint/v1beta1";
  const tsvc = "cosmos.base.tendermint.v1beta1.Service";
  await compare(`${t}/node_info`, tmService, tsvc, "GetNodeInfo");
  await compare(`${t}/syncing`, tmService, tsvc, "GetSyncing");
  const h = await latestHeight();
  const block = await compare(`${t}/blocks/${h}`, tmService, tsvc, "GetBlockByHeight", { height: BigInt(h) });
  assert.equal(block.fromRest.block.header.height, String(h));
  assert.match(block.fromRest.sdk_block.header.proposer_address, /^akashvalcons1/);
  const latest = await rest(`${t}/blocks/latest`);
  assert.ok(Number(latest.block.header.height) >= h);
  const query = encodeURIComponent(`message.sender='${a}'`);
  const hash = (await rest(`/cosmos/tx/v1beta1/txs?query=${query}&limit=1`)).tx_responses[0].txhash;
  const tx = await compare(`/cosmos/tx/v1beta1/txs/${hash}`, txService, "cosmos.tx.v1beta1.Service", "GetTx", { hash });
  assert.equal(tx.fromRest.tx_response.tx["@type"], "/cosmos.tx.v1beta1.Tx");
  assert.equal(tx.fromRest.tx.auth_info.signer_infos[0].mode_info.single.mode, "SIGN_MODE_DIRECT");
  // POST routes take the request as proto3 JSON; a bad body is the SDK error body.
  for (const [path, body, status] of [
    ["/cosmos/tx/v1beta1/txs", "{\"tx_bytes\":\"AAAA\",\"mode\":\"BROADCAST_MODE_SYNC\"}", 200],
    ["/cosmos/tx/v1beta1/txs", "{\"tx_bytes\":\"AAAA\",\"mode\":\"BROADCAST_MODE_NOPE\"}", 400],
    ["/cosmos/tx/v1beta1/txs", "not json", 400],
  ]) {
    const res = await fetch(API + path, { method: "POST", body, signal: AbortSignal.timeout(15_000) });
    const json = await res.json();
    assert.equal(res.status, status, `${path} ${body}: ${JSON.stringify(json)}`);
    if (status === 200) assert.equal(json.tx_response.codespace, "sdk", "an undecodable tx is refused by CheckTx");
    else assert.deepEqual(Object.keys(json).sort(), ["code", "details", "message"]);
  }
});

test("tx search over REST finds alice's txs; unknown ids and bad params get the SDK error body", async () => {
  const query = encodeURIComponent(`message.sender='${a}'`);
  const found = await rest(`/cosmos/tx/v1beta1/txs?query=${query}&limit=2&order_by=ORDER_BY_DESC`);
  assert.deepEqual(Object.keys(found).sort(), ["pagination", "total", "tx_responses", "txs"]);
  assert.equal(found.tx_responses.length, 2);
  assert.ok(Number(found.total) >= 5, `alice sent at least the set-up's five txs: ${found.total}`);
  for (const [path, status, code] of [
    ["/cosmos/gov/v1/proposals/999999", 404, 5],
    ["/cosmos/gov/v1/proposals/abc", 400, 3],
    ["/cosmos/staking/v1beta1/validators?status=NOPE", 400, 3],
    ["/cosmos/tx/v1beta1/txs", 400, 3],
    ["/cosmos/no/such/route", 404, 5],
  ]) {
    const res = await fetch(API + path, { signal: AbortSignal.timeout(15_000) });
    const body = await res.json();
    assert.equal(res.status, status, `${path}: ${JSON.stringify(body)}`);
    assert.deepEqual(Object.keys(body).sort(), ["code", "details", "message"], path);
    assert.equal(body.code, code, path);
  }
});
