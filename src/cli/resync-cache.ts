// npm run resync-cache / make resync-cache / node dist/cli/resync-cache.js:
// rebuilds the cache from DynamoDB for every job started within
// CACHE_TTL_DAYS (or since --since), with all their lines
// (src/cache/cache-resync.ts). Progress on stderr; exit 0 when the cache is
// complete, 1 with one line on stderr otherwise.
//
//   --since <ISO date>     start of the window (default: now - CACHE_TTL_DAYS)
//   --read-rate <units/s>  DynamoDB read capacity units per second (default: CACHE_RESYNC_READ_RATE)
//   --state <path>         the checkpoint file a killed run resumes from
//                          (default: <DATA_DIR>/cache-resync.<jobs table>.json, the server's too)
import { parseArgs } from "node:util";
import { describeProgress, resyncCache } from "../cache/cache-resync.js";
import { JobCacheRepository } from "../cache/job-cache.repository.js";
import { defaultStatePath } from "../cache/resync-state.js";
import { ConfigError, loadConfig } from "../config/env.js";
import { createDynamo } from "../infra/dynamodb/client.js";
import { tableNames } from "../infra/dynamodb/tables.js";
import { createPrisma } from "../infra/postgres/prisma.js";

const fail = (message: string): never => {
  console.error(`resync-cache: ${message}`);
  process.exit(1);
};

function parseSince(value: string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const match = /^(\d{4})-(\d{2})-(\d{2})([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.exec(value);
  const at = match ? new Date(value) : new Date(Number.NaN);
  // Date rolls 2026-02-30 over to March 2: the day must exist as written.
  const day = match ? new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]))) : undefined;
  const real = day !== undefined && day.getUTCMonth() === Number(match![2]) - 1 && day.getUTCDate() === Number(match![3]);
  if (Number.isNaN(at.getTime()) || !real) fail(`--since ${JSON.stringify(value)} is not a date (e.g. 2026-11-25 or 2026-11-25T08:00:00Z)`);
  if (at.getTime() > Date.now()) fail(`--since ${value} is in the future`);
  return at;
}

function parseRate(value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const rate = Number(value);
  if (!Number.isFinite(rate) || rate <= 0) fail(`--read-rate ${JSON.stringify(value)} must be a positive number of read units per second`);
  return rate;
}

let args: { since?: string; "read-rate"?: string; state?: string };
try {
  args = parseArgs({ options: { since: { type: "string" }, "read-rate": { type: "string" }, state: { type: "string" } }, strict: true }).values;
} catch (error) {
  fail((error as Error).message);
}
const since = parseSince(args!.since);

let config;
try {
  config = loadConfig();
} catch (error) {
  fail(error instanceof ConfigError ? error.problems.join("; ") : String(error));
}
const readRate = parseRate(args!["read-rate"], config!.cacheResyncReadRate);
if (!config!.databaseUrl) fail("DATABASE_URL is required (the cache's PostgreSQL)");
if (!config!.dynamoEndpoint && !config!.awsRegion) fail("DYNAMODB_ENDPOINT or AWS_REGION is required (the authoritative DynamoDB)");

const databaseUrl = config!.databaseUrl!;
const dynamo = createDynamo({ endpoint: config!.dynamoEndpoint, region: config!.awsRegion });
const prisma = createPrisma(databaseUrl);
const tables = tableNames(config!.tablePrefix);
if (args!.state === "") fail("--state needs a file path");
const statePath = args!.state ?? defaultStatePath(config!.dataDir, tables.jobs);
const where = { postgres: new URL(databaseUrl).host, dynamo: config!.dynamoEndpoint ?? `AWS ${config!.awsRegion}` };

let code = 0;
try {
  const result = await resyncCache(
    { databaseUrl, doc: dynamo.doc, tables, jobCache: new JobCacheRepository(prisma) },
    {
      ttlDays: config!.cacheTtlDays,
      since,
      readRate,
      reason: "make resync-cache",
      statePath,
      wait: true,
      onWaiting: () => console.error("resync-cache: another resync holds the lock (a server, or another run); waiting for it"),
      onProgress: (p) => console.error(`resync-cache: ${p.resumed ? "(resumed) " : ""}${describeProgress(p)}`),
    },
  );
  if (result.status === "done") {
    console.error(`resync-cache: done: ${result.jobs} jobs, ${result.lines} lines since ${result.since.toISOString()}${result.resumed ? " (resumed)" : ""}`);
  } else if (result.status === "done-elsewhere") {
    console.error(`resync-cache: done by the resync it waited for (${result.state.jobsDone} jobs, ${result.state.linesDone} lines)`);
  }
} catch (error) {
  code = 1;
  console.error(`resync-cache: failed: ${describeFailure(error)}`);
} finally {
  await prisma.$disconnect().catch(() => undefined);
  dynamo.raw.destroy();
}
process.exit(code);

function describeFailure(error: unknown): string {
  const e = error as { code?: string; message?: string; name?: string };
  if (e.code === "42P01") return `the cache's database at ${where.postgres} is not migrated (${e.message}): run \`make migrate\` (node dist/cli/migrate.js) first`;
  if (e.code === "ECONNREFUSED" || e.code === "ENOTFOUND" || /connect|terminat|timeout/i.test(e.message ?? "")) {
    if (/dynamo/i.test(e.message ?? "")) return `cannot reach DynamoDB at ${where.dynamo}: ${e.message}`;
    return `cannot reach PostgreSQL at ${where.postgres}: ${e.message ?? e.code}`;
  }
  if (/DynamoDB/.test(e.message ?? "")) return `cannot read DynamoDB at ${where.dynamo}: ${e.message}`;
  return e.message ?? String(error);
}
