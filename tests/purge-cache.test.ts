// The cache purge over a real PostgreSQL: rows on both sides of the cutoff
// (cached_at set directly with SQL), in batches, as the CLI an operator runs,
// and two at once.
import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import path from "node:path";
import { promisify } from "node:util";
import pg from "pg";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { PURGE_LOCK_KEY, purgeCache } from "../src/cache/cache-purge";
import { findFreePort } from "../src/infra/net";
import { createTestDatabase } from "./support/stores";

const ROOT = path.resolve(import.meta.dirname, "..");
const run = promisify(execFile);

let database: { url: string; drop(): Promise<void> };
let db: pg.Client;

beforeAll(async () => {
  database = await createTestDatabase();
  db = new pg.Client({ connectionString: database.url });
  await db.connect();
});
afterAll(async () => {
  await db?.end();
  await database?.drop();
});
beforeEach(async () => {
  await db.query("DELETE FROM jobs");
});

/** A cached job, `ageDays` since it was last cached. */
async function cacheJob(ageDays: number, id = randomUUID()): Promise<string> {
  await db.query(
    `INSERT INTO jobs (id, vm_id, command, status, started_at, cached_at)
     VALUES ($1, 'vm-1', 'uptime', 'success', now() - interval '30 days', now() - $2::float8 * interval '1 day')`,
    [id, ageDays],
  );
  return id;
}

/** A cached line of a job; `micros` spaces lines 1 µs apart, as colliding lines are. */
async function cacheLine(jobId: string, ageDays: number, micros: number): Promise<void> {
  await db.query(
    `INSERT INTO job_logs (job_id, ts, stream, data, cached_at)
     VALUES ($1, '2026-11-01T00:00:00Z'::timestamptz + $2 * interval '1 microsecond', 'stdout', 'line', now() - $3::float8 * interval '1 day')`,
    [jobId, micros, ageDays],
  );
}

async function remaining(): Promise<{ jobs: string[]; lines: Record<string, number> }> {
  const jobs = await db.query<{ id: string }>("SELECT id::text FROM jobs ORDER BY id");
  const lines = await db.query<{ job_id: string; n: number }>("SELECT job_id::text, count(*)::int AS n FROM job_logs GROUP BY job_id");
  return { jobs: jobs.rows.map((r) => r.id), lines: Object.fromEntries(lines.rows.map((r) => [r.job_id, r.n])) };
}

/**
 * stale: job and lines 8 days old → all go. fresh: 1 day → stays.
 * mixed: fresh job with 2 stale and 1 fresh line → the stale lines go.
 * refreshedLines: stale job with a line re-cached yesterday → the job and that line stay, its stale line goes.
 * bare: stale job without lines → goes. edge: 6.9 days → stays.
 */
async function seed() {
  const stale = await cacheJob(8);
  for (let i = 0; i < 3; i++) await cacheLine(stale, 8, i);
  const fresh = await cacheJob(1);
  for (let i = 0; i < 2; i++) await cacheLine(fresh, 1, i);
  const mixed = await cacheJob(0.5);
  await cacheLine(mixed, 9, 0);
  await cacheLine(mixed, 9, 1);
  await cacheLine(mixed, 0.5, 2);
  const refreshedLines = await cacheJob(10);
  await cacheLine(refreshedLines, 10, 0);
  await cacheLine(refreshedLines, 0.1, 1);
  const bare = await cacheJob(7.5);
  const edge = await cacheJob(6.9);
  await cacheLine(edge, 6.9, 0);
  return { stale, fresh, mixed, refreshedLines, bare, edge };
}

