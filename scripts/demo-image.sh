#!/usr/bin/env bash
# Builds the demo image `kumo-demo/web:1` locally: Debian's static /bin/busybox (sh, httpd, echo, ...)
# in an otherwise empty root file system, serving /www on port 80. No registry is reachable in the
# devnet and CI, so the demo SDLs use this image instead of a public one; real providers pull as usual.
# Usage: scripts/demo-image.sh [TAG]   (prints the tag; does nothing when the image already exists)
set -euo pipefail
TAG="${1:-kumo-demo/web:1}"
BUSYBOX="${BUSYBOX:-/bin/busybox}"
if docker image inspect "$TAG" >/dev/null 2>&1; then echo "$TAG"; exit 0; fi
[[ -x "$BUSYBOX" ]] || { echo "no static busybox at $BUSYBOX (apt-get install busybox-static)" >&2; exit 1; }
ROOTFS="$(mktemp -d -t kumo-demo-rootfs.XXXXXX)"
trap 'rm -rf "$ROOTFS"' EXIT
mkdir -p "$ROOTFS/bin" "$ROOTFS/www" "$ROOTFS/tmp" "$ROOTFS/etc"
cp "$BUSYBOX" "$ROOTFS/bin/busybox"
for applet in $("$BUSYBOX" --list); do
  [[ "$applet" == busybox ]] || ln -sf busybox "$ROOTFS/bin/$applet"
done
echo 'root:x:0:0:root:/:/bin/sh' > "$ROOTFS/etc/passwd"
cat > "$ROOTFS/www/index.html" <<'HTML'
<!doctype html><title>kumo demo</title><h1>Hello from a kumo lease</h1>
HTML
chmod 1777 "$ROOTFS/tmp"
tar -C "$ROOTFS" -c . | docker import \
  --change 'ENV PATH=/bin' --change 'EXPOSE 80' \
  --change 'CMD ["/bin/httpd","-f","-p","80","-h","/www"]' - "$TAG" >/dev/null
echo "$TAG"
