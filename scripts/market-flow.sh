#!/usr/bin/env bash
# The reverse auction through the kumo CLI against a running devnet: alice deploys an SDL,
# the devnet's `provider` key registers and bids, alice leases, the provider withdraws.
# Usage: scripts/market-flow.sh KUMO_BIN DEVNET_HOME RPC_URL SDL_FILE DSEQ
set -euo pipefail
KUMO="$1" H="$2" RPC="$3" SDL="$4" DSEQ="$5"
k() { "$KUMO" --home "$H" "$@"; }
TX=(--keyring-backend test --node "$RPC" -y --broadcast-mode block)
expect_ok() { local out; out="$("$@" 2>&1)" || { echo "$out"; return 1; }
  grep -q 'code:   0 (success)' <<<"$out" || { echo "$out"; return 1; }; echo "$out" | tail -1; }

PROVIDER_YAML="$(mktemp)"; trap 'rm -f "$PROVIDER_YAML"' EXIT
cat >"$PROVIDER_YAML" <<'YAML'
host: https://provider.localhost:8443
attributes:
  - key: region
    value: local
info:
  email: ops@provider.localhost
YAML
k sdl validate "$SDL" >/dev/null
expect_ok k tx deployment create --from alice "$SDL" --deposit 5000000uact --dseq "$DSEQ" "${TX[@]}"
expect_ok k tx provider create --from provider "$PROVIDER_YAML" "${TX[@]}"
expect_ok k tx market bid create --from provider --owner alice --dseq "$DSEQ" --gseq 1 --oseq 1 --price 90000uact "${TX[@]}"
expect_ok k tx market lease create --from alice --provider provider --dseq "$DSEQ" --gseq 1 --oseq 1 "${TX[@]}"
sleep 2
expect_ok k tx market lease withdraw --from provider --owner alice --dseq "$DSEQ" "${TX[@]}"
# Printed to our own stdout (never `tee /dev/stderr`: opening /dev/stderr truncates a log file
# the caller redirected stderr to).
leases=$(k query market lease list --dseq "$DSEQ" --node "$RPC")
echo "$leases"
grep ' active ' <<<"$leases" >/dev/null
