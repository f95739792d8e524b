#!/usr/bin/env bash
# Run all tests: the Rust workspace tests, then unchanged Cosmos clients (cosmjs 0.39, cosmjs 0.32.4,
# cosmpy 0.12.2) against a freshly started `kumo devnet` on loopback, then the cosmjs send suite
# against one node of a 4-validator `kumo testnet`.
#
# Environment (all optional):
#   KUMO_RPC_PORT / KUMO_GRPC_PORT / KUMO_API_PORT   loopback ports for the devnet (26657 / 9090 / 1317)
#   KUMO_GATEWAY_PORT / KUMO_INGRESS_PORT            provider gateway and ingress ports (8443 / 8080)
#   KUMO_GOV_BASE_PORT   first of 5 loopback ports of the gov-params-flow devnet (28656)
#   KUMO_BIN=path        use this kumo binary instead of building target/release/kumo
#   KUMO_SKIP_CARGO=1    skip `cargo test` (client compatibility tests only)
#   KUMO_SKIP_COMPAT=1   skip the devnet + client tests (cargo tests only)
#   CARGO_TARGET_DIR     honoured as usual
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
RPC_PORT="${KUMO_RPC_PORT:-26657}"
GRPC_PORT="${KUMO_GRPC_PORT:-9090}"
API_PORT="${KUMO_API_PORT:-1317}"
CHAIN_ID="kumo-devnet"
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
COMPAT="$ROOT/tests/compat"

RESULTS=()   # "name|PASS|secs" entries for the summary
FAILED=0
WORK="$(mktemp -d -t kumo-test.XXXXXX)"
NODE_PID=""

say() { printf '\n==> %s\n' "$*"; }

record() { # name status start_epoch
  RESULTS+=("$1|$2|$(( $(date +%s) - $3 ))")
  [[ "$2" == PASS ]] || FAILED=1
}

run_step() { # name timeout_secs cmd...
  local name="$1" limit="$2"; shift 2
  local t0; t0=$(date +%s)
  say "$name"
  if timeout --kill-after=15 "$limit" "$@"; then
    record "$name" PASS "$t0"
  else
    local rc=$?
    [[ $rc -eq 124 || $rc -eq 137 ]] && echo "!! $name timed out after ${limit}s"
    record "$name" FAIL "$t0"
  fi
}

stop_node() {
  if [[ -n "$NODE_PID" ]] && kill -0 "$NODE_PID" 2>/dev/null; then
    kill -TERM "$NODE_PID" 2>/dev/null
    for _ in $(seq 1 50); do kill -0 "$NODE_PID" 2>/dev/null || break; sleep 0.2; done
    kill -0 "$NODE_PID" 2>/dev/null && { echo "node did not stop on SIGTERM; killing"; kill -KILL "$NODE_PID" 2>/dev/null; }
    wait "$NODE_PID" 2>/dev/null
  fi
  NODE_PID=""
}

