// Removes cache rows not written for CACHE_TTL_DAYS (`cached_at` older than
// the cutoff); used by `npm run purge-cache` / `make purge-cache` and by the
// server when PURGE_CRON is set.
//
// - What goes: job_logs rows with cached_at < cutoff, then jobs rows with
//   cached_at < cutoff that have no job_logs row at or after the cutoff (their
//   remaining lines, if any, go by the ON DELETE CASCADE). A job with a line
//   refreshed inside the window is kept, with it: the cascade would otherwise
//   delete rows just written or backfilled, and a running job's next line would
//   find no parent row. Its stale lines still go one by one; readers trust the
//   cache for a job's lines only when the job started inside the window
//   (src/cache/job-reads.ts, rule 1), and every line of such a
//   job was cached after it started, so no trusted job loses lines.
// - Small batches: each batch takes the next PURGE_BATCH_SIZE primary-key
//   entries (keyset: the whole purge reads each index once instead of
//   rescanning from the start; there is no index on cached_at, and the seed's
//   indexes stay as they are) and deletes the stale ones among them, in its
//   own short transaction. Row locks are held for one batch; the cache writer's
//   upserts wait at most that long, and a row it refreshes meanwhile is
//   re-checked (cached_at < cutoff) and kept. statement_timeout and
//   lock_timeout bound any one batch.
// - One at a time: a session advisory lock. A second purge (another cron, or
//   another server instance) does not wait: it reports "another purge is
//   running" and succeeds, since the running one is doing the work.
import pg from "pg";
import { withAdvisoryLock } from "../infra/postgres/advisory-lock.js";
import type { CacheMetrics, PurgeCounts } from "./cache.metrics.js";

/**
 * Rows examined per statement. 1000 primary-key entries cost a few
 * milliseconds to walk and delete, so no batch holds its row locks long enough
 * for the cache writer (or a backfill) to notice, while a purge of a million
 * stale rows is still only ~2000 round trips.
 */
export const PURGE_BATCH_SIZE = 1_000;

/** pg_try_advisory_lock key: "vmo cache purge" (Prisma's migrate uses 72707369). */
export const PURGE_LOCK_KEY = 0x766d6f63; // "vmoc"

const STATEMENT_TIMEOUT = "30s";
const LOCK_TIMEOUT = "5s";

export interface PurgeOptions {
  ttlDays: number;
  batchSize?: number;
  metrics?: CacheMetrics;
}

export type PurgeResult =
  | ({ status: "done"; cutoff: string } & PurgeCounts)
  | { status: "skipped"; reason: "another purge is running" };

// Keys and the cutoff travel as text: pg would turn a timestamptz into a JS
// Date and lose its microseconds.
interface Range<K> {
  after?: K;
  /** Unset: everything after `after` (fewer than a batch remain). */
  upTo?: K;
}
interface LogKey {
  jobId: string;
  ts: string;
}

/**
 * Each batch is two statements with plain index range plans: find the key
 * PURGE_BATCH_SIZE entries ahead in the primary key, then delete the stale
 * rows between the previous key and that one.
 */
function logRange({ after, upTo }: Range<LogKey>, params: unknown[]): string {
  const conditions: string[] = [];
  if (after) {
    params.push(after.jobId, after.ts);
    conditions.push(`(job_id, ts) > ($${params.length - 1}::uuid, $${params.length}::timestamptz)`);
  }
  if (upTo) {
    params.push(upTo.jobId, upTo.ts);
    conditions.push(`(job_id, ts) <= ($${params.length - 1}::uuid, $${params.length}::timestamptz)`);
  }
  return conditions.length ? conditions.join(" AND ") : "true";
}

function jobRange({ after, upTo }: Range<string>, params: unknown[]): string {
  const conditions: string[] = [];
  if (after) conditions.push(`id > $${params.push(after)}::uuid`);
  if (upTo) conditions.push(`id <= $${params.push(upTo)}::uuid`);
  return conditions.length ? conditions.join(" AND ") : "true";
}

