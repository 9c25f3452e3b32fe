# Every target installs what it needs first (npm ci from the lock, once per lock change).
# Development runs TypeScript through tsx; `make build` + `npm start` is how production runs (dist/).
.PHONY: build run demo test migrate tables purge-cache resync-cache schema codegen typecheck check-contract install bench bench-smoke

STAMP := node_modules/.install-stamp

$(STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

install: $(STAMP)

## Serve: embedded PostgreSQL and DynamoDB Local unless DATABASE_URL / DYNAMODB_ENDPOINT / AWS_REGION say otherwise.
run: $(STAMP)
	npm run serve:dev

## Serves the demo: embedded stores under .data/demo (whatever DATABASE_URL & co. say), seeded on start when empty; prints the demo accounts.
demo: $(STAMP)
	env -u DATABASE_URL -u DYNAMODB_ENDPOINT -u AWS_REGION DEMO=on DATA_DIR=.data/demo npm run serve:dev

## Compiles src/ to dist/ (npm start, node dist/cli/*.js).
build: $(STAMP)
	npm run build

## The whole test suite against real PostgreSQL (DATABASE_URL, or embedded) and DynamoDB Local.
test: $(STAMP)
	npm run typecheck
	npm test

migrate: $(STAMP)
	npm run db:migrate

tables: $(STAMP)
	npm run dynamo:tables

## Deletes cache rows older than CACHE_TTL_DAYS from DATABASE_URL (daily cron; safe to overlap).
purge-cache: $(STAMP)
	npm run --silent purge-cache

## Rebuilds the cache from DynamoDB for every job of the last CACHE_TTL_DAYS (ARGS="--since 2026-11-25 --read-rate 50 --state FILE"; the checkpoint defaults to DATA_DIR).
resync-cache: $(STAMP)
	npm run --silent resync-cache -- $(ARGS)

schema: $(STAMP)
	npm run schema:emit

codegen: $(STAMP)
	npm run codegen

typecheck: $(STAMP)
	npm run typecheck

check-contract: $(STAMP)
	node ../shared/tools/check-contract.mjs

## Benchmark: seeds its own data, loads our API, a raw baseline and PostGraphile; writes bench/RESULTS.md.
bench: $(STAMP)
	npm run bench

bench-smoke: $(STAMP)
	npm run bench -- --smoke
