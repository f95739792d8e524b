#!/usr/bin/env bash
# Provider end-to-end on a real dockerd against a running devnet (issue 4's acceptance):
#   the devnet's provider runs `kumo provider run`; alice deploys examples/demo.yaml (web with a
#   global HTTP expose + worker) with `kumo deploy`; the web answers through the ingress; logs
#   stream the worker's output; a shell runs `echo`; the provider is killed with -9 and restarted
#   (the lease is adopted, nothing duplicated); the lease is closed while the provider is down and
#   its containers are gone after the restart; the provider's balance rose by the payment minus
#   the take rate; the provider is killed while `kumo deploy` sends a manifest and deploy succeeds
#   once it is back.
# Usage: scripts/provider-e2e.sh KUMO_BIN DEVNET_HOME RPC_URL WORK_DIR [GATEWAY_PORT] [INGRESS_PORT]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
KUMO="$1" H="$2" RPC="$3" W="$4" GW_PORT="${5:-8443}" IN_PORT="${6:-8080}"
k() { "$KUMO" --home "$H" "$@"; }
KR=(--keyring-backend test)
say() { printf -- '--- %s\n' "$*"; }
fail() { echo "FAIL: $*"; [[ -f "$W/provider.log" ]] && { echo "last provider log lines:"; tail -n 25 "$W/provider.log"; }; exit 1; }
PROVIDER_PID=""
cleanup() { [[ -n "$PROVIDER_PID" ]] && { kill -CONT "$PROVIDER_PID"; kill "$PROVIDER_PID"; } 2>/dev/null || true; }
trap cleanup EXIT
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
containers() { docker ps -q --filter "label=akash.network/lease.id.dseq=$1" --filter "label=akash.network/lease.id.owner=$ALICE" | wc -l; }

ALICE="$(k keys show alice -a "${KR[@]}")"
PROV="$(k keys show provider -a "${KR[@]}")"
"$ROOT/scripts/demo-image.sh" >/dev/null

say "provider up"
PROVIDER_PID="$("$ROOT/scripts/provider-up.sh" "$KUMO" "$H" "$RPC" "$W" "$GW_PORT" "$IN_PORT" | tail -n 1)"
bal() { k query bank balances "$PROV" --node "$RPC" --output json | json "next((c['amount'] for c in d['balances'] if c['denom']=='uakt'), '0')"; }
# Bid deposits the provider has locked (500000uakt per open or leased bid): its own money too.
held() { k query market bid list --provider "$PROV" --node "$RPC" --output json \
  | json "500000 * sum(1 for b in d['bids'] if b['bid']['state'] in ('open', 'active'))"; }
seq_of() { k query auth account "$PROV" --node "$RPC" --output json | json "d.get('sequence') or d.get('account',{}).get('sequence') or 0"; }

say "kumo deploy examples/demo.yaml"
k deploy "$ROOT/examples/demo.yaml" --from alice "${KR[@]}" --node "$RPC" -y --provider "$PROV" \
  --bid-wait 60 --up-wait 120 --output json >"$W/deploy.json" || fail "kumo deploy"
DSEQ="$(json "d['dseq']" <"$W/deploy.json")"
URI="$(json "[u for u in d['leases'][0]['status']['services']['web']['uris'] if u.endswith('.ingress.localhost')][0]" <"$W/deploy.json")"
echo "dseq $DSEQ, web at http://$URI:$IN_PORT/"
BAL0="$(( $(bal) + $(held) ))"; SEQ0="$(seq_of)"
L=(--from alice "${KR[@]}" --node "$RPC" --dseq "$DSEQ" --provider "$PROV")

say "the web answers through the ingress (generated host and the accept host)"
curl -sf --max-time 10 "http://$URI:$IN_PORT/" | grep -q "Hello from a kumo lease" || fail "ingress by generated host"
curl -sf --max-time 10 -H "Host: demo.kumo.local" "http://127.0.0.1:$IN_PORT/" | grep -q "Hello from a kumo lease" \
  || fail "ingress by accept host"