describe("purgeCache", () => {
  it("removes only rows cached before the cutoff, and counts them per table", async () => {
    const ids = await seed();
    const result = await purgeCache(database.url, { ttlDays: 7 });
    // Lines: 3 (stale) + 2 (mixed) + 1 (refreshedLines) = 6. Jobs: stale, bare.
    expect(result).toMatchObject({ status: "done", jobs: 2, jobLogs: 6 });
    const left = await remaining();
    expect(left.jobs).toEqual([ids.fresh, ids.mixed, ids.refreshedLines, ids.edge].sort());
    expect(left.lines).toEqual({ [ids.fresh]: 2, [ids.mixed]: 1, [ids.refreshedLines]: 1, [ids.edge]: 1 });

    const again = await purgeCache(database.url, { ttlDays: 7 });
    expect(again).toMatchObject({ status: "done", jobs: 0, jobLogs: 0 });
  });

  it("removes a stale job together with its stale lines", async () => {
    const job = await cacheJob(8);
    await cacheLine(job, 8, 0);
    const result = await purgeCache(database.url, { ttlDays: 7 });
    expect(result).toMatchObject({ status: "done", jobs: 1, jobLogs: 1 });
    expect(await remaining()).toEqual({ jobs: [], lines: {} });
  });

  it("gives the same result in batches of 3 as in one, lines 1 µs apart across batch edges", async () => {
    const staleJobs: string[] = [];
    const keptJobs: string[] = [];
    for (let j = 0; j < 7; j++) {
      const stale = await cacheJob(8);
      staleJobs.push(stale);
      for (let i = 0; i < 5; i++) await cacheLine(stale, 8, i);
      const kept = await cacheJob(2);
      keptJobs.push(kept);
      for (let i = 0; i < 5; i++) await cacheLine(kept, i % 2 === 0 ? 8 : 2, i);
    }
    const result = await purgeCache(database.url, { ttlDays: 7, batchSize: 3 });
    // Lines: 7×5 of the stale jobs + 7×3 stale lines of the kept ones.
    expect(result).toMatchObject({ status: "done", jobs: 7, jobLogs: 7 * 5 + 7 * 3 });
    const left = await remaining();
    expect(left.jobs).toEqual([...keptJobs].sort());
    expect(Object.values(left.lines)).toEqual(Array(7).fill(2));
  });

  it("honours a longer TTL", async () => {
    const ids = await seed();
    const result = await purgeCache(database.url, { ttlDays: 9.5 });
    expect(result).toMatchObject({ status: "done", jobs: 0, jobLogs: 1 + 0 });
    expect((await remaining()).jobs).toContain(ids.stale);
  });

  it("skips, without deleting, while another purge holds the lock; two at once never both purge a row", async () => {
    await seed();
    const holder = new pg.Client({ connectionString: database.url });
    await holder.connect();
    try {
      await holder.query("SELECT pg_advisory_lock($1)", [PURGE_LOCK_KEY]);
      const skipped = await purgeCache(database.url, { ttlDays: 7 });
      expect(skipped).toEqual({ status: "skipped", reason: "another purge is running" });
      expect((await remaining()).jobs).toHaveLength(6);
    } finally {
      await holder.query("SELECT pg_advisory_unlock($1)", [PURGE_LOCK_KEY]);
      await holder.end();
    }

    const results = await Promise.all([1, 2, 3].map(() => purgeCache(database.url, { ttlDays: 7, batchSize: 1 })));
    const done = results.filter((r) => r.status === "done");
    expect(done.length).toBeGreaterThanOrEqual(1);
    expect(done.reduce((n, r) => n + r.jobs, 0)).toBe(2);
    expect(done.reduce((n, r) => n + r.jobLogs, 0)).toBe(6);
    expect((await remaining()).jobs).toHaveLength(4);
  });
});

describe("npm run purge-cache (the CLI)", () => {
  const cli = (env: Record<string, string>) =>
    run(process.execPath, ["--import", "tsx", "src/cli/purge-cache.ts"], {
      cwd: ROOT,
      env: { ...process.env, CACHE_TTL_DAYS: "", ...env },
    }).then(
      ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
      (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, stdout: error.stdout, stderr: error.stderr }),
    );

  it("prints how many rows of each table it removed and exits 0", async () => {
    await seed();
    const out = await cli({ DATABASE_URL: database.url });
    expect(out.stderr).toBe("");
    expect(out.code).toBe(0);
    expect(out.stdout).toMatch(/^cache purge removed 2 jobs and 6 job_logs rows cached before \S+ \S+\n$/);
    expect((await remaining()).jobs).toHaveLength(4);
  });

  it("reads CACHE_TTL_DAYS", async () => {
    await seed();
    const out = await cli({ DATABASE_URL: database.url, CACHE_TTL_DAYS: "30" });
    expect(out.code).toBe(0);
    expect(out.stdout).toContain("removed 0 jobs and 0 job_logs rows");
  });

  it("exits 0 and says so when another purge is running", async () => {
    await seed();
    const holder = new pg.Client({ connectionString: database.url });
    await holder.connect();
    try {
      await holder.query("SELECT pg_advisory_lock($1)", [PURGE_LOCK_KEY]);
      const out = await cli({ DATABASE_URL: database.url });
      expect(out.code).toBe(0);
      expect(out.stdout).toContain("another purge is running");
      expect((await remaining()).jobs).toHaveLength(6);
    } finally {
      await holder.end();
    }
  });

  it("exits non-zero when PostgreSQL cannot be reached", async () => {
    await seed();
    const out = await cli({ DATABASE_URL: `postgresql://postgres@127.0.0.1:${await findFreePort()}/postgres` });
    expect(out.code).not.toBe(0);
    expect(out.stderr).toContain("cache purge failed");
    expect((await remaining()).jobs).toHaveLength(6);
  });

  it.each([
    ["no DATABASE_URL", { DATABASE_URL: "" }, "DATABASE_URL"],
    ["a bad CACHE_TTL_DAYS", { CACHE_TTL_DAYS: "-3" }, "CACHE_TTL_DAYS"],
  ])("exits non-zero on %s, deleting nothing", async (_label, env, named) => {
    await seed();
    const out = await cli({ DATABASE_URL: database.url, ...env });
    expect(out.code).not.toBe(0);
    expect(out.stderr).toContain(named);
    expect((await remaining()).jobs).toHaveLength(6);
  });
});