summary() {
  stop_node
  printf '\n==> summary\n'
  if [[ ${#RESULTS[@]} -eq 0 ]]; then echo "  (nothing ran)"; FAILED=1; fi
  local r
  for r in "${RESULTS[@]}"; do
    IFS='|' read -r n s d <<<"$r"
    printf '  %-4s  %-44s %5ss\n' "$s" "$n" "$d"
  done
  if [[ $FAILED -eq 0 ]]; then echo "ALL PASSED"; else echo "SOME TESTS FAILED (node log: $WORK/node.log)"; fi
}
on_exit() { summary; [[ $FAILED -eq 0 ]] && rm -rf "$WORK"; exit $FAILED; }
trap on_exit EXIT
trap 'echo "interrupted"; FAILED=1; exit 1' INT TERM

# ---------------------------------------------------------------- set-up
# docker.io, busybox-static and a running dockerd (the provider tests run real containers), and
# the client test dependencies: installed or started when missing (scripts/setup.sh).
if [[ "${KUMO_SKIP_COMPAT:-0}" == 1 ]]; then
  run_step "set-up: Docker, busybox" 1800 "$ROOT/scripts/setup.sh"
else
  run_step "set-up: Docker, busybox, client test dependencies" 1800 "$ROOT/scripts/setup.sh" --compat
fi

# ---------------------------------------------------------------- (a) Rust tests
if [[ "${KUMO_SKIP_CARGO:-0}" != 1 ]]; then
  run_step "cargo test --workspace --release" 3000 cargo test --workspace --release --no-fail-fast
fi
[[ "${KUMO_SKIP_COMPAT:-0}" == 1 ]] && exit

# ---------------------------------------------------------------- (b) devnet
KUMO="${KUMO_BIN:-$TARGET_DIR/release/kumo}"
if [[ -z "${KUMO_BIN:-}" ]]; then
  run_step "cargo build --release -p kumo" 1200 cargo build --release -p kumo
fi
if [[ ! -x "$KUMO" ]]; then
  echo "!! no kumo binary at $KUMO"; record "kumo devnet starts" FAIL "$(date +%s)"; exit
fi

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for p in "$RPC_PORT" "$GRPC_PORT" "$API_PORT"; do
  if port_busy "$p"; then
    echo "!! port 127.0.0.1:$p is already in use (another node?). Stop it or set KUMO_RPC_PORT/KUMO_GRPC_PORT/KUMO_API_PORT."
    record "kumo devnet starts" FAIL "$(date +%s)"; exit
  fi
done

RPC="http://127.0.0.1:$RPC_PORT"
say "starting kumo devnet (home $WORK/home, rpc $RPC, grpc 127.0.0.1:$GRPC_PORT, api 127.0.0.1:$API_PORT)"
t0=$(date +%s)
"$KUMO" devnet --home "$WORK/home" --reset --chain-id "$CHAIN_ID" --block-time 1s \
  --rpc-laddr "127.0.0.1:$RPC_PORT" --grpc-laddr "127.0.0.1:$GRPC_PORT" --api-laddr "127.0.0.1:$API_PORT" \
  >"$WORK/node.log" 2>&1 &
NODE_PID=$!

height() { # prints latest_block_height, or nothing
  RPC="$RPC" timeout 5 node -e '
    fetch(process.env.RPC, { method: "POST", headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "status", params: {} }) })
      .then((r) => r.json()).then((j) => console.log(j.result.sync_info.latest_block_height))
      .catch(() => {});' 2>/dev/null
}
ready=0
for _ in $(seq 1 120); do           # 120 x 0.5 s = 60 s
  if ! kill -0 "$NODE_PID" 2>/dev/null; then echo "!! kumo devnet exited early"; break; fi
  h="$(height)"
  if [[ "$h" =~ ^[0-9]+$ && "$h" -ge 1 ]]; then ready=1; break; fi
  sleep 0.5
done
if [[ $ready -ne 1 ]]; then
  echo "!! devnet not ready (latest_block_height >= 1) within 60 s; last 40 lines of $WORK/node.log:"
  tail -n 40 "$WORK/node.log"
  record "kumo devnet starts" FAIL "$t0"; exit
fi
record "kumo devnet starts" PASS "$t0"
echo "devnet at height $h"

# ---------------------------------------------------------------- (c) cosmjs
if [[ ! -d "$COMPAT/node_modules" ]]; then
  run_step "npm ci (tests/compat)" 300 bash -c "cd '$COMPAT' && npm ci --ignore-scripts --no-audit --no-fund"
fi
# One file at a time: all files sign as alice, so parallel files would race on her sequence.
run_step "cosmjs: node --test (0.39, 0.32.4, bad input)" 600 \
  env RPC="$RPC" CHAIN_ID="$CHAIN_ID" DENOM=uakt \
  node --test --test-concurrency=1 --test-timeout=120000 \
  "$COMPAT/send.test.mjs" "$COMPAT/send032.test.mjs" "$COMPAT/badinput.test.mjs"
run_step "cosmjs 0.39: staking, distribution, mint, gov queries; delegate, withdraw rewards, vote" 300 \
  env RPC="$RPC" CHAIN_ID="$CHAIN_ID" DENOM=uakt \
  node --test --test-timeout=120000 "$COMPAT/economy.test.mjs"
run_step "REST gateway (1317): every Cosmos route's field names match cosmjs-types over ABCI; tx search; SDK error bodies" 300 \
  env RPC="$RPC" API="http://127.0.0.1:$API_PORT" CHAIN_ID="$CHAIN_ID" DENOM=uakt \
  node --test --test-concurrency=1 --test-timeout=120000 "$COMPAT/rest.test.mjs"
run_step "cosmjs 0.39 amino signer (Secp256k1HdWallet, LEGACY_AMINO_JSON): send, delegate, withdraw, vote; wrong name / tampered fee refused" 300 \
  env RPC="$RPC" CHAIN_ID="$CHAIN_ID" DENOM=uakt \
  node --test --test-timeout=120000 "$COMPAT/amino.test.mjs"

# ---------------------------------------------------------------- (c2) Akash clients
SDL_EXAMPLES="${KUMO_SDL_EXAMPLES:-$ROOT/../shared/sdl-examples}"
run_step "chain-sdk: deployment from an SDL, read back over gRPC and REST" 300 \
  env RPC="$RPC" GRPC="http://127.0.0.1:$GRPC_PORT" API="http://127.0.0.1:$API_PORT" \
  KUMO_SDL_EXAMPLES="$SDL_EXAMPLES" \
  node --test --test-timeout=120000 "$COMPAT/chainsdk.test.mjs"
run_step "kumo CLI: deployment, provider, bid, lease, withdraw" 300 \
  "$ROOT/scripts/market-flow.sh" "$KUMO" "$WORK/home" "$RPC" "$SDL_EXAMPLES/CodiMD_deploy.yaml" 1
run_step "stats pages in headless chromium: dashboard = /v1 JSON, chart painted, 7D/1M/ALL, CSV, providers, GPU, 404/400 pages" 300 \
  "$ROOT/scripts/stats-browser.sh" "$KUMO" "$WORK/home" "$RPC" "http://127.0.0.1:${KUMO_STATS_BROWSER_PORT:-30780}"
run_step "kumo CLI: authz grant pays a deployment deposit" 300 \
  "$ROOT/scripts/authz-flow.sh" "$KUMO" "$WORK/home" "$RPC" \
  "$SDL_EXAMPLES/automatic-deployment-CICD-template_deploy.yaml" 9001
run_step "kumo CLI: 2-of-3 multisig send (generate-only, sign, multisign, broadcast); 1 of 3 refused" 300 \
  "$ROOT/scripts/multisig-flow.sh" "$KUMO" "$WORK/home" "$RPC"
run_step "kumo CLI: fee grant pays a zero-balance grantee's fees; authz exec moves the granter's coins" 300 \
  "$ROOT/scripts/feegrant-flow.sh" "$KUMO" "$WORK/home" "$RPC"
run_step "kumo CLI: gov proposal changes the take rate; the next withdrawal pays it (own 20s-vote devnet)" 300 \
  "$ROOT/scripts/gov-params-flow.sh" "$KUMO" "$WORK" "$SDL_EXAMPLES/CodiMD_deploy.yaml" \
  "${KUMO_GOV_BASE_PORT:-28656}"
run_step "akashjs 0.11: deployments, orders, bids, leases (v1beta3/v1beta4 queries)" 120 \
  env RPC="$RPC" DSEQ=1 node --test --test-timeout=60000 "$COMPAT/akashjs.test.mjs"
run_step "SDL oracle: kumo sdl vs chain-sdk on every example" 600 \
  env KUMO_BIN="$KUMO" KUMO_SDL_EXAMPLES="$SDL_EXAMPLES" \
  node --test --test-timeout=300000 "$COMPAT/sdl_oracle.test.mjs"

# ---------------------------------------------------------------- (d) cosmpy
if ! python3 -c 'import cosmpy' 2>/dev/null; then
  run_step "pip install cosmpy" 600 python3 -m pip install -q -r "$COMPAT/requirements.txt"
fi
run_step "cosmpy 0.12.2 over gRPC" 180 \
  env GRPC_URL="grpc+http://127.0.0.1:$GRPC_PORT" CHAIN_ID="$CHAIN_ID" DENOM=uakt \
  python3 "$COMPAT/cosmpy_send.py"
run_step "kumo CLI: create-validator, edit-validator" 120 \
  "$ROOT/scripts/validator-flow.sh" "$KUMO" "$WORK/home" "$RPC"

# ---------------------------------------------------------------- (e) provider on real Docker
if docker info >/dev/null 2>&1; then
  run_step "provider e2e on Docker: deploy, ingress, logs, shell, kill -9, close while down, payment" 600 \
    "$ROOT/scripts/provider-e2e.sh" "$KUMO" "$WORK/home" "$RPC" "$WORK/provider" \
    "${KUMO_GATEWAY_PORT:-8443}" "${KUMO_INGRESS_PORT:-8080}"
  run_step "console in chromium: deploy with a Keplr stub and a local key, why no bids, manage pages; timings" 1200 \
    "$ROOT/scripts/console-browser.sh" "$KUMO" "$WORK/home" "$RPC" "$WORK/console" \
    "${KUMO_GATEWAY_PORT:-8443}" "${KUMO_INGRESS_PORT:-8080}"
else
  echo "!! no Docker daemon: the provider end-to-end test cannot run (see the set-up step above)"
  record "provider e2e on Docker (dockerd not running)" FAIL "$(date +%s)"
fi

if ! kill -0 "$NODE_PID" 2>/dev/null; then
  echo "!! the node died during the tests; last 40 lines of $WORK/node.log:"; tail -n 40 "$WORK/node.log"
  record "node alive after client tests" FAIL "$(date +%s)"
fi
stop_node

# ---------------------------------------------------------------- (f) a 4-validator network
run_step "4-validator testnet (Malachite): cosmjs send suite against node1" 300 \
  "$ROOT/scripts/testnet-compat.sh" "$KUMO" "$WORK" "${KUMO_TESTNET_BASE_PORT:-29656}"
exit
