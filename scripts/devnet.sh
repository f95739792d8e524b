#!/usr/bin/env bash
# Run a local single-validator kumo devnet with funded demo keys (the "main job").
#   scripts/devnet.sh                 # fresh chain under $KUMO_HOME (default ~/.kumo-devnet)
#   scripts/devnet.sh --block-time 2s # extra args go to `kumo devnet`
# Stops on Ctrl-C. Needs cargo. Set KUMO_SKIP_BUILD=1 to reuse an existing target/release/kumo.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
HOME_DIR="${KUMO_HOME:-$HOME/.kumo-devnet}"
KUMO="${CARGO_TARGET_DIR:-$ROOT/target}/release/kumo"

if [[ "${KUMO_SKIP_BUILD:-0}" != 1 || ! -x "$KUMO" ]]; then
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
    keys (keyring backend "test" in the home; public test mnemonics, never use for real funds):
      alice  akash19rl4cm2hmr8afy4kldpxz3fka4jguq0a3mq6x0
             "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about"
      bob    akash1am058pdux3hyulcmfgj4m3hhrlfn8nzm2u3qk6
             "zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo wrong"
    try:   $KUMO status
           $KUMO query bank balances akash19rl4cm2hmr8afy4kldpxz3fka4jguq0a3mq6x0
           $KUMO tx bank send alice akash1am058pdux3hyulcmfgj4m3hhrlfn8nzm2u3qk6 1000uakt \\
               --keyring-backend test --home $HOME_DIR --chain-id kumo-devnet -y
    Ctrl-C stops the node.
INFO

exec "$KUMO" devnet --home "$HOME_DIR" --reset "$@"
