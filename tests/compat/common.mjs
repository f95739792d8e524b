// Shared settings and helpers for the compatibility tests.
// Everything is configurable through the environment so the same files run against any node.
export const RPC = process.env.RPC ?? "http://127.0.0.1:26657";
export const CHAIN_ID = process.env.CHAIN_ID ?? "kumo-devnet";
export const DENOM = process.env.DENOM ?? "uakt";

// Public BIP-39 test vectors funded in the devnet genesis; never use them for real funds.
export const MNEMONIC_A = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";
export const MNEMONIC_B = "zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo wrong";
export const EXPECT_A = "akash19rl4cm2hmr8afy4kldpxz3fka4jguq0a3mq6x0"; // m/44'/118'/0'/0/0
export const EXPECT_B = "akash1am058pdux3hyulcmfgj4m3hhrlfn8nzm2u3qk6";

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** One raw CometBFT JSON-RPC call (POST /, named params). Returns the parsed envelope. */
export async function rpcCall(method, params = {}, { timeoutMs = 15_000 } = {}) {
  const res = await fetch(RPC, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: Math.floor(Math.random() * 1e12), method, params }),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await res.text();
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    throw new Error(`${method}: HTTP ${res.status}, body is not JSON: ${text.slice(0, 300)}`);
  }
  return { httpStatus: res.status, body };
}

/** Latest committed height from `status`. */
export async function latestHeight() {
  const { body } = await rpcCall("status");
  if (!body.result) throw new Error(`status failed: ${JSON.stringify(body.error)}`);
  return Number(body.result.sync_info.latest_block_height);
}

/** Waits until the chain height is strictly greater than `h` (bounded). */
export async function waitForHeightAbove(h, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const now = await latestHeight();
    if (now > h) return now;
    if (Date.now() > deadline) throw new Error(`height stuck at ${now} (waited for > ${h} for ${timeoutMs} ms)`);
    await sleep(250);
  }
}
