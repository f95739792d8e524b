// Regenerates crates/kumo-sdl/tests/golden/: for a handful of real SDLs, a copy of the file and
// what Akash's own SDL implementation (@akashnetwork/chain-sdk) makes of it (accept/reject,
// manifest version hash, GroupSpecs in the normal form of sdl_common.mjs, the hashed JSON).
// The Rust test crates/kumo-sdl/tests/golden.rs checks kumo-sdl against these files.
//   cd tests/compat && npm ci --ignore-scripts && node sdl_golden.mjs
import fs from "node:fs";
import path from "node:path";
import { REPO, examplesDir, oracle } from "./sdl_common.mjs";

const PICKS = [
  "redis_deploy.yaml", // one service, random port
  "bitcoin-knots-mempool-ui_deploy-mempool.yaml", // many services, persistent volumes, accept, cpu attributes
  "status_deploy.yaml", // IP endpoints (used 3 times), udp
  "Sentinel-dVPN-node_deploy.yml", // IP endpoints
  "Llama-3.2-90B-Vision-Instruct_deploy.yaml", // GPU model with ram, ram-class volume
  "chia-bladebit_configs_bladebit-32-425-2000.yaml", // GPU interface
  "n8n_deploy.yml", // USDC IBC denom
  "DeepSeek-R1-Distill-Qwen-1.5B_deploy.yaml", // params.storage order
  "concordium_deploy.yaml", // params: {}
  "open-webui-cpu_deploy.yaml", // rejected: depends_on
  "steamcmd_deploy.yaml", // rejected: port as a string
];

const out = path.join(REPO, "crates/kumo-sdl/tests/golden");
fs.mkdirSync(out, { recursive: true });
const dir = examplesDir();
for (const f of PICKS) {
  const sdl = fs.readFileSync(path.join(dir, f), "utf8");
  const result = await oracle(sdl);
  const base = f.replace(/\.ya?ml$/, "");
  fs.copyFileSync(path.join(dir, f), path.join(out, `${base}.yaml`));
  const golden = result.accepted
    ? { file: f, accepted: true, manifest_version: result.hash, groups: result.groups, sorted_json: result.sortedJson }
    : { file: f, accepted: false, error: result.error };
  fs.writeFileSync(path.join(out, `${base}.oracle.json`), JSON.stringify(golden, null, 1) + "\n");
  console.log(`${f}: ${result.accepted ? result.hash : "rejected: " + result.error}`);
}