async function purgeLogs(client: pg.Client, cutoff: string, batchSize: number): Promise<number> {
  let deleted = 0;
  let after: LogKey | undefined;
  for (;;) {
    const boundParams: unknown[] = [];
    const where = logRange({ after }, boundParams);
    // Aliased: ORDER BY would otherwise sort by the text casts, off the index.
    const { rows: ends } = await client.query<{ end_job_id: string; end_ts: string }>(
      `SELECT job_id::text AS end_job_id, ts::text AS end_ts FROM job_logs WHERE ${where}
       ORDER BY job_id, ts OFFSET $${boundParams.push(batchSize - 1)} LIMIT 1`,
      boundParams,
    );
    const upTo = ends[0] ? { jobId: ends[0].end_job_id, ts: ends[0].end_ts } : undefined;
    const params: unknown[] = [cutoff];
    const out = await client.query(
      `DELETE FROM job_logs WHERE ${logRange({ after, upTo }, params)} AND cached_at < $1::timestamptz`,
      params,
    );
    deleted += out.rowCount ?? 0;
    if (!upTo) return deleted;
    after = upTo;
  }
}

async function purgeJobs(client: pg.Client, cutoff: string, batchSize: number): Promise<{ jobs: number; cascaded: number }> {
  let jobs = 0;
  let cascaded = 0;
  let after: string | undefined;
  for (;;) {
    const boundParams: unknown[] = [];
    const where = jobRange({ after }, boundParams);
    const { rows: ends } = await client.query<{ end_id: string }>(
      `SELECT id::text AS end_id FROM jobs WHERE ${where} ORDER BY id OFFSET $${boundParams.push(batchSize - 1)} LIMIT 1`,
      boundParams,
    );
    const upTo = ends[0]?.end_id;
    const params: unknown[] = [cutoff];
    // The lines a deleted job still has (refreshed ones keep it, so normally
    // none) go by cascade; they are counted from the statement's snapshot.
    const { rows } = await client.query<{ jobs: number; cascaded: number }>(
      `WITH gone AS (
         DELETE FROM jobs j
         WHERE ${jobRange({ after, upTo }, params)} AND j.cached_at < $1::timestamptz
           AND NOT EXISTS (SELECT 1 FROM job_logs l WHERE l.job_id = j.id AND l.cached_at >= $1::timestamptz)
         RETURNING j.id
       )
       SELECT (SELECT count(*)::int FROM gone) AS jobs,
              (SELECT count(*)::int FROM job_logs l WHERE l.job_id = ANY (ARRAY(SELECT id FROM gone))) AS cascaded`,
      params,
    );
    jobs += rows[0]!.jobs;
    cascaded += rows[0]!.cascaded;
    if (!upTo) return { jobs, cascaded };
    after = upTo;
  }
}

/** Purges the cache of the database at `databaseUrl` over one dedicated connection. */
export async function purgeCache(databaseUrl: string, options: PurgeOptions): Promise<PurgeResult> {
  const client = new pg.Client({ connectionString: databaseUrl, application_name: "vmo-cache-purge" });
  await client.connect();
  try {
    const result = await purgeWith(client, options);
    options.metrics?.purged(result.status, result.status === "done" ? result : undefined);
    return result;
  } catch (error) {
    options.metrics?.purged("failed");
    throw error;
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function purgeWith(client: pg.Client, options: PurgeOptions): Promise<PurgeResult> {
  const batchSize = options.batchSize ?? PURGE_BATCH_SIZE;
  if (!(options.ttlDays > 0)) throw new Error(`ttlDays must be positive, got ${options.ttlDays}`);
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`batchSize must be a positive integer, got ${batchSize}`);

  const held = await withAdvisoryLock(client, PURGE_LOCK_KEY, async (): Promise<PurgeResult> => {
    await client.query(`SET statement_timeout = '${STATEMENT_TIMEOUT}'`);
    await client.query(`SET lock_timeout = '${LOCK_TIMEOUT}'`);
    // The database's clock, the one cached_at = now() is written with.
    const { rows } = await client.query<{ cutoff: string }>(
      "SELECT (now() - $1::float8 * interval '1 day')::text AS cutoff",
      [options.ttlDays],
    );
    const cutoff = rows[0]!.cutoff;

    const lines = await purgeLogs(client, cutoff, batchSize);
    const { jobs, cascaded } = await purgeJobs(client, cutoff, batchSize);
    const jobLogs = lines + cascaded;
    return { status: "done", cutoff, jobs, jobLogs };
  });
  return held.locked ? held.value : { status: "skipped", reason: "another purge is running" };
}

/** The one line the script prints (and the server logs). */
export function describePurge(result: PurgeResult): string {
  return result.status === "skipped"
    ? "cache purge skipped: another purge is running"
    : `cache purge removed ${result.jobs} jobs and ${result.jobLogs} job_logs rows cached before ${result.cutoff}`;
}
