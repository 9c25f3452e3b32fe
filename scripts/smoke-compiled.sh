#!/usr/bin/env bash
# Smoke check of the compiled build on whatever `node` is first on the PATH
# (in .ci/run: the machine's own):
#  1. build dist/, start `node dist/main.js` on embedded stores (the dev
#     install) with `npm run start:lean`'s Node flags, wait for /readyz,
#     SIGTERM it, require a clean exit;
#  2. the production install exactly as the README says
#     (`npm ci --omit=dev --legacy-peer-deps`, in a scratch copy of the
#     project): its size must stay under 250 MB; with nothing configured the
#     server says which store is missing and exits non-zero; with real stores
#     (DATABASE_URL's server, a DynamoDB Local run from the dev install's jar)
#     and NODE_ENV=production it serves /readyz and exits cleanly on SIGTERM
#     (with `npm start`'s Node flags).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
npm run --silent build
data="$(mktemp -d)"
chmod 755 "$data" # as root, the embedded PostgreSQL runs as the user "postgres"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$data"
}
trap cleanup EXIT
fail() { [ -n "${2:-}" ] && cat "$2"; echo "smoke: $1" >&2; exit 1; }

# The Node flags of package.json's script $1 (`node <flags> dist/main.js`).
script_flags() {
  node -e 'const words = require("./package.json").scripts[process.argv[1]].trim().split(/\s+/);
    console.log(words.slice(1, words.indexOf("dist/main.js")).join(" "))' "$1"
}

# Starts `node <$node_flags> dist/main.js` in $1 with the environment that follows; prints its base URL.
serve() {
  local dir="$1" log="$2"; shift 2
  # shellcheck disable=SC2086 # the flags are words
  (cd "$dir" && exec env "$@" node $node_flags dist/main.js) >"$log" 2>&1 &
  server_pid=$!
  pids+=("$server_pid")
  local url=""
  for _ in $(seq 1 120); do
    url="$(grep -o '"url":"http://[^"]*/graphql"' "$log" | head -n1 | sed 's/"url":"\(.*\)\/graphql"/\1/' || true)"
    [ -n "$url" ] && break
    kill -0 "$server_pid" 2>/dev/null || fail "the compiled server exited during start-up" "$log"
    sleep 1
  done
  [ -n "$url" ] || fail "the compiled server did not start" "$log"
  server_url="$url"
}

# Checks /readyz, then SIGTERM and a clean exit.
ready_then_stop() {
  local log="$1" ready
  ready="$(curl -fsS "$server_url/readyz")" || fail "/readyz failed" "$log"
  echo "smoke: $server_url/readyz -> $ready"
  kill -TERM "$server_pid"
  wait "$server_pid" || fail "the compiled server did not exit cleanly on SIGTERM" "$log"
}

unset_stores=(-u DATABASE_URL -u DYNAMODB_ENDPOINT -u AWS_REGION)

node_flags="$(script_flags start:lean)"
echo "smoke: node $(node --version) $node_flags dist/main.js (development install, embedded stores)"
serve "$ROOT" "$data/dev.log" "${unset_stores[@]}" PORT=0 HOST=127.0.0.1 DATA_DIR="$data/stores" CACHE_STREAM=off LOG_LEVEL=info
ready_then_stop "$data/dev.log"

prod="$data/prod"
mkdir -p "$prod/scripts" "$prod/prisma"
cp package.json package-lock.json "$prod/"
cp scripts/prisma-generate.mjs "$prod/scripts/"
cp -r dist "$prod/dist"
cp -r prisma/migrations "$prod/prisma/migrations"
echo "smoke: npm ci --omit=dev --legacy-peer-deps (a scratch copy)"
(cd "$prod" && npm ci --omit=dev --legacy-peer-deps --no-audit --no-fund --loglevel=error >/dev/null)
size="$(du -sm "$prod/node_modules" | cut -f1)"
echo "smoke: production node_modules: ${size} MB"
[ "$size" -lt 250 ] || fail "the production install is ${size} MB (the aim is under 250 MB)"
[ ! -e "$prod/node_modules/prisma" ] || fail "the production install holds the Prisma CLI"

# Nothing configured, no embedded stores installed: one line, non-zero.
set +e
(cd "$prod" && env "${unset_stores[@]}" PORT=0 DATA_DIR="$data/none" node dist/main.js) >"$data/none.log" 2>&1
code=$?
set -e
[ "$code" -ne 0 ] || fail "with nothing configured the production install started" "$data/none.log"
grep -q "the embedded one is not installed" "$data/none.log" || fail "no clear line about the missing embedded store" "$data/none.log"
echo "smoke: nothing configured -> exit $code: $(head -n1 "$data/none.log")"

if [ -z "${DATABASE_URL:-}" ]; then
  echo "smoke: DATABASE_URL unset: the production install is not started on real stores"
  echo "smoke: ok"
  exit 0
fi
database="vmo_smoke_$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')"
psql "$DATABASE_URL" -qc "CREATE DATABASE $database" >/dev/null
trap 'psql "$DATABASE_URL" -qc "DROP DATABASE IF EXISTS $database WITH (FORCE)" >/dev/null 2>&1 || true; cleanup' EXIT
db_url="$(node -e 'const u = new URL(process.argv[1]); u.pathname = "/" + process.argv[2]; console.log(u.toString())' "$DATABASE_URL" "$database")"
emulator="$ROOT/node_modules/amplify-dynamodb-simulator/emulator"
dynamo_port="$(node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })')"
java "-Djava.library.path=$emulator/DynamoDBLocal_lib" -jar "$emulator/DynamoDBLocal.jar" -inMemory -port "$dynamo_port" >/dev/null 2>&1 &
pids+=("$!")
for _ in $(seq 1 60); do curl -s -o /dev/null "http://127.0.0.1:$dynamo_port" && break; sleep 1; done
node_flags="$(script_flags start)"
echo "smoke: node $(node --version) $node_flags dist/main.js (production install, NODE_ENV=production)"
serve "$prod" "$data/prod.log" NODE_ENV=production JWT_SECRET="smoke-secret-smoke-secret-smoke-secret" \
  PORT=0 HOST=127.0.0.1 DATABASE_URL="$db_url" DYNAMODB_ENDPOINT="http://127.0.0.1:$dynamo_port" \
  AWS_REGION=local AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local LOG_LEVEL=info
ready_then_stop "$data/prod.log"
echo "smoke: ok"
