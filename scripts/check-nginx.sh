#!/usr/bin/env bash
# nginx -t on deploy/nginx.conf, when nginx is installed (Debian's nginx-light
# is enough; .ci/run installs it). The compose service names api-1/api-2 do
# not resolve outside compose, so a scratch copy points them at loopback
# addresses; everything else is the file as shipped.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v nginx >/dev/null 2>&1; then
  echo "nginx-check: nginx is not installed; skipped (apt-get install nginx-light)"
  exit 0
fi
dir="$(mktemp -d)"
trap 'rm -rf "$dir"' EXIT
mkdir -p "$dir/logs"
sed -E 's/server api-([0-9]+):([0-9]+);/server 127.0.0.\1:\2;/' deploy/nginx.conf >"$dir/nginx.conf"
grep -q 'server 127.0.0.1:4000;' "$dir/nginx.conf" || { echo "nginx-check: deploy/nginx.conf has no upstream api-1:4000" >&2; exit 1; }
nginx -t -q -p "$dir/" -c "$dir/nginx.conf" -g "pid $dir/nginx.pid; error_log $dir/logs/error.log;"
echo "nginx-check: deploy/nginx.conf is valid ($(nginx -v 2>&1))"
