// Unchanged @akashnetwork/chain-sdk (Akash's own TypeScript SDK) against a kumo devnet:
// build groups and the manifest hash from a real SDL with chain-sdk's SDL class, create the
// deployment with chain-sdk's tx client (cosmjs signing over CometBFT RPC), and read it back with
// its gRPC query client (9090) and its gRPC-gateway web client (1317).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createChainNodeSDK, createStargateClient, SDL } from "@akashnetwork/chain-sdk";
import { createChainNodeWebSDK } from "@akashnetwork/chain-sdk/web";
import { RPC, MNEMONIC_A, EXPECT_A, rpcCall } from "./common.mjs";

const GRPC = process.env.GRPC ?? "http://127.0.0.1:9090";
const API = process.env.API ?? "http://127.0.0.1:1317";
const EXAMPLES = process.env.KUMO_SDL_EXAMPLES ?? new URL("../../../shared/sdl-examples/", import.meta.url).pathname;

test("chain-sdk creates a deployment from an SDL and reads it back", async () => {
  const yaml = readFileSync(`${EXAMPLES}/CodiMD_deploy.yaml`, "utf8");
  const sdl = SDL.fromString(yaml, "beta3");
  const groups = sdl.groups();
  const hash = await sdl.manifestVersion();

  const signer = createStargateClient({ baseUrl: RPC, signerMnemonic: MNEMONIC_A });
  const sdk = createChainNodeSDK({ query: { baseUrl: GRPC }, tx: { signer } });
  const owner = (await signer.getAccount()).address;
  assert.equal(owner, EXPECT_A);

  // The client picks dseq; the Akash CLI uses the latest height, so do the same.
  const status = await rpcCall("status");
  const dseq = BigInt(status.body.result.sync_info.latest_block_height) + 1000n;
  await sdk.akash.deployment.v1beta4.createDeployment({
    id: { owner, dseq },
    groups,
    hash,
    deposit: { amount: { denom: "uact", amount: "5000000" }, sources: [1] },
  });

  const got = await sdk.akash.deployment.v1beta4.getDeployment({ id: { owner, dseq } });
  assert.equal(got.deployment.id.owner, owner);
  assert.equal(String(got.deployment.id.dseq), String(dseq)); // a Long
  assert.equal(got.deployment.state, 1); // active
  assert.deepEqual(Buffer.from(got.deployment.hash), Buffer.from(hash));
  assert.equal(got.groups.length, groups.length);
  assert.equal(got.groups[0].groupSpec.name, groups[0].name);

  const orders = await sdk.akash.market.v1beta5.getOrders({ filters: { owner, dseq, state: "open" } });
  assert.equal(orders.orders.length, groups.length);

  const web = createChainNodeWebSDK({ query: { baseUrl: API }, tx: { signer } });
  const list = await web.akash.deployment.v1beta4.getDeployments({ filters: { owner, dseq, state: "active" } });
  assert.equal(list.deployments.length, 1);
  assert.equal(String(list.deployments[0].deployment.id.dseq), String(dseq));
});
