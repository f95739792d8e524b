// Shared helpers for the SDL oracle test and the golden-file generator: run Akash's own SDL
// implementation (@akashnetwork/chain-sdk, the `generateManifest` + `generateManifestVersion`
// path that kumo-sdl reproduces) and bring its GroupSpecs and kumo's to one comparable form.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import yaml from "js-yaml";
import { generateManifest, generateManifestVersion, manifestToSortedJSON } from "@akashnetwork/chain-sdk";

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const REPO = path.resolve(HERE, "../..");

/** The SDL examples folder: $KUMO_SDL_EXAMPLES, else <repo>/shared/sdl-examples, else the repo's sibling shared/. */
export function examplesDir() {
  const candidates = process.env.KUMO_SDL_EXAMPLES
    ? [path.resolve(process.env.KUMO_SDL_EXAMPLES)]
    : [path.join(REPO, "shared/sdl-examples"), path.resolve(REPO, "../shared/sdl-examples")];
  const found = candidates.find((d) => fs.existsSync(d) && fs.statSync(d).isDirectory());
  if (!found) throw new Error(`SDL examples folder not found (tried ${candidates.join(", ")}); set KUMO_SDL_EXAMPLES`);
  return found;
}

export function exampleFiles(dir) {
  return fs.readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).sort();
}

const text = (u8) => new TextDecoder().decode(u8);

/** Canonical decimal text: no leading zeros, no trailing fraction zeros ("0100.50" -> "100.5"). */
export function canonicalDecimal(s) {
  const m = /^(\d*)(?:\.(\d*))?$/.exec(String(s));
  if (!m) return `invalid:${s}`;
  const int = m[1].replace(/^0+/, "") || "0";
  const frac = (m[2] ?? "").replace(/0+$/, "");
  return frac ? `${int}.${frac}` : int;
}

const pairs = (attrs) => (attrs ?? []).map((a) => [a.key, a.value]);
const KIND = { SHARED_HTTP: 0, RANDOM_PORT: 1, LEASED_IP: 2 };

/** Oracle (ts-proto) GroupSpecs -> normal form. */
export function normalizeOracleGroups(groupSpecs) {
  return groupSpecs.map((g) => ({
    name: g.name,
    attributes: pairs(g.requirements?.attributes),
    allOf: g.requirements?.signedBy?.allOf ?? [],
    anyOf: g.requirements?.signedBy?.anyOf ?? [],
    units: g.resources.map((u) => ({
      id: u.resource.id,
      cpu: text(u.resource.cpu.units.val),
      cpuAttributes: pairs(u.resource.cpu.attributes),
      memory: text(u.resource.memory.quantity.val),
      storage: u.resource.storage.map((s) => [s.name, text(s.quantity.val), pairs(s.attributes)]),
      gpu: text(u.resource.gpu.units.val),
      gpuAttributes: pairs(u.resource.gpu.attributes),
      endpoints: u.resource.endpoints.map((e) => [e.kind, e.sequenceNumber]),
      count: u.count,
      denom: u.price.denom,
      price: canonicalDecimal(u.price.amount),
    })),
  }));
}

/**
 * kumo's proto-JSON GroupSpecs (`kumo sdl validate --output json`) -> normal form. Like the
 * SDK's REST JSON, `ResourceValue.val` (math.Int) is a decimal string and `DecCoin.amount`
 * (LegacyDec) a decimal with 18 fractional digits.
 */
export function normalizeKumoGroups(groups) {
  const b64 = (v) => (/^\d+$/.test(v ?? "") ? v : `invalid:${v}`);
  return groups.map((g) => ({
    name: g.name,
    attributes: pairs(g.requirements?.attributes),
    allOf: g.requirements?.signed_by?.all_of ?? [],
    anyOf: g.requirements?.signed_by?.any_of ?? [],
    units: g.resources.map((u) => ({
      id: u.resource.id,
      cpu: b64(u.resource.cpu?.units?.val),
      cpuAttributes: pairs(u.resource.cpu?.attributes),
      memory: b64(u.resource.memory?.quantity?.val),
      storage: u.resource.storage.map((s) => [s.name, b64(s.quantity?.val), pairs(s.attributes)]),
      gpu: b64(u.resource.gpu?.units?.val),
      gpuAttributes: pairs(u.resource.gpu?.attributes),
      endpoints: u.resource.endpoints.map((e) => [KIND[e.kind] ?? e.kind, e.sequence_number]),
      count: u.count,
      denom: u.price.denom,
      price: /^\d+\.\d{18}$/.test(u.price.amount) ? canonicalDecimal(u.price.amount) : `invalid:${u.price.amount}`,
    })),
  }));
}

/**
 * Runs the oracle on SDL text. Returns {accepted: true, hash, groups (normal form), sortedJson}
 * or {accepted: false, error}. A thrown exception (e.g. an unparseable size) is a rejection.
 */
export async function oracle(sdlText) {
  try {
    const result = generateManifest(yaml.load(sdlText));
    if (!result.ok) {
      return { accepted: false, error: result.value.map((e) => e.message).join("; ") };
    }
    const hash = Buffer.from(await generateManifestVersion(result.value.groups)).toString("hex");
    return {
      accepted: true,
      hash,
      groups: normalizeOracleGroups(result.value.groupSpecs),
      sortedJson: manifestToSortedJSON(result.value.groups),
    };
  } catch (e) {
    return { accepted: false, error: `threw: ${e.message}` };
  }
}
