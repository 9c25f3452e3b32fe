// The Postgres cache of DynamoDB's jobs and log lines (tables jobs, job_logs).
// Raw SQL: multi-row upserts and a window function have no Prisma model API,
// and log timestamps must keep microseconds, which Prisma's DateTime drops.
import { Prisma } from "../generated/prisma/client.js";
import { queryPrepared, type PrismaClient } from "../infra/postgres/prisma.js";
import type { TimeKey } from "../infra/dynamodb/newest-first.js";
import { logTimestampFromJson } from "../shared/log-timestamp.js";
import type { Job, JobStatus } from "../jobs/job.model.js";
import type { LogLine, LogStream } from "../logs/log-line.model.js";

/** A jobs row as the cache's queries select it (JOB_COLUMNS). */
export interface JobRow {
  id: string;
  vm_id: string;
  command_id: string | null;
  command: string;
  status: string;
  started_at: Date | null;
  finished_at: Date | null;
}

export const toJob = (row: JobRow): Job => ({
  id: row.id,
  vmId: row.vm_id,
  commandId: row.command_id,
  command: row.command,
  status: row.status as JobStatus,
  startedAt: row.started_at,
  finishedAt: row.finished_at,
});

export const JOB_COLUMNS = Prisma.sql`j.id::text AS id, j.vm_id, j.command_id, j.command, j.status, j.started_at, j.finished_at`;
// timestamptz keeps microseconds; to_char gives them back as the LogTimestamp text.
export const TS_TEXT = Prisma.sql`to_char(l.ts AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

/** A page of one VM's jobs: newest first, started at or after `from`. */
export interface VmJobsKey {
  vmId: string;
  from: Date;
}

/** A page of lines of the job `j` in the cache's queries. */
export interface CachedLogsQuery {
  after?: string;
  since?: string;
  stream?: LogStream;
  limit: number;
}

/**
 * The page of lines of job `j`, oldest first, as one JSON array of
 * [ts, stream, data]: parsing one string beats the driver and Prisma building
 * an object per line. ts is the UTC `timestamp` as JSON prints it (trailing
 * fractional zeros dropped; parseLines pads them back): formatting each ts with
 * TS_TEXT's to_char cost about 12% of the statement.
 */
function linesPage(q: CachedLogsQuery): Prisma.Sql {
  const conditions = [Prisma.sql`l.job_id = j.id`];
  if (q.after) conditions.push(Prisma.sql`l.ts > ${q.after}::timestamptz`);
  if (q.since) conditions.push(Prisma.sql`l.ts >= ${q.since}::timestamptz`);
  if (q.stream) conditions.push(Prisma.sql`l.stream = ${q.stream}`);
  return Prisma.sql`(SELECT coalesce(json_agg(json_build_array(page.ts, page.stream, page.data) ORDER BY page.ts), '[]')::text
    FROM (
      SELECT l.ts AT TIME ZONE 'UTC' AS ts, l.stream, l.data FROM job_logs l
      WHERE ${Prisma.join(conditions, " AND ")}
      ORDER BY l.ts
      LIMIT ${q.limit}
    ) page)`;
}

/** A page of jobs across VMs (listJobs). */
export interface CachedJobsQuery {
  vmId?: string;
  status?: JobStatus;
  from: Date;
  before?: TimeKey;
  limit: number;
}

/** listJobs's conditions. */
function jobsListed(q: CachedJobsQuery): Prisma.Sql {
  const conditions = [Prisma.sql`j.started_at >= ${q.from}::timestamptz`];
  if (q.vmId) conditions.push(Prisma.sql`j.vm_id = ${q.vmId}`);
  if (q.status) conditions.push(Prisma.sql`j.status = ${q.status}`);
  if (q.before) conditions.push(Prisma.sql`(j.started_at, j.id) < (${q.before.at}::timestamptz, ${q.before.id}::uuid)`);
  return Prisma.join(conditions, " AND ");
}

function parseLines(jobId: string, text: string): LogLine[] {
  return (JSON.parse(text) as Array<[string, LogStream, string]>).map(([ts, stream, data]) => ({
    jobId,
    ts: logTimestampFromJson(ts),
    stream,
    data,
  }));
}

export interface CachedLogs {
  /** The job's startedAt as cached. */
  jobStartedAt: Date | null;
  lines: LogLine[];
}

/** One job's rows for the cache: its job row (when known) and its lines. */
export interface JobRows {
  jobId: string;
  job: Job | undefined;
  lines: LogLine[];
}

/**
 * What upsertIsolating did: everything written; nothing, Postgres being
 * unreachable; or, Postgres having refused the batch, job by job: which were
 * written, which refused (and why), and which were left unwritten because
 * Postgres went away meanwhile (then `error` is that failure).
 */
export type IsolatedUpsert =
  | { outcome: "written" }
  | { outcome: "unreachable"; error: unknown }
  | { outcome: "isolated"; cause: unknown; written: JobRows[]; refused: Array<{ rows: JobRows; error: unknown }>; unwritten: JobRows[]; error?: unknown };

/**
 * mergeJob (job.model.ts) as the upsert applies it: the incoming row wins
 * unless the cached one is finished and the incoming one running (then the
 * row is left as it is: the WHERE), and a missing commandId keeps the cached
 * one. tests/job-merge.test.ts holds the two to the same answers.
 */
const JOB_MERGE_SET = Prisma.sql`
  vm_id = EXCLUDED.vm_id,
  command_id = COALESCE(EXCLUDED.command_id, jobs.command_id),
  command = EXCLUDED.command,
  status = EXCLUDED.status,
  started_at = EXCLUDED.started_at,
  finished_at = EXCLUDED.finished_at,
  cached_at = now()