say "logs stream the worker's output"
sleep 3
timeout 30 "$KUMO" --home "$H" lease logs "${L[@]}" --service worker --tail 5 | tee "$W/logs.txt" | tail -n 2
grep -q "worker line" "$W/logs.txt" || fail "no worker lines in the logs"

say "shell runs echo inside the web service"
out="$(timeout 30 "$KUMO" --home "$H" lease shell "${L[@]}" --service web -- echo hello-from-shell)"
[[ "$out" == *hello-from-shell* ]] || fail "shell printed: $out"

say "kumo tx deployment update with an SDL: new version on chain, manifest to the provider"
sed 's/GREETING=hello/GREETING=updated/' "$ROOT/examples/demo.yaml" >"$W/demo-v2.yaml"
k tx deployment update "$W/demo-v2.yaml" --dseq "$DSEQ" --from alice "${KR[@]}" --node "$RPC" -y --output json \
  >"$W/update.json" || fail "tx deployment update with an SDL"
json "d['accepted_by']" <"$W/update.json" | grep -q "$PROV" || fail "update: manifest not accepted: $(cat "$W/update.json")"
greeting=""
for _ in $(seq 1 30); do
  greeting="$(timeout 20 "$KUMO" --home "$H" lease shell "${L[@]}" --service worker -- sh -c 'echo $GREETING' 2>/dev/null || true)"
  [[ "$greeting" == *updated* ]] && break; sleep 1
done
[[ "$greeting" == *updated* ]] || fail "the worker does not run the updated manifest (GREETING=$greeting)"
for _ in $(seq 1 30); do
  [[ "$(k lease status "${L[@]}" --output json | json "d['services']['web']['available']")" == 1 ]] && break; sleep 1
done

say "kill -9 the provider mid-lease, restart it: the lease is adopted, nothing duplicated"
before="$(containers "$DSEQ")"
kill -9 "$PROVIDER_PID"; wait "$PROVIDER_PID" 2>/dev/null || true
PROVIDER_PID="$("$ROOT/scripts/provider-up.sh" "$KUMO" "$H" "$RPC" "$W" "$GW_PORT" "$IN_PORT" | tail -n 1)"
sleep 3
after="$(containers "$DSEQ")"
[[ "$before" == 2 && "$after" == 2 ]] || fail "containers before/after restart: $before/$after (want 2/2)"
curl -sf --max-time 10 "http://$URI:$IN_PORT/" | grep -q "Hello from a kumo lease" || fail "web not served after restart"
k lease status "${L[@]}" --output json | json "d['services']['web']['available']" | grep -qx 1 || fail "status after restart"

say "close the lease while the provider is down: its containers are gone after the restart"
sleep 5   # let at least one periodic withdrawal happen
kill -9 "$PROVIDER_PID"; wait "$PROVIDER_PID" 2>/dev/null || true; PROVIDER_PID=""
k lease close "${L[@]}" -y >/dev/null || fail "lease close"
[[ "$(containers "$DSEQ")" == 2 ]] || fail "containers vanished before the provider restarted"
PROVIDER_PID="$("$ROOT/scripts/provider-up.sh" "$KUMO" "$H" "$RPC" "$W" "$GW_PORT" "$IN_PORT" | tail -n 1)"
for _ in $(seq 1 30); do [[ "$(containers "$DSEQ")" == 0 ]] && break; sleep 1; done
[[ "$(containers "$DSEQ")" == 0 ]] || fail "containers of the closed lease still run"
[[ -z "$(docker network ls -q --filter "label=akash.network/lease.id.dseq=$DSEQ" --filter "label=akash.network/lease.id.owner=$ALICE")" ]] \
  || fail "the lease network is left behind"

