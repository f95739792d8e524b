#!/usr/bin/env bash
# A second validator through the kumo CLI against a running devnet: bob creates a validator with
# his own consensus key, it joins the bonded set, he edits its description, and a second
# validator on the same consensus key is refused.
# Usage: scripts/validator-flow.sh KUMO_BIN DEVNET_HOME RPC_URL
set -euo pipefail
KUMO="$1" H="$2" RPC="$3"
k() { "$KUMO" --home "$H" "$@"; }
TX=(--keyring-backend test --node "$RPC" -y --broadcast-mode block)
expect_ok() { local out; out="$("$@" 2>&1)" || { echo "$out"; return 1; }
  grep -q 'code:   0 (success)' <<<"$out" || { echo "$out"; return 1; }; echo "$out" | tail -1; }
validator() { k query staking validators --node "$RPC" --output json | python3 -c '
import json, sys
for v in json.load(sys.stdin)["validators"]:
    if v["description"]["moniker"] == "bob-node":
        print(v["status"], v["tokens"], v["commission"]["commission_rates"]["rate"], v["description"]["website"])'; }

PUBKEY="$(python3 -c 'import base64, os; print(base64.b64encode(os.urandom(32)).decode())')"
expect_ok k tx staking create-validator --from bob 50000000uakt --moniker bob-node --pubkey "$PUBKEY" \
  --commission-rate 0.07 "${TX[@]}"
# The set is recomputed at the end of the block that created it.
got="$(validator)"
[[ "$got" == "BOND_STATUS_BONDED 50000000 0.070000000000000000 " ]] || { echo "FAIL: new validator: $got"; exit 1; }
echo "ok: bob-node bonded with 50000000uakt at 7 % commission"

expect_ok k tx staking edit-validator --from bob --website https://bob.example "${TX[@]}"
got="$(validator)"
[[ "$got" == *" https://bob.example" ]] || { echo "FAIL: edit: $got"; exit 1; }
echo "ok: description edited, the rest unchanged: $got"

out="$(k tx staking create-validator --from alice 50000000uakt --moniker again --pubkey "$PUBKEY" "${TX[@]}" 2>&1 || true)"
grep -q "validator already exist for this pubkey" <<<"$out" || { echo "FAIL: duplicate pubkey: $out"; exit 1; }
echo "ok: a second validator on the same consensus key is refused"
echo "validator flow: all checks passed"
