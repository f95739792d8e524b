// Unchanged @akashnetwork/akashjs 0.11 (with the @akashnetwork/akash-api it bundles) reads
// deployments, orders, bids and leases over CometBFT RPC abci_query, using the older
// deployment v1beta3 / market v1beta4 query services it speaks.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
const require = createRequire(import.meta.url);
const { getRpc } = require("@akashnetwork/akashjs/build/rpc");
const dq = require("@akashnetwork/akash-api/akash/deployment/v1beta3");
const mq = require("@akashnetwork/akash-api/akash/market/v1beta4");

const RPC = process.env.RPC ?? "http://127.0.0.1:26657";
const OWNER = process.env.OWNER ?? "akash19rl4cm2hmr8afy4kldpxz3fka4jguq0a3mq6x0";
const DSEQ = process.env.DSEQ ?? "1"; // the deployment scripts/test.sh leases through the kumo CLI

test("akashjs lists deployments, orders, bids and leases", async () => {
  const rpc = await getRpc(RPC);
  const deployments = new dq.QueryClientImpl(rpc);
  const market = new mq.QueryClientImpl(rpc);
  const d = await deployments.Deployments(dq.QueryDeploymentsRequest.fromPartial({ filters: { owner: OWNER, dseq: DSEQ } }));
  assert.equal(d.deployments.length, 1, `deployment ${OWNER}/${DSEQ} exists`);
  const dep = d.deployments[0];
  assert.equal(dep.deployment.deploymentId.owner, OWNER);
  assert.ok(dep.groups.length >= 1);
  assert.equal(dep.escrowAccount.id.scope, "deployment");
  const dseq = dep.deployment.deploymentId.dseq;
  const orders = await market.Orders(mq.QueryOrdersRequest.fromPartial({ filters: { owner: OWNER, dseq } }));
  assert.ok(orders.orders.length >= 1);
  assert.equal(orders.orders[0].orderId.owner, OWNER);
  const bids = await market.Bids(mq.QueryBidsRequest.fromPartial({ filters: { owner: OWNER, dseq } }));
  assert.ok(bids.bids.length >= 1);
  assert.equal(bids.bids[0].bid.bidId.owner, OWNER);
  const leases = await market.Leases(mq.QueryLeasesRequest.fromPartial({ filters: { owner: OWNER, dseq } }));
  assert.ok(leases.leases.length >= 1);
  assert.equal(leases.leases[0].escrowPayment.owner, leases.leases[0].lease.leaseId.provider);
});
