// SDL oracle: every real SDL in shared/sdl-examples goes through Akash's own implementation
// (@akashnetwork/chain-sdk `generateManifest` + `generateManifestVersion`) and through
// `kumo sdl validate --output json`. Both must accept or reject the same files, and for accepted
// files produce the same manifest version hash and the same GroupSpecs.
//
// Environment: KUMO_BIN (default ../../target/release/kumo), KUMO_SDL_EXAMPLES (default
// <repo>/shared/sdl-examples, then the repo's sibling shared/sdl-examples; the test fails when
// neither exists).
import { test, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { spawnSync } from "node:child_process";
import { REPO, examplesDir, exampleFiles, oracle, normalizeKumoGroups } from "./sdl_common.mjs";

const KUMO = path.resolve(process.env.KUMO_BIN ?? path.join(REPO, "target/release/kumo"));
const stats = { files: 0, oracleAccepted: 0, oracleRejected: 0, kumoAccepted: 0, kumoRejected: 0, decisionMatch: 0, fullMatch: 0 };

function kumo(file) {
  const r = spawnSync(KUMO, ["sdl", "validate", "--output", "json", file], { encoding: "utf8", timeout: 30_000 });
  if (r.error) throw new Error(`cannot run ${KUMO}: ${r.error.message} (build it or set KUMO_BIN)`);
  if (r.status !== 0 && r.status !== 1) throw new Error(`kumo exited ${r.status} (signal ${r.signal}): ${r.stderr}`);
  return { accepted: r.status === 0, out: r.stdout ? JSON.parse(r.stdout) : null, stderr: r.stderr };
}

/** Where two strings first differ, with some context (for hash mismatches). */
function firstDifference(a, b) {
  let i = 0;
  while (i < a.length && a[i] === b[i]) i++;
  return `at ${i}: oracle …${a.slice(Math.max(0, i - 80), i + 80)}… kumo …${b.slice(Math.max(0, i - 80), i + 80)}…`;
}

/** kumo's manifest JSON, sorted and escaped the same way as the oracle's hashed text. */
function sortedJson(v) {
  const sort = (x) => (Array.isArray(x) ? x.map(sort) : x && typeof x === "object"
    ? Object.fromEntries(Object.keys(x).sort().map((k) => [k, sort(x[k])])) : x);
  return JSON.stringify(sort(v)).replace(/</g, "\\u003c").replace(/>/g, "\\u003e").replace(/&/g, "\\u0026");
}

const dir = examplesDir();
const files = exampleFiles(dir);

test("the SDL examples folder has files", () => {
  assert.ok(files.length > 0, `no .yaml/.yml files in ${dir}`);
  assert.ok(fs.existsSync(KUMO), `kumo binary not found at ${KUMO}; build it or set KUMO_BIN`);
});

for (const f of files) {
  test(`sdl ${f}`, async () => {
    const file = path.join(dir, f);
    const want = await oracle(fs.readFileSync(file, "utf8"));
    const got = kumo(file);
    stats.files++;
    stats[want.accepted ? "oracleAccepted" : "oracleRejected"]++;
    stats[got.accepted ? "kumoAccepted" : "kumoRejected"]++;
    assert.equal(got.accepted, want.accepted,
      want.accepted ? `kumo rejected a file Akash accepts: ${got.stderr}` : `kumo accepted a file Akash rejects (${want.error})`);
    stats.decisionMatch++;
    if (!want.accepted) return;
    assert.deepEqual(normalizeKumoGroups(got.out.groups), want.groups, "GroupSpecs differ");
    assert.equal(got.out.manifest_version, want.hash,
      `manifest version differs; first difference ${firstDifference(want.sortedJson, sortedJson(got.out.manifest))}`);
    stats.fullMatch++;
  });
}

after(() => {
  console.log(`SDL oracle summary: ${JSON.stringify(stats)}`);
});
