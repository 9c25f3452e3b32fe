// S7, log search (issue 16): `npm run bench:search`. The bench data set's
// 800,000 cached lines (4,000 jobs × 200); a common word, a rare one and a
// regex, across all jobs and within one job, each 30 times in a row through
// the API: p50/p99, with the pg_trgm index and then, same run, without it.
// Also what the index costs the cache writer: lines per second its upsert
// stores, with and without the index. Writes the "S7" section of RESULTS.md.
import { randomUUID } from "node:crypto";
import pg from "pg";
import { JobCacheRepository } from "../src/cache/job-cache.repository";
import { createPrisma } from "../src/infra/postgres/prisma";
import type { Job } from "../src/jobs/job.model";
import type { LogLine } from "../src/logs/log-line.model";
import { fromMicros } from "../src/shared/log-timestamp";
import { benchDev, gql, percentile, writeResultsSection } from "./api-client";
import { benchConfig } from "./config";
import { buildDataset } from "./dataset";
import { startApi, type Child } from "./run";
import { seedPostgres } from "./seed";
import { openBenchStores } from "./stores";

const env = process.env;
const config = benchConfig();
const REPEAT = config.smoke ? 3 : 30;
const WRITER_LINES = config.smoke ? 2_000 : 50_000;
const log = (line: string) => console.error(`bench S7: ${line}`);
const INDEX = "idx_job_logs_visible_data_trgm";


const stores = await openBenchStores(env, { databaseName: "vmo_bench_s7", tablePrefix: "s7_" });
const children: Child[] = [];
const db = new pg.Pool({ connectionString: stores.databaseUrl, max: 2 });
try {
  const { token, serverEnv } = await benchDev(stores, "bench-s7@example.com");
  const dataset = buildDataset(config);
  const seeded = await seedPostgres(db, dataset);
  log(`seeded ${seeded.items} rows in ${seeded.seconds.toFixed(1)} s`);
  await db.query("ANALYZE job_logs");
  // One instance, the cache its only writer: it trusts the cache without a stream consumer.
  const api = await startApi({ ...serverEnv, CACHE_STREAM: "off" }, { build: !config.smoke });
  children.push(api);

  const job = dataset.jobs[1_234 % dataset.jobs.length]!;
  const rareVm = dataset.vms[77 % dataset.vms.length]!.vmId;
  const searches = [
    { name: "word (`warning`, 10% of lines)", query: { text: "warning" } },
    { name: `rare word (\`${rareVm}\`, one VM's lines)`, query: { text: rareVm } },
    { name: "regex (`took longer than expected \\([0-9]+ retries\\)`)", query: { text: "took longer than expected \\([0-9]+ retries\\)", regex: true } },
  ];
  const ALL = "query($q: LogSearchInput!) { searchLogs(query: $q, first: 50) { edges { node { lineCursor } } pageInfo { hasNextPage } } }";
  const ONE = "query($id: ID!, $q: LogSearchInput!) { job(id: $id) { searchLogs(query: $q, first: 50) { edges { node { lineCursor } } } } }";

  async function measure(): Promise<Array<{ name: string; scope: string; p50: number; p99: number; found: number }>> {
    const rows = [];
    for (const search of searches) {
      for (const scope of ["all jobs", "one job"] as const) {
        const times: number[] = [];
        let found = 0;
        for (let i = 0; i < REPEAT; i++) {
          const started = performance.now();
          const data = scope === "all jobs" ? await gql(api.url, token, ALL, { q: search.query }) : await gql(api.url, token, ONE, { id: job.jobId, q: search.query });
          times.push(performance.now() - started);
          found = (scope === "all jobs" ? data.searchLogs : data.job.searchLogs).edges.length;
        }
        times.sort((a, b) => a - b);
        rows.push({ name: search.name, scope, p50: percentile(times, 50), p99: percentile(times, 99), found });
      }
    }
    return rows;
  }

  /** Lines per second JobCacheRepository.upsert (the cache writer's statement) stores, in batches of 1,000 lines of new jobs. */
  async function writerRate(): Promise<number> {
    const prisma = createPrisma(stores.databaseUrl);
    const cache = new JobCacheRepository(prisma);
    const started = performance.now();
    for (let b = 0; b < WRITER_LINES / 1_000; b++) {
      const template = dataset.jobs[b % dataset.jobs.length]!;
      const newJob: Job = {
        id: randomUUID(),
        vmId: template.vmId,
        commandId: null,
        command: template.command,
        status: "running",
        startedAt: new Date(),
        finishedAt: null,
      };
      const texts = dataset.linesOf(template);
      const start = BigInt(Date.now()) * 1000n;
      const lines: LogLine[] = Array.from({ length: 1_000 }, (_, i) => {
        const line = texts[i % texts.length]!;
        return { jobId: newJob.id, ts: fromMicros(start + BigInt(i)), stream: line.stream, data: line.data };
      });
      await cache.upsert([newJob], lines);
    }
    const rate = WRITER_LINES / ((performance.now() - started) / 1000);
    await prisma.$disconnect();
    return rate;
  }

  log("with the index");
  const withIndex = await measure();
  const writerWith = await writerRate();
  const { rows: [definition] } = await db.query<{ indexdef: string }>("SELECT indexdef FROM pg_indexes WHERE indexname = $1", [INDEX]);
  if (!definition) throw new Error(`${INDEX} is missing: migrations not applied?`);
  await db.query(`DROP INDEX ${INDEX}`);
  log("without the index");
  const withoutIndex = await measure();
  const writerWithout = await writerRate();

  const markdown = [
    "<!-- S7 begin -->",
    "## S7: log search (`npm run bench:search`)",
    "",
    `${new Date().toISOString()}, ${config.smoke ? "smoke" : "full"} run; ${dataset.jobs.length * dataset.linesPerJob} cached lines; stores: ${stores.description}. ${REPEAT} requests in a row per row, \`first: 50\`, through the API.`,
    "",
    "| search | scope | matches on the page | with index p50 / p99 ms | without index p50 / p99 ms |",
    "|---|---|--:|--:|--:|",
    ...withIndex.map((r, i) => `| ${r.name} | ${r.scope} | ${r.found} | ${r.p50.toFixed(1)} / ${r.p99.toFixed(1)} | ${withoutIndex[i]!.p50.toFixed(1)} / ${withoutIndex[i]!.p99.toFixed(1)} |`),
    "",
    `Cache writer (\`JobCacheRepository.upsert\`, 1,000 lines a statement, ${WRITER_LINES} lines): ${writerWith.toFixed(0)} lines/s with the index, ${writerWithout.toFixed(0)} lines/s without (${((1 - writerWith / writerWithout) * 100).toFixed(0)}% slower with it).`,
    "<!-- S7 end -->",
    "",
  ].join("\n");
  console.log(markdown);
  if (!config.smoke || env.BENCH_RESULTS) await writeResultsSection("S7", markdown);
} finally {
  await db.end();
  await Promise.all(children.map((c) => c.stop()));
  await stores.close();
}
