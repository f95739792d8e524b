#!/usr/bin/env bash
# Run a local kumo devnet (the "main job"): a single-validator node with funded demo keys, a
# provider (`kumo provider run`) on the local Docker, and a demo deployment (examples/demo.yaml:
# a web service behind the provider's ingress and a worker) whose web page answers curl.
#   scripts/devnet.sh                 # fresh chain under $KUMO_HOME (default ~/.kumo-devnet)
#   scripts/devnet.sh --block-time 2s # extra args go to `kumo devnet`
# Stops everything on Ctrl-C. Needs cargo; the provider and demo need a running dockerd and
# Debian's busybox-static (the demo image is built locally from it: no public registry is needed):
# scripts/setup.sh installs them (as root, with apt) and starts dockerd when they are missing.
# KUMO_SKIP_BUILD=1 reuses an existing target/release/kumo; KUMO_NO_PROVIDER=1 runs the node only.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
HOME_DIR="${KUMO_HOME:-$HOME/.kumo-devnet}"
KUMO="${KUMO_BIN:-${CARGO_TARGET_DIR:-$ROOT/target}/release/kumo}"

if [[ "${KUMO_NO_PROVIDER:-0}" != 1 ]] && ! "$ROOT/scripts/setup.sh"; then
  echo "!! the set-up above failed: the node runs, without the provider and the demo"
  KUMO_NO_PROVIDER=1
fi

if [[ -z "${KUMO_BIN:-}" && ( "${KUMO_SKIP_BUILD:-0}" != 1 || ! -x "$KUMO" ) ]]; then
  echo "==> building kumo (release)"
  cargo build --release -p kumo
fi

cat <<INFO
==> kumo devnet
    home       $HOME_DIR (recreated: --reset)
    chain id   kumo-devnet (unless --chain-id is given)
    RPC        http://127.0.0.1:26657   (CometBFT 0.38 JSON-RPC: cosmjs, akashjs, curl)
    gRPC       http://127.0.0.1:9090    (h2c: cosmpy grpc+http://127.0.0.1:9090, chain-sdk)
    REST       http://127.0.0.1:1317
    stats      http://127.0.0.1:3080/  (pages; JSON under /v1/dashboard-data; kumo query stats network)
    console    http://127.0.0.1:3000/   (kumo console: deploy from the browser; Wallet page: sign in as alice)
    keys (keyring backend "test" in the home; public test mnemonics, never use for real funds):
      alice  akash19rl4cm2hmr8afy4kldpxz3fka4jguq0a3mq6x0
             "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about"
      bob    akash1am058pdux3hyulcmfgj4m3hhrlfn8nzm2u3qk6
             "zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo wrong"
    try:   $KUMO status
           $KUMO query bank balances akash19rl4cm2hmr8afy4kldpxz3fka4jguq0a3mq6x0
           $KUMO tx bank send --from alice akash1am058pdux3hyulcmfgj4m3hhrlfn8nzm2u3qk6 1000uakt \\
               --keyring-backend test --home $HOME_DIR --chain-id kumo-devnet -y
    provider gateway https://localhost:8443, ingress http://*.ingress.localhost:8080
    Ctrl-C stops the node, the stats server, the console and the provider.
INFO

"$KUMO" devnet --home "$HOME_DIR" --reset "$@" &
NODE_PID=$!
PROVIDER_PID=""
STATS_PID=""
CONSOLE_PID=""
trap '[[ -n "$PROVIDER_PID" ]] && kill "$PROVIDER_PID" 2>/dev/null; [[ -n "$STATS_PID" ]] && kill "$STATS_PID" 2>/dev/null; [[ -n "$CONSOLE_PID" ]] && kill "$CONSOLE_PID" 2>/dev/null; kill "$NODE_PID" 2>/dev/null; wait' EXIT
trap 'exit 0' INT TERM
RPC="http://127.0.0.1:26657"
for _ in $(seq 1 60); do curl -sf "$RPC/status" >/dev/null 2>&1 && break; sleep 0.5; done

# Network statistics beside the node; its index lives in the (reset) home. KUMO_AKT_USD=3.5
# gives the USD figures a price (never fetched from the internet).
"$KUMO" stats serve --home "$HOME_DIR" --node "$RPC" --listen 127.0.0.1:3080 --db "$HOME_DIR/stats" \
  ${KUMO_AKT_USD:+--akt-usd "$KUMO_AKT_USD"} >"$HOME_DIR/stats.log" 2>&1 &
STATS_PID=$!
echo "==> stats: http://127.0.0.1:3080/ and /v1/dashboard-data (log $HOME_DIR/stats.log; kumo query stats network)"
# The browser console (deploy, bids, leases) with the devnet's test keyring: sign in as alice.
"$KUMO" console --home "$HOME_DIR" --keyring-backend test --node "$RPC" --listen 127.0.0.1:3000 \
  --stats-url http://127.0.0.1:3080 --ingress-port 8080 >"$HOME_DIR/console.log" 2>&1 &
CONSOLE_PID=$!
echo "==> console: http://127.0.0.1:3000/ (log $HOME_DIR/console.log; sign in on the Wallet page as alice)"
if [[ "${KUMO_NO_PROVIDER:-0}" == 1 ]]; then
  wait "$NODE_PID"
  exit 0
fi

echo "==> demo image (built locally from busybox): $("$ROOT/scripts/demo-image.sh")"
echo "==> provider: kumo provider run (log $HOME_DIR/provider/provider.log)"
PROVIDER_PID="$("$ROOT/scripts/provider-up.sh" "$KUMO" "$HOME_DIR" "$RPC" "$HOME_DIR/provider" 8443 8080 | tail -n 1)"
echo "==> demo deployment: kumo deploy examples/demo.yaml --from alice"
"$KUMO" --home "$HOME_DIR" deploy "$ROOT/examples/demo.yaml" --from alice --keyring-backend test \
  --node "$RPC" -y --provider provider
echo "==> try:  curl -H 'Host: demo.kumo.local' http://127.0.0.1:8080/"
curl -s --max-time 5 -H 'Host: demo.kumo.local' http://127.0.0.1:8080/ || true
echo "    (the generated *.ingress.localhost URI printed above answers too; Ctrl-C stops everything)"
wait "$NODE_PID"
