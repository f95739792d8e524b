#!/usr/bin/env bash
# The stats pages in headless chromium against a running devnet (web/tests/stats.test.mjs):
# gives the chain some history with the kumo CLI (bob deploys, the devnet's `provider` bids in
# uakt, bob leases), starts `kumo stats serve` at STATS_URL unless one answers there, runs the
# browser test, then prints the dashboard's page weight (HTML + CSS + JS, gzipped).
# Screenshots go to $KUMO_TEST_OUT (default: a temp dir, printed at the end).
# Usage: scripts/stats-browser.sh KUMO_BIN DEVNET_HOME RPC_URL STATS_URL
set -euo pipefail
KUMO="$1" H="$2" RPC="$3" STATS="${4%/}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="${KUMO_TEST_OUT:-$(mktemp -d -t kumo-stats-browser.XXXXXX)}"
mkdir -p "$OUT"
k() { "$KUMO" --home "$H" "$@"; }
TX=(--keyring-backend test --node "$RPC" -y --broadcast-mode block)
expect_ok() { local out; out="$("$@" 2>&1)" || { echo "$out"; return 1; }
  grep -q 'code:   0 (success)' <<<"$out" || { echo "$out"; return 1; }; }

STATS_PID=""
cleanup() {
  # STATS_PID is kumo itself (not a function's subshell), so this stops the server.
  if [[ -n "$STATS_PID" ]] && kill -0 "$STATS_PID" 2>/dev/null; then
    kill -TERM "$STATS_PID" 2>/dev/null
    for _ in $(seq 1 50); do kill -0 "$STATS_PID" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$STATS_PID" 2>/dev/null && kill -KILL "$STATS_PID" 2>/dev/null
    wait "$STATS_PID" 2>/dev/null || true
  fi
}
trap cleanup EXIT

# ---- history: a long-running uakt lease (5 AKT escrow at 1000 uakt per block)
PROVIDER="$(k keys show provider -a --keyring-backend test)"
if ! k query provider get "$PROVIDER" --node "$RPC" >/dev/null 2>&1; then
  yaml="$OUT/provider.yaml"
  printf 'host: https://provider.localhost:8443\nattributes:\n  - key: region\n    value: local\n' >"$yaml"
  expect_ok k tx provider create --from provider "$yaml" "${TX[@]}"
fi
SDL="$OUT/uakt.yaml"
cp "$ROOT/crates/kumo-node/testdata/nginx.yaml" "$SDL"
DSEQ="$(date +%s)"
expect_ok k tx deployment create --from bob "$SDL" --deposit 5000000uakt --dseq "$DSEQ" "${TX[@]}"
expect_ok k tx market bid create --from provider --owner "$(k keys show bob -a --keyring-backend test)" \
  --dseq "$DSEQ" --gseq 1 --oseq 1 --price 1000uakt "${TX[@]}"
expect_ok k tx market lease create --from bob --provider provider --dseq "$DSEQ" --gseq 1 --oseq 1 "${TX[@]}"
echo "bob's deployment $DSEQ leased from $PROVIDER at 1000 uakt/block"

# ---- a stats server (unless one already listens there)
code="$(curl -s -o /dev/null -w '%{http_code}' "$STATS/v1/dashboard-data" || true)"
if [[ "$code" == 000 ]]; then
  "$KUMO" --home "$H" stats serve --node "$RPC" --listen "${STATS#http://}" --db "$OUT/stats-index" --akt-usd 3.5 \
    --poll-ms 300 >"$OUT/stats.log" 2>&1 &
  STATS_PID=$!
  echo "started kumo stats serve on $STATS (log $OUT/stats.log)"
fi
# Reads one field of a JSON answer (prints 0 when there is none).
jfield() { curl -s "$1" | node -e '
  let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
    try { console.log(process.argv[1].split(".").reduce((o, k) => o[k], JSON.parse(s)) ?? 0); }
    catch { console.log(0); } });' "$2"; }
# Ready when the index has reached the lease's block.
LEASE_HEIGHT="$(jfield "$RPC/status" result.sync_info.latest_block_height)"
ready=0
for _ in $(seq 1 120); do   # 120 x 0.5 s
  if [[ -n "$STATS_PID" ]] && ! kill -0 "$STATS_PID" 2>/dev/null; then
    echo "!! kumo stats serve exited:"; tail -n 20 "$OUT/stats.log"; exit 1
  fi
  h="$(jfield "$STATS/v1/dashboard-data" now.height)"
  if [[ "$h" =~ ^[0-9]+$ && "$h" -ge "$LEASE_HEIGHT" && "$h" -gt 0 ]]; then ready=1; break; fi
  sleep 0.5
done
if [[ $ready -ne 1 ]]; then echo "!! the stats index did not reach height $LEASE_HEIGHT in 60 s"; exit 1; fi

# ---- the browser test
KUMO_TEST_OUT="$OUT" STATS_URL="$STATS" NOT_A_PROVIDER="$(k keys show alice -a --keyring-backend test)" \
  node --test --test-timeout=120000 "$ROOT/web/tests/stats.test.mjs"

# ---- page weight: what a browser downloads for the dashboard, gzipped
gz() { curl -s --compressed -o /dev/null -w '%{size_download}' "$STATS$1"; }
html="$(gz /)" css="$(gz /static/kumo.css)" js="$(gz /static/htmx.min.js)"
total=$((html + css + js))
printf 'dashboard page weight: %s KB gzipped (HTML %s B + kumo.css %s B + htmx.min.js %s B)\n' \
  "$(awk "BEGIN { printf \"%.1f\", $total / 1024 }")" "$html" "$css" "$js"
ghtml="$(gz /graph/totalLeaseCount)" gjson="$(gz /v1/graph-data/totalLeaseCount)"
uplot="$(gz /static/uPlot.iife.min.js)" ucss="$(gz /static/uPlot.min.css)" sjs="$(gz /static/stats.js)"
gtotal=$((ghtml + gjson + css + js + uplot + ucss + sjs))
printf 'graph page weight: %s KB gzipped (HTML %s B + JSON %s B + CSS %s B + htmx %s B + uPlot %s B + stats.js %s B)\n' \
  "$(awk "BEGIN { printf \"%.1f\", $gtotal / 1024 }")" "$ghtml" "$gjson" "$((css + ucss))" "$js" "$uplot" "$sjs"
echo "screenshots: $OUT"
