#!/usr/bin/env bash
# The machine set-up both README commands run first (scripts/devnet.sh and scripts/test.sh), so a
# fresh Debian machine needs nothing by hand:
#   * docker.io and busybox-static (the provider runs real containers; the demo image is built
#     locally from busybox), installed with apt-get when missing and running as root;
#   * a running dockerd, started (and waited for, at most 60 s) when none answers;
#   * with --compat: the client test dependencies (pip install -r tests/compat/requirements.txt,
#     npm ci in tests/compat), and for the browser tests Debian's chromium and playwright-core
#     (npm ci in web/; no browser download), installed when missing.
# Not root and something missing: it says what to run and exits 1.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
COMPAT=0
[[ "${1:-}" == --compat ]] && COMPAT=1
root() { [[ "$(id -u)" == 0 ]]; }

missing=()
command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
[[ -x /bin/busybox ]] || missing+=(busybox-static)
[[ $COMPAT == 1 && ! -x /usr/bin/chromium ]] && missing+=(chromium fonts-dejavu-core)
if ((${#missing[@]})); then
  if root && command -v apt-get >/dev/null 2>&1; then
    echo "==> set-up: apt-get install ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    timeout 600 apt-get update -qq
    timeout 900 apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "!! set-up: ${missing[*]} missing; install with: sudo apt-get install ${missing[*]}"
    exit 1
  fi
fi

if ! docker info >/dev/null 2>&1 && pgrep -x dockerd >/dev/null 2>&1; then
  # A dockerd that is still starting or stopping: give it a moment.
  for _ in $(seq 1 30); do docker info >/dev/null 2>&1 || ! pgrep -x dockerd >/dev/null 2>&1 && break; sleep 1; done
fi
if ! docker info >/dev/null 2>&1; then
  if root; then
    # A dockerd killed without cleaning up leaves its pid file behind, and a new one refuses to start.
    pgrep -x dockerd >/dev/null 2>&1 || rm -f /var/run/docker.pid
    echo "==> set-up: starting dockerd (log /tmp/kumo-dockerd.log)"
    nohup dockerd >/tmp/kumo-dockerd.log 2>&1 &
    for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 1; done
    if ! docker info >/dev/null 2>&1; then
      echo "!! set-up: dockerd did not start within 60 s; the end of /tmp/kumo-dockerd.log:"
      tail -n 20 /tmp/kumo-dockerd.log
      exit 1
    fi
  else
    echo "!! set-up: no Docker daemon answers; start it (sudo systemctl start docker) and make sure"
    echo "   this user may use it (sudo usermod -aG docker $USER, then log in again)"
    exit 1
  fi
fi
echo "==> set-up: $(docker version --format 'docker {{.Server.Version}}'), busybox $(/bin/busybox | head -n 1 | awk '{print $2}')"

if [[ $COMPAT == 1 ]]; then
  if ! python3 -c 'import cosmpy' 2>/dev/null; then
    echo "==> set-up: pip install -r tests/compat/requirements.txt (cosmpy)"
    timeout 600 python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore \
      -r "$ROOT/tests/compat/requirements.txt"
  fi
  if [[ ! -d "$ROOT/tests/compat/node_modules" ]]; then
    echo "==> set-up: npm ci --ignore-scripts (tests/compat)"
    (cd "$ROOT/tests/compat" && timeout 300 npm ci --ignore-scripts --no-audit --no-fund)
  fi
  if [[ ! -d "$ROOT/web/node_modules" ]]; then
    echo "==> set-up: npm ci --ignore-scripts (web: playwright-core for the browser tests)"
    (cd "$ROOT/web" && timeout 300 npm ci --ignore-scripts --no-audit --no-fund)
  fi
fi
