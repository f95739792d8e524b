#!/usr/bin/env bash
# Registers the devnet's `provider` key as a provider and starts `kumo provider run` on the local
# Docker: server certificate (generated + published), provider record (host URI = its gateway),
# daemon config, then waits until the gateway answers /status.
# Usage: scripts/provider-up.sh KUMO_BIN DEVNET_HOME RPC_URL WORK_DIR [GATEWAY_PORT] [INGRESS_PORT]
# Prints the daemon's pid on the last line; its log is WORK_DIR/provider.log.
set -euo pipefail
KUMO="$1" H="$2" RPC="$3" W="$4" GW_PORT="${5:-8443}" IN_PORT="${6:-8080}"
k() { "$KUMO" --home "$H" "$@"; }
KR=(--keyring-backend test)
TX=("${KR[@]}" --node "$RPC" -y --broadcast-mode block --fees 5000uakt)   # fixed fees: the e2e test counts them
mkdir -p "$W"
ADDR="$(k keys show provider -a "${KR[@]}")"

# The gateway's certificate: made once, published on chain (tenants check it against the chain).
if [[ ! -f "$H/$ADDR.pem" ]]; then
  k tx cert generate server --domain localhost --domain 127.0.0.1 --from provider "${KR[@]}" >&2
fi
CERTS="$(k query cert list --owner "$ADDR" --state valid --node "$RPC" 2>/dev/null || true)"
if ! grep -q '"valid"' <<<"$CERTS"; then
  k tx cert publish server --from provider "${TX[@]}" >&2
fi

cat >"$W/provider.yaml" <<YAML
host: https://localhost:$GW_PORT
attributes:
  - key: region
    value: local
info:
  email: ops@provider.localhost
YAML
if k query provider get "$ADDR" --node "$RPC" >/dev/null 2>&1; then
  k tx provider update --from provider "$W/provider.yaml" "${TX[@]}" >&2
else
  k tx provider create --from provider "$W/provider.yaml" "${TX[@]}" >&2
fi

cat >"$W/provider.toml" <<TOML
host_uri = "https://localhost:$GW_PORT"
state_dir = "$W/provider-state"
cluster_public_hostname = "localhost"

[key]
name = "provider"
keyring_dir = "$H"
keyring_backend = "test"

[chain]
node = "$RPC"
fees = "5000uakt"   # a fixed fee per tx, so the e2e test can account for every uakt

[bid]
timeout = "2m"
manifest_timeout = "2m"

[pricing.scale]
cpu = "0.01"
memory = "0.002"
endpoint = "1"
storage = { ephemeral = "0.0002", beta2 = "0.0005", beta3 = "0.001" }

# Declared capacity: a devnet provider on a small machine (CI has 2 cores) still bids on the demo
# while other devnet leases (e.g. scripts/market-flow.sh's) hold the host's real CPUs.
[inventory]
mode = "declared"
cpu = "16"
memory = "32Gi"
ephemeral_storage = "200Gi"

[gateway]
listen = "127.0.0.1:$GW_PORT"
cert_file = "$H/$ADDR.pem"

[ingress]
listen = "127.0.0.1:$IN_PORT"
domain = "ingress.localhost"

[runtime]
forward_host_ip = "127.0.0.1"

[money]
withdrawal_period = "30s"
funds_monitor_interval = "1m"
TOML

"$KUMO" provider run --config "$W/provider.toml" >>"$W/provider.log" 2>&1 &
PID=$!
for _ in $(seq 1 60); do
  if ! kill -0 "$PID" 2>/dev/null; then echo "provider exited; last lines of $W/provider.log:" >&2; tail -n 30 "$W/provider.log" >&2; exit 1; fi
  curl -sfk "https://127.0.0.1:$GW_PORT/status" >/dev/null && { echo "$PID"; exit 0; }
  sleep 0.5
done
echo "the provider gateway did not answer within 30 s; last lines of $W/provider.log:" >&2
tail -n 30 "$W/provider.log" >&2
kill "$PID" 2>/dev/null; exit 1
