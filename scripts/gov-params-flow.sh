#!/usr/bin/env bash
# A take-rate change through governance, with the kumo CLI on a devnet with a short voting period:
# a lease pays the default take (20 % on uact) at a withdrawal; alice proposes
# `update-params take --set default_take_rate=30` (and, in the SDK's proposal-file form, a market
# params change); the validator votes yes; both pass when the 20 s vote ends; the next withdrawal
# pays 30 % to the community pool. Bad proposals are refused before signing with the reason.
# The devnet `scripts/test.sh` runs votes for Akash's 3 days, so this script starts its own on
# other loopback ports (RPC BASE+1, gRPC BASE+3, REST BASE+4, p2p BASE and BASE+2) and stops it.
# Usage: scripts/gov-params-flow.sh KUMO_BIN WORK_DIR SDL_FILE(priced in uact) [BASE_PORT=28656]
set -euo pipefail
KUMO="$1" W="$2" SDL="$3" BASE="${4:-28656}"
H="$W/gov-devnet" RPC="http://127.0.0.1:$((BASE + 1))" DSEQ=7001
k() { "$KUMO" --home "$H" "$@"; }
TX=(--keyring-backend test --node "$RPC" -y --broadcast-mode block)
expect_ok() { local out; out="$("$@" 2>&1)" || { echo "$out" >&2; return 1; }
  grep -q 'code:   0 (success)' <<<"$out" || { echo "$out" >&2; return 1; }; echo "$out"; }
check() { [[ "$2" == "$3" ]] || { echo "FAIL: $1: got $2, expected $3"; exit 1; }; echo "ok: $1 = $2"; }
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
uact_of() { k query bank balances provider --keyring-backend test --node "$RPC" --output json |
  json 'next((int(c["amount"]) for c in d["balances"] if c["denom"]=="uact"), 0)'; }
pool_uact() { k query distribution community-pool --node "$RPC" --output json |
  json 'next((int(c["amount"].split(".")[0]) for c in d["pool"] if c["denom"]=="uact"), 0)'; }

mkdir -p "$W"
for p in "$BASE" $((BASE + 1)) $((BASE + 2)) $((BASE + 3)) $((BASE + 4)); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
    echo "port 127.0.0.1:$p is in use (another node?); pass another BASE_PORT"; exit 1
  fi
done
NODE_PID=""
cleanup() { if [[ -n "$NODE_PID" ]]; then kill -TERM "$NODE_PID" 2>/dev/null || true; wait "$NODE_PID" 2>/dev/null || true; fi; }
trap cleanup EXIT
"$KUMO" devnet --home "$H" --reset --chain-id kumo-gov --block-time 1s --voting-period 20s \
  --rpc-laddr "127.0.0.1:$((BASE + 1))" --grpc-laddr "127.0.0.1:$((BASE + 3))" \
  --api-laddr "127.0.0.1:$((BASE + 4))" --p2p-laddr "127.0.0.1:$BASE" >"$W/gov-devnet.log" 2>&1 &
NODE_PID=$!
for _ in $(seq 1 120); do
  kill -0 "$NODE_PID" 2>/dev/null || { echo "devnet exited:"; tail -n 30 "$W/gov-devnet.log"; exit 1; }
  h="$(k status --node "$RPC" --output json 2>/dev/null | json 'd["latest_height"]' 2>/dev/null)" || true
  [[ "$h" =~ ^[0-9]+$ && "$h" -ge 1 ]] && break
  sleep 0.5
done
[[ "${h:-0}" =~ ^[0-9]+$ && "${h:-0}" -ge 1 ]] || { echo "devnet not ready in 60 s"; tail -n 30 "$W/gov-devnet.log"; exit 1; }
check "gov voting period" "$(k query gov params --node "$RPC" --output json | json 'd["voting_period"]')" 20s

# Every module's params answer, as text and as JSON.
for m in take market deployment staking distribution mint slashing gov bank auth; do
  text="$(k query "$m" params --node "$RPC")"
  [[ -n "$text" ]] || { echo "FAIL: kumo query $m params printed nothing"; exit 1; }
  k query "$m" params --node "$RPC" --output json | json 'len(d)' >/dev/null ||
    { echo "FAIL: kumo query $m params -o json is not JSON"; exit 1; }
done
echo "ok: kumo query <module> params for 10 modules, text and JSON"
check "mint blocks_per_year (1 s blocks)" "$(k query mint params --node "$RPC" --output json | json 'd["blocks_per_year"]')" 31536000
# The supply cap minting stops at (Akash's 388,539,008 AKT), and what is left to mint.
SUPPLY_JSON="$(k query stats supply --node "$RPC" --output json)"
check "max supply" "$(json 'd["max_supply"]' <<<"$SUPPLY_JSON")" 388539008000000
check "left to mint" "$(json 'int(d["max_supply"]) - int(d["total"]) == int(d["left_to_mint"])' <<<"$SUPPLY_JSON")" True
grep -q '^max supply: .*minting stops there' <<<"$(k query stats supply --node "$RPC")" ||
  { echo "FAIL: kumo query stats supply does not show the max supply"; exit 1; }

