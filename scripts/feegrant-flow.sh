#!/usr/bin/env bash
# Fees paid through a fee grant, and authz exec, with the kumo CLI against a running devnet:
# alice grants a new account (no balance) a basic fee allowance and a send authorization; the
# grantee runs `tx authz exec` (one --msg-json message, then a generated tx file) with
# `--fee-granter alice`: alice's coins move and alice pays the fees, the grantee still has
# nothing; a fee beyond what the allowance has left is refused with the SDK's error, and after
# a revoke the grant is gone.
# Usage: scripts/feegrant-flow.sh KUMO_BIN DEVNET_HOME RPC_URL
set -euo pipefail
KUMO="$1" H="$2" RPC="$3"
k() { "$KUMO" --home "$H" "$@"; }
TX=(--keyring-backend test --node "$RPC" -y --broadcast-mode block)
expect_ok() { local out; out="$("$@" 2>&1)" || { echo "$out"; return 1; }
  grep -q 'code:   0 (success)' <<<"$out" || { echo "$out"; return 1; }; echo "$out" | tail -1; }
expect_refused() { # expected-text cmd...
  local want="$1" out; shift
  if out="$("$@" 2>&1)"; then echo "FAIL: expected a refusal ($want): $out"; exit 1; fi
  grep -qF "$want" <<<"$out" || { echo "FAIL: expected \"$want\" in: $out"; exit 1; }
  echo "ok: refused: $want"; }
addr() { k keys show "$1" --keyring-backend test --address; }
uakt() { k query bank balances "$1" --node "$RPC" --output json |
  python3 -c 'import json,sys; print(next((int(c["amount"]) for c in json.load(sys.stdin)["balances"] if c["denom"]=="uakt"), 0))'; }
left() { k query feegrant grant "$ALICE" "$GRANTEE" --node "$RPC" --output json |
  python3 -c 'import json,sys; a=json.load(sys.stdin)["allowance"]["allowance"]; print(a["spend_limit"][0]["amount"])'; }
check() { [[ "$2" == "$3" ]] || { echo "FAIL: $1: got $2, expected $3"; exit 1; }; echo "ok: $1 = $2"; }

NAME="feegrantee-$$"
k keys add "$NAME" --keyring-backend test >/dev/null 2>&1
ALICE="$(addr alice)" BOB="$(addr bob)" GRANTEE="$(addr "$NAME")"
check "the grantee starts with" "$(uakt "$GRANTEE")" 0

expect_ok k tx feegrant grant "$NAME" --spend-limit 25000uakt --from alice "${TX[@]}"
check "allowance" "$(left)" 25000
k query feegrant grants-by-grantee "$GRANTEE" --node "$RPC" | sed 's/^/    /'
expect_ok k tx authz grant --from alice "$NAME" send --spend-limit 1000000uakt "${TX[@]}"

# Without the granter the grantee cannot pay a fee.
expect_refused "insufficient funds" k tx authz exec --from "$NAME" --fees 10000uakt "${TX[@]}" \
  --msg-json "{\"@type\":\"/cosmos.bank.v1beta1.MsgSend\",\"from_address\":\"$ALICE\",\"to_address\":\"$BOB\",\"amount\":[{\"denom\":\"uakt\",\"amount\":\"1234\"}]}"

a0="$(uakt "$ALICE")" b0="$(uakt "$BOB")"
expect_ok k tx authz exec --from "$NAME" --fee-granter alice --fees 10000uakt "${TX[@]}" \
  --msg-json "{\"@type\":\"/cosmos.bank.v1beta1.MsgSend\",\"from_address\":\"$ALICE\",\"to_address\":\"$BOB\",\"amount\":[{\"denom\":\"uakt\",\"amount\":\"1234\"}]}"
check "bob received alice's coins" "$(( $(uakt "$BOB") - b0 ))" 1234
check "alice paid the coins and the fee" "$(( a0 - $(uakt "$ALICE") ))" 11234
check "the grantee still has" "$(uakt "$GRANTEE")" 0
check "allowance left" "$(left)" 15000

# The same through a generated tx file (the SDK's --generate-only shape).
FILE="$(mktemp)"; trap 'rm -f "$FILE"' EXIT
cat >"$FILE" <<JSON
{"body":{"messages":[{"@type":"/cosmos.bank.v1beta1.MsgSend","from_address":"$ALICE","to_address":"$BOB","amount":[{"denom":"uakt","amount":"766"}]}],"memo":"","timeout_height":"0","extension_options":[],"non_critical_extension_options":[]},"auth_info":{"signer_infos":[],"fee":{"amount":[],"gas_limit":"200000","payer":"","granter":""}},"signatures":[]}
JSON
a0="$(uakt "$ALICE")" b0="$(uakt "$BOB")"
expect_ok k tx authz exec "$FILE" --from "$NAME" --fee-granter "$ALICE" --fees 10000uakt "${TX[@]}"
check "bob received (file)" "$(( $(uakt "$BOB") - b0 ))" 766
check "alice paid (file)" "$(( a0 - $(uakt "$ALICE") ))" 10766
check "allowance left" "$(left)" 5000

# Beyond the allowance: refused at CheckTx with the SDK's error; nothing moves.
a0="$(uakt "$ALICE")"
expect_refused "basic allowance: fee limit exceeded" \
  k tx authz exec "$FILE" --from "$NAME" --fee-granter alice --fees 10000uakt "${TX[@]}"
check "alice after the refusal" "$(uakt "$ALICE")" "$a0"
check "allowance after the refusal" "$(left)" 5000

expect_ok k tx feegrant revoke "$NAME" --from alice "${TX[@]}"
expect_refused "fee-grant not found" \
  k tx authz exec "$FILE" --from "$NAME" --fee-granter alice --fees 1000uakt "${TX[@]}"
expect_refused "has no fee allowance" k query feegrant grant "$ALICE" "$GRANTEE" --node "$RPC"
echo "feegrant flow: all checks passed"
