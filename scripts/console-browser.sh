#!/usr/bin/env bash
# The console in a browser against a running devnet with its provider on the local dockerd:
# starts the provider (scripts/provider-up.sh) and `kumo console` on 127.0.0.1:30900, measures
# `kumo deploy` of the console's demo template and the deploy page's gzipped weight, then runs the browser
# tests (web/tests/console.test.mjs: deploy flow, Keplr stub and local key; and
# web/tests/console-manage.test.mjs, the manage pages, when present) with headless chromium.
# Usage: scripts/console-browser.sh KUMO_BIN DEVNET_HOME RPC_URL WORK_DIR [GATEWAY_PORT] [INGRESS_PORT]
# Screenshots and figures: WORK_DIR/screenshots (figures.json, figures.txt).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
KUMO="$1" H="$2" RPC="$3" W="$4" GW_PORT="${5:-8443}" IN_PORT="${6:-8080}"
CONSOLE_PORT="${KUMO_CONSOLE_PORT:-30900}"
CONSOLE="http://127.0.0.1:$CONSOLE_PORT"
OUT="$W/screenshots"
mkdir -p "$W" "$OUT"
k() { "$KUMO" --home "$H" "$@"; }
KR=(--keyring-backend test)
say() { printf -- '--- %s\n' "$*"; }
PROVIDER_PID="" CONSOLE_PID=""
cleanup() {
  if [[ -n "$CONSOLE_PID" ]]; then kill "$CONSOLE_PID" 2>/dev/null || true; fi
  if [[ -n "$PROVIDER_PID" ]]; then kill -CONT "$PROVIDER_PID" 2>/dev/null || true; kill "$PROVIDER_PID" 2>/dev/null || true; fi
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; for f in "$W/console.log" "$W/provider.log"; do [[ -f "$f" ]] && { echo "last lines of $f:"; tail -n 20 "$f"; }; done; exit 1; }

"$ROOT/scripts/demo-image.sh" >/dev/null
say "provider up (gateway 127.0.0.1:$GW_PORT, ingress 127.0.0.1:$IN_PORT)"
PROVIDER_PID="$("$ROOT/scripts/provider-up.sh" "$KUMO" "$H" "$RPC" "$W" "$GW_PORT" "$IN_PORT" | tail -n 1)"

say "kumo console on $CONSOLE"
"$KUMO" --home "$H" console --node "$RPC" "${KR[@]}" --listen "127.0.0.1:$CONSOLE_PORT" --ingress-port "$IN_PORT" \
  --stats-url "http://127.0.0.1:1" >"$W/console.log" 2>&1 &
CONSOLE_PID=$!
for _ in $(seq 1 60); do curl -sf "$CONSOLE/wallet" >/dev/null 2>&1 && break; sleep 0.5; done
curl -sf "$CONSOLE/wallet" >/dev/null || fail "the console did not answer"

say "page weight of the deploy page (gzip, as the browser gets it)"
weight=0
for path in / /static/kumo.css /static/htmx.min.js /static/console.js; do
  n="$(curl -s --compressed -H 'Accept-Encoding: gzip' -o /dev/null -w '%{size_download}' "$CONSOLE$path")"
  echo "  $path: $n bytes"
  weight=$((weight + n))
done
echo "  total: $weight bytes"

# examples/demo.yaml fixes the ingress host demo.kumo.local, which a provider serves for one lease
# at a time: alice's deployments left running by earlier steps (provider-e2e's) are closed first.
ALICE="$(k keys show alice -a "${KR[@]}")"
for d in $(k query deployment list --owner "$ALICE" --state active --node "$RPC" --output json \
    | python3 -c "import json,sys; print(' '.join(x['deployment']['id']['dseq'] for x in json.load(sys.stdin)['deployments']))"); do
  k tx deployment close --dseq "$d" --from alice "${KR[@]}" --node "$RPC" -y --broadcast-mode block >/dev/null \
    || fail "closing alice's deployment $d"
  echo "  closed alice's deployment $d"
done

say "kumo deploy of the console's demo template (the CLI's time to a running service, for comparison)"
t0=$(date +%s.%N)
k deploy "$ROOT/crates/kumo-console/sdl/kumo-demo.yaml" --from alice "${KR[@]}" --node "$RPC" -y --provider provider \
  --bid-wait 60 --up-wait 120 --output json >"$W/cli-deploy.json" || fail "kumo deploy"
t1=$(date +%s.%N)
CLI_SECS="$(python3 -c "print(round($t1 - $t0, 1))")"
CLI_DSEQ="$(python3 -c "import json; print(json.load(open('$W/cli-deploy.json'))['dseq'])")"
echo "  kumo deploy: $CLI_SECS s (dseq $CLI_DSEQ)"
k tx deployment close --dseq "$CLI_DSEQ" --from alice "${KR[@]}" --node "$RPC" -y --broadcast-mode block >/dev/null \
  || fail "closing the CLI's deployment"

say "browser: web/tests/console.test.mjs"
tests=("$ROOT/web/tests/console.test.mjs")
[[ -f "$ROOT/web/tests/console-manage.test.mjs" ]] && tests+=("$ROOT/web/tests/console-manage.test.mjs")
for t in "${tests[@]}"; do
  say "node --test $(basename "$t")"
  CONSOLE_URL="$CONSOLE" KUMO_BIN="$KUMO" KUMO_HOME="$H" KUMO_RPC="$RPC" PROVIDER_PID="$PROVIDER_PID" \
    KUMO_TEST_OUT="$OUT/$(basename "$t" .test.mjs)" node --test --test-concurrency=1 "$t" || fail "$(basename "$t")"
done

CONSOLE_SECS="$(python3 -c "import json; print(round(json.load(open('$OUT/console/figures.json'))['console_deploy_to_running_seconds'], 1))")"
{
  echo "deploy page weight (gzip: page + kumo.css + htmx + console.js): $weight bytes"
  echo "kumo deploy examples/demo.yaml to running: $CLI_SECS s"
  echo "console: Deploy click to running (local key, bids polled every 7 s): $CONSOLE_SECS s"
} | tee "$OUT/figures.txt"