# A lease at 1000 uact a block (5 uact deposit lasts 5000 blocks).
expect_ok k tx deployment create --from alice "$SDL" --deposit 5000000uact --dseq "$DSEQ" "${TX[@]}" >/dev/null
PROVIDER_YAML="$W/gov-provider.yaml"
printf 'host: https://provider.localhost:8443\nattributes:\n  - key: region\n    value: local\n' >"$PROVIDER_YAML"
expect_ok k tx provider create --from provider "$PROVIDER_YAML" "${TX[@]}" >/dev/null
expect_ok k tx market bid create --from provider --owner alice --dseq "$DSEQ" --gseq 1 --oseq 1 --price 1000uact "${TX[@]}" >/dev/null
expect_ok k tx market lease create --from alice --provider provider --dseq "$DSEQ" --gseq 1 --oseq 1 "${TX[@]}" >/dev/null

withdraw() { # prints "earned take"
  local p0 c0; p0="$(uact_of)" c0="$(pool_uact)"
  expect_ok k tx market lease withdraw --from provider --owner alice --dseq "$DSEQ" "${TX[@]}" >/dev/null
  local paid=$(( $(uact_of) - p0 )) take=$(( $(pool_uact) - c0 ))
  echo "$(( paid + take )) $take"
}
sleep 2
read -r earned take < <(withdraw)
[[ "$earned" -gt 0 ]] || { echo "FAIL: nothing earned"; exit 1; }
check "take at the default 20 % of $earned uact" "$take" "$(( earned * 20 / 100 ))"

# Refused before anything is signed, with the reason.
out="$(k tx gov submit-proposal update-params take --set take_rate=3 --deposit 2500000000uakt \
  --title t --summary s --from alice "${TX[@]}" 2>&1 || true)"
grep -q 'take params have no field "take_rate"; they are: default_take_rate, denom_take_rates' <<<"$out" ||
  { echo "FAIL: unknown field: $out"; exit 1; }
echo "ok: an unknown params field is refused with the field list"
out="$(k tx gov submit-proposal update-params take --set default_take_rate=101 --deposit 2500000000uakt \
  --title t --summary s --from alice "${TX[@]}" 2>&1 || true)"
grep -q 'above 100 percent' <<<"$out" || { echo "FAIL: rate 101: $out"; exit 1; }
echo "ok: a take rate above 100 % is refused"
printf '{"title":"t","summary":"s","deposit":"2500000000uakt","messages":[{"@type":"/akash.take.v1.MsgSetRates","params":{}}]}' >"$W/gov-bad.json"
out="$(k tx gov submit-proposal "$W/gov-bad.json" --from alice "${TX[@]}" 2>&1 || true)"
grep -q 'kumo cannot put a /akash.take.v1.MsgSetRates message in a proposal' <<<"$out" &&
  grep -q '/akash.take.v1.MsgUpdateParams' <<<"$out" || { echo "FAIL: unknown type URL: $out"; exit 1; }
echo "ok: an unknown message type is refused with the supported ones"

# The take change (flags) and a market change (the SDK's proposal-file form), both voted in.
out="$(expect_ok k tx gov submit-proposal update-params take --set default_take_rate=30 \
  --deposit 2500000000uakt --title "Take 30 % on non-AKT leases" --summary "gov-params-flow" \
  --from alice "${TX[@]}")"
grep -q 'default_take_rate: 20 -> 30' <<<"$out" || { echo "FAIL: no diff shown: $out"; exit 1; }
echo "ok: the params diff is shown before signing"
# The SDK's file form names the authority; anything but the gov account is refused, and the
# refusal names the gov account, which the real proposal then uses.
ALICE="$(k keys show alice --keyring-backend test --address)"
market_file() { cat >"$W/gov-market.json" <<JSON
{"title": "Ten bids per order", "summary": "gov-params-flow", "deposit": "2500000000uakt",
 "messages": [{"@type": "/akash.market.v1beta5.MsgUpdateParams", "authority": "$1",
               "params": {"order_max_bids": 10}}]}
JSON
}
market_file "$ALICE"
out="$(k tx gov submit-proposal "$W/gov-market.json" --from alice "${TX[@]}" 2>&1 || true)"
grep -q "the authority must be the gov module account akash1" <<<"$out" || { echo "FAIL: authority: $out"; exit 1; }
echo "ok: a proposal message with another authority than gov is refused"
GOV="$(grep -o 'gov module account akash1[0-9a-z]*' <<<"$out" | head -1 | awk '{print $4}')"
market_file "$GOV"
expect_ok k tx gov submit-proposal "$W/gov-market.json" --from alice "${TX[@]}" >/dev/null
ids="$(k query gov proposals --node "$RPC" --output json | json '" ".join(p["id"] for p in d["proposals"])')"
check "proposal 1 shows the params it sets" \
  "$(k query gov proposal 1 --node "$RPC" --output json | json 'd["messages"][0]["params"]["default_take_rate"]')" 30
for id in $ids; do expect_ok k tx gov vote "$id" yes --from validator "${TX[@]}" >/dev/null; done
for id in $ids; do
  for _ in $(seq 1 60); do
    st="$(k query gov proposal "$id" --node "$RPC" --output json | json 'd["status"]')"
    [[ "$st" == PROPOSAL_STATUS_VOTING_PERIOD ]] || break
    sleep 1
  done
  check "proposal $id" "$st" PROPOSAL_STATUS_PASSED
done
check "take default_take_rate" "$(k query take params --node "$RPC" --output json | json 'd["params"]["default_take_rate"]')" 30
check "market order_max_bids" "$(k query market params --node "$RPC" --output json | json 'd["params"]["order_max_bids"]')" 10

read -r earned take < <(withdraw)
[[ "$earned" -gt 0 ]] || { echo "FAIL: nothing earned after the change"; exit 1; }
check "take at the new 30 % of $earned uact" "$take" "$(( earned * 30 / 100 ))"
echo "gov params flow: all checks passed"