WHERE jobs.status = 'running' OR EXCLUDED.status <> 'running'`;

export class JobCacheRepository {
  constructor(private readonly prisma: PrismaClient) {}

  /**
   * Upserts jobs and log lines in ONE statement: a data-modifying CTE upserts
   * the job rows, the outer INSERT the lines, each from unnest() of one array
   * per column (so any number of rows is a handful of parameters, and one
   * round trip). One statement is atomic on its own, so no BEGIN / COMMIT; the
   * lines' foreign key is checked at the statement's end, when the CTE's job
   * rows are in place. Each job row merges with the cached one by mergeJob's
   * rule (JOB_MERGE_SET); cached_at = now() on every row written.
   */
  async upsert(jobs: Job[], lines: LogLine[]): Promise<void> {
    if (jobs.length === 0 && lines.length === 0) return;
    // ON CONFLICT DO UPDATE cannot touch one row twice in a statement: the last copy of a key wins.
    const uniqueJobs = [...new Map(jobs.map((j) => [j.id, j])).values()];
    const uniqueLines = [...new Map(lines.map((l) => [`${l.jobId}|${l.ts}`, l])).values()];
    const jobRows = Prisma.sql`
      INSERT INTO jobs (id, vm_id, command_id, command, status, started_at, finished_at, cached_at)
      SELECT id, vm_id, command_id, command, status, started_at, finished_at, now()
      FROM unnest(
        ${uniqueJobs.map((j) => j.id)}::uuid[], ${uniqueJobs.map((j) => j.vmId)}::text[], ${uniqueJobs.map((j) => j.commandId)}::text[],
        ${uniqueJobs.map((j) => j.command)}::text[], ${uniqueJobs.map((j) => j.status)}::text[],
        ${uniqueJobs.map((j) => j.startedAt?.toISOString() ?? null)}::timestamptz[], ${uniqueJobs.map((j) => j.finishedAt?.toISOString() ?? null)}::timestamptz[]
      ) AS r(id, vm_id, command_id, command, status, started_at, finished_at)
      ON CONFLICT (id) DO UPDATE SET ${JOB_MERGE_SET}`;
    if (uniqueLines.length === 0) {
      await this.prisma.$executeRaw(jobRows);
      return;
    }
    const lineRows = Prisma.sql`
      INSERT INTO job_logs (job_id, ts, stream, data, cached_at)
      SELECT job_id, ts, stream, data, now()
      FROM unnest(
        ${uniqueLines.map((l) => l.jobId)}::uuid[], ${uniqueLines.map((l) => l.ts)}::timestamptz[],
        ${uniqueLines.map((l) => l.stream)}::text[], ${uniqueLines.map((l) => l.data)}::text[]
      ) AS r(job_id, ts, stream, data)
      ON CONFLICT (job_id, ts) DO UPDATE SET stream = EXCLUDED.stream, data = EXCLUDED.data, cached_at = now()`;
    await this.prisma.$executeRaw(uniqueJobs.length ? Prisma.sql`WITH job_rows AS (${jobRows}) ${lineRows}` : lineRows);
  }

  /**
   * upsert() of the whole batch; if Postgres answers but refuses it (some row
   * is poison: data the cache's checks reject, e.g. from a foreign writer),
   * job by job, so one bad job's rows cannot hold back the others. Never
   * throws: the outcome says what was written. Used by every cache writer.
   */
  async upsertIsolating(groups: readonly JobRows[]): Promise<IsolatedUpsert> {
    try {
      await this.upsert(
        groups.flatMap((g) => (g.job ? [g.job] : [])),
        groups.flatMap((g) => g.lines),
      );
      return { outcome: "written" };
    } catch (error) {
      if (!(await this.reachable())) return { outcome: "unreachable", error };
      const result: Extract<IsolatedUpsert, { outcome: "isolated" }> = { outcome: "isolated", cause: error, written: [], refused: [], unwritten: [] };
      for (const [i, rows] of groups.entries()) {
        try {
          await this.upsert(rows.job ? [rows.job] : [], rows.lines);
          result.written.push(rows);
        } catch (error) {
          if (!(await this.reachable())) {
            // Postgres went away meanwhile: this job and the rest stay unwritten.
            result.unwritten = groups.slice(i);
            result.error = error;
            break;
          }
          result.refused.push({ rows, error });
        }
      }
      return result;
    }
  }

  /** Whether Postgres answers at all: tells "Postgres is down" from "this batch is bad". */
  async reachable(): Promise<boolean> {
    try {
      await this.prisma.$queryRaw`SELECT 1`;
      return true;
    } catch {
      return false;
    }
  }

  async getJob(id: string): Promise<Job | null> {
    const rows = await queryPrepared<JobRow[]>(this.prisma, Prisma.sql`SELECT ${JOB_COLUMNS} FROM jobs j WHERE j.id = ${id}::uuid`);
    return rows[0] ? toJob(rows[0]) : null;
  }

  /** The cached rows among these ids (one query). */
  async getJobs(ids: readonly string[]): Promise<Map<string, Job>> {
    if (ids.length === 0) return new Map();
    const rows = await queryPrepared<JobRow[]>(
      this.prisma,
      Prisma.sql`SELECT ${JOB_COLUMNS} FROM jobs j WHERE j.id = ANY(${ids as string[]}::uuid[])`,
    );
    return new Map(rows.map((row) => [row.id, toJob(row)]));
  }

  /**
   * The newest `limit` jobs of each VM, in ONE query (a window function over
   * the VMs of a page), each VM from its own lower bound.
   */
  async jobsForVms(
    keys: readonly VmJobsKey[],
    options: { status?: JobStatus; before?: TimeKey; limit: number },
  ): Promise<Map<string, Job[]>> {
    const result = new Map<string, Job[]>(keys.map((k) => [k.vmId, []]));
    if (keys.length === 0) return result;
    const { status, before, limit } = options;
    const rows = await queryPrepared<JobRow[]>(this.prisma, Prisma.sql`
      SELECT id, vm_id, command_id, command, status, started_at, finished_at FROM (
        SELECT ${JOB_COLUMNS},
               row_number() OVER (PARTITION BY j.vm_id ORDER BY j.started_at DESC, j.id DESC) AS rn
        FROM jobs j
        JOIN unnest(${keys.map((k) => k.vmId)}::text[], ${keys.map((k) => k.from.toISOString())}::timestamptz[]) AS k(vm_id, since)
          ON j.vm_id = k.vm_id AND j.started_at >= k.since
        WHERE (${status ?? null}::text IS NULL OR j.status = ${status ?? null}::text)
          ${before ? Prisma.sql`AND (j.started_at, j.id) < (${before.at}::timestamptz, ${before.id}::uuid)` : Prisma.empty}
      ) ranked
      WHERE rn <= ${limit}
      ORDER BY vm_id, started_at DESC, id DESC`);
    for (const row of rows) result.get(row.vm_id)?.push(toJob(row));
    return result;
  }

  /**
   * Jobs across VMs, newest first, started at or after `from`; with `logs`,
   * each with a page of its lines in the same statement (what logsForJobs
   * gives for it).
   */
  async listJobs(q: CachedJobsQuery, logs?: CachedLogsQuery): Promise<Array<{ job: Job; lines?: LogLine[] }>> {
    const lines = logs ? Prisma.sql`, ${linesPage(logs)} AS lines` : Prisma.empty;
    const rows = await queryPrepared<Array<JobRow & { lines?: string }>>(this.prisma, Prisma.sql`
      SELECT ${JOB_COLUMNS} ${lines} FROM jobs j
      WHERE ${jobsListed(q)}
      ORDER BY j.started_at DESC, j.id DESC
      LIMIT ${q.limit}`);
    return rows.map((row) => ({ job: toJob(row), lines: row.lines === undefined ? undefined : parseLines(row.id, row.lines) }));
  }

  /**
   * A page of lines of each job, oldest first, in ONE query (a subquery per
   * job on job_logs' (job_id, ts) key, so the limit holds per job). The map has an entry only for jobs that
   * are cached; a cached job without lines has an empty page.
   */
  async logsForJobs(jobIds: readonly string[], q: CachedLogsQuery): Promise<Map<string, CachedLogs>> {
    const result = new Map<string, CachedLogs>();
    if (jobIds.length === 0) return result;
    const rows = await queryPrepared<Array<{ job_id: string; job_started_at: Date | null; lines: string }>>(this.prisma, Prisma.sql`
      SELECT j.id::text AS job_id, j.started_at AS job_started_at, ${linesPage(q)} AS lines
      FROM jobs j
      WHERE j.id = ANY(${jobIds as string[]}::uuid[])`);
    for (const row of rows) result.set(row.job_id, { jobStartedAt: row.job_started_at, lines: parseLines(row.job_id, row.lines) });
    return result;
  }

  /** A cached job and a page of its lines, in one statement (what logsForJobs gives for it); null: no row. */
  async jobWithLogs(id: string, q: CachedLogsQuery): Promise<{ job: Job; lines: LogLine[] } | null> {
    const rows = await queryPrepared<Array<JobRow & { lines: string }>>(
      this.prisma,
      Prisma.sql`SELECT ${JOB_COLUMNS}, ${linesPage(q)} AS lines FROM jobs j WHERE j.id = ${id}::uuid`,
    );
    const row = rows[0];
    return row ? { job: toJob(row), lines: parseLines(row.id, row.lines) } : null;
  }
}