say "the provider was paid: balance change = payment - take rate - its tx fees"
sleep 3
PAY="$(k query escrow payments --xid "deployment/$ALICE/$DSEQ" --node "$RPC" --output json)"
WITHDRAWN="$(json "int(float(d['payments'][0]['state']['withdrawn']['amount']))" <<<"$PAY")"
BAL1="$(( $(bal) + $(held) ))"; SEQ1="$(seq_of)"
echo "withdrawn by the lease $WITHDRAWN uakt; provider balance + bid deposits $BAL0 -> $BAL1; provider txs since: $((SEQ1 - SEQ0))"
python3 - "$BAL0" "$BAL1" "$WITHDRAWN" "$((SEQ1 - SEQ0))" <<'PY' || fail "provider balance"
import sys
b0, b1, w, ntx = (int(x) for x in sys.argv[1:])
# b0, b1: bank balance + bid deposits held. Each provider tx since b0 (withdrawals, new bids)
# paid the fixed 5000uakt fee of provider.toml; the take rate on uakt is 4 %, taken at each
# withdrawal (so rounding may differ by 1uakt per withdrawal).
received = b1 - b0 + 5000 * ntx
expected = w - w * 4 // 100
print(f"payment {w}uakt, minus 4 % take = {expected}; the provider received {received} ({ntx} txs)")
assert w > 0, "nothing was paid"
assert abs(received - expected) <= max(ntx, 1) + 1, "provider balance change != payment - take"
PY
say "the provider dies while kumo deploy sends the manifest: deploy retries, and succeeds once it is back"
bids_on() { k query market bid list --owner "$ALICE" --dseq "$1" --node "$RPC" --output json 2>/dev/null \
  | json "len(d['bids'])" 2>/dev/null || echo 0; }
leases_on() { k query market lease list --owner "$ALICE" --dseq "$1" --state active --node "$RPC" --output json 2>/dev/null \
  | json "len(d['leases'])" 2>/dev/null || echo 0; }
k deploy "$ROOT/examples/demo.yaml" --from alice "${KR[@]}" --node "$RPC" -y --provider "$PROV" \
  --bid-wait 60 --manifest-wait 90 --up-wait 120 --output json >"$W/deploy2.json" 2>"$W/deploy2.err" &
DEPLOY_PID=$!
# Frozen as soon as it has bid (so it cannot take the manifest), killed once the lease exists:
# the manifest PUT in flight fails, and deploy retries until the provider is back.
NEW=""
for _ in $(seq 1 100); do
  NEW="$(sed -n 's|^creating deployment [^/]*/\([0-9]*\):.*|\1|p' "$W/deploy2.err")"; [[ -n "$NEW" ]] && break; sleep 0.2
done
[[ -n "$NEW" ]] || { cat "$W/deploy2.err"; fail "kumo deploy did not create a deployment"; }
for _ in $(seq 1 200); do [[ "$(bids_on "$NEW")" -ge 1 ]] && break; sleep 0.1; done
[[ "$(bids_on "$NEW")" -ge 1 ]] || fail "the provider did not bid on deployment $NEW"
kill -STOP "$PROVIDER_PID"
for _ in $(seq 1 60); do [[ "$(leases_on "$NEW")" -ge 1 ]] && break; sleep 0.5; done
sleep 2
kill -9 "$PROVIDER_PID"; wait "$PROVIDER_PID" 2>/dev/null || true; PROVIDER_PID=""
for _ in $(seq 1 60); do grep -q "retrying the manifest" "$W/deploy2.err" && break; sleep 0.5; done
grep "retrying the manifest" "$W/deploy2.err" | head -n 2 || { cat "$W/deploy2.err"; fail "kumo deploy did not retry the manifest"; }
PROVIDER_PID="$("$ROOT/scripts/provider-up.sh" "$KUMO" "$H" "$RPC" "$W" "$GW_PORT" "$IN_PORT" | tail -n 1)"
wait "$DEPLOY_PID" || { cat "$W/deploy2.err"; fail "kumo deploy did not survive the provider's restart"; }
grep "manifest accepted" "$W/deploy2.err"
DSEQ2="$(json "d['dseq']" <"$W/deploy2.json")"
[[ "$(json "d['leases'][0]['status']['services']['web']['available']" <"$W/deploy2.json")" == 1 ]] \
  || fail "deployment $DSEQ2 not up after the provider's restart"

echo "provider e2e: all checks passed"
