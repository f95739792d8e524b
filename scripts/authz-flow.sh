#!/usr/bin/env bash
# A deployment deposit paid through authz, with the kumo CLI against a running devnet: alice
# grants bob a deployment-scope DepositAuthorization, bob creates a deployment whose deposit
# comes from that grant (alice pays, bob only pays his fee), closing it refunds alice and
# restores the grant's limit, and a deposit beyond the limit is refused.
# Usage: scripts/authz-flow.sh KUMO_BIN DEVNET_HOME RPC_URL SDL_FILE(priced in uakt) DSEQ
set -euo pipefail
KUMO="$1" H="$2" RPC="$3" SDL="$4" DSEQ="$5"
k() { "$KUMO" --home "$H" "$@"; }
TX=(--keyring-backend test --node "$RPC" -y --broadcast-mode block)
expect_ok() { local out; out="$("$@" 2>&1)" || { echo "$out"; return 1; }
  grep -q 'code:   0 (success)' <<<"$out" || { echo "$out"; return 1; }; echo "$out" | tail -1; }
addr() { k keys show "$1" --keyring-backend test --address; }
uakt() { k query bank balances "$1" --node "$RPC" --output json |
  python3 -c 'import json,sys; print(next((int(c["amount"]) for c in json.load(sys.stdin)["balances"] if c["denom"]=="uakt"), 0))'; }
limit() { k query authz grants --granter "$ALICE" --grantee "$BOB" --node "$RPC" --output json |
  python3 -c 'import json,sys; g=json.load(sys.stdin)["grants"]; print(g[0]["authorization"]["spend_limits"][0]["amount"] if g else "none")'; }
check() { [[ "$2" == "$3" ]] || { echo "FAIL: $1: got $2, expected $3"; exit 1; }; echo "ok: $1 = $2"; }

ALICE="$(addr alice)" BOB="$(addr bob)"
expect_ok k tx authz grant --from alice bob deposit --spend-limit 10000000uakt --scope deployment "${TX[@]}"
check "grant limit" "$(limit)" 10000000

a0="$(uakt "$ALICE")"
expect_ok k tx deployment create --from bob "$SDL" --deposit 5000000uakt --deposit-source grant --dseq "$DSEQ" "${TX[@]}"
check "alice paid the deposit" "$(( a0 - $(uakt "$ALICE") ))" 5000000
check "grant limit after the deposit" "$(limit)" 5000000

out="$(k tx deployment deposit 6000000uakt --dseq "$DSEQ" --from bob --deposit-source grant "${TX[@]}" 2>&1 || true)"
grep -q "deposit authorizations granted to it are used up" <<<"$out" || { echo "FAIL: deposit over the limit: $out"; exit 1; }
echo "ok: a deposit over the grant's remaining limit is refused"

expect_ok k tx deployment close --dseq "$DSEQ" --from bob "${TX[@]}"
check "alice refunded" "$(uakt "$ALICE")" "$a0"
check "grant limit restored" "$(limit)" 10000000
echo "authz flow: all checks passed"
