#!/bin/sh
# Copies the pinned browser files (package.json) into crates/kumo-console/static, where the
# binary embeds them. Run after changing a version: `npm ci && sh vendor.sh`, then commit.
set -eu
cd "$(dirname "$0")"
S=../crates/kumo-console/static
mkdir -p "$S"
cp node_modules/htmx.org/dist/htmx.min.js "$S/htmx.min.js"
cp node_modules/uplot/dist/uPlot.iife.min.js "$S/uPlot.iife.min.js"
cp node_modules/uplot/dist/uPlot.min.css "$S/uPlot.min.css"
cp node_modules/@xterm/xterm/lib/xterm.js "$S/xterm.js"
cp node_modules/@xterm/xterm/css/xterm.css "$S/xterm.css"
cp node_modules/@xterm/addon-fit/lib/addon-fit.js "$S/addon-fit.js"
for f in htmx.org uplot @xterm/xterm @xterm/addon-fit; do
  printf '%s %s\n' "$f" "$(node -p "require('./node_modules/$f/package.json').version")"
done >"$S/VERSIONS"
cat "$S/VERSIONS"
