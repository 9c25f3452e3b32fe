#!/usr/bin/env bash
# Smoke check of the compiled build on whatever `node` is first on the PATH
# (in .ci/run: the machine's own): build dist/, start `node dist/main.js`
# on embedded stores (dev dependencies are installed in CI), wait for /readyz, SIGTERM it,
# and require a clean exit.
set -euo pipefail
cd "$(dirname "$0")/.."
npm run --silent build
data="$(mktemp -d)"
chmod 755 "$data" # as root, the embedded PostgreSQL runs as the user "postgres"
log="$data/server.log"
trap 'rm -rf "$data"' EXIT
echo "smoke: node $(node --version) dist/main.js"
env -u DATABASE_URL -u DYNAMODB_ENDPOINT -u AWS_REGION PORT=0 HOST=127.0.0.1 DATA_DIR="$data/stores" CACHE_STREAM=off LOG_LEVEL=info \
  node dist/main.js >"$log" 2>&1 &
pid=$!
url=""
for _ in $(seq 1 120); do
  url="$(grep -o '"url":"http://[^"]*/graphql"' "$log" | head -n1 | sed 's/"url":"\(.*\)\/graphql"/\1/' || true)"
  [ -n "$url" ] && break
  kill -0 "$pid" 2>/dev/null || { cat "$log"; echo "smoke: the compiled server exited during start-up" >&2; exit 1; }
  sleep 1
done
[ -n "$url" ] || { cat "$log"; echo "smoke: the compiled server did not start" >&2; kill "$pid"; exit 1; }
ready="$(curl -fsS "$url/readyz")" || { cat "$log"; echo "smoke: /readyz failed" >&2; kill "$pid"; exit 1; }
echo "smoke: $url/readyz -> $ready"
kill -TERM "$pid"
wait "$pid" || { cat "$log"; echo "smoke: the compiled server did not exit cleanly on SIGTERM" >&2; exit 1; }
echo "smoke: ok"
