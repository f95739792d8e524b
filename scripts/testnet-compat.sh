#!/usr/bin/env bash
# The unchanged cosmjs send suite against one node (node1) of a 4-validator testnet on
# loopback: `kumo testnet init` + `kumo testnet start`, then tests/compat/send.test.mjs with
# RPC pointing at node1 (txs reach the proposers through gossip).
#   scripts/testnet-compat.sh KUMO_BIN WORK_DIR [BASE_PORT]
set -uo pipefail
KUMO="$1"; WORK="$2"; BASE="${3:-29656}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DIR="$WORK/testnet"
RPC="http://127.0.0.1:$((BASE + 11))"   # node1
"$KUMO" testnet init --validators 4 --dir "$DIR" --base-port "$BASE" --chain-id kumo-testnet --overwrite || exit 1
"$KUMO" testnet start --dir "$DIR" >"$WORK/testnet.log" 2>&1 &
PID=$!
cleanup() { kill -TERM "$PID" 2>/dev/null; wait "$PID" 2>/dev/null; }
trap cleanup EXIT
height() {
  RPC="$RPC" timeout 5 node -e '
    fetch(process.env.RPC + "/status").then((r) => r.json())
      .then((j) => console.log(j.result.sync_info.latest_block_height)).catch(() => {});' 2>/dev/null
}
for _ in $(seq 1 120); do
  h="$(height)"
  [[ "$h" =~ ^[0-9]+$ && "$h" -ge 2 ]] && break
  kill -0 "$PID" 2>/dev/null || { echo "testnet stopped; $WORK/testnet.log:"; cat "$WORK/testnet.log"; exit 1; }
  sleep 0.5
done
[[ "$h" =~ ^[0-9]+$ && "$h" -ge 2 ]] || { echo "testnet did not reach height 2"; tail -n 30 "$DIR"/node1/node.log; exit 1; }
echo "testnet at height $h; cosmjs against node1 ($RPC)"
RPC="$RPC" CHAIN_ID=kumo-testnet DENOM=uakt node --test --test-timeout=120000 \
  "$ROOT/tests/compat/send.test.mjs" || { tail -n 30 "$DIR"/node1/node.log; exit 1; }
